"""ProjectHistory on its own: which events drop which sums, and why a recompute's reads are
refused when an event overtook them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from workshub.domain.events import (
    EntryRef,
    EventHub,
    PulseSet,
    TimeEntryChanged,
    TimeEntryStarted,
    TimeEntryStopped,
)
from workshub.domain.metrics import Hours
from workshub.domain.project_history import (
    OPEN_END,
    ClosedSums,
    HistoryFrame,
    ProjectHistory,
    closed_cut,
)

UTC_TZ = ZoneInfo("UTC")
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)  # Wednesday
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
FIRST = MONDAY - timedelta(weeks=4)
BEFORE = HistoryFrame(
    cuts=(FIRST, MONDAY - timedelta(weeks=2), MONDAY), money_cuts=(), user_ids=None
)
SINCE = HistoryFrame(cuts=(MONDAY, OPEN_END), money_cuts=(), user_ids=None)
WEEK = (MONDAY, MONDAY + timedelta(days=3))
STARTED = datetime(2026, 1, 5, tzinfo=UTC)


def sums(*, start: datetime | None = STARTED) -> ClosedSums:
    return ClosedSums(
        start=start, seconds=(60.0, 120.0), members=None, amounts=None, before_start=1.0
    )


def filled(*ids: int) -> ProjectHistory:
    """Projects `ids` cached before and since the cut; people `ids` for this week."""
    history = ProjectHistory(tz=UTC_TZ)
    reader = history.reader(NOW)
    reader.projects.put(BEFORE, {pid: sums() for pid in ids})
    reader.projects.put(SINCE, {pid: sums(start=None) for pid in ids})
    reader.people.put(WEEK, {uid: Hours(3600.0, 0.0) for uid in ids})
    return history


def cached(history: ProjectHistory, *ids: int) -> dict[str, set[int]]:
    reader = history.reader(NOW)
    return {
        "before": set(reader.projects.get(BEFORE, ids)),
        "since": set(reader.projects.get(SINCE, ids)),
        "people": set(reader.people.get(WEEK, ids)),
    }


def ref(project_id: int, started_at: datetime, *, user_id: int | None = None) -> EntryRef:
    return EntryRef(
        user_id=project_id if user_id is None else user_id,
        team_id=1,
        project_id=project_id,
        client_id=1,
        started_at=started_at,
    )


def stopped(project_id: int, started_at: datetime, **kwargs: int) -> TimeEntryStopped:
    return TimeEntryStopped(actor_id=1, entry_id=9, entry=ref(project_id, started_at, **kwargs))


def test_the_cut_is_monday_midnight_local_of_the_current_week() -> None:
    assert closed_cut(NOW, UTC_TZ) == MONDAY
    berlin = ZoneInfo("Europe/Berlin")
    assert closed_cut(NOW, berlin) == datetime(2026, 11, 22, 23, tzinfo=UTC)
    # Sunday 23:30 UTC is already Monday in Berlin: the next week there.
    assert closed_cut(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), berlin) == datetime(
        2026, 11, 29, 23, tzinfo=UTC
    )


def test_sums_come_back_only_when_they_fit() -> None:
    reader = filled(1, 2).reader(NOW)
    assert set(reader.projects.get(BEFORE, [1, 2, 3])) == {1, 2}

    def fits(pid: int, value: ClosedSums) -> bool:
        return value.fits(start=STARTED, amounts=pid == 2)  # 2 wants money: none kept

    assert set(reader.projects.get(BEFORE, [1, 2], fits=fits)) == {1}
    other = HistoryFrame(cuts=(FIRST, MONDAY), money_cuts=(), user_ids=None)
    assert reader.projects.get(other, [1]) == {}


def test_an_edit_before_the_cut_drops_that_projects_sums_before_it_only() -> None:
    history = filled(1, 2)
    history.on_event(stopped(1, MONDAY - timedelta(weeks=3), user_id=7))
    assert cached(history, 1, 2) == {"before": {2}, "since": {1, 2}, "people": {1, 2}}


def test_an_entry_before_the_start_and_the_first_cut_counts_nowhere() -> None:
    history = filled(1)
    history.on_event(stopped(1, STARTED - timedelta(days=1), user_id=7))
    assert cached(history, 1)["before"] == {1}
    history.on_event(stopped(1, STARTED, user_id=7))  # in [start, first): before-start seconds
    assert cached(history, 1)["before"] == set()


def test_a_timer_that_starts_drops_nothing() -> None:
    history = filled(1)
    history.on_event(TimeEntryStarted(actor_id=1, entry_id=9, entry=ref(1, NOW)))
    assert cached(history, 1) == {"before": {1}, "since": {1}, "people": {1}}


def test_a_timer_stopped_this_week_drops_its_project_since_the_cut_and_its_persons_week() -> None:
    history = filled(1, 2)
    history.on_event(stopped(1, NOW - timedelta(hours=1)))
    assert cached(history, 1, 2) == {"before": {1, 2}, "since": {2}, "people": {2}}


def test_every_entry_event_reaches_the_entries_it_names() -> None:
    past = MONDAY - timedelta(days=1)
    for event in (
        TimeEntryStarted(actor_id=1, entry_id=9, entry=ref(2, NOW), stopped=ref(1, past)),
        stopped(1, past),
        TimeEntryChanged(
            actor_id=1, entry_id=9, change="updated", refs=(ref(3, NOW), ref(1, past))
        ),
    ):
        history = filled(1, 2)
        history.on_event(event)
        assert cached(history, 1, 2)["before"] == {2}, event
    history = filled(1)
    history.on_event(PulseSet(actor_id=1, client_id=1, week=MONDAY.date()))
    assert cached(history, 1)["before"] == {1}


def test_what_a_recompute_read_before_a_drop_is_refused() -> None:
    history = ProjectHistory(tz=UTC_TZ)
    slow = history.reader(NOW)  # its transaction may predate the write
    history.on_event(stopped(1, MONDAY - timedelta(weeks=1)))
    slow.projects.put(BEFORE, {1: sums(), 2: sums()})
    slow.people.put(WEEK, {1: Hours(), 2: Hours()})
    assert cached(history, 1, 2) == {"before": {2}, "since": set(), "people": {2}}
    history.reader(NOW).projects.put(BEFORE, {1: sums()})  # began after the drop: kept
    assert cached(history, 1, 2)["before"] == {1, 2}


def test_clear_refuses_what_recomputes_in_flight_read() -> None:
    history = filled(1)
    slow = history.reader(NOW)
    history.clear()
    slow.projects.put(BEFORE, {2: sums()})
    assert cached(history, 1, 2) == {"before": set(), "since": set(), "people": set()}


def test_the_least_recently_used_frames_go_first() -> None:
    history = ProjectHistory(tz=UTC_TZ)
    cache = history.projects
    frames = [
        HistoryFrame(cuts=(FIRST - timedelta(weeks=k), MONDAY), money_cuts=(), user_ids=None)
        for k in range(cache._max_frames + 1)
    ]
    view = cache.view()
    for frame in frames:
        view.put(frame, {1: sums()})
    assert view.get(frames[0], [1]) == {}
    assert set(view.get(frames[-1], [1])) == {1}
    assert cache.stats()["frames"] == cache._max_frames


def test_it_listens_to_the_hub_until_detached() -> None:
    hub = EventHub()
    history = filled(1)
    detach = history.attach(hub)
    hub.publish(stopped(1, MONDAY - timedelta(days=1)))
    assert cached(history, 1)["before"] == set()
    history.reader(NOW).projects.put(BEFORE, {1: sums()})
    detach()
    hub.publish(stopped(1, MONDAY - timedelta(days=1)))
    assert cached(history, 1)["before"] == {1}
