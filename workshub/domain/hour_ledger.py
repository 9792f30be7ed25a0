"""Hours (and t&m money) per project between chosen instants, in two statements.

Hours are summed per project over *segments*: time cut at given instants (week starts, month
starts, "now"). A week, a month-to-date or a project's hours since it started is then a sum of
whole segments, done in Python. The segment sums come from one statement (`ledger_sql`) that
walks the covering index ix_entry_project_time (SQLite and PostgreSQL alike); running
entries, counted up to an instant chosen per question, come from a second, small one. Given
a `ProjectHistory` reader, the sums come from its cache and the statement reads only the
projects it lacks (none, or the one a write touched).
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlmodel import Session, SQLModel

from workshub.domain.ledger_reads import LedgerPlan, read_sums, read_sums_with_history
from workshub.domain.models import Project, TimeEntry, User
from workshub.domain.project_history import HistoryReader

__all__ = ["HourLedger", "RunningEntry", "Span", "load_ledger", "load_running"]

Span = tuple[datetime, datetime]  # [lo, hi): both must be cuts of the ledger


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


_project = _table(Project).c
_user = _table(User).c
_entry_table = _table(TimeEntry)
_entry = _entry_table.c


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
    entries count: now for live figures, a week's freeze instant for frozen ones. Hours are
    kept between `cuts` (the asked cuts plus project starts inside them), money between
    `money_cuts` (the asked cuts).
    """

    def __init__(
        self,
        *,
        cuts: Sequence[datetime],
        money_cuts: Sequence[datetime],
        seconds: Mapping[int, Sequence[float]],
        member_seconds: Mapping[int, Sequence[float]] | None,
        amounts: Mapping[int, Sequence[float]],
        starts: Mapping[int, datetime],
        before_start: Mapping[int, float],
        running: Iterable[RunningEntry],
        user_ids: frozenset[int] | None,
    ) -> None:
        self._index = {cut: i for i, cut in enumerate(cuts)}
        self._money_index = {cut: i for i, cut in enumerate(money_cuts)}
        self._first = cuts[0]
        self._seconds = {pid: _prefix(v) for pid, v in seconds.items()}
        self._member = (
            None if member_seconds is None else {p: _prefix(v) for p, v in member_seconds.items()}
        )
        self._amounts = {pid: _prefix(v) for pid, v in amounts.items()}
        self._starts = dict(starts)
        self._before = dict(before_start)
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
        prefix = self._amounts.get(project_id)
        stopped = 0.0
        if prefix is not None:
            stopped = prefix[self._money_cut(span[1])] - prefix[self._money_cut(span[0])]
        running = sum(
            entry.seconds_until(count_to) * (entry.rate or 0.0)
            for entry in self._running_in(project_id, span, count_to=count_to, members_only=True)
            if entry.billable
        )
        return (stopped + running) / 3600

    def touched(self, project_id: int, *, members_only: bool = False) -> bool:
        """Whether the project has stopped hours between the cuts or a timer running (by
        the ledger's users, with `members_only`)."""
        if not members_only or self._member is None:
            return project_id in self._seconds or project_id in self._running
        prefix = self._member.get(project_id)
        if prefix is not None and prefix[-1] > 0:
            return True
        return any(
            entry.user_id in (self._user_ids or ()) for entry in self._running.get(project_id, ())
        )

    def knows_start(self, project_id: int) -> bool:
        return project_id in self._starts

    def hours_since_start(self, project_id: int, hi: datetime, *, count_to: datetime) -> float:
        """The project's hours from its starts_on (local midnight) up to `hi`."""
        start = self._starts[project_id]
        if hi <= start:
            return 0.0
        stopped = self._between(self._seconds, project_id, (max(start, self._first), hi))
        if start < self._first:
            stopped += self._before.get(project_id, 0.0)
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

    def _money_cut(self, instant: datetime) -> int:
        try:
            return self._money_index[instant]
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
    history: HistoryReader | None = None,
) -> HourLedger:
    """A ledger of `project_ids` between `cuts`: two statements (segments, running timers).

    `starts` (project id → its starts_on local midnight) are the projects whose hours since
    start will be asked for — with `worked_starts_only`, only those with entries between the
    cuts (history is the expensive part; `HourLedger.knows_start` tells which). `amount_ids`
    are the projects whose billable money is summed (t&m), from the cut `amount_from` on.
    With `user_ids`, member hours and money count only those users.

    With `history`, the stopped sums come from its cache (before its closed cut, and from
    there to now) and are read only for the projects it lacks: the figures are the same, and
    every start is known.
    """
    money_cuts = sorted(set(cuts))
    if len(money_cuts) < 2:
        raise ValueError("a ledger needs at least two cuts")
    first, last = money_cuts[0], money_cuts[-1]
    starts = {pid: start for pid, start in starts.items() if pid in project_ids}
    plan = LedgerPlan(
        hour_cuts=sorted({*money_cuts, *(s for s in starts.values() if first < s < last)}),
        money_cuts=money_cuts,
        project_ids=project_ids,
        starts=starts,
        amount_ids=frozenset(amount_ids).intersection(project_ids),
        amount_idx=0 if amount_from is None else bisect.bisect_left(money_cuts, amount_from),
        user_ids=user_ids,
    )
    if history is None or first > history.closed_before:
        sums = read_sums(session, plan, worked_starts_only=worked_starts_only)
        known = set(sums.seconds) if worked_starts_only else None
    else:
        sums = read_sums_with_history(session, plan, history)
        known = None
    running = [
        entry
        for entry in load_running(session)
        if entry.project_id in project_ids and entry.started_at < last
    ]
    if known is not None:
        known |= {e.project_id for e in running if e.started_at >= first}
    return HourLedger(
        cuts=plan.hour_cuts,
        money_cuts=money_cuts,
        seconds=sums.seconds,
        member_seconds=sums.members,
        amounts=sums.amounts,
        starts=starts if known is None else {p: s for p, s in starts.items() if p in known},
        before_start=sums.before,
        running=running,
        user_ids=user_ids,
    )
