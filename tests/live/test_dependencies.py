"""The event → dashboard-key map: exactly the affected keys, and no others."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from workshub.domain.dashboards.keys import DashboardKey as K
from workshub.domain.events import (
    DomainEvent,
    EntryRef,
    NotificationCreated,
    NotificationRead,
    PulseSet,
    ReferenceChanged,
    TaskChanged,
    TimeEntryChanged,
    TimeEntryStarted,
    TimeEntryStopped,
    TimeOffChanged,
)
from workshub.live.dependencies import affected_keys

UTC_ZONE = ZoneInfo("UTC")
W = date(2026, 11, 23)  # the clock fixture's week
USERS = (1, 2, 3)
TEAMS = (10, 11)
MANAGERS = (5, 6, 7)
CLIENTS = (100, 101)
WEEKS = tuple(W + timedelta(weeks=n) for n in range(-13, 14))


def weeks_from(first: date, count: int | None = None) -> list[date]:
    return [
        w for w in WEEKS if w >= first and (count is None or w < first + timedelta(weeks=count))
    ]


def universe() -> set[K]:
    keys = {K("today", "user", u) for u in USERS}
    keys |= {K("active_timers", "team", t) for t in TEAMS} | {K("active_timers", "org", 0)}
    for week in WEEKS:
        for kind in ("metrics", "team_data", "utilization_trend"):
            keys |= {K(kind, "team", t, week) for t in TEAMS} | {K(kind, "org", 0, week)}
        for kind in ("client_data", "client_health"):
            keys |= {K(kind, "manager", m, week) for m in MANAGERS} | {K(kind, "org", 0, week)}
        keys |= {K("client_history", "client", c, week) for c in CLIENTS}
    return keys


@dataclass
class FakeLookup:
    clients: dict[int, set[int] | None] = field(
        default_factory=lambda: {5: {100}, 6: {101}, 7: {102}}
    )
    leads: dict[int, set[int] | None] = field(default_factory=lambda: {5: {11}, 6: {10}, 7: {12}})

    def client_ids(self, key: K) -> Collection[int] | None:
        assert key.scope == "manager"
        return self.clients[key.scope_id]

    def led_team_ids(self, manager_id: int) -> Collection[int] | None:
        return self.leads[manager_id]


def affected(
    event: DomainEvent, lookup: FakeLookup | None = None, tz: ZoneInfo = UTC_ZONE
) -> set[K]:
    # a generator: candidates may be iterated only once
    candidates = (key for key in universe())
    return affected_keys(event, candidates, tz=tz, lookup=lookup or FakeLookup())


def ref(
    *,
    user: int = 1,
    team: int | None = 10,
    client: int | None = 100,
    at: datetime = datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    billing: str | None = "t_and_m",
) -> EntryRef:
    if client is None and billing == "t_and_m":
        billing = "internal"  # a project without a client is internal (SPEC §3)
    return EntryRef(
        user_id=user,
        team_id=team,
        project_id=50,
        client_id=client,
        started_at=at,
        billing_model=billing,
    )


def team_keys(team: int | None, week: date) -> set[K]:
    """metrics/team_data of that week, utilization_trend of the 12 weeks whose window holds it."""
    scopes = [("org", 0)] + ([("team", team)] if team is not None else [])
    keys = set()
    for scope, sid in scopes:
        keys |= {K("metrics", scope, sid, week), K("team_data", scope, sid, week)}
        keys |= {K("utilization_trend", scope, sid, w) for w in weeks_from(week, 12)}
    return keys


def client_keys(client: int, week: date, managers: Collection[int]) -> set[K]:
    keys = set()
    for w in weeks_from(week):
        keys |= {K("client_data", "org", 0, w), K("client_health", "org", 0, w)}
        keys |= {K("client_data", "manager", m, w) for m in managers}
        keys |= {K("client_health", "manager", m, w) for m in managers}
        keys.add(K("client_history", "client", client, w))
    return keys


def test_a_started_timer_touches_its_person_team_org_and_client_from_its_week_on() -> None:
    event = TimeEntryStarted(actor_id=1, entry_id=9, entry=ref())
    expected = (
        {K("today", "user", 1), K("active_timers", "team", 10), K("active_timers", "org", 0)}
        | team_keys(10, W)
        # manager 5 covers client 100; manager 6 leads team 10 (a member's new client)
        | client_keys(100, W, managers=(5, 6))
    )
    assert affected(event) == expected


def test_the_trend_window_is_the_twelve_weeks_ending_with_its_key_week() -> None:
    got = affected(TimeEntryStopped(actor_id=1, entry_id=9, entry=ref(client=None)))
    trend_weeks = sorted(
        k.week for k in got if k.type == "utilization_trend" and k.scope == "org" and k.week
    )
    assert trend_weeks == [W + timedelta(weeks=n) for n in range(12)]


def test_a_past_entry_edit_touches_its_own_week_and_every_later_client_week() -> None:
    past = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)  # a Tuesday, week of 2026-10-05
    event = TimeEntryChanged(actor_id=1, entry_id=9, change="updated", refs=(ref(at=past),))
    week = date(2026, 10, 5)
    expected = (
        {K("today", "user", 1), K("active_timers", "team", 10), K("active_timers", "org", 0)}
        | team_keys(10, week)
        | client_keys(100, week, managers=(5, 6))
    )
    assert affected(event) == expected
    assert K("metrics", "org", 0, W) not in expected


def metrics_keys(weeks: Collection[date]) -> set[K]:
    """metrics of the organisation and of every team in those weeks."""
    return {K("metrics", "org", 0, w) for w in weeks} | {
        K("metrics", "team", t, w) for t in TEAMS for w in weeks
    }


def test_a_past_fixed_fee_edit_touches_every_later_weeks_revenue() -> None:
    """fee × min(1, H / budget): H since the start moves at every later period's bounds, and
    each team's share of the project's hours moves in the entry's own week."""
    past = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
    event = TimeEntryChanged(
        actor_id=1, entry_id=9, change="updated", refs=(ref(at=past, billing="fixed_fee"),)
    )
    week = date(2026, 10, 5)
    expected = (
        {K("today", "user", 1), K("active_timers", "team", 10), K("active_timers", "org", 0)}
        | team_keys(10, week)
        | client_keys(100, week, managers=(5, 6))
        | metrics_keys(weeks_from(week))
    )
    got = affected(event)
    assert got == expected
    assert K("metrics", "org", 0, W) in got and K("metrics", "team", 11, W) in got
    assert K("team_data", "org", 0, W) not in got  # no revenue there: hours only


def test_a_retainer_entry_moves_every_teams_share_of_that_week_only() -> None:
    past = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
    event = TimeEntryChanged(
        actor_id=1, entry_id=9, change="deleted", refs=(ref(at=past, billing="retainer"),)
    )
    week = date(2026, 10, 5)
    expected = (
        {K("today", "user", 1), K("active_timers", "team", 10), K("active_timers", "org", 0)}
        | team_keys(10, week)
        | client_keys(100, week, managers=(5, 6))
        | metrics_keys([week])
    )
    assert affected(event) == expected


def test_a_fixed_fee_timer_this_week_touches_every_teams_metrics_from_this_week_on() -> None:
    event = TimeEntryStopped(actor_id=1, entry_id=9, entry=ref(billing="fixed_fee"))
    got = affected(event)
    # (the universe holds later weeks too; a real store never has keys of future weeks)
    assert {k for k in got if k.type == "metrics"} == metrics_keys(weeks_from(W))


@pytest.mark.parametrize(("client", "reach"), [(100, "as a fixed fee"), (None, "as internal work")])
def test_an_entry_of_unknown_billing_counts_as_the_widest_it_can_be(
    client: int | None, reach: str
) -> None:
    past = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
    unknown = TimeEntryStopped(
        actor_id=1, entry_id=9, entry=ref(client=client, at=past, billing=None)
    )
    model = "fixed_fee" if client is not None else "internal"
    known = TimeEntryStopped(
        actor_id=1, entry_id=9, entry=ref(client=client, at=past, billing=model)
    )
    assert affected(unknown) == affected(known), reach


def test_a_moved_entry_touches_both_places() -> None:
    before = ref(user=1, team=10, client=100, at=datetime(2026, 11, 16, 9, 0, tzinfo=UTC))
    after = ref(user=1, team=10, client=101)
    event = TimeEntryChanged(actor_id=1, entry_id=9, change="updated", refs=(before, after))
    expected = (
        {K("today", "user", 1), K("active_timers", "team", 10), K("active_timers", "org", 0)}
        | team_keys(10, date(2026, 11, 16))
        | team_keys(10, W)
        | client_keys(100, date(2026, 11, 16), managers=(5, 6))
        | client_keys(101, W, managers=(6,))
    )
    assert affected(event) == expected


def test_a_switch_touches_the_stopped_entry_too() -> None:
    stopped = ref(user=2, team=11, client=101)
    event = TimeEntryStarted(actor_id=2, entry_id=9, entry=ref(user=2, team=11), stopped=stopped)
    expected = (
        {K("today", "user", 2), K("active_timers", "team", 11), K("active_timers", "org", 0)}
        | team_keys(11, W)
        | client_keys(100, W, managers=(5,))  # 5 covers 100 and leads team 11
        | client_keys(101, W, managers=(5, 6))  # 6 covers 101
    )
    assert affected(event) == expected


def test_internal_work_touches_no_client_dashboard() -> None:
    event = TimeEntryStopped(actor_id=1, entry_id=9, entry=ref(client=None))
    got = affected(event)
    assert got == {
        K("today", "user", 1),
        K("active_timers", "team", 10),
        K("active_timers", "org", 0),
    } | team_keys(10, W)


def test_a_person_without_a_team_touches_only_the_org_aggregates() -> None:
    event = TimeEntryStopped(actor_id=3, entry_id=9, entry=ref(user=3, team=None, client=101))
    expected = (
        {K("today", "user", 3), K("active_timers", "org", 0)}
        | team_keys(None, W)
        | client_keys(101, W, managers=(6,))
    )
    assert affected(event) == expected


@pytest.mark.parametrize(
    ("zone", "started", "week"),
    [
        # Sunday 23:30 UTC is Monday 00:30 in Berlin: next week there
        ("Europe/Berlin", datetime(2026, 11, 29, 23, 30, tzinfo=UTC), date(2026, 11, 30)),
        # Monday 03:00 UTC is Sunday 22:00 in New York: still this week there
        ("America/New_York", datetime(2026, 11, 30, 3, 0, tzinfo=UTC), date(2026, 11, 23)),
    ],
)
def test_an_entry_lands_in_its_local_week(zone: str, started: datetime, week: date) -> None:
    event = TimeEntryStopped(actor_id=1, entry_id=9, entry=ref(client=None, at=started))
    got = affected(event, tz=ZoneInfo(zone))
    assert {k.week for k in got if k.type == "metrics"} == {week}


def test_unknown_manager_facts_count_as_affected() -> None:
    lookup = FakeLookup(clients={5: None, 6: {101}, 7: {102}}, leads={5: set(), 6: None, 7: set()})
    event = TimeEntryStopped(actor_id=1, entry_id=9, entry=ref(team=11, client=100))
    managers = {k.scope_id for k in affected(event, lookup) if k.scope == "manager"}
    # 5: no snapshot to read its clients from; 6: its teams are not known yet
    assert managers == {5, 6}


def test_a_task_touches_today_of_both_assignees_and_team_data_of_every_week() -> None:
    event = TaskChanged(
        actor_id=5, task_id=1, project_id=50, client_id=100, assignee_ids=(1, 2), team_ids=(10,)
    )
    expected = {K("today", "user", 1), K("today", "user", 2)}
    expected |= {K("team_data", "team", 10, w) for w in WEEKS}
    expected |= {K("team_data", "org", 0, w) for w in WEEKS}
    assert affected(event) == expected


def test_an_unassigned_task_touches_nothing() -> None:
    event = TaskChanged(
        actor_id=5, task_id=1, project_id=50, client_id=100, assignee_ids=(), team_ids=()
    )
    assert affected(event) == set()


def test_time_off_touches_today_and_the_capacity_of_its_week() -> None:
    event = TimeOffChanged(actor_id=1, user_id=1, team_id=11, day=date(2026, 11, 18))
    expected = {K("today", "user", 1)} | team_keys(11, date(2026, 11, 16))
    assert affected(event) == expected


def test_a_pulse_touches_that_clients_health_from_its_week_on() -> None:
    event = PulseSet(actor_id=5, client_id=101, week=W)
    assert affected(event) == client_keys(101, W, managers=(6,))


@pytest.mark.parametrize("kind", [NotificationCreated, NotificationRead])
def test_notifications_touch_only_todays_view_of_their_person(kind: Any) -> None:
    fields = {"kind": "long_timer", "title": "t"} if kind is NotificationCreated else {}
    event = kind(actor_id=None, notification_id=1, user_id=2, **fields)
    assert affected(event) == {K("today", "user", 2)}


def test_a_reference_change_touches_every_candidate() -> None:
    event = ReferenceChanged(actor_id=1, entity="team", entity_id=10)
    assert affected(event) == universe()
