"""The one aggregate statement behind `hour_ledger`: stopped entries' seconds (and t&m money)
per project per segment between cuts, and per project over a window of its own.

Every branch walks the covering index ix_entry_project_time (project_id, started_at, ...)
on SQLite and PostgreSQL alike, one range per project bounded on both sides; a CASE on
started_at names the segment. Segments are bind parameters, not a VALUES list, so the
statement compiles once per shape and SQLAlchemy caches it; only the rare refill of history
(`windows`) carries a VALUES list. Rows are (kind, project_id, segment | NULL, total, members).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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

from workshub.db import UTCDateTime
from workshub.domain.models import TimeEntry

__all__ = [
    "AMOUNT",
    "BEFORE_START",
    "LATER",
    "SEGMENT",
    "Segments",
    "Window",
    "ledger_statement",
]

# Kinds of rows in the statement's UNION ALL.
SEGMENT, AMOUNT, BEFORE_START = 0, 1, 2
# The segment of entries that started at or after the last cut of an open-ended part.
LATER = -1

Window = tuple[int, datetime, datetime]  # project id, [lo, hi)

_entry_table = cast(Table, TimeEntry.__table__)  # type: ignore[attr-defined]
_entry = _entry_table.c


@dataclass(frozen=True, slots=True)
class Segments:
    """Sums of `project_ids` per segment between consecutive `cuts`, numbered from `first`.
    `open_ended`: entries that started at or after the last cut are summed too, as `LATER`."""

    project_ids: Collection[int]
    cuts: Sequence[datetime]
    first: int = 0
    open_ended: bool = False

    def __bool__(self) -> bool:
        return bool(self.project_ids) and len(self.cuts) > 1


def ledger_statement(
    *,
    seconds: Sequence[Segments],
    money: Sequence[Segments],
    windows: Sequence[Window],
    user_ids: frozenset[int] | None,
    worked_within: tuple[datetime, datetime] | None = None,
) -> Any:
    """One UNION ALL; None when there is nothing to ask. `seconds` rows carry the members'
    seconds too (with `user_ids`); `money` rows are Σ billable seconds × rate (the members'
    only, with `user_ids`); `windows` rows are seconds in a project's own window — with
    `worked_within`, only for a project with entries in that span."""
    branches = [_seconds(part, user_ids=user_ids) for part in seconds if part]
    branches += [_money(part, user_ids=user_ids) for part in money if part]
    if windows:
        branches.append(_windows(windows, worked_within=worked_within))
    if not branches:
        return None
    return branches[0] if len(branches) == 1 else union_all(*branches)


def _segment_of(part: Segments) -> Any:
    """The segment an entry falls in, by its start (the range is bounded in WHERE)."""
    cuts, first = part.cuts, part.first
    bounds = range(1, len(cuts) if part.open_ended else len(cuts) - 1)
    last = LATER if part.open_ended else first + len(cuts) - 2
    if not bounds:
        return literal(last, Integer)
    whens = [(_entry.started_at < cuts[i], literal(first + i - 1)) for i in bounds]
    return case(*whens, else_=literal(last))


def _in_range(part: Segments) -> list[Any]:
    bounded = [] if part.open_ended else [_entry.started_at < part.cuts[-1]]
    return [
        _entry.project_id.in_(sorted(part.project_ids)),
        _entry.started_at >= part.cuts[0],
        *bounded,
        _entry.duration_s.is_not(None),
    ]


def _seconds(part: Segments, *, user_ids: frozenset[int] | None) -> Any:
    te = _entry
    member: Any = (
        sql_cast(null(), Float)
        if user_ids is None
        else case((te.user_id.in_(sorted(user_ids)), te.duration_s), else_=0)
    )
    rows = (
        select(
            te.project_id.label("pid"),
            _segment_of(part).label("idx"),
            te.duration_s.label("d"),
            member.label("m"),
        )
        .where(*_in_range(part))
        .subquery()
    )
    return select(
        literal(SEGMENT, Integer).label("kind"),
        rows.c.pid,
        rows.c.idx,
        func.sum(rows.c.d).label("total"),
        (sql_cast(null(), Float) if user_ids is None else func.sum(rows.c.m)).label("members"),
    ).group_by(rows.c.pid, rows.c.idx)


def _money(part: Segments, *, user_ids: frozenset[int] | None) -> Any:
    te = _entry
    # `billable` goes inside the SUM: in WHERE it tempts SQLite into an automatic index.
    billable_money = case((te.billable == true(), te.duration_s * te.bill_rate))
    rows = select(
        te.project_id.label("pid"), _segment_of(part).label("idx"), billable_money.label("v")
    ).where(*_in_range(part))
    if user_ids is not None:
        rows = rows.where(te.user_id.in_(sorted(user_ids)))
    sub = rows.subquery()
    return select(
        literal(AMOUNT, Integer), sub.c.pid, sub.c.idx, func.sum(sub.c.v), sql_cast(null(), Float)
    ).group_by(sub.c.pid, sub.c.idx)


def _windows(windows: Sequence[Window], *, worked_within: tuple[datetime, datetime] | None) -> Any:
    te = _entry
    win: Any = (
        values(
            column("pid", Integer),
            column("lo", UTCDateTime),
            column("hi", UTCDateTime),
            name="win",
        )
        .data(list(windows))
        .cte("win")
    )
    if worked_within is not None:
        other = _entry_table.alias("worked")
        worked = exists().where(
            other.c.project_id == win.c.pid,
            other.c.started_at >= worked_within[0],
            other.c.started_at < worked_within[1],
        )
        win = select(win).where(worked).cte("worked_win")
    in_window = and_(
        te.project_id == win.c.pid, te.started_at >= win.c.lo, te.started_at < win.c.hi
    )
    return (
        select(
            literal(BEFORE_START, Integer),
            win.c.pid,
            sql_cast(null(), Integer),
            func.sum(te.duration_s),
            sql_cast(null(), Float),
        )
        .select_from(win.join(_entry_table, in_window))
        .where(te.duration_s.is_not(None))
        .group_by(win.c.pid)
    )
