"""One client's ISO week, assessed from loaded facts: hours, burn, revenue and health.

Shared by the client dashboards (live) and the weekly snapshots (frozen), so both compute the
very same numbers. Pure, except `assess_weeks`, which loads the facts it needs.

A week is seen "as of" a date d and an instant (SPEC §4): for a past week d is its Sunday and
entries count when they started before the Monday 00:00 that closes it; for the current week d
is today and the instant is now. Running entries count up to `count_to`: now, or the freeze
instant (Tuesday 00:00 local after the week) for a frozen week. The week's month is d's month,
counted from its first day to the same instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from workshub.domain.client_queries import ClientRow, ProjectRow, PulseRow, load_pulses
from workshub.domain.finance import (
    MONTHLY,
    RETAINER,
    T_AND_M,
    Burn,
    effective_rate,
    needs_hours_since_start,
    period_revenue,
    project_burn,
    start_instant,
)
from workshub.domain.health import ClientHealth, HealthInputs, score_health
from workshub.domain.hour_ledger import HourLedger, Span, load_ledger
from workshub.domain.project_history import HistoryReader
from workshub.domain.timeutil import local_date, local_midnight

__all__ = [
    "PRIOR_WEEKS",
    "ClientWeek",
    "LedgerPlan",
    "ProjectWeek",
    "WeekFrame",
    "assess_client_week",
    "assess_weeks",
    "freeze_instant",
    "plan_ledger",
]

PRIOR_WEEKS = 4  # S_volatility compares with the mean of the 4 weeks before
WEEKS_PER_MONTH = 12 / 52


def freeze_instant(monday: date, tz: ZoneInfo) -> datetime:
    """Tuesday 00:00 local after the week ends: when week `monday` is frozen."""
    return local_midnight(monday + timedelta(days=8), tz)


@dataclass(frozen=True, slots=True)
class WeekFrame:
    monday: date
    start: datetime
    cutoff: datetime  # entries that started before it belong to the week
    day: date  # d: the Sunday, or today for the current week
    month_start: datetime
    count_to: datetime
    today: date
    prior: tuple[Span, ...]  # the 4 weeks before, newest first

    @classmethod
    def of(
        cls, monday: date, *, now: datetime, tz: ZoneInfo, count_to: datetime | None = None
    ) -> WeekFrame:
        if monday.weekday() != 0:
            raise ValueError(f"{monday} is not a Monday")
        start = local_midnight(monday, tz)
        if start > now:
            raise ValueError(f"week {monday} lies in the future")
        today = local_date(now, tz)
        day = min(monday + timedelta(days=6), today)
        bounds = [local_midnight(monday - timedelta(weeks=k), tz) for k in range(PRIOR_WEEKS + 1)]
        return cls(
            monday=monday,
            start=start,
            cutoff=min(local_midnight(monday + timedelta(days=7), tz), now),
            day=day,
            month_start=local_midnight(day.replace(day=1), tz),
            count_to=now if count_to is None else count_to,
            today=today,
            prior=tuple((bounds[k + 1], bounds[k]) for k in range(PRIOR_WEEKS)),
        )

    @property
    def week(self) -> Span:
        return self.start, self.cutoff

    @property
    def month(self) -> Span:
        """d's month from its first day, up to the same instant as the week."""
        return self.month_start, self.cutoff

    @property
    def cuts(self) -> set[datetime]:
        return {self.start, self.cutoff, self.month_start, *(lo for lo, _ in self.prior)}


@dataclass(frozen=True, slots=True)
class LedgerPlan:
    """What `hour_ledger.load_ledger` must load to assess these frames."""

    cuts: frozenset[datetime]
    project_ids: frozenset[int]
    starts: dict[int, datetime]
    amount_ids: frozenset[int]
    amount_from: datetime


def plan_ledger(
    frames: Iterable[WeekFrame], projects: Iterable[ProjectRow], *, tz: ZoneInfo
) -> LedgerPlan:
    frames = list(frames)
    projects = list(projects)
    return LedgerPlan(
        cuts=frozenset().union(*(frame.cuts for frame in frames)),
        project_ids=frozenset(p.id for p in projects),
        starts={
            p.id: start_instant(p.starts_on, tz) for p in projects if needs_hours_since_start(p)
        },
        amount_ids=frozenset(p.id for p in projects if p.billing_model == T_AND_M),
        amount_from=min(frame.start for frame in frames),
    )


@dataclass(frozen=True, slots=True)
class ProjectWeek:
    project: ProjectRow
    hours_week: float
    revenue_week: float
    burn: Burn | None  # budgeted projects only

    @property
    def paced(self) -> bool:
        """Counts for S_pace: active and budgeted."""
        return self.project.is_active and self.burn is not None


@dataclass(frozen=True, slots=True)
class ClientWeek:
    client: ClientRow
    monday: date
    hours_week: float
    hours_month: float
    revenue_week: float
    effective_rate: float | None
    projects: tuple[ProjectWeek, ...]
    health: ClientHealth


def assess_client_week(
    client: ClientRow,
    projects: Sequence[ProjectRow],
    *,
    ledger: HourLedger,
    frame: WeekFrame,
    pulses: Sequence[PulseRow] = (),
) -> ClientWeek:
    weeks = tuple(_project_week(p, ledger=ledger, frame=frame) for p in projects)
    hours = sum(w.hours_week for w in weeks)
    revenue = sum(w.revenue_week for w in weeks)
    rate = effective_rate(revenue, hours)
    ids = tuple(p.id for p in projects)
    month = ledger.group_hours(ids, frame.month, count_to=frame.count_to)
    prior = [ledger.group_hours(ids, span, count_to=frame.count_to) for span in frame.prior]
    paces = [w.burn.pace for w in weeks if w.paced and w.burn and w.burn.pace is not None]
    latest, this_week = _pulse_as_of(pulses, frame.monday)
    inputs = HealthInputs(
        hours=hours,
        prior_mean_hours=sum(prior) / len(prior),
        worst_pace=max(paces, default=None),
        over_budget=any(
            w.burn.burn_pct is not None and w.burn.burn_pct > 1 for w in weeks if w.paced and w.burn
        ),
        worst_overservice=max(
            (_overservice(w) for w in weeks if _is_monthly_retainer(w.project)), default=None
        ),
        rate_ratio=rate / client.target_rate if rate is not None and client.target_rate else None,
        pulse=latest,
        pulse_this_week=this_week,
    )
    return ClientWeek(
        client=client,
        monday=frame.monday,
        hours_week=hours,
        hours_month=month,
        revenue_week=revenue,
        effective_rate=rate,
        projects=weeks,
        health=score_health(inputs),
    )


def _project_week(project: ProjectRow, *, ledger: HourLedger, frame: WeekFrame) -> ProjectWeek:
    count_to = frame.count_to
    hours = ledger.hours(project.id, frame.week, count_to=count_to)
    since_start = needs_hours_since_start(project)
    at_start = (
        ledger.hours_since_start(project.id, frame.start, count_to=count_to) if since_start else 0.0
    )
    at_end = (
        ledger.hours_since_start(project.id, frame.cutoff, count_to=count_to)
        if since_start
        else 0.0
    )
    revenue = period_revenue(
        project,
        first=frame.monday,
        last=frame.day,
        billable_amount=ledger.amount(project.id, frame.week, count_to=count_to),
        hours_at_start=at_start,
        hours_at_end=at_end,
    )
    burn = None
    if project.budget_hours is not None:
        if project.budget_period == MONTHLY:
            consumed = ledger.hours(project.id, frame.month, count_to=count_to)
            burn = project_burn(project, day=frame.day, consumed_hours=consumed)
        elif since_start:
            burn = project_burn(project, day=frame.day, consumed_hours=at_end)
    return ProjectWeek(project=project, hours_week=hours, revenue_week=revenue, burn=burn)


def _is_monthly_retainer(project: ProjectRow) -> bool:
    return (
        project.billing_model == RETAINER
        and project.budget_period == MONTHLY
        and project.budget_hours is not None
    )


def _overservice(week: ProjectWeek) -> float:
    budget = week.project.budget_hours or 0.0
    return week.hours_week / (budget * WEEKS_PER_MONTH)


def _pulse_as_of(pulses: Sequence[PulseRow], monday: date) -> tuple[str | None, str | None]:
    """The latest rating at or before the week, and the week's own rating."""
    latest = None
    for pulse in pulses:
        if pulse.week <= monday:
            latest = pulse
    if latest is None:
        return None, None
    return latest.rating, latest.rating if latest.week == monday else None


def assess_weeks(
    session: Session,
    needed: Mapping[date, Sequence[int]],
    *,
    clients: Iterable[ClientRow],
    projects: Mapping[int, Sequence[ProjectRow]],
    now: datetime,
    tz: ZoneInfo,
    count_to: Mapping[date, datetime] | None = None,
    history: HistoryReader | None = None,
) -> dict[tuple[int, date], ClientWeek]:
    """Assessments of the (client, week) pairs in `needed` (week → client ids): three
    statements (pulses, segment sums, running timers), none when nothing is needed; with
    `history`, the segment sums only for projects it lacks (often no statement at all).
    `count_to` overrides, per week, the instant running entries count up to (default now)."""
    needed = {week: ids for week, ids in needed.items() if ids}
    if not needed:
        return {}
    by_id = {c.id: c for c in clients}
    ids = {i for week_ids in needed.values() for i in week_ids}
    frames = {
        week: WeekFrame.of(week, now=now, tz=tz, count_to=(count_to or {}).get(week))
        for week in needed
    }
    involved = [p for i in ids for p in projects.get(i, [])]
    plan = plan_ledger(frames.values(), involved, tz=tz)
    first = min(frames)
    pulses = load_pulses(session, client_ids=ids, first=first, last=max(frames))
    ledger = load_ledger(
        session,
        cuts=plan.cuts,
        project_ids=plan.project_ids,
        starts=plan.starts,
        amount_ids=plan.amount_ids,
        amount_from=plan.amount_from,
        history=history,
    )
    return {
        (client_id, week): assess_client_week(
            by_id[client_id],
            projects.get(client_id, []),
            ledger=ledger,
            frame=frames[week],
            pulses=pulses.get(client_id, []),
        )
        for week, week_ids in needed.items()
        for client_id in week_ids
    }
