"""The week behind /timesheet: read on SQLite and PostgreSQL, shaped into the grid, the entry
list and the week total against capacity (the metrics formula, week to date)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from workshub.domain.metrics import Person
from workshub.domain.scope import load_viewer
from workshub.ui.timesheet_grid import (
    DAY_FIELDS,
    WeekSheet,
    entry_rows,
    grid_rows,
    load_week,
    summarise,
)

UTC_TZ = ZoneInfo("UTC")
MONDAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)  # Wednesday


def _entry(entry_id: int, started: str, duration_s: int | None, **extra: object) -> dict:
    return {
        "id": entry_id,
        "version": 1,
        "project_id": extra.get("project_id", 1),
        "project_name": extra.get("project_name", "Site"),
        "client_name": extra.get("client_name", "Acme"),
        "started_at": started,
        "ended_at": None,
        "duration_s": duration_s,
        "note": "",
        "billable": extra.get("billable", True),
    }


def _days(row: dict) -> list[str]:
    return [row[name] for name in DAY_FIELDS]


def test_a_running_entry_counts_up_to_now_and_is_marked() -> None:
    sheet = WeekSheet(
        MONDAY,
        [
            _entry(1, "2026-11-23T09:00:00Z", 5400),
            _entry(2, "2026-11-25T09:30:00Z", None),  # running for 30 minutes
            _entry(
                3,
                "2026-11-24T09:00:00Z",
                3600,
                project_id=2,
                client_name=None,
                project_name="Ops",
                billable=False,
            ),
        ],
        [],
        Person(1, 37.5),
    )
    rows = grid_rows(sheet, tz=UTC_TZ, now=NOW)
    assert [r["label"] for r in rows] == ["Acme · Site", "Ops", "Total"]  # internal: its own name
    assert _days(rows[0]) == ["1.5", "", "0.5", "", "", "", ""]
    assert rows[0]["running"] is True and rows[1]["running"] is False
    assert _days(rows[2]) == ["1.5", "1.0", "0.5", "", "", "", ""]
    assert rows[2]["total"] == "3.0"
    summary = summarise(sheet, tz=UTC_TZ, now=NOW)
    assert summary.tracked_hours == 3.0 and summary.billable_hours == 2.0
    assert summary.capacity_hours == 22.5 and summary.week_capacity_hours == 37.5
    listed = entry_rows(sheet, tz=UTC_TZ, now=NOW)
    assert [(r["day"], r["end"], r["hours"], r["running"]) for r in listed] == [
        ("Mon 23", "", "1.5", False),
        ("Wed 25", "", "0.5", True),
        ("Tue 24", "", "1.0", False),
    ]


def test_an_entry_belongs_to_its_local_start_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 22 Nov 23:30 UTC is Monday 00:30 in Berlin.
    sheet = WeekSheet(MONDAY, [_entry(1, "2026-11-22T23:30:00Z", 1800)], [], Person(1, 37.5))
    rows = grid_rows(sheet, tz=berlin, now=NOW)
    assert _days(rows[0])[0] == "0.5"
    assert entry_rows(sheet, tz=berlin, now=NOW)[0]["start"] == "00:30"


def test_time_off_and_employment_shape_capacity() -> None:
    person = Person(1, 30.0, starts_on=date(2026, 11, 24))  # 6 h a day, from Tuesday
    time_off = [{"id": 9, "day": "2026-11-25", "hours": 2.0}]
    sheet = WeekSheet(MONDAY, [], time_off, person)
    summary = summarise(sheet, tz=UTC_TZ, now=NOW)
    assert summary.capacity_hours == 6.0 + 4.0  # Tue, and Wed less 2 h off
    assert summary.week_capacity_hours == 6.0 + 4.0 + 6.0 + 6.0
    assert summary.utilization == 0.0
    rows = grid_rows(sheet, tz=UTC_TZ, now=NOW)
    assert [r["label"] for r in rows] == ["Time off", "Total"]
    assert _days(rows[0]) == ["", "", "2.0", "", "", "", ""]
    assert rows[1]["total"] == "0.0"


def test_without_capacity_utilization_is_null() -> None:
    sheet = WeekSheet(MONDAY, [_entry(1, "2026-11-23T09:00:00Z", 3600)], [], Person(1, 0.0))
    assert summarise(sheet, tz=UTC_TZ, now=NOW).utilization is None


def test_load_week_reads_only_the_viewers_own_week(any_engine: Engine) -> None:
    team = f.team(any_engine, "T")
    manager = f.user(any_engine, "boss@x.test", role="manager", team_id=team.id)
    member = f.user(any_engine, "m@x.test", team_id=team.id, weekly_capacity_hours=30)
    f.set_lead(any_engine, team, manager)
    client = f.client(any_engine, "Acme")
    project = f.project(any_engine, "Site", client_id=client.id)
    f.entry(any_engine, manager, project, datetime(2026, 11, 23, 9, tzinfo=UTC), 1.0)
    f.entry(any_engine, member, project, datetime(2026, 11, 24, 9, tzinfo=UTC), 2.0)
    f.entry(any_engine, manager, project, datetime(2026, 11, 30, 9, tzinfo=UTC), 4.0)  # next
    f.time_off(any_engine, manager, date(2026, 11, 25), 3.0)
    f.time_off(any_engine, member, date(2026, 11, 25), 1.0)
    with Session(any_engine) as session:
        viewer = load_viewer(session, manager.id or 0)
        assert viewer is not None and viewer.led_team_ids  # may read the member's entries
        sheet = load_week(session, viewer, monday=MONDAY, tz=UTC_TZ)
    assert [e["user_id"] for e in sheet.entries] == [manager.id]
    assert [(t["day"], t["hours"]) for t in sheet.time_off] == [("2026-11-25", 3.0)]
    assert sheet.person == Person(manager.id or 0, 37.5)
    summary = summarise(sheet, tz=UTC_TZ, now=NOW)
    assert (summary.tracked_hours, summary.capacity_hours) == (1.0, 7.5 * 3 - 3.0)
