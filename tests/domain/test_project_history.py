"""ProjectHistory on its own: which events drop which sums, and why a recompute's reads are
refused when an event overtook them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from workshub.domain.events import (
    EntryRef,
    EventHub,
    PulseSet,
    ReferenceChanged,
    TaskChanged,
    TimeEntryChanged,
    TimeEntryStarted,
    TimeEntryStopped,
    TimeOffChanged,
)
from workshub.domain.metrics import Hours, Utilization
from workshub.domain.project_history import (
    OPEN_END,
    ClosedSums,
    HistoryFrame,
    ProjectHistory,
    TrendScope,
    closed_cut,
    week_owner,
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


# --- closed weeks' trend totals ---------------------------------------------------------------

ORG: TrendScope = ("org", 0)
TEAM: TrendScope = ("team", 1)
TOTALS = Utilization(tracked_hours=30.0, billable_hours=20.0, capacity_hours=37.5)
PAST_MONDAYS = [MONDAY.date() - timedelta(weeks=back) for back in (1, 2, 3)]


def weeks_filled(tz: ZoneInfo = UTC_TZ) -> ProjectHistory:
    """The org's and team 1's totals of the three weeks before this one."""
    history = ProjectHistory(tz=tz)
    reader = history.reader(NOW)
    for scope in (ORG, TEAM):
        reader.weeks.put(scope, {week_owner(monday): TOTALS for monday in PAST_MONDAYS})
    return history


def kept_weeks(history: ProjectHistory) -> dict[TrendScope, set[date]]:
    """Per scope, the Mondays of the past weeks whose totals are kept."""
    owners = {week_owner(monday): monday for monday in PAST_MONDAYS}
    reader = history.reader(NOW)
    return {scope: {owners[o] for o in reader.weeks.get(scope, owners)} for scope in (ORG, TEAM)}


def time_off(day: date) -> TimeOffChanged:
    return TimeOffChanged(actor_id=1, user_id=7, team_id=2, day=day)


def test_a_week_is_owned_by_its_monday() -> None:
    monday = MONDAY.date()
    assert {week_owner(monday + timedelta(days=d)) for d in range(7)} == {monday.toordinal()}
    assert week_owner(monday - timedelta(days=1)) == week_owner(PAST_MONDAYS[0])


def test_time_off_drops_its_weeks_totals_in_every_scope() -> None:
    """Whoever took it: a team's totals are dropped even for someone outside the team (a
    week is cheap to read again; a person's team is a reference row)."""
    history = weeks_filled()
    history.on_event(time_off(PAST_MONDAYS[1] + timedelta(days=6)))  # that week's Sunday
    left = {PAST_MONDAYS[0], PAST_MONDAYS[2]}
    assert kept_weeks(history) == {ORG: left, TEAM: left}


def test_an_entry_event_drops_the_week_it_started_in_locally() -> None:
    """Sunday 23:30 UTC is Monday 00:30 in Berlin: the later week's totals go there."""
    sunday_night = datetime.combine(PAST_MONDAYS[1], datetime.min.time(), UTC) - timedelta(
        minutes=30
    )
    history = weeks_filled()
    history.on_event(stopped(1, sunday_night))
    assert kept_weeks(history)[ORG] == {PAST_MONDAYS[0], PAST_MONDAYS[1]}
    berlin = weeks_filled(ZoneInfo("Europe/Berlin"))
    berlin.on_event(stopped(1, sunday_night))
    assert kept_weeks(berlin)[ORG] == {PAST_MONDAYS[0], PAST_MONDAYS[2]}


def test_every_entry_event_drops_the_weeks_of_the_entries_it_names() -> None:
    old, older = (datetime.combine(m, datetime.min.time(), UTC) for m in PAST_MONDAYS[:2])
    switch = TimeEntryStarted(actor_id=1, entry_id=9, entry=ref(2, NOW), stopped=ref(1, old))
    moved = TimeEntryChanged(
        actor_id=1, entry_id=9, change="updated", refs=(ref(3, old), ref(3, older))
    )
    for event, left in ((switch, PAST_MONDAYS[1:]), (moved, PAST_MONDAYS[2:])):
        history = weeks_filled()
        history.on_event(event)
        assert kept_weeks(history)[TEAM] == set(left), event


def test_a_timer_start_and_other_events_keep_the_weeks() -> None:
    history = weeks_filled()
    for event in (
        TimeEntryStarted(actor_id=1, entry_id=9, entry=ref(1, NOW)),
        stopped(1, NOW - timedelta(hours=1)),  # this week: never kept anyway
        time_off(NOW.date()),
        PulseSet(actor_id=1, client_id=1, week=PAST_MONDAYS[0]),
        TaskChanged(
            actor_id=1, task_id=1, project_id=1, client_id=1, assignee_ids=(7,), team_ids=(1,)
        ),
    ):
        history.on_event(event)
    assert kept_weeks(history) == {ORG: set(PAST_MONDAYS), TEAM: set(PAST_MONDAYS)}


def test_a_reference_change_drops_every_week() -> None:
    history = weeks_filled()
    history.on_event(ReferenceChanged(actor_id=1, entity="user", entity_id=7))
    assert kept_weeks(history) == {ORG: set(), TEAM: set()}


def test_weeks_a_recompute_read_before_their_drop_are_refused() -> None:
    history = ProjectHistory(tz=UTC_TZ)
    slow = history.reader(NOW)  # read capacity before the time off committed
    history.on_event(time_off(PAST_MONDAYS[0]))
    slow.weeks.put(ORG, {week_owner(monday): TOTALS for monday in PAST_MONDAYS})
    assert kept_weeks(history)[ORG] == set(PAST_MONDAYS[1:])
    before_edit = history.reader(NOW)
    history.on_event(ReferenceChanged(actor_id=1, entity="user", entity_id=7))
    before_edit.weeks.put(TEAM, {week_owner(PAST_MONDAYS[0]): TOTALS})
    assert kept_weeks(history) == {ORG: set(), TEAM: set()}
    history.reader(NOW).weeks.put(TEAM, {week_owner(PAST_MONDAYS[0]): TOTALS})
    assert kept_weeks(history)[TEAM] == {PAST_MONDAYS[0]}


def test_clear_forgets_the_weeks_too() -> None:
    history = weeks_filled()
    history.clear()
    assert kept_weeks(history) == {ORG: set(), TEAM: set()}
    assert history.stats()["weeks"]["sums"] == 0
