"""One person's week for /timesheet: read once off the loop, then shaped into the grid
(project × day with totals), the entry list and the week total against capacity.

The shaping is pure (rows and a clock in, display rows out), so the figures can be checked
against hand-computed weeks; capacity reuses the metrics formula rather than re-deriving it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from workshub.domain.metrics import Person, capacity_hours, entry_seconds, ratio
from workshub.domain.queries import members
from workshub.domain.scope import Viewer
from workshub.domain.services.listing import MAX_ENTRY_LIMIT, list_entries, list_time_off
from workshub.domain.timeutil import local_date
from workshub.ui.components import fmt_hours, instant, local_hm, project_label

__all__ = [
    "DAY_FIELDS",
    "WeekSheet",
    "WeekSummary",
    "day_label",
    "entry_rows",
    "grid_rows",
    "load_week",
    "summarise",
    "time_off_rows",
]

DAY_FIELDS = ("d0", "d1", "d2", "d3", "d4", "d5", "d6")


@dataclass(frozen=True, slots=True)
class WeekSheet:
    """The raw week: the person's own entries and time off (wire format) and their capacity."""

    monday: date
    entries: list[dict[str, Any]]
    time_off: list[dict[str, Any]]
    person: Person | None


@dataclass(frozen=True, slots=True)
class WeekSummary:
    tracked_hours: float
    billable_hours: float
    capacity_hours: float  # to date: the current week counts up to today (SPEC §4)
    week_capacity_hours: float  # the whole week's working days

    @property
    def utilization(self) -> float | None:
        return ratio(self.tracked_hours, self.capacity_hours)


def load_week(session: Session, viewer: Viewer, *, monday: date, tz: ZoneInfo) -> WeekSheet:
    """The viewer's own week (a manager's list would otherwise hold their team's entries)."""
    sunday = monday + timedelta(days=6)
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page, cursor = list_entries(
            session,
            viewer,
            first=monday,
            last=sunday,
            tz=tz,
            user_id=viewer.id,
            limit=MAX_ENTRY_LIMIT,
            cursor=cursor,
        )
        entries.extend(page)
        if cursor is None:
            break
    time_off = list_time_off(session, viewer, first=monday, last=sunday)
    found = members(session, first=monday, last=sunday, user_ids=[viewer.id])
    return WeekSheet(monday, entries, time_off, found[0].person if found else None)


def _seconds(entry: dict[str, Any], *, now: datetime) -> float:
    started = instant(entry["started_at"])
    assert started is not None
    return entry_seconds(duration_s=entry["duration_s"], started_at=started, now=now)


def _day_index(entry: dict[str, Any], monday: date, tz: ZoneInfo) -> int:
    started = instant(entry["started_at"])
    assert started is not None
    return (local_date(started, tz) - monday).days


def day_label(day: date) -> str:
    return f"{day:%a} {day.day}"


def _cells(hours: list[float], *, blank_zero: bool) -> dict[str, str]:
    cells = {
        name: ("" if blank_zero and value == 0 else fmt_hours(value))
        for name, value in zip(DAY_FIELDS, hours, strict=True)
    }
    cells["total"] = fmt_hours(sum(hours))
    return cells


def grid_rows(sheet: WeekSheet, *, tz: ZoneInfo, now: datetime) -> list[dict[str, Any]]:
    """Project rows by client and name, a time-off row when there is any, and the total row
    (hours tracked; time off is not tracked time). A running entry counts up to `now`."""
    per_project: dict[int, list[float]] = {}
    labels: dict[int, str] = {}
    running: set[int] = set()
    for entry in sheet.entries:
        index = _day_index(entry, sheet.monday, tz)
        if not 0 <= index < 7:
            continue
        project_id = entry["project_id"]
        labels[project_id] = project_label(entry.get("client_name"), entry["project_name"])
        per_project.setdefault(project_id, [0.0] * 7)[index] += _seconds(entry, now=now) / 3600
        if entry["duration_s"] is None:
            running.add(project_id)
    rows: list[dict[str, Any]] = []
    for project_id in sorted(per_project, key=lambda pid: labels[pid].casefold()):
        rows.append(
            {
                "key": f"p{project_id}",
                "kind": "project",
                "project_id": project_id,
                "label": labels[project_id],
                "running": project_id in running,
                **_cells(per_project[project_id], blank_zero=True),
            }
        )
    off = [0.0] * 7
    for row in sheet.time_off:
        index = (date.fromisoformat(row["day"]) - sheet.monday).days
        if 0 <= index < 7:
            off[index] += float(row["hours"])
    if any(off):
        rows.append(
            {"key": "off", "kind": "time_off", "label": "Time off", "running": False}
            | _cells(off, blank_zero=True)
        )
    totals = [sum(hours[i] for hours in per_project.values()) for i in range(7)]
    total_row = {"key": "total", "kind": "total", "label": "Total", "running": bool(running)}
    total_row |= _cells(totals, blank_zero=False)
    today = local_date(now, tz)
    for index, name in enumerate(DAY_FIELDS):
        if sheet.monday + timedelta(days=index) > today:
            total_row[name] = ""  # a day still to come has no total yet
    rows.append(total_row)
    return rows


def summarise(sheet: WeekSheet, *, tz: ZoneInfo, now: datetime) -> WeekSummary:
    """The week's hours against capacity: capacity to date (the current week counts up to
    today) and the whole week's, both from the metrics formula with the week's time off."""
    tracked = billable = 0.0
    for entry in sheet.entries:
        seconds = _seconds(entry, now=now)
        tracked += seconds
        billable += seconds if entry["billable"] else 0.0
    sunday = sheet.monday + timedelta(days=6)
    capacity = week_capacity = 0.0
    if sheet.person is not None:
        time_off: dict[date, float] = {}
        for row in sheet.time_off:
            day = date.fromisoformat(row["day"])
            time_off[day] = time_off.get(day, 0.0) + float(row["hours"])
        capacity, week_capacity = (
            capacity_hours(
                sheet.person, first=sheet.monday, last=sunday, today=today, time_off=time_off
            )
            for today in (local_date(now, tz), sunday)
        )
    return WeekSummary(tracked / 3600, billable / 3600, capacity, week_capacity)


def entry_rows(
    sheet: WeekSheet, *, tz: ZoneInfo, now: datetime, day: date | None = None
) -> list[dict[str, Any]]:
    """The week's entries for the list below the grid (optionally one day), oldest first."""
    rows = []
    for entry in sheet.entries:
        started = instant(entry["started_at"])
        assert started is not None
        local_day = local_date(started, tz)
        if day is not None and local_day != day:
            continue
        is_running = entry["duration_s"] is None
        rows.append(
            {
                "id": entry["id"],
                "version": entry["version"],
                "date": local_day.isoformat(),
                "day": day_label(local_day),
                "project_id": entry["project_id"],
                "project": project_label(entry.get("client_name"), entry["project_name"]),
                "start": local_hm(entry["started_at"], tz),
                "end": "" if is_running else local_hm(entry["ended_at"], tz),
                "hours": fmt_hours(_seconds(entry, now=now) / 3600),
                "running": is_running,
                "note": entry.get("note") or "",
                "billable": bool(entry["billable"]),
            }
        )
    return rows


def time_off_rows(sheet: WeekSheet) -> list[dict[str, Any]]:
    return [
        {
            "id": row["id"],
            "date": row["day"],
            "day": day_label(date.fromisoformat(row["day"])),
            "hours": fmt_hours(float(row["hours"])),
        }
        for row in sheet.time_off
    ]
