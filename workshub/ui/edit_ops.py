"""How each edit looks before the server confirms it: the overlay operations for the `today`
dashboard (timer, entries, tasks, notifications), a timesheet week and a client's pulses.

Pure: they read the data shown now and return operations; the layers apply them (again on every
new base), so an operation names rows by id and never copies a whole list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from workshub.domain.timeutil import iso_utc
from workshub.ui.components import instant
from workshub.ui.optimistic import (
    AddNumber,
    InsertRow,
    MergeField,
    Op,
    RemoveRow,
    SetField,
    UpdateRow,
)

__all__ = [
    "entry_delete_ops",
    "entry_edit_ops",
    "notification_read_ops",
    "pulse_ops",
    "task_status_ops",
    "timer_start_ops",
    "timer_stop_ops",
    "week_entry_ops",
]

MAX_ENTRY_S = 24 * 3600


def _seconds(entry: Mapping[str, Any], *, now: datetime) -> float:
    """An entry's length so far: its duration, or up to `now` while it runs."""
    if entry.get("duration_s") is not None:
        return float(entry["duration_s"])
    return max(0.0, (now - instant(entry["started_at"])).total_seconds())


def _stopped_at(entry: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """What stopping a running entry at `now` sets (whole seconds, 1 s to 24 h, as the timer
    service does)."""
    started = instant(entry["started_at"])
    seconds = max(1, min(int((now - started).total_seconds()), MAX_ENTRY_S))
    return {"ended_at": iso_utc(started + timedelta(seconds=seconds)), "duration_s": seconds}


def timer_stop_ops(today: Mapping[str, Any], *, now: datetime) -> list[Op]:
    running = today.get("running")
    if not running:
        return []
    return [
        SetField("running", None),
        UpdateRow("entries", running["id"], _stopped_at(running, now=now)),
    ]


def timer_start_ops(
    today: Mapping[str, Any],
    *,
    project: Mapping[str, Any],
    note: str,
    now: datetime,
    temp_id: str,
) -> list[Op]:
    """Start (or switch to) `project` now: a running timer stops first, as the service does."""
    entry = {
        "id": temp_id,
        "project_id": project["id"],
        "project": project["name"],
        "client": project.get("client_name"),
        "started_at": iso_utc(now.replace(microsecond=0)),
        "ended_at": None,
        "duration_s": None,
        "note": note,
        "billable": bool(project.get("default_billable", True)),
        "version": 0,
    }
    return [
        *timer_stop_ops(today, now=now),
        SetField("running", entry),
        InsertRow("entries", entry, first=True),  # today's entries are newest first
    ]


def entry_edit_ops(
    today: Mapping[str, Any],
    entry_id: int,
    changes: Mapping[str, Any],
    *,
    now: datetime,
) -> list[Op]:
    """An entry's new project, times, note or billable; hours today follow its new length."""
    entry = next((e for e in today.get("entries") or [] if e.get("id") == entry_id), None)
    new = dict(changes)
    if new.get("ended_at") and new.get("started_at"):
        new["duration_s"] = int(
            (instant(new["ended_at"]) - instant(new["started_at"])).total_seconds()
        )
    ops: list[Op] = [UpdateRow("entries", entry_id, new)]
    running = today.get("running")
    if running and running.get("id") == entry_id:
        ops.append(MergeField("running", new))
    if entry is not None:
        delta = _seconds({**entry, **new}, now=now) - _seconds(entry, now=now)
        ops.append(AddNumber("hours_today", delta / 3600))
    return ops


def entry_delete_ops(today: Mapping[str, Any], entry_id: int, *, now: datetime) -> list[Op]:
    ops: list[Op] = [RemoveRow("entries", entry_id)]
    entry = next((e for e in today.get("entries") or [] if e.get("id") == entry_id), None)
    if entry is not None:
        ops.append(AddNumber("hours_today", -_seconds(entry, now=now) / 3600))
    running = today.get("running")
    if running and running.get("id") == entry_id:
        ops.append(SetField("running", None))
    return ops


def task_status_ops(task_id: int, status: str) -> list[Op]:
    return [UpdateRow("tasks", task_id, {"status": status})]


def notification_read_ops(notification_ids: list[int]) -> list[Op]:
    """Read notifications leave the unread list and the bell's count."""
    return [
        *(RemoveRow("notifications", nid) for nid in notification_ids),
        AddNumber("unread_count", -len(notification_ids)),
    ]


def week_entry_ops(
    entry_id: int | str, entry: Mapping[str, Any] | None, *, insert: bool = False
) -> list[Op]:
    """A timesheet week ({"entries": [wire-format entries]}): a new entry (`insert`), a
    changed one, or (`entry` None) a deleted one."""
    if entry is None:
        return [RemoveRow("entries", entry_id)]
    row = dict(entry)
    if row.get("ended_at") and row.get("started_at"):
        row["duration_s"] = int(
            (instant(row["ended_at"]) - instant(row["started_at"])).total_seconds()
        )
    if insert:
        return [InsertRow("entries", {"id": entry_id, "version": 0, **row})]
    return [UpdateRow("entries", entry_id, row)]


def pulse_ops(pulse: Mapping[str, Any]) -> list[Op]:
    """A client's pulses ({"pulses": [...]}, newest week first): one per week, so a save
    replaces that week's row or adds it."""
    return [InsertRow("pulses", pulse, key="week", first=True)]
