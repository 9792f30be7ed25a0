"""Which dashboard keys a domain event can change (SPEC §1, §5).

The live store recomputes exactly these keys, so the rules here are the contract between writes
and screens: too few and a dashboard shows old numbers, too many and a burst of writes costs a
recompute of every cached key. Weeks are local weeks in the organisation's timezone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from workshub.domain.dashboards.keys import DashboardKey
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
from workshub.domain.models import BillingModel
from workshub.domain.timeutil import local_date, week_start

__all__ = ["TREND_WEEKS", "Lookup", "affected_keys"]

TREND_WEEKS = 12  # utilization_trend of week W spans W-11 .. W

Predicate = Callable[[DashboardKey], bool]

FIXED_FEE, RETAINER, INTERNAL = (
    BillingModel.fixed_fee.value,
    BillingModel.retainer.value,
    BillingModel.internal.value,
)


class Lookup(Protocol):
    """The two facts an event does not carry. None means "not known": the key counts as affected."""

    def client_ids(self, key: DashboardKey) -> Collection[int] | None:
        """The clients a manager-scope key covers (read from its cached snapshot)."""
        ...

    def led_team_ids(self, manager_id: int) -> Collection[int] | None:
        """The teams that manager leads: a member's new client joins the manager's clients."""
        ...


def affected_keys(
    event: DomainEvent,
    candidates: Iterable[DashboardKey],
    *,
    tz: ZoneInfo,
    lookup: Lookup,
) -> set[DashboardKey]:
    """The candidates (the cached and subscribed keys) whose snapshot the event may change."""
    touches = _predicate(event, tz=tz, lookup=lookup)
    return {key for key in candidates if touches(key)}


def _predicate(event: DomainEvent, *, tz: ZoneInfo, lookup: Lookup) -> Predicate:
    if isinstance(event, TimeEntryStarted):
        refs = (event.entry,) if event.stopped is None else (event.entry, event.stopped)
        return _entries(refs, tz=tz, lookup=lookup)
    if isinstance(event, TimeEntryStopped):
        return _entries((event.entry,), tz=tz, lookup=lookup)
    if isinstance(event, TimeEntryChanged):
        return _entries(event.refs, tz=tz, lookup=lookup)
    if isinstance(event, TaskChanged):
        return _task(event)
    if isinstance(event, TimeOffChanged):
        return _time_off(event)
    if isinstance(event, PulseSet):
        return _pulse(event, lookup=lookup)
    if isinstance(event, NotificationCreated | NotificationRead):
        users = {event.user_id}
        return lambda key: _is_today_of(key, users)
    if isinstance(event, ReferenceChanged):
        return lambda key: True
    return lambda key: False


# --- per event --------------------------------------------------------------------------------


def _entries(refs: Iterable[EntryRef], *, tz: ZoneInfo, lookup: Lookup) -> Predicate:
    checks = [_entry(ref, tz=tz, lookup=lookup) for ref in refs]
    return lambda key: any(check(key) for check in checks)


def _entry(ref: EntryRef, *, tz: ZoneInfo, lookup: Lookup) -> Predicate:
    """An entry belongs wholly to the week it started in (SPEC §4)."""
    week = week_start(local_date(ref.started_at, tz))
    revenue = _revenue_reach(ref)

    def touches(key: DashboardKey) -> bool:
        if key.type == "today":
            return _is_today_of(key, {ref.user_id})
        if key.type == "active_timers":
            return _team_or_org(key, ref.team_id)
        if key.type == "metrics":
            return _metrics_touched(key, ref, week, revenue)
        if key.type in ("team_data", "utilization_trend"):
            return _team_or_org(key, ref.team_id) and _window_contains(key, week)
        if ref.client_id is None:  # internal work shows on no client dashboard
            return False
        if key.type == "client_history":
            return key.scope_id == ref.client_id and _on_or_after(key, week)
        if key.type in ("client_data", "client_health"):
            return _on_or_after(key, week) and _covers_client(
                key, ref.client_id, team_id=ref.team_id, lookup=lookup
            )
        return False

    return touches


# How far an entry's hours reach into revenue (SPEC §4, `finance`), by its project's model.
_OWN, _SHARED, _CUMULATIVE = "own", "shared", "cumulative"


def _revenue_reach(ref: EntryRef) -> str:
    """t&m money is the entry's own (its team's and the org's metrics, that week). A retainer's
    or fixed fee's period revenue is split between teams by their share of the project's
    hours in the period, so the entry moves every team's share that week. A fixed fee earns
    fee × min(1, H(t) / budget) with H the hours since the project started: the entry moves
    H at the bounds of every later period too, which changes their revenue once the budget
    is reached. Unknown: a project with a client may be a fixed fee (internal ones earn
    nothing)."""
    model = ref.billing_model
    if model is None:
        model = INTERNAL if ref.client_id is None else FIXED_FEE
    if model == FIXED_FEE:
        return _CUMULATIVE
    if model == RETAINER:
        return _SHARED
    return _OWN


def _metrics_touched(key: DashboardKey, ref: EntryRef, week: date, revenue: str) -> bool:
    if key.week is None:
        return False
    if key.week == week and _team_or_org(key, ref.team_id):
        return True  # hours, utilization and the team's own money
    if revenue == _OWN:
        return False
    return key.week == week or (revenue == _CUMULATIVE and key.week > week)


def _task(event: TaskChanged) -> Predicate:
    """Tasks show as due/overdue today and per member in team_data, whatever the key's week."""
    assignees = set(event.assignee_ids)
    teams = set(event.team_ids)

    def touches(key: DashboardKey) -> bool:
        if key.type == "today":
            return _is_today_of(key, assignees)
        if key.type == "team_data":
            return (key.scope == "org" and bool(assignees)) or (
                key.scope == "team" and key.scope_id in teams
            )
        return False

    return touches


def _time_off(event: TimeOffChanged) -> Predicate:
    """Time off changes capacity (hence utilization) and today's target hours."""
    week = week_start(event.day)

    def touches(key: DashboardKey) -> bool:
        if key.type == "today":
            return _is_today_of(key, {event.user_id})
        if key.type in ("metrics", "team_data", "utilization_trend"):
            return _team_or_org(key, event.team_id) and _window_contains(key, week)
        return False

    return touches


def _pulse(event: PulseSet, *, lookup: Lookup) -> Predicate:
    """The latest pulse at or before a week counts for it, so every later week may change."""
    week = week_start(event.week)

    def touches(key: DashboardKey) -> bool:
        if key.type == "client_history":
            return key.scope_id == event.client_id and _on_or_after(key, week)
        if key.type in ("client_data", "client_health"):
            return _on_or_after(key, week) and _covers_client(
                key, event.client_id, team_id=None, lookup=lookup
            )
        return False

    return touches


# --- shared tests -----------------------------------------------------------------------------


def _is_today_of(key: DashboardKey, user_ids: Collection[int]) -> bool:
    return key.type == "today" and key.scope_id in user_ids


def _team_or_org(key: DashboardKey, team_id: int | None) -> bool:
    return key.scope == "org" or (key.scope == "team" and key.scope_id == team_id)


def _window_contains(key: DashboardKey, week: date) -> bool:
    """metrics and team_data cover their own week; utilization_trend the 12 ending with it."""
    if key.week is None:
        return False
    span = TREND_WEEKS if key.type == "utilization_trend" else 1
    return key.week - timedelta(weeks=span - 1) <= week <= key.week


def _on_or_after(key: DashboardKey, week: date) -> bool:
    """Budgets add up all history and volatility looks back 4 weeks: every later week counts."""
    return key.week is not None and key.week >= week


def _covers_client(
    key: DashboardKey, client_id: int, *, team_id: int | None, lookup: Lookup
) -> bool:
    if key.scope == "org":
        return True
    covered = lookup.client_ids(key)
    if covered is None or client_id in covered:
        return True
    if team_id is None:
        return False
    led = lookup.led_team_ids(key.scope_id)
    return led is None or team_id in led
