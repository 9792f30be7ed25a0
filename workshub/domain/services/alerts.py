"""The scheduler's notification rules for money and clients (SPEC §3): a project crossing 80 %
or 100 % of its budget, and a client turning red, told to the client's account lead, every slt
and every admin — once each, by dedupe key.

Finding what to raise only reads (`budget_alerts`, `client_red_alerts`), so a job holds the
write lock only for the few notifications that are new (`raise_alerts`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, or_, select
from sqlmodel import Session, SQLModel

from workshub.domain.finance import MONTHLY, burn_pct
from workshub.domain.hour_ledger import load_ledger
from workshub.domain.models import (
    Client,
    ClientStatus,
    Notification,
    Project,
    ProjectStatus,
    Rag,
    Role,
    User,
)
from workshub.domain.project_history import HistoryReader
from workshub.domain.services.notifications import raise_notification
from workshub.domain.timeutil import local_date, local_midnight
from workshub.domain.uow import UnitOfWork

__all__ = [
    "BUDGET_THRESHOLDS",
    "Alert",
    "ClientRating",
    "budget_alerts",
    "client_red_alerts",
    "raise_alerts",
]

BUDGET_THRESHOLDS = (100, 80)  # percent, highest first: a jump past both tells only the higher


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


_project = _table(Project).c
_client = _table(Client).c
_user = _table(User).c
_notification = _table(Notification).c


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification to raise for one person."""

    user_id: int
    kind: str
    title: str
    body: str
    link: str
    dedupe_key: str


@dataclass(frozen=True, slots=True)
class ClientRating:
    """A client's health for a week, as the client_health dashboard shows it."""

    client_id: int
    name: str
    score: int
    rag: str


@dataclass(frozen=True, slots=True)
class _Budgeted:
    id: int
    name: str
    client_id: int | None
    client: str | None
    account_lead_id: int | None
    budget_hours: float
    budget_period: str
    starts_on: date


@dataclass(frozen=True, slots=True)
class _Finding:
    """Something everyone in the audience should hear of once: the key is per person."""

    key: str
    account_lead_id: int | None
    kind: str
    title: str
    body: str
    link: str


def budget_alerts(
    session: Session, *, now: datetime, tz: ZoneInfo, history: HistoryReader | None = None
) -> list[Alert]:
    """Alerts not raised yet for active budgeted projects at or past 80 % / 100 % of their
    budget now: since starts_on (total, key `budget:{project}:{pct}`) or in this month
    (monthly, key `budget:{project}:{pct}:{YYYY-MM}`). Hours of every project come from one
    aggregate statement (plus the running timers). With `history` (taken for `now`, before
    `session` first reads), hours before this week come from its cache, so a run reads
    only this week's entries and the projects an edit dropped, not every project's years."""
    if history is not None and history.now != now:
        raise ValueError("budget_alerts needs a history reader taken for the same now")
    projects = _budgeted_projects(session)
    if not projects:
        return []
    today = local_date(now, tz)
    month_lo = local_midnight(today.replace(day=1), tz)
    next_month = local_midnight(date(today.year + today.month // 12, today.month % 12 + 1, 1), tz)
    # The history's cut, so the sums before it are cached even when the month began later.
    week_cut = () if history is None else (history.closed_before,)
    ledger = load_ledger(
        session,
        cuts=(*week_cut, month_lo, now, next_month),
        project_ids={p.id for p in projects},
        starts={
            p.id: local_midnight(p.starts_on, tz) for p in projects if p.budget_period != MONTHLY
        },
        amount_ids=(),
        history=history,
    )
    findings = []
    for project in projects:
        monthly = project.budget_period == MONTHLY
        consumed = (
            ledger.hours(project.id, (month_lo, now), count_to=now)
            if monthly
            else ledger.hours_since_start(project.id, now, count_to=now)
        )
        burn = burn_pct(consumed, project.budget_hours) or 0.0
        reached = next((pct for pct in BUDGET_THRESHOLDS if burn >= pct / 100), None)
        if reached is not None:
            month = f"{today:%Y-%m}" if monthly else None
            findings.append(_budget_finding(project, reached, consumed=consumed, month=month))
    return _for_audience(session, findings)


def _budgeted_projects(session: Session) -> list[_Budgeted]:
    """Active projects with a budget, of an active client or internal: one statement."""
    stmt = (
        select(
            _project.id,
            _project.name,
            _project.client_id,
            _client.name,
            _client.account_lead_id,
            _project.budget_hours,
            _project.budget_period,
            _project.starts_on,
        )
        .select_from(_table(Project).outerjoin(_table(Client), _client.id == _project.client_id))
        .where(_project.budget_hours > 0, _project.status == ProjectStatus.active.value)
        .where(or_(_project.client_id.is_(None), _client.status == ClientStatus.active.value))
        .order_by(_project.id)
    )
    return [_Budgeted(*row) for row in session.execute(stmt)]


def _budget_finding(
    project: _Budgeted, pct: int, *, consumed: float, month: str | None
) -> _Finding:
    period = " this month" if month else ""
    key = f"budget:{project.id}:{pct}" + (f":{month}" if month else "")
    return _Finding(
        key=key,
        account_lead_id=project.account_lead_id,
        kind="budget",
        title=f"{project.name} has used {pct}% of its budget{period}"[:200],
        body=f"{project.client or 'Internal'}: {consumed:.1f} of {project.budget_hours:g} hours.",
        link=f"/clients/{project.client_id}" if project.client_id else "/leadership",
    )


def client_red_alerts(
    session: Session, ratings: Iterable[ClientRating], *, week: date
) -> list[Alert]:
    """Alerts not raised yet for clients rated red in `week` (key `client_red:{client}:{week}`,
    so once per client per week however long it stays red)."""
    reds = [r for r in ratings if r.rag == Rag.red.value]
    if not reds:
        return []
    rows = session.execute(
        select(_client.id, _client.account_lead_id).where(
            _client.id.in_(sorted({r.client_id for r in reds}))
        )
    )
    leads = {client_id: lead_id for client_id, lead_id in rows}
    findings = [
        _Finding(
            key=f"client_red:{r.client_id}:{week.isoformat()}",
            account_lead_id=leads.get(r.client_id),
            kind="client_red",
            title=f"{r.name} turned red"[:200],
            body=f"Client health for the week of {week.isoformat()}: {r.score} of 100.",
            link=f"/clients/{r.client_id}",
        )
        for r in reds
    ]
    return _for_audience(session, findings)


def _for_audience(session: Session, findings: Sequence[_Finding]) -> list[Alert]:
    """Each finding for its account lead (if active), every active slt and admin, less the
    ones already raised: two statements."""
    if not findings:
        return []
    lead_ids = {f.account_lead_id for f in findings if f.account_lead_id is not None}
    org_wide, leads = _audience(session, lead_ids=lead_ids)
    alerts = [
        Alert(
            user_id=user_id,
            kind=f.kind,
            title=f.title,
            body=f.body,
            link=f.link,
            dedupe_key=f.key,
        )
        for f in findings
        for user_id in sorted(
            org_wide | ({f.account_lead_id} & leads if f.account_lead_id else set())
        )
    ]
    raised = _raised(session, [(a.user_id, a.dedupe_key) for a in alerts])
    return [a for a in alerts if (a.user_id, a.dedupe_key) not in raised]


def _audience(session: Session, *, lead_ids: Collection[int]) -> tuple[set[int], set[int]]:
    """(active slt and admin, the active ones among `lead_ids`)."""
    org_roles = (Role.slt.value, Role.admin.value)
    rows = session.execute(
        select(_user.id, _user.role)
        .where(_user.is_active.is_(True))
        .where(or_(_user.role.in_(org_roles), _user.id.in_(sorted(lead_ids))))
    )
    org_wide: set[int] = set()
    leads: set[int] = set()
    for user_id, role in rows:
        if role in org_roles:
            org_wide.add(user_id)
        if user_id in lead_ids:
            leads.add(user_id)
    return org_wide, leads


def _raised(session: Session, pairs: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (user, key) pairs exist already: one statement on the (user_id, dedupe_key) index."""
    if not pairs:
        return set()
    found = session.execute(
        select(_notification.user_id, _notification.dedupe_key).where(
            _notification.user_id.in_(sorted({user_id for user_id, _ in pairs})),
            _notification.dedupe_key.in_(sorted({key for _, key in pairs})),
        )
    )
    wanted = set(pairs)
    return {pair for pair in found if pair in wanted}


def raise_alerts(uow: UnitOfWork, alerts: Iterable[Alert]) -> list[Notification]:
    """Raise each alert (the dedupe key still decides: a twin raised meanwhile is skipped)."""
    raised = []
    for alert in alerts:
        notification = raise_notification(
            uow,
            user_id=alert.user_id,
            kind=alert.kind,
            title=alert.title,
            body=alert.body,
            link=alert.link,
            dedupe_key=alert.dedupe_key,
        )
        if notification is not None:
            raised.append(notification)
    return raised
