"""The live store: TTLs, stale-while-revalidate, single flight, leading edge + one follow-up,
throttled manual refresh, versions and diffs, subscriptions, degradation."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workshub.clock import FakeClock
from workshub.domain.dashboards.keys import DATA_TYPES, SCOPES, WEEKLESS_TYPES, DashboardKey
from workshub.domain.events import (
    DataUpdated,
    EntryRef,
    EventHub,
    NotificationRead,
    TeamHealthUpdated,
    TimeEntryStopped,
)
from workshub.live.store import JOIN_EARLY, LiveStore, Snapshot, changed_fields

W = date(2026, 11, 23)
METRICS = DashboardKey("metrics", "team", 10, W)
TODAY_1 = DashboardKey("today", "user", 1)
TODAY_2 = DashboardKey("today", "user", 2)


class FakeCompute:
    """The injected computation: counts calls, returns `data[key]`, can fail or be held."""

    def __init__(self) -> None:
        self.calls: list[tuple[DashboardKey, datetime]] = []
        self.data: dict[DashboardKey, dict[str, Any]] = {}
        self.error: Exception | None = None
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.threads: set[int] = set()

    def __call__(self, key: DashboardKey, now: datetime) -> dict[str, Any]:
        self.calls.append((key, now))
        self.threads.add(threading.get_ident())
        self.entered.set()
        assert self.gate.wait(5), "the test never released the computation"
        if self.error is not None:
            raise self.error
        return dict(self.data.get(key, {"value": 1}))

    def count(self, key: DashboardKey) -> int:
        return sum(1 for k, _ in self.calls if k == key)

    def hold(self) -> None:
        self.gate.clear()
        self.entered.clear()

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, 5)


@pytest.fixture
def compute() -> FakeCompute:
    return FakeCompute()


@pytest.fixture
async def store(compute: FakeCompute, clock: FakeClock) -> AsyncIterator[LiveStore]:
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), random=lambda: 0.0)
    yield store
    compute.gate.set()
    await store.close()


def cached(store: LiveStore, key: DashboardKey) -> Snapshot:
    snapshot = store.get_cached(key)
    assert snapshot is not None
    return snapshot


def key_of(data_type: str) -> DashboardKey:
    week = None if data_type in WEEKLESS_TYPES else W
    return DashboardKey(data_type, SCOPES[data_type][0], 1, week)


def entry_stopped(user_id: int = 1, team_id: int = 10) -> TimeEntryStopped:
    ref = EntryRef(
        user_id=user_id,
        team_id=team_id,
        project_id=5,
        client_id=None,
        started_at=datetime.fromisoformat("2026-11-25T09:00:00+00:00"),
    )
    return TimeEntryStopped(actor_id=user_id, entry_id=1, entry=ref)


# --- TTL and stale-while-revalidate -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data_type", "ttl"),
    [
        ("metrics", 300),
        ("team_data", 180),
        ("client_data", 600),
        ("active_timers", 30),
        ("today", 30),
        ("client_health", 600),
        ("utilization_trend", 600),
        ("client_history", 600),
    ],
)
async def test_a_snapshot_expires_after_its_types_ttl(
    store: LiveStore, compute: FakeCompute, clock: FakeClock, data_type: str, ttl: int
) -> None:
    assert len(DATA_TYPES) == 8
    key = key_of(data_type)
    first = await store.get(key)
    assert not first.stale and first.computed_at == clock.now()
    clock.advance(ttl - 0.5)
    assert store.get_cached(key) == first
    assert compute.count(key) == 1
    clock.advance(0.5)
    expired = store.get_cached(key)
    assert expired is not None and expired.stale and expired.version == first.version
    await store.wait_idle()
    assert compute.count(key) == 2
    again = store.get_cached(key)
    assert again is not None and not again.stale


async def test_an_expired_read_answers_at_once_and_revalidates_once(
    store: LiveStore, compute: FakeCompute, clock: FakeClock
) -> None:
    compute.data[METRICS] = {"tracked": 1.0}
    first = await store.get(METRICS)
    clock.advance(300)
    compute.data[METRICS] = {"tracked": 2.0}
    compute.hold()

    stale = store.get_cached(METRICS)
    await compute.wait_entered()
    assert stale is not None and stale.stale and stale.data == {"tracked": 1.0}
    for _ in range(5):  # more reads while it runs: still stale, no second computation
        again = await store.get(METRICS)
        assert again.stale and again.version == first.version
    assert compute.count(METRICS) == 2

    compute.gate.set()
    await store.wait_idle()
    fresh = store.get_cached(METRICS)
    assert fresh is not None and not fresh.stale
    assert fresh.data == {"tracked": 2.0} and fresh.version > first.version
    assert compute.count(METRICS) == 2


async def test_get_cached_of_an_unknown_key_is_none_and_computes_nothing(
    store: LiveStore, compute: FakeCompute
) -> None:
    assert store.get_cached(METRICS) is None
    await store.wait_idle()
    assert compute.calls == []


# --- single flight, leading edge ----------------------------------------------------------------


async def test_concurrent_gets_share_one_computation_off_the_loop(
    store: LiveStore, compute: FakeCompute
) -> None:
    compute.hold()
    readers = [asyncio.create_task(store.get(METRICS)) for _ in range(20)]
    await compute.wait_entered()
    compute.gate.set()
    snapshots = await asyncio.gather(*readers)
    assert compute.count(METRICS) == 1
    assert {s.version for s in snapshots} == {snapshots[0].version}
    assert threading.get_ident() not in compute.threads


async def test_recomputes_of_different_keys_run_one_at_a_time_on_one_thread(
    store: LiveStore, compute: FakeCompute
) -> None:
    """Side by side they would only fight over the GIL, and the API's writers with them."""
    compute.hold()
    readers = [asyncio.create_task(store.get(key)) for key in (METRICS, TODAY_1, TODAY_2)]
    await compute.wait_entered()
    await asyncio.sleep(0.05)
    assert len(compute.calls) == 1  # the others wait their turn
    compute.gate.set()
    await asyncio.gather(*readers)
    assert len(compute.calls) == 3
    assert len(compute.threads) == 1


async def test_a_caller_giving_up_does_not_cancel_the_shared_computation(
    store: LiveStore, compute: FakeCompute
) -> None:
    compute.hold()
    impatient = asyncio.create_task(store.get(METRICS))
    patient = asyncio.create_task(store.get(METRICS))
    await compute.wait_entered()
    impatient.cancel()
    compute.gate.set()
    snapshot = await patient
    assert snapshot.data == {"value": 1}
    assert impatient.cancelled()
    assert compute.count(METRICS) == 1


async def test_a_burst_of_events_costs_the_leading_recompute_and_one_follow_up(
    store: LiveStore, compute: FakeCompute
) -> None:
    hub = EventHub()
    store.attach(hub)
    await store.get(TODAY_1)
    compute.hold()

    hub.publish(NotificationRead(actor_id=1, notification_id=1, user_id=1))
    await compute.wait_entered()  # leading edge: started at once, no waiting window
    assert compute.count(TODAY_1) == 2
    for n in range(99):
        hub.publish(NotificationRead(actor_id=1, notification_id=n, user_id=1))
    compute.gate.set()
    await store.wait_idle()
    assert compute.count(TODAY_1) == 3


def begin_times(store: LiveStore) -> defaultdict[DashboardKey, list[float]]:
    """When each key's recomputes begin (time.monotonic()), from now on."""
    began: defaultdict[DashboardKey, list[float]] = defaultdict(list)
    compute = store._compute

    def timed(key: DashboardKey, now: datetime) -> dict[str, Any]:
        began[key].append(time.monotonic())
        return compute(key, now)

    store._compute = timed
    return began


async def test_under_a_stream_of_events_a_key_recomputes_at_most_once_per_gap(
    compute: FakeCompute, clock: FakeClock
) -> None:
    """Writes that never stop must not keep a key recomputing back to back: the follow-up
    waits until the gap after the recompute before it began (less the little a follow-up may
    begin early to join a round), and events while it waits join it rather than asking for
    another."""
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), follow_up_gap_s=0.3, storm_gap_s=0)
    hub = EventHub()
    store.attach(hub)
    await store.get(TODAY_1)
    began = begin_times(store)[TODAY_1]
    loop = asyncio.get_running_loop()
    finish = loop.time() + 1.0
    n = 0
    while loop.time() < finish:  # an event every 10 ms for a second
        hub.publish(NotificationRead(actor_id=1, notification_id=n, user_id=1))
        n += 1
        await asyncio.sleep(0.01)
    await store.wait_idle()
    await store.close()
    assert 3 <= len(began) <= 5, began  # 1 s / 0.3 s, not one per event
    gaps = [b - a for a, b in itertools.pairwise(began)]
    assert min(gaps) >= 0.3 * (1 - JOIN_EARLY) - 0.005, gaps
    assert cached(store, TODAY_1).as_of == hub.seq  # the last one read after the last event


async def test_keys_changed_by_a_stream_of_events_recompute_in_shared_rounds(
    compute: FakeCompute, clock: FakeClock
) -> None:
    """Two keys whose own gaps end at different moments: the later one's follow-ups join the
    rounds planned for the other instead of running (and reaching each page) on their own,
    and neither recomputes much sooner than the gap after its previous recompute began."""
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), follow_up_gap_s=0.2, storm_gap_s=0)
    hub = EventHub()
    store.attach(hub)
    await store.get(TODAY_1)
    await asyncio.sleep(0.08)
    await store.get(TODAY_2)  # its gap ends 80 ms after the other's
    by_key = begin_times(store)
    began = {1: by_key[TODAY_1], 2: by_key[TODAY_2]}
    loop = asyncio.get_running_loop()
    finish = loop.time() + 1.0
    n = 0
    while loop.time() < finish:  # both people's notifications, every 10 ms for a second
        for user_id in (1, 2):
            hub.publish(NotificationRead(actor_id=1, notification_id=n, user_id=user_id))
            n += 1
        await asyncio.sleep(0.01)
    await store.wait_idle()
    await store.close()
    shortest = 0.2 * (1 - JOIN_EARLY) - 0.005
    for times in began.values():
        assert min(b - a for a, b in itertools.pairwise(times)) >= shortest, began
    rounds = sorted(began[1] + began[2])
    together = sum(1 for a, b in itertools.pairwise(rounds) if b - a < 0.02)
    assert together >= min(len(began[1]), len(began[2])) - 2, began  # all but the first


@pytest.mark.parametrize(("every_s", "slowest"), [(0.005, 0.4), (0.15, 0.1)])
async def test_a_write_storm_stretches_the_gap_at_once_and_a_slow_stream_does_not(
    compute: FakeCompute, clock: FakeClock, every_s: float, slowest: float
) -> None:
    """200 events a second: follow-ups 400 ms apart once ten events came (the first follow-up
    was planned before), before any governor has sampled the CPU; an event every 150 ms still
    recomputes at once each time."""
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), follow_up_gap_s=0.1)
    hub = EventHub()
    store.attach(hub)
    await store.get(TODAY_1)
    await asyncio.sleep(0.15)  # the first event comes after a quiet spell too
    began = begin_times(store)[TODAY_1]
    loop = asyncio.get_running_loop()
    sent: list[float] = []
    finish = loop.time() + 1.2
    while loop.time() < finish:
        hub.publish(NotificationRead(actor_id=1, notification_id=len(sent), user_id=1))
        sent.append(time.monotonic())
        await asyncio.sleep(every_s)
    await store.wait_idle()
    await store.close()
    gaps = [b - a for a, b in itertools.pairwise(began)][1:]
    assert min(gaps) >= slowest * (1 - JOIN_EARLY) - 0.01, gaps
    if slowest == 0.1:  # every event of the slow stream began its own recompute at once
        assert len(began) == len(sent)
        assert max(b - s for s, b in zip(sent, began, strict=True)) < 0.05


async def test_an_event_while_a_recompute_pushes_gets_a_recompute_of_its_own(
    store: LiveStore, compute: FakeCompute
) -> None:
    """The recompute has read (and is pushing, or finishing) when the next write's event
    comes: it cannot show that write, so one more follows. (A page missed a write this way.)"""
    hub = EventHub()
    store.attach(hub)
    await store.get(TODAY_1)
    pushed: list[Any] = []

    def on_push(update: DataUpdated) -> None:
        pushed.append(update.changed)
        if len(pushed) == 1:  # a second write lands while the first one's push goes out
            compute.data[TODAY_1] = {"value": 3}
            hub.publish(NotificationRead(actor_id=1, notification_id=2, user_id=1))

    store.subscribe(TODAY_1, on_push)
    compute.data[TODAY_1] = {"value": 2}
    hub.publish(NotificationRead(actor_id=1, notification_id=1, user_id=1))
    await store.wait_idle()
    assert pushed == [{"value": 2}, {"value": 3}]
    assert cached(store, TODAY_1).data == {"value": 3}


async def test_after_recomputes_waits_for_the_pushes_of_every_running_recompute(
    compute: FakeCompute, clock: FakeClock
) -> None:
    """The broadcast batches what one write changes: it waits for this, then sends."""
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), follow_up_gap_s=0)
    heard: list[str] = []
    store.after_recomputes(lambda: heard.append("idle"))
    assert heard == ["idle"]  # nothing running: at once
    for key in (METRICS, TODAY_1):
        await store.get(key)
        store.subscribe(key, lambda update: heard.append(update.key))
    heard.clear()
    compute.hold()
    for key, value in ((METRICS, 2), (TODAY_1, 3)):
        compute.data[key] = {"value": value}
        store.invalidate(key)
    # one computes, the other waits its turn on the store's thread: both are running
    while len(compute.calls) < 3:
        await asyncio.sleep(0.01)
    store.after_recomputes(lambda: heard.append("idle"))
    await asyncio.sleep(0.05)
    assert heard == []
    compute.gate.set()
    await store.wait_idle()
    assert sorted(heard[:2]) == sorted([str(METRICS), str(TODAY_1)])
    assert heard[2:] == ["idle"]
    await store.close()


async def test_a_single_event_costs_a_single_recompute(
    store: LiveStore, compute: FakeCompute
) -> None:
    hub = EventHub()
    store.attach(hub)
    await store.get(TODAY_1)
    hub.publish(NotificationRead(actor_id=1, notification_id=1, user_id=1))
    await store.wait_idle()
    assert compute.count(TODAY_1) == 2


async def test_events_recompute_only_affected_cached_or_watched_keys(
    store: LiveStore, compute: FakeCompute
) -> None:
    hub = EventHub()
    store.attach(hub)
    other_team = DashboardKey("metrics", "team", 11, W)
    await asyncio.gather(store.get(METRICS), store.get(other_team), store.get(TODAY_2))
    store.subscribe(TODAY_1, lambda update: None)
    await store.wait_idle()
    compute.calls.clear()

    hub.publish(entry_stopped(user_id=1, team_id=10))
    await store.wait_idle()
    # metrics:team:11, today:user:2 are unaffected; metrics:org:0 is affected but not cached.
    assert sorted(k for k, _ in compute.calls) == sorted([METRICS, TODAY_1])


async def test_each_recompute_reads_the_clock_and_the_hub_seq_at_its_start(
    store: LiveStore, compute: FakeCompute, clock: FakeClock
) -> None:
    hub = EventHub()
    store.attach(hub)
    await store.get(TODAY_1)
    clock.advance(7)
    compute.hold()
    hub.publish(NotificationRead(actor_id=1, notification_id=1, user_id=1))  # seq 1
    await compute.wait_entered()
    hub.publish(NotificationRead(actor_id=1, notification_id=2, user_id=2))  # seq 2, other key
    compute.data[TODAY_1] = {"unread": 0}
    compute.gate.set()
    await store.wait_idle()
    snapshot = store.get_cached(TODAY_1)
    assert snapshot is not None
    assert snapshot.as_of == 1
    assert snapshot.computed_at == clock.now() == compute.calls[-1][1]


# --- manual refresh -------------------------------------------------------------------------------


async def test_a_manual_refresh_runs_at_most_once_per_key_per_five_seconds(
    store: LiveStore, compute: FakeCompute, clock: FakeClock
) -> None:
    first = await store.get(METRICS)
    result = store.request_refresh(METRICS)
    assert (result.accepted, result.throttled, result.version) == (True, False, first.version)
    await store.wait_idle()
    clock.advance(4.9)
    assert store.request_refresh(METRICS).throttled
    assert not store.request_refresh(TODAY_1).throttled  # per key
    await store.wait_idle()
    assert compute.count(METRICS) == 2
    clock.advance(0.1)
    assert store.request_refresh(METRICS).accepted
    await store.wait_idle()
    assert compute.count(METRICS) == 3


async def test_event_driven_refreshes_are_never_throttled(
    store: LiveStore, compute: FakeCompute
) -> None:
    await store.get(METRICS)
    for _ in range(3):
        result = store.request_refresh(METRICS, manual=False)
        assert result.accepted and not result.throttled
        await store.wait_idle()
    assert compute.count(METRICS) == 4


# --- versions, diffs, subscriptions ---------------------------------------------------------------


async def test_versions_start_from_the_clock_in_microseconds_and_only_grow(
    compute: FakeCompute, clock: FakeClock
) -> None:
    seed = int(clock.now().timestamp() * 1_000_000)
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"))
    versions = []
    for n in range(3):
        compute.data[METRICS] = {"n": n}
        store.request_refresh(METRICS, manual=False)
        await store.wait_idle()
        snapshot = store.get_cached(METRICS)
        assert snapshot is not None
        versions.append(snapshot.version)
    assert versions == [seed + 1, seed + 2, seed + 3]
    clock.advance(0.001)  # a restart a millisecond later
    restarted = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"))
    assert (await restarted.get(TODAY_1)).version > versions[-1]


async def test_subscribers_get_everything_first_then_only_changed_fields(
    store: LiveStore, compute: FakeCompute
) -> None:
    compute.data[METRICS] = {"tracked": 10.0, "capacity": 30.0, "utilization": 0.33}
    seen: list[DataUpdated] = []
    store.subscribe(METRICS, seen.append)
    await store.wait_idle()
    compute.data[METRICS] = {"tracked": 12.0, "capacity": 30.0, "utilization": 0.4}
    store.invalidate(METRICS)
    await store.wait_idle()

    assert [u.changed for u in seen] == [
        {"tracked": 10.0, "capacity": 30.0, "utilization": 0.33},
        {"tracked": 12.0, "utilization": 0.4},
    ]
    assert seen[0].key == seen[1].key == "metrics:team:10:2026-11-23"
    assert seen[0].version < seen[1].version
    assert seen[1].version == cached(store, METRICS).version


async def test_a_late_subscriber_gets_every_field_in_its_first_push(
    store: LiveStore, compute: FakeCompute
) -> None:
    compute.data[METRICS] = {"a": 1, "b": 2}
    await store.get(METRICS)
    seen: list[DataUpdated] = []
    store.subscribe(METRICS, seen.append)
    compute.data[METRICS] = {"a": 1, "b": 3}
    store.invalidate(METRICS)
    await store.wait_idle()
    assert [u.changed for u in seen] == [{"a": 1, "b": 3}]


async def test_a_first_subscriber_hears_each_push_before_those_already_there(
    store: LiveStore, compute: FakeCompute
) -> None:
    """The broadcast that serves many pages subscribes `first`: it runs before their views."""
    compute.data[METRICS] = {"a": 1}
    await store.get(METRICS)
    heard: list[str] = []
    store.subscribe(METRICS, lambda _u: heard.append("view"))
    store.subscribe(METRICS, lambda _u: heard.append("broadcast"), first=True)
    compute.data[METRICS] = {"a": 2}
    store.invalidate(METRICS)
    await store.wait_idle()
    assert heard == ["broadcast", "view"]


async def test_identical_data_keeps_its_version_and_pushes_nothing(
    store: LiveStore, compute: FakeCompute, clock: FakeClock
) -> None:
    seen: list[DataUpdated] = []
    everything: list[object] = []
    store.subscribe_all(everything.append)
    first = await store.get(METRICS)
    store.subscribe(METRICS, seen.append)
    clock.advance(60)
    store.invalidate(METRICS)
    await store.wait_idle()
    again = store.get_cached(METRICS)
    assert again is not None
    assert again.version == first.version and again.computed_at == clock.now()
    assert seen == []
    assert len(everything) == 2  # the first snapshot: DataUpdated + TeamHealthUpdated


async def test_a_re_read_that_finds_nothing_new_tells_how_new_it_is(
    store: LiveStore, compute: FakeCompute
) -> None:
    """No push, but an edit waiting for a base as new as its write is confirmed by the
    re-read: its subscribers hear (version, as_of) when as_of moved on."""
    hub = EventHub()
    store.attach(hub)
    first = await store.get(TODAY_1)
    pushed: list[DataUpdated] = []
    reread: list[tuple[int, int]] = []
    store.subscribe(TODAY_1, pushed.append, on_reread=lambda *seen: reread.append(seen))
    hub.publish(NotificationRead(actor_id=1, notification_id=1, user_id=1))  # seq 1
    await store.wait_idle()
    assert pushed == [] and reread == [(first.version, 1)]
    store.invalidate(TODAY_1)  # the same hub seq: nothing newer to tell
    await store.wait_idle()
    assert reread == [(first.version, 1)]


async def test_unsubscribe_stops_pushes_and_counts_follow(
    store: LiveStore, compute: FakeCompute
) -> None:
    first: list[DataUpdated] = []
    second: list[DataUpdated] = []
    drop_first = store.subscribe(METRICS, first.append)
    store.subscribe(METRICS, second.append)
    assert store.subscriber_count(METRICS) == 2
    assert store.connection_health()["subscriptions"] == 2
    await store.wait_idle()
    drop_first()
    drop_first()  # twice is harmless
    assert store.subscriber_count(METRICS) == 1
    compute.data[METRICS] = {"value": 2}
    store.invalidate(METRICS)
    await store.wait_idle()
    assert len(first) == 1 and len(second) == 2
    assert store.subscriber_count(TODAY_1) == 0


async def test_a_subscriber_never_receives_an_older_version(
    store: LiveStore, compute: FakeCompute
) -> None:
    hub = EventHub()
    store.attach(hub)
    seen: list[int] = []
    store.subscribe(TODAY_1, lambda update: seen.append(update.version))
    await store.wait_idle()
    for n in range(20):
        compute.data[TODAY_1] = {"n": n}
        hub.publish(NotificationRead(actor_id=1, notification_id=n, user_id=1))
        if n % 3 == 0:
            await asyncio.sleep(0)
    await store.wait_idle()
    assert seen == sorted(set(seen))
    assert cached(store, TODAY_1).data == {"n": 19}


async def test_a_failing_listener_does_not_starve_the_others(
    store: LiveStore, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(update: DataUpdated) -> None:
        raise RuntimeError("page gone")

    seen: list[DataUpdated] = []
    store.subscribe(METRICS, broken)
    store.subscribe(METRICS, seen.append)
    with caplog.at_level(logging.ERROR, logger="workshub.live.store"):
        await store.wait_idle()
    assert len(seen) == 1
    assert "live listener failed" in caplog.text


async def test_a_teams_metrics_or_team_data_change_announces_team_health(
    store: LiveStore, compute: FakeCompute
) -> None:
    seen: list[object] = []
    store.subscribe_all(seen.append)
    await store.get(DashboardKey("team_data", "team", 11, W))
    await store.get(DashboardKey("metrics", "org", 0, W))
    await store.get(TODAY_1)
    assert [type(u).__name__ for u in seen] == [
        "DataUpdated",
        "TeamHealthUpdated",
        "DataUpdated",
        "DataUpdated",
    ]
    assert seen[1] == TeamHealthUpdated(team_id=11)


def test_changed_fields_names_changed_added_and_dropped_fields() -> None:
    old = {"a": 1, "b": [1, 2], "gone": True}
    new = {"a": 1, "b": [1, 3], "added": "x"}
    assert changed_fields(old, new) == {"b": [1, 3], "added": "x", "gone": None}
    assert changed_fields(None, new) == new


# --- degradation ----------------------------------------------------------------------------------


async def test_a_failing_compute_serves_the_last_good_snapshot_and_backs_off(
    store: LiveStore, compute: FakeCompute, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    compute.data[METRICS] = {"tracked": 1.0}
    good = await store.get(METRICS)
    store.subscribe(METRICS, lambda update: None)
    compute.error = RuntimeError("database is locked")
    with caplog.at_level(logging.INFO, logger="workshub.live.store"):
        store.invalidate(METRICS)
        for delay in (0.5, 1.0, 2.0):  # base 1 s doubling, jitter factor 0.5 (random → 0)
            await store.wait_idle()
            served = store.get_cached(METRICS)
            assert served is not None and served.stale and served.data == good.data
            clock.advance(delay - 0.01)
            assert store.retry_due() == []
            clock.advance(0.01)
            assert store.retry_due() == [METRICS]
        await store.wait_idle()
        health = store.connection_health()
        assert health["degraded"] and store.stats()["degraded"]
        assert store.stats()["keys"][str(METRICS)]["last_error"] == (
            "RuntimeError: database is locked"
        )
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "metrics:team:10:2026-11-23" in errors[0].getMessage()

        compute.error = None
        compute.data[METRICS] = {"tracked": 2.0}
        clock.advance(60)
        assert store.retry_due() == [METRICS]
        await store.wait_idle()
    recovered = store.get_cached(METRICS)
    assert recovered is not None and not recovered.stale and recovered.data == {"tracked": 2.0}
    assert not store.degraded
    assert store.stats()["keys"][str(METRICS)]["last_error"] is None
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == ["recompute of metrics:team:10:2026-11-23 recovered after 4 failures"]


async def test_backoff_is_capped_and_jittered(compute: FakeCompute, clock: FakeClock) -> None:
    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), random=lambda: 1.0)
    await store.get(METRICS)
    compute.error = RuntimeError("down")
    for _ in range(10):  # 2^9 s would be far past the 60 s cap
        store.invalidate(METRICS)
        await store.wait_idle()
    clock.advance(59.9)
    assert store.retry_due() == []
    clock.advance(0.1)
    assert store.retry_due() == [METRICS]
    await store.close()


async def test_a_first_computation_that_fails_raises_to_its_callers(
    store: LiveStore, compute: FakeCompute
) -> None:
    compute.error = ValueError("bad week")
    results = await asyncio.gather(store.get(METRICS), store.get(METRICS), return_exceptions=True)
    assert [type(r) for r in results] == [ValueError, ValueError]
    assert compute.count(METRICS) == 1
    assert store.get_cached(METRICS) is None
    assert store.retry_due() == []  # nobody watches it: no retries
    assert store.cleanup() == [METRICS]
    assert not store.degraded


# --- upkeep and health ----------------------------------------------------------------------------


async def test_refresh_ahead_recomputes_only_watched_keys_near_their_ttl(
    store: LiveStore, compute: FakeCompute, clock: FakeClock
) -> None:
    watched = DashboardKey("active_timers", "team", 10)
    await asyncio.gather(store.get(watched), store.get(TODAY_1))
    store.subscribe(watched, lambda update: None)
    clock.advance(19)
    assert store.refresh_ahead(lead_s=10) == []
    clock.advance(1)
    assert store.refresh_ahead(lead_s=10) == [watched]
    await store.wait_idle()
    assert compute.count(watched) == 2 and compute.count(TODAY_1) == 1


async def test_cleanup_drops_expired_unwatched_keys_only(
    store: LiveStore, clock: FakeClock
) -> None:
    watched = DashboardKey("active_timers", "team", 10)
    await asyncio.gather(store.get(watched), store.get(TODAY_1), store.get(METRICS))
    store.subscribe(watched, lambda update: None)
    clock.advance(31)
    assert store.cleanup() == [TODAY_1]
    assert store.get_cached(METRICS) is not None
    assert store.connection_health()["cache_size"] == 2


async def test_connection_health_and_stats(
    store: LiveStore, compute: FakeCompute, clock: FakeClock
) -> None:
    assert store.client_connected() == 1
    assert store.client_connected() == 2
    assert store.client_disconnected() == 1
    await store.get(METRICS)
    store.get_cached(METRICS)
    store.subscribe(METRICS, lambda update: None)
    clock.advance(12.5)
    assert store.connection_health() == {
        "connected": 1,
        "cache_size": 1,
        "subscriptions": 1,
        "last_refresh": {"metrics": "2026-11-25T10:00:00Z"},
        "degraded": False,
    }
    stats = store.stats()
    snapshot = store.get_cached(METRICS)
    assert isinstance(snapshot, Snapshot)
    assert stats["keys"] == {
        "metrics:team:10:2026-11-23": {
            "version": snapshot.version,
            "computed_at": "2026-11-25T10:00:00Z",
            "age_s": 12.5,
            "ttl_s": 300,
            "hits": 1,
            "misses": 1,
            "subscribers": 1,
            "stale": False,
            "last_error": None,
        }
    }
    assert (stats["hits"], stats["misses"], stats["cache_size"]) == (1, 1, 1)


# --- manager keys: the dependency lookup ---------------------------------------------------------


async def test_manager_keys_follow_their_clients_and_their_teams(
    compute: FakeCompute, clock: FakeClock
) -> None:
    leads_loaded = threading.Event()

    def team_leads() -> dict[int, int | None]:
        leads_loaded.set()
        return {10: 5, 11: 6}

    store = LiveStore(compute, clock=clock, tz=ZoneInfo("UTC"), team_leads=team_leads)
    hub = EventHub()
    store.attach(hub)
    mine = DashboardKey("client_health", "manager", 5, W)
    theirs = DashboardKey("client_health", "manager", 6, W)
    compute.data[mine] = {"clients": [{"client_id": 100}]}
    compute.data[theirs] = {"clients": [{"client_id": 101}]}
    await asyncio.gather(store.get(mine), store.get(theirs))
    await store.wait_idle()
    assert leads_loaded.is_set()

    def entry(client_id: int, team_id: int) -> TimeEntryStopped:
        ref = EntryRef(
            user_id=1, team_id=team_id, project_id=5, client_id=client_id, started_at=clock.now()
        )
        return TimeEntryStopped(actor_id=1, entry_id=1, entry=ref)

    compute.calls.clear()
    hub.publish(entry(client_id=100, team_id=12))  # 5 covers client 100; nobody leads 12
    await store.wait_idle()
    assert [k for k, _ in compute.calls] == [mine]
    compute.calls.clear()
    hub.publish(entry(client_id=102, team_id=10))  # a new client of a team 5 leads
    await store.wait_idle()
    assert [k for k, _ in compute.calls] == [mine]
    await store.close()
