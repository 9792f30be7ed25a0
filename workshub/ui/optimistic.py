"""Optimistic edits as layers (SPEC §1): a confirmed base and, on top, one overlay per pending
edit, kept apart as Apollo keeps its optimistic layers.

Each overlay is a list of small operations (set a field, change a row, drop a row, ...) that is
applied again to every new base, never baked into it: rolling one edit back can never undo
another pending one, and a base that arrives while an edit is pending keeps the edit on top.
An overlay whose write committed as hub seq `s` goes away with the first base whose `as_of`
(the hub's seq when that base was read) is at least `s` — versions decide, not arrival order.

Pure: no NiceGUI, no database, no clock of its own (callers pass `now`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PENDING",
    "AddNumber",
    "InsertRow",
    "Layers",
    "MergeField",
    "Op",
    "Overlay",
    "RemoveRow",
    "SetField",
    "UpdateRow",
    "apply_ops",
]

PENDING = "_pending"  # set on a row or object that shows a change not yet confirmed

Row = dict[str, Any]


def _pending(value: Mapping[str, Any]) -> Row:
    return {**value, PENDING: True}


def _rows(data: Mapping[str, Any], name: str) -> list[Row] | None:
    rows = data.get(name)
    return rows if isinstance(rows, list) else None


@dataclass(frozen=True, slots=True)
class SetField:
    """Replace a top-level field (an object value is marked pending)."""

    field: str
    value: Any

    def apply(self, data: dict[str, Any]) -> None:
        data[self.field] = _pending(self.value) if isinstance(self.value, Mapping) else self.value


@dataclass(frozen=True, slots=True)
class MergeField:
    """Change some keys of an object field (e.g. the running timer); nothing if it is None."""

    field: str
    changes: Mapping[str, Any]

    def apply(self, data: dict[str, Any]) -> None:
        current = data.get(self.field)
        if isinstance(current, Mapping):
            data[self.field] = _pending({**current, **self.changes})


@dataclass(frozen=True, slots=True)
class UpdateRow:
    """Change some columns of the row whose `key` is `row_id`; nothing if it is not there."""

    field: str
    row_id: Any
    changes: Mapping[str, Any]
    key: str = "id"

    def apply(self, data: dict[str, Any]) -> None:
        rows = _rows(data, self.field)
        if rows is not None:
            data[self.field] = [
                _pending({**row, **self.changes}) if row.get(self.key) == self.row_id else row
                for row in rows
            ]


@dataclass(frozen=True, slots=True)
class InsertRow:
    """Add a row (first or last); a row with the same `key` is replaced in place instead."""

    field: str
    row: Mapping[str, Any]
    key: str = "id"
    first: bool = False

    def apply(self, data: dict[str, Any]) -> None:
        rows = _rows(data, self.field) or []
        new = _pending(self.row)
        ident = self.row.get(self.key)
        if any(row.get(self.key) == ident for row in rows):
            data[self.field] = [new if row.get(self.key) == ident else row for row in rows]
        else:
            data[self.field] = [new, *rows] if self.first else [*rows, new]


@dataclass(frozen=True, slots=True)
class RemoveRow:
    field: str
    row_id: Any
    key: str = "id"

    def apply(self, data: dict[str, Any]) -> None:
        rows = _rows(data, self.field)
        if rows is not None:
            data[self.field] = [row for row in rows if row.get(self.key) != self.row_id]


@dataclass(frozen=True, slots=True)
class AddNumber:
    """Add `delta` to a number (a count, hours), never below `minimum`; None stays None."""

    field: str
    delta: float
    minimum: float | None = 0

    def apply(self, data: dict[str, Any]) -> None:
        value = data.get(self.field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            total = value + self.delta
            if self.minimum is not None:
                total = max(self.minimum, total)
            data[self.field] = type(value)(total) if isinstance(value, int) else total


Op = SetField | MergeField | UpdateRow | InsertRow | RemoveRow | AddNumber


def apply_ops(data: Mapping[str, Any], ops: Iterable[Op]) -> dict[str, Any]:
    """A new dict: `data` with `ops` applied in order. `data` and its rows are never mutated."""
    result = dict(data)
    for op in ops:
        op.apply(result)
    return result


@dataclass
class Overlay:
    """One pending edit: its operations and the write it waits for.

    `seq` is None while the write runs; then the hub seq of its last event (a write with no
    event waits for nothing)."""

    request_id: str
    ops: tuple[Op, ...]
    created_at: float
    confirmed: bool = False
    seq: int | None = None
    confirmed_at: float | None = None

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(op.field for op in self.ops)


@dataclass
class Layers:
    """The confirmed base and the pending overlays on top of it, in the order they were made."""

    base: dict[str, Any] = field(default_factory=dict)
    as_of: int = 0
    overlays: dict[str, Overlay] = field(default_factory=dict)

    # --- the base -------------------------------------------------------------------------

    def set_base(self, data: Mapping[str, Any], *, as_of: int) -> list[str]:
        """A whole new confirmed base; returns the overlays it settled."""
        self.base = dict(data)
        self.as_of = max(self.as_of, as_of)
        return self._settle()

    def merge_base(self, changed: Mapping[str, Any], *, as_of: int) -> list[str]:
        """Some fields of the base changed (a pushed diff); returns the overlays it settled."""
        self.base = {**self.base, **changed}
        self.as_of = max(self.as_of, as_of)
        return self._settle()

    def adopt_base(self, data: dict[str, Any], *, as_of: int) -> None:
        """Take `data` itself as the base, without a copy: a snapshot shared by many views and
        never mutated (every change above makes a new dict). Only with no overlays."""
        assert not self.overlays, "a shared base is only taken with no pending edits"
        self.base = data
        self.as_of = max(self.as_of, as_of)

    def reset(self, data: Mapping[str, Any], *, as_of: int) -> list[str]:
        """Another base altogether (another week): every overlay is dropped; returns them."""
        dropped = list(self.overlays)
        self.overlays.clear()
        self.base, self.as_of = dict(data), as_of
        return dropped

    # --- overlays -------------------------------------------------------------------------

    def add(self, request_id: str, ops: Sequence[Op], *, now: float) -> None:
        self.overlays[request_id] = Overlay(request_id, tuple(ops), created_at=now)

    def confirm(self, request_id: str, *, seq: int | None, now: float) -> bool:
        """The write committed as `seq`. True if the overlay is settled already (the base is
        at least that new, or the write changed nothing); else it waits for such a base."""
        overlay = self.overlays.get(request_id)
        if overlay is None:
            return True
        overlay.confirmed, overlay.seq, overlay.confirmed_at = True, seq, now
        return request_id in self._settle()

    def rollback(self, request_id: str) -> bool:
        """The write failed: the overlay goes, the others stay. True if there was one."""
        return self.overlays.pop(request_id, None) is not None

    def drop(self, request_ids: Iterable[str]) -> list[str]:
        return [rid for rid in request_ids if self.overlays.pop(rid, None) is not None]

    def overdue(self, *, now: float, after: float) -> list[str]:
        """Confirmed overlays that have waited more than `after` seconds for their base."""
        return [
            o.request_id
            for o in self.overlays.values()
            if o.confirmed and o.confirmed_at is not None and now - o.confirmed_at >= after
        ]

    def _settle(self) -> list[str]:
        settled = [
            o.request_id
            for o in self.overlays.values()
            if o.confirmed and (o.seq is None or self.as_of >= o.seq)
        ]
        for rid in settled:
            del self.overlays[rid]
        return settled

    # --- what to show ---------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        return bool(self.overlays)

    def fields(self) -> frozenset[str]:
        """Every top-level field some pending overlay changes."""
        return frozenset().union(*(o.fields for o in self.overlays.values()))

    def view(self) -> dict[str, Any]:
        """The base with every overlay applied, oldest first."""
        data = dict(self.base)
        for overlay in self.overlays.values():
            data = apply_ops(data, overlay.ops)
        return data
