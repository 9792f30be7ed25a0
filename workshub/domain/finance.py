"""Budget burn and revenue (SPEC §4): pure formulas over a project's terms, and the revenue of a
period for the organisation, a team or each client.

Pure functions take dates and hours; the two `*_for_period` functions load what they need
with three statements (projects, segment sums, running timers) — with a `ProjectHistory`
reader, projects from its reference cache and segment sums only for the projects it lacks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlmodel import Session

from workshub.domain.client_queries import ProjectRow, load_projects
from workshub.domain.hour_ledger import HourLedger, load_ledger
from workshub.domain.models import BillingModel, BudgetPeriod
from workshub.domain.project_history import HistoryReader
from workshub.domain.reference_cache import ReferenceSlot
from workshub.domain.timeutil import days_in_month as _days_in_month
from workshub.domain.timeutil import local_date, local_midnight

# Plain strings: comparing with them is much cheaper than reading an enum member's value.
T_AND_M, RETAINER, FIXED_FEE = (
    BillingModel.t_and_m.value,
    BillingModel.retainer.value,
    BillingModel.fixed_fee.value,
)
MONTHLY, TOTAL = BudgetPeriod.monthly.value, BudgetPeriod.total.value
_EARNING_PROJECTS = ReferenceSlot[tuple[ProjectRow, ...]]("earning_projects")

__all__ = [
    "FIXED_FEE",
    "MONTHLY",
    "RETAINER",
    "TOTAL",
    "T_AND_M",
    "Burn",
    "Revenue",
    "burn_pct",
    "client_revenue_for_period",
    "effective_rate",
    "elapsed",
    "elapsed_monthly",
    "elapsed_total",
    "needs_hours_since_start",
    "pace",
    "period_revenue",
    "project_burn",
    "recognised",
    "retainer_revenue",
    "revenue_for_period",
    "start_instant",
]


@lru_cache(maxsize=1024)
def _month_length(year: int, month: int) -> int:
    return _days_in_month(date(year, month, 1))


def days_in_month(day: date) -> int:
    """`timeutil.days_in_month`, remembered: every retainer asks it on every recompute."""
    return _month_length(day.year, day.month)


@lru_cache(maxsize=8192)
def start_instant(starts_on: date, tz: ZoneInfo) -> datetime:
    """A project's starts_on as its local midnight, remembered (asked per project per
    recompute)."""
    return local_midnight(starts_on, tz)


@dataclass(frozen=True, slots=True)
class Burn:
    """A project's budget burn as of a date. Only budgeted projects have one."""

    consumed_hours: float
    burn_pct: float | None
    elapsed: float | None
    pace: float | None


@dataclass(frozen=True, slots=True)
class Revenue:
    revenue: float
    client_hours: float

    @property
    def effective_rate(self) -> float | None:
        return effective_rate(self.revenue, self.client_hours)


def effective_rate(revenue: float, hours: float) -> float | None:
    return revenue / hours if hours > 0 else None


def burn_pct(consumed_hours: float, budget_hours: float | None) -> float | None:
    if not budget_hours:
        return None
    return consumed_hours / budget_hours


def elapsed_total(day: date, *, starts_on: date, ends_on: date | None) -> float | None:
    """Whole days including `day`, ends_on inclusive, clamped to [0, 1]; null without ends_on."""
    if ends_on is None:
        return None
    span = (ends_on - starts_on).days + 1
    if span <= 0:
        return None
    return min(1.0, max(0.0, ((day - starts_on).days + 1) / span))


def elapsed_monthly(day: date) -> float:
    return day.day / days_in_month(day)


def elapsed(project: ProjectRow, day: date) -> float | None:
    if project.budget_period == MONTHLY:
        return elapsed_monthly(day)
    return elapsed_total(day, starts_on=project.starts_on, ends_on=project.ends_on)


def pace(burn: float | None, elapsed_share: float | None) -> float | None:
    if burn is None or not elapsed_share:
        return None
    return burn / elapsed_share


def project_burn(project: ProjectRow, *, day: date, consumed_hours: float) -> Burn:
    share = elapsed(project, day)
    burn = burn_pct(consumed_hours, project.budget_hours)
    return Burn(consumed_hours, burn, share, pace(burn, share))


def needs_hours_since_start(project: ProjectRow) -> bool:
    """Hours since starts_on feed a total budget's burn and a fixed fee's recognition."""
    if project.budget_hours is None:
        return False
    if project.billing_model == FIXED_FEE:
        return project.fee is not None
    return project.budget_period == TOTAL and project.is_active


def _recognises_hours(project: ProjectRow) -> bool:
    """A fixed fee that can earn: its revenue follows its hours since start."""
    return project.billing_model == FIXED_FEE and needs_hours_since_start(project)


def retainer_revenue(project: ProjectRow, *, first: date, last: date) -> float:
    """fee / days-in-month for each day of first..last inside [starts_on, ends_on] while the
    project is active (its status now: archived retainers earn nothing). The caller caps
    `last` at today for the current period."""
    if project.fee is None or not project.is_active:
        return 0.0
    lo = max(first, project.starts_on)
    hi = last if project.ends_on is None else min(last, project.ends_on)
    return sum(
        project.fee * ((segment_last - segment_first).days + 1) / days_in_month(segment_first)
        for segment_first, segment_last in _month_pieces(lo, hi)
    )


def _month_pieces(first: date, last: date) -> Iterator[tuple[date, date]]:
    """first..last cut at month ends (summing whole pieces keeps float error down)."""
    while first <= last:
        month_last = first.replace(day=days_in_month(first))
        yield first, min(last, month_last)
        first = month_last + timedelta(days=1)


def recognised(project: ProjectRow, hours: float) -> float:
    """fee × min(1, H / budget_hours): a fixed fee earned as its budget is used."""
    if project.fee is None or not project.budget_hours:
        return 0.0
    return project.fee * min(1.0, hours / project.budget_hours)


def period_revenue(
    project: ProjectRow,
    *,
    first: date,
    last: date,
    billable_amount: float,
    hours_at_start: float,
    hours_at_end: float,
) -> float:
    """One project's revenue for first..last (last already capped at today).

    `billable_amount` is Σ billable hours × bill rate (t&m); `hours_at_*` are the project's
    hours since start at the period's bounds (fixed fee)."""
    model = project.billing_model
    if model == T_AND_M:
        return billable_amount
    if model == RETAINER:
        return retainer_revenue(project, first=first, last=last)
    if model == FIXED_FEE:
        return recognised(project, hours_at_end) - recognised(project, hours_at_start)
    return 0.0


def _earning_projects(session: Session, history: HistoryReader | None) -> tuple[ProjectRow, ...]:
    """`load_projects`, from the history's reference cache when there is one."""
    if history is None:
        return tuple(load_projects(session))
    return history.reference.get(_EARNING_PROJECTS, lambda: tuple(load_projects(session)))


@dataclass(frozen=True, slots=True)
class _ProjectPeriod:
    project: ProjectRow
    hours: float
    member_hours: float
    revenue: float  # the whole project's, except t&m: the members' entries only


def _project_periods(
    session: Session,
    *,
    first: date,
    last: date,
    now: datetime,
    tz: ZoneInfo,
    user_ids: frozenset[int] | None,
    history: HistoryReader | None,
    every_project: bool = False,
) -> list[_ProjectPeriod]:
    """The period's hours and revenue per project. Unless `every_project`, only projects
    that can show any: those with entries in the period (or a timer running) — by the
    members, for a team — and for the organisation every retainer; the others would add
    exact zeros to every sum."""
    lo = local_midnight(first, tz)
    cutoff = min(local_midnight(last + timedelta(days=1), tz), now)
    if cutoff <= lo:
        return []
    projects = _earning_projects(session, history)
    starts = {p.id: start_instant(p.starts_on, tz) for p in projects if _recognises_hours(p)}
    ledger = load_ledger(
        session,
        cuts=(lo, cutoff),
        project_ids={p.id for p in projects},
        starts=starts,
        amount_ids={p.id for p in projects if p.billing_model == T_AND_M},
        user_ids=user_ids,
        worked_starts_only=True,  # a fixed fee without hours in the period earns nothing
        history=history,
    )
    last_day = min(last, local_date(now, tz))
    return [
        _project_period(
            project,
            ledger,
            span=(lo, cutoff),
            first=first,
            last=last_day,
            now=now,
            members_only=user_ids is not None,
        )
        for project in projects
        if every_project
        or ledger.touched(project.id, members_only=user_ids is not None)
        or (user_ids is None and project.billing_model == RETAINER)
    ]


def _project_period(
    project: ProjectRow,
    ledger: HourLedger,
    *,
    span: tuple[datetime, datetime],
    first: date,
    last: date,
    now: datetime,
    members_only: bool,
) -> _ProjectPeriod:
    lo, cutoff = span
    model = project.billing_model
    hours_at_start = hours_at_end = amount = 0.0
    if model == T_AND_M:
        amount = ledger.amount(project.id, span, count_to=now)
    elif model == FIXED_FEE and _recognises_hours(project) and ledger.knows_start(project.id):
        hours_at_start = ledger.hours_since_start(project.id, lo, count_to=now)
        hours_at_end = ledger.hours_since_start(project.id, cutoff, count_to=now)
    revenue = period_revenue(
        project,
        first=first,
        last=last,
        billable_amount=amount,
        hours_at_start=hours_at_start,
        hours_at_end=hours_at_end,
    )
    hours = ledger.hours(project.id, span, count_to=now)
    return _ProjectPeriod(
        project,
        hours=hours,
        member_hours=ledger.member_hours(project.id, span, count_to=now) if members_only else hours,
        revenue=revenue,
    )


def revenue_for_period(
    session: Session,
    *,
    first: date,
    last: date,
    now: datetime,
    tz: ZoneInfo,
    user_ids: frozenset[int] | None,
    history: HistoryReader | None = None,
) -> Revenue:
    """Revenue of local dates first..last (up to now) for the organisation (`user_ids` None)
    or a team's members: their t&m money, plus each retainer's and fixed fee's revenue × the
    members' share of that project's hours in the period. `client_hours` are hours on client
    projects (by those members, or by anyone)."""
    revenue = 0.0
    client_hours = 0.0
    for item in _project_periods(
        session, first=first, last=last, now=now, tz=tz, user_ids=user_ids, history=history
    ):
        if item.project.client_id is not None:
            client_hours += item.member_hours
        if user_ids is None or item.project.billing_model == T_AND_M:
            revenue += item.revenue
        elif item.hours > 0:
            revenue += item.revenue * item.member_hours / item.hours
    return Revenue(revenue=revenue, client_hours=client_hours)


def client_revenue_for_period(
    session: Session,
    *,
    first: date,
    last: date,
    now: datetime,
    tz: ZoneInfo,
    client_ids: Collection[int] | None = None,
    history: HistoryReader | None = None,
) -> dict[int, Revenue]:
    """Revenue and hours per client for first..last (up to now): effective_rate(client)."""
    totals: dict[int, Revenue] = {}
    periods = _project_periods(
        session,
        first=first,
        last=last,
        now=now,
        tz=tz,
        user_ids=None,
        history=history,
        every_project=True,
    )
    for item in periods:
        client_id = item.project.client_id
        if client_id is None or (client_ids is not None and client_id not in client_ids):
            continue
        before = totals.get(client_id, Revenue(0.0, 0.0))
        totals[client_id] = Revenue(before.revenue + item.revenue, before.client_hours + item.hours)
    return totals
