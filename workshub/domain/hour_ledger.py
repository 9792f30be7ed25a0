"""Hours (and t&m money) per project between chosen instants, in two statements.

Hours are summed per project over *segments*: time cut at given instants (week starts, month
starts, "now"). A week, a month-to-date or a project's hours since it started is then a sum of
whole segments, done in Python. The segment sums come from one statement that walks the
covering index ix_entry_project_time (SQLite and PostgreSQL alike); running entries, counted
up to an instant chosen per question, come from a second, small one.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Float,
    Integer,
    Table,
    and_,
    case,
    column,
    exists,
    func,
    literal,
    null,
    select,
    true,
    union_all,
    values,
)
from sqlalchemy import cast as sql_cast
from sqlmodel import Session, SQLModel

from workshub.db import UTCDateTime
from workshub.domain.models import Project, TimeEntry, User

__all__ = ["HourLedger", "RunningEntry", "Span", "load_ledger", "load_running"]

Span = tuple[datetime, datetime]  # [lo, hi): both must be cuts of the ledger


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


_project = _table(Project).c
_user = _table(User).c
_entry_table = _table(TimeEntry)
_entry = _entry_table.c

# Kinds of rows in the ledger statement's UNION ALL.
_SEGMENT, _AMOUNT, _BEFORE_START, _INSIDE_BEFORE_START = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class RunningEntry:
    """A running timer; `rate` is the project's bill rate, else the user's (SPEC §4)."""

    project_id: int
    user_id: int
    started_at: datetime
    billable: bool
    rate: float | None

    def seconds_until(self, instant: datetime) -> float:
        return max(0.0, (instant - self.started_at).total_seconds())


def load_running(session: Session) -> list[RunningEntry]:
    """Every running timer. Filtered in Python: `ended_at IS NULL` alone lets both databases
    read the partial index of running entries (at most one per person)."""
    stmt = (
        select(
            _entry.project_id,
            _entry.user_id,
            _entry.started_at,
            _entry.billable,
            func.coalesce(_project.bill_rate, _user.bill_rate),
        )
        .select_from(
            _entry_table.join(_table(Project), _project.id == _entry.project_id).join(
                _table(User), _user.id == _entry.user_id
            )
        )
        .where(_entry.ended_at.is_(None))
    )
    return [RunningEntry(*row) for row in session.execute(stmt)]


class HourLedger:
    """Hours (and t&m money) per project between cuts, stopped and running entries together.

    Ask only with instants that were cuts. `count_to` is the instant up to which running
    entries count: now for live figures, a week's freeze instant for frozen ones.
    """

    def __init__(
        self,
        *,
        cuts: Sequence[datetime],
        seconds: Mapping[int, Sequence[float]],
        member_seconds: Mapping[int, Sequence[float]] | None,
        amounts: Mapping[int, Sequence[float]],
        starts: Mapping[int, datetime],
        before_start: Mapping[int, float],
        inside_before_start: Mapping[int, float],
        running: Iterable[RunningEntry],
        user_ids: frozenset[int] | None,
    ) -> None:
        self._index = {cut: i for i, cut in enumerate(cuts)}
        self._first = cuts[0]
        self._seconds = {pid: _prefix(v) for pid, v in seconds.items()}
        self._member = (
            None if member_seconds is None else {p: _prefix(v) for p, v in member_seconds.items()}
        )
        self._amounts = {pid: _prefix(v) for pid, v in amounts.items()}
        self._starts = dict(starts)
        self._before = dict(before_start)
        self._inside_before = dict(inside_before_start)
        self._user_ids = user_ids
        self._running: dict[int, list[RunningEntry]] = {}
        for entry in running:
            self._running.setdefault(entry.project_id, []).append(entry)
        self._groups: dict[tuple[int, ...], list[float]] = {}

    def hours(self, project_id: int, span: Span, *, count_to: datetime) -> float:
        stopped = self._between(self._seconds, project_id, span)
        return (stopped + self._running_seconds(project_id, span, count_to=count_to)) / 3600

    def group_hours(self, project_ids: tuple[int, ...], span: Span, *, count_to: datetime) -> float:
        """Hours of several projects together (a client's), from prefix sums kept per group."""
        prefix = self._groups.get(project_ids)
        if prefix is None:
            prefix = self._groups[project_ids] = _sum_prefixes(
                [self._seconds[pid] for pid in project_ids if pid in self._seconds],
                len(self._index),
            )
        stopped = prefix[self._cut(span[1])] - prefix[self._cut(span[0])]
        running = sum(
            self._running_seconds(pid, span, count_to=count_to)
            for pid in project_ids
            if pid in self._running
        )
        return (stopped + running) / 3600

    def member_hours(self, project_id: int, span: Span, *, count_to: datetime) -> float:
        """Hours by the ledger's users (all hours when it has no user filter)."""
        if self._member is None:
            return self.hours(project_id, span, count_to=count_to)
        stopped = self._between(self._member, project_id, span)
        running = self._running_seconds(project_id, span, count_to=count_to, members_only=True)
        return (stopped + running) / 3600

    def amount(self, project_id: int, span: Span, *, count_to: datetime) -> float:
        """Σ billable hours × rate of the ledger's users' entries (t&m revenue)."""
        stopped = self._between(self._amounts, project_id, span)
        running = sum(
            entry.seconds_until(count_to) * (entry.rate or 0.0)
            for entry in self._running_in(project_id, span, count_to=count_to, members_only=True)
            if entry.billable
        )
        return (stopped + running) / 3600

    def knows_start(self, project_id: int) -> bool:
        return project_id in self._starts

    def hours_since_start(self, project_id: int, hi: datetime, *, count_to: datetime) -> float:
        """The project's hours from its starts_on (local midnight) up to `hi`."""
        start = self._starts[project_id]
        if hi <= start:
            return 0.0
        stopped = (
            self._before.get(project_id, 0.0)
            + self._between(self._seconds, project_id, (self._first, hi))
            - self._inside_before.get(project_id, 0.0)
        )
        running = self._running_seconds(project_id, (start, hi), count_to=count_to)
        return (stopped + running) / 3600

    def _between(self, sums: Mapping[int, list[float]], project_id: int, span: Span) -> float:
        prefix = sums.get(project_id)
        if prefix is None:
            return 0.0
        return prefix[self._cut(span[1])] - prefix[self._cut(span[0])]

    def _cut(self, instant: datetime) -> int:
        try:
            return self._index[instant]
        except KeyError:
            raise KeyError(f"{instant.isoformat()} is not a cut of this ledger") from None

    def _running_in(
        self, project_id: int, span: Span, *, count_to: datetime, members_only: bool = False
    ) -> list[RunningEntry]:
        entries = self._running.get(project_id)
        if not entries:
            return []
        lo, hi = span
        return [
            entry
            for entry in entries
            if lo <= entry.started_at < hi
            and entry.started_at < count_to
            and not (
                members_only and self._user_ids is not None and entry.user_id not in self._user_ids
            )
        ]

    def _running_seconds(
        self, project_id: int, span: Span, *, count_to: datetime, members_only: bool = False
    ) -> float:
        if project_id not in self._running:
            return 0.0
        entries = self._running_in(project_id, span, count_to=count_to, members_only=members_only)
        return sum(entry.seconds_until(count_to) for entry in entries)


def _sum_prefixes(prefixes: Sequence[Sequence[float]], length: int) -> list[float]:
    return [sum(column) for column in zip(*prefixes, strict=True)] if prefixes else [0.0] * length


def _prefix(segment_sums: Sequence[float]) -> list[float]:
    prefix = [0.0]
    for value in segment_sums:
        prefix.append(prefix[-1] + value)
    return prefix


def load_ledger(
    session: Session,
    *,
    cuts: Iterable[datetime],
    project_ids: Collection[int],
    starts: Mapping[int, datetime],
    amount_ids: Collection[int],
    amount_from: datetime | None = None,
    user_ids: frozenset[int] | None = None,
    worked_starts_only: bool = False,
) -> HourLedger:
    """A ledger of `project_ids` between `cuts`: two statements (segments, running timers).

    `starts` (project id → its starts_on local midnight) are the projects whose hours since
    start will be asked for — with `worked_starts_only`, only those with entries between the
    cuts (history is the expensive part; `HourLedger.knows_start` tells which). `amount_ids`
    are the projects whose billable money is summed (t&m), from the cut `amount_from` on.
    With `user_ids`, member hours and money count only those users.
    """
    ordered = sorted(set(cuts))
    if len(ordered) < 2:
        raise ValueError("a ledger needs at least two cuts")
    last = ordered[-1]
    width = len(ordered) - 1
    seconds: dict[int, list[float]] = defaultdict(lambda: [0.0] * width)
    member: dict[int, list[float]] | None = (
        None if user_ids is None else defaultdict(lambda: [0.0] * width)
    )
    amounts: dict[int, list[float]] = defaultdict(lambda: [0.0] * width)
    before: dict[int, float] = {}
    inside_before: dict[int, float] = {}
    stmt = _ledger_statement(
        ordered,
        project_ids=project_ids,
        starts=starts,
        amount_ids=amount_ids,
        amount_from=0 if amount_from is None else bisect.bisect_left(ordered, amount_from),
        user_ids=user_ids,
        worked_starts_only=worked_starts_only,
    )
    if stmt is not None:
        for kind, project_id, idx, total, members in session.execute(stmt):
            if kind == _SEGMENT:
                seconds[project_id][idx] = float(total or 0)
                if member is not None:
                    member[project_id][idx] = float(members or 0)
            elif kind == _AMOUNT:
                amounts[project_id][idx] = float(total or 0)
            elif kind == _BEFORE_START:
                before[project_id] = float(total or 0)
            else:
                inside_before[project_id] = float(total or 0)
    running = [
        entry
        for entry in load_running(session)
        if entry.project_id in project_ids and entry.started_at < last
    ]
    known = set(project_ids)
    if worked_starts_only:
        known = set(seconds) | {e.project_id for e in running if e.started_at >= ordered[0]}
    return HourLedger(
        cuts=ordered,
        seconds=seconds,
        member_seconds=member,
        amounts=amounts,
        starts={pid: start for pid, start in starts.items() if pid in known},
        before_start=before,
        inside_before_start=inside_before,
        running=running,
        user_ids=user_ids,
    )


def _ledger_statement(
    cuts: Sequence[datetime],
    *,
    project_ids: Collection[int],
    starts: Mapping[int, datetime],
    amount_ids: Collection[int],
    amount_from: int,
    user_ids: frozenset[int] | None,
    worked_starts_only: bool,
) -> Any:
    """Segment sums, t&m money per segment, and hours between each project's start and the
    first cut (or, for a project starting inside the ledger, before its start): one UNION ALL."""
    if not project_ids:
        return None
    first = cuts[0]
    te = _entry
    seg = (
        values(
            column("idx", Integer),
            column("lo", UTCDateTime),
            column("hi", UTCDateTime),
            name="seg",
        )
        .data([(i, cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)])
        .cte("seg")
    )
    in_segment = and_(te.started_at >= seg.c.lo, te.started_at < seg.c.hi)
    stopped = te.duration_s.is_not(None)
    member_sum: Any = (
        sql_cast(null(), Float)
        if user_ids is None
        else func.sum(case((te.user_id.in_(sorted(user_ids)), te.duration_s), else_=0))
    )
    parts: list[Any] = [
        select(
            literal(_SEGMENT, Integer).label("kind"),
            te.project_id,
            seg.c.idx,
            func.sum(te.duration_s).label("total"),
            member_sum.label("members"),
        )
        .select_from(seg.join(_entry_table, in_segment))
        .where(te.project_id.in_(sorted(project_ids)), stopped)
        .group_by(seg.c.idx, te.project_id)
    ]
    amount_ids = sorted(set(amount_ids) & set(project_ids))
    if amount_ids:
        # `billable` goes inside the SUM: in WHERE it tempts SQLite into an automatic index.
        billable_money = case((te.billable == true(), te.duration_s * te.bill_rate))
        money = (
            select(
                literal(_AMOUNT, Integer),
                te.project_id,
                seg.c.idx,
                func.sum(billable_money),
                sql_cast(null(), Float),
            )
            .select_from(seg.join(_entry_table, in_segment))
            .where(te.project_id.in_(amount_ids), stopped, seg.c.idx >= amount_from)
        )
        if user_ids is not None:
            money = money.where(te.user_id.in_(sorted(user_ids)))
        parts.append(money.group_by(seg.c.idx, te.project_id))
    windows = [
        (pid, _BEFORE_START, start, first)
        if start < first
        else (pid, _INSIDE_BEFORE_START, first, start)
        for pid, start in sorted(starts.items())
        if pid in project_ids and start != first and start < cuts[-1]
    ]
    if windows:
        win = (
            values(
                column("pid", Integer),
                column("kind", Integer),
                column("lo", UTCDateTime),
                column("hi", UTCDateTime),
                name="win",
            )
            .data(windows)
            .cte("win")
        )
        if worked_starts_only:
            other = _entry_table.alias("worked")
            worked = exists().where(
                other.c.project_id == win.c.pid,
                other.c.started_at >= first,
                other.c.started_at < cuts[-1],
            )
            win = select(win).where(worked).cte("worked_win")
        in_window = and_(
            te.project_id == win.c.pid, te.started_at >= win.c.lo, te.started_at < win.c.hi
        )
        parts.append(
            select(
                win.c.kind,
                win.c.pid,
                sql_cast(null(), Integer),
                func.sum(te.duration_s),
                sql_cast(null(), Float),
            )
            .select_from(win.join(_entry_table, in_window))
            .where(stopped)
            .group_by(win.c.pid, win.c.kind)
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)
