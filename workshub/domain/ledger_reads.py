"""Reading a ledger's sums: all of them fresh, or from a `ProjectHistory` with only what it
lacks read (the projects an event dropped). Both give the same sums, so a snapshot does not
depend on what the cache held.

Seconds are kept per segment between `hour_cuts` (the asked cuts plus the starts of projects
that start inside them, so hours since such a start are whole segments); money per segment
between `money_cuts` from `amount_idx` on; before-start seconds per project for a project
that started before the first cut.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from workshub.domain.ledger_sql import (
    AMOUNT,
    BEFORE_START,
    LATER,
    SEGMENT,
    Segments,
    ledger_statement,
)
from workshub.domain.project_history import OPEN_END, ClosedSums, HistoryFrame, HistoryReader

__all__ = ["LedgerPlan", "LedgerSums", "read_sums", "read_sums_with_history"]


@dataclass(frozen=True, slots=True)
class LedgerPlan:
    hour_cuts: Sequence[datetime]
    money_cuts: Sequence[datetime]
    project_ids: Collection[int]
    starts: Mapping[int, datetime]  # of project_ids only
    amount_ids: frozenset[int]  # of project_ids only
    amount_idx: int
    user_ids: frozenset[int] | None

    @property
    def first(self) -> datetime:
        return self.money_cuts[0]

    def before_windows(self, project_ids: Collection[int]) -> list[tuple[int, datetime, datetime]]:
        return [
            (pid, start, self.first)
            for pid, start in sorted(self.starts.items())
            if start < self.first and pid in project_ids
        ]


@dataclass(frozen=True, slots=True)
class _Part:
    """A cached part of a ledger: its frame, where its cuts sit in the plan, and the instants
    to read it with (the frame's open end is `now` in SQL)."""

    frame: HistoryFrame
    hour_cuts: Sequence[datetime]
    money_cuts: Sequence[datetime]
    hour_from: int
    money_from: int
    wanted: dict[int, datetime | None]  # project id -> the start its before-start sums need
    keeps_start: bool  # holds hours between each start and the first cut
    open_ended: bool  # its last cut is now, kept as "no end"


class LedgerSums:
    """Per project: seconds, member seconds and money per segment; seconds before start."""

    def __init__(self, plan: LedgerPlan) -> None:
        hour_width, money_width = len(plan.hour_cuts) - 1, len(plan.money_cuts) - 1
        self.seconds: dict[int, list[float]] = defaultdict(lambda: [0.0] * hour_width)
        self.members: dict[int, list[float]] | None = (
            None if plan.user_ids is None else defaultdict(lambda: [0.0] * hour_width)
        )
        self.amounts: dict[int, list[float]] = defaultdict(lambda: [0.0] * money_width)
        self.before: dict[int, float] = {}
        self.amount_ids = plan.amount_ids
        self.later: set[int] = set()  # projects with stopped entries starting at or after now

    def read(self, session: Session, stmt: Any) -> None:
        if stmt is None:
            return
        for kind, project_id, idx, total, members in session.execute(stmt):
            if idx == LATER:
                self.later.add(project_id)
            elif kind == SEGMENT:
                self.seconds[project_id][idx] = float(total or 0)
                if self.members is not None:
                    self.members[project_id][idx] = float(members or 0)
            elif kind == AMOUNT:
                self.amounts[project_id][idx] = float(total or 0)
            else:
                assert kind == BEFORE_START
                self.before[project_id] = float(total or 0)

    def closed(self, project_id: int, part: _Part) -> ClosedSums:
        """What was read of the project within the part, to cache."""
        hours = (part.hour_from, part.hour_from + len(part.hour_cuts) - 1)
        money = (part.money_from, part.money_from + len(part.money_cuts) - 1)
        return ClosedSums.of(
            start=part.wanted[project_id],
            seconds=_slice(self.seconds, project_id, *hours),
            members=None
            if part.frame.user_ids is None or self.members is None
            else _slice(self.members, project_id, *hours),
            amounts=None
            if project_id not in self.amount_ids
            else _slice(self.amounts, project_id, *money),
            before_start=self.before.get(project_id, 0.0) if part.keeps_start else 0.0,
        )

    def restore(self, project_id: int, cached: ClosedSums, part: _Part) -> None:
        """Put cached sums where a read would have put them (zeros stay implicit)."""
        lo = part.hour_from
        if any(cached.seconds):
            self.seconds[project_id][lo : lo + len(cached.seconds)] = cached.seconds
        if self.members is not None and cached.members is not None and any(cached.members):
            self.members[project_id][lo : lo + len(cached.members)] = cached.members
        if project_id in self.amount_ids and cached.amounts and any(cached.amounts):
            lo = part.money_from
            self.amounts[project_id][lo : lo + len(cached.amounts)] = cached.amounts
        if part.keeps_start and cached.before_start:
            self.before[project_id] = cached.before_start


def _slice(sums: Mapping[int, list[float]], project_id: int, lo: int, hi: int) -> tuple[float, ...]:
    values = sums.get(project_id)
    return tuple(values[lo:hi]) if values is not None else (0.0,) * max(0, hi - lo)


def read_sums(session: Session, plan: LedgerPlan, *, worked_starts_only: bool) -> LedgerSums:
    """Everything fresh. With `worked_starts_only`, before-start seconds only for projects
    with entries between the cuts."""
    sums = LedgerSums(plan)
    stmt = ledger_statement(
        seconds=[Segments(plan.project_ids, plan.hour_cuts)],
        money=[Segments(plan.amount_ids, plan.money_cuts[plan.amount_idx :], plan.amount_idx)],
        windows=plan.before_windows(plan.project_ids),
        user_ids=plan.user_ids,
        worked_within=(plan.first, plan.money_cuts[-1]) if worked_starts_only else None,
    )
    sums.read(session, stmt)
    return sums


def read_sums_with_history(
    session: Session, plan: LedgerPlan, history: HistoryReader
) -> LedgerSums:
    """Every sum from the cache where it has them; the projects it lacks are read (one
    statement) and stored. Two parts are cached: up to the last cut not after
    `history.closed_before` (with hours before the first cut), and from there to `now` (an
    open end: no stopped entry starts later). Every project's start counts (no `worked`
    filter): the figures are the same."""
    money_end = bisect.bisect_right(plan.money_cuts, history.closed_before) - 1
    hour_end = plan.hour_cuts.index(plan.money_cuts[money_end])
    parts = [_closed_part(plan, hour_end=hour_end, money_end=money_end)]
    rest_money = max(plan.amount_idx, money_end)
    rest = Segments(plan.project_ids, plan.hour_cuts[hour_end:], hour_end)
    rest_amounts = Segments(plan.amount_ids, plan.money_cuts[rest_money:], rest_money)
    if rest and plan.hour_cuts[-2] < history.now <= plan.hour_cuts[-1]:
        parts.append(_open_part(plan, hour_from=hour_end, money_from=rest_money))
        rest = rest_amounts = Segments((), ())
    found = [history.projects.get(p.frame, p.wanted, fits=_fits(p, plan)) for p in parts]
    missing = [
        [pid for pid in part.wanted if pid not in hits]
        for part, hits in zip(parts, found, strict=True)
    ]
    stmt = ledger_statement(
        seconds=[rest]
        + [
            Segments(m, p.hour_cuts, p.hour_from, p.open_ended)
            for p, m in zip(parts, missing, strict=True)
        ],
        money=[rest_amounts]
        + [
            Segments(plan.amount_ids.intersection(m), p.money_cuts, p.money_from, p.open_ended)
            for p, m in zip(parts, missing, strict=True)
        ],
        windows=plan.before_windows(set(missing[0])),
        user_ids=plan.user_ids,
    )
    sums = LedgerSums(plan)
    sums.read(session, stmt)
    for part, hits, lacking in zip(parts, found, missing, strict=True):
        # An entry that starts at or after now (a clock's tie, a write racing this read)
        # would be missed by "no end": such a project is read again next time.
        stable = [pid for pid in lacking if pid not in sums.later]
        history.projects.put(part.frame, {pid: sums.closed(pid, part) for pid in stable})
        for pid, cached in hits.items():
            if not cached.empty:
                sums.restore(pid, cached, part)
    return sums


def _fits(part: _Part, plan: LedgerPlan) -> Callable[[int, ClosedSums], bool]:
    def fits(project_id: int, sums: ClosedSums) -> bool:
        return sums.fits(start=part.wanted[project_id], amounts=project_id in plan.amount_ids)

    return fits


def _closed_part(plan: LedgerPlan, *, hour_end: int, money_end: int) -> _Part:
    """Segments up to the history cut, and hours between each start and the first cut."""
    money_from = min(plan.amount_idx, money_end)
    wanted: dict[int, datetime | None] = {}
    for pid in plan.project_ids:
        start = plan.starts.get(pid)
        start = start if start is not None and start < plan.first else None
        if hour_end > 0 or start is not None:
            wanted[pid] = start
    hour_cuts = plan.hour_cuts[: hour_end + 1]
    money_cuts = plan.money_cuts[money_from : money_end + 1]
    frame = HistoryFrame(
        cuts=tuple(hour_cuts),
        money_cuts=tuple(money_cuts),
        user_ids=plan.user_ids if hour_end > 0 else None,
    )
    return _Part(
        frame, hour_cuts, money_cuts, 0, money_from, wanted, keeps_start=True, open_ended=False
    )


def _open_part(plan: LedgerPlan, *, hour_from: int, money_from: int) -> _Part:
    """Segments from the history cut to now, kept as if open-ended."""
    hour_cuts = plan.hour_cuts[hour_from:]
    money_cuts = plan.money_cuts[money_from:]
    frame = HistoryFrame(
        cuts=(*hour_cuts[:-1], OPEN_END),
        money_cuts=(*money_cuts[:-1], OPEN_END) if len(money_cuts) > 1 else (),
        user_ids=plan.user_ids,
    )
    wanted: dict[int, datetime | None] = dict.fromkeys(plan.project_ids)
    return _Part(
        frame,
        hour_cuts,
        money_cuts,
        hour_from,
        money_from,
        wanted,
        keeps_start=False,
        open_ended=True,
    )
