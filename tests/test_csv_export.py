"""CSV exports: formula-like text is quoted, the pages' entry export is the API's CSV byte for
byte, the team filter keeps to the viewer's scope, long periods stream in pages under one header,
and the dashboard tables come out as the pages list them.

The organisation is tests/api/conftest.py's `build_org`; this week is Mon 23 – Sun 29 Nov 2026.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests import factories as f
from tests.api.conftest import Api, build_org, open_api
from workshub.api import build_router
from workshub.clock import FakeClock
from workshub.csv_export import (
    ENTRY_COLUMNS,
    budget_burn_csv,
    client_health_csv,
    entries_filename,
    entry_rows_csv,
    export_entries,
    iter_entries_csv,
    safe_cell,
    team_members_csv,
)
from workshub.domain.errors import NotFound
from workshub.domain.models import TimeEntry, User
from workshub.domain.scope import Viewer, load_viewer
from workshub.domain.services.listing import MAX_ENTRY_LIMIT

MONDAY, SUNDAY = date(2026, 11, 23), date(2026, 11, 29)
UTC_ZONE = ZoneInfo("UTC")


def rows_of(content: bytes | str) -> list[list[str]]:
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return list(csv.reader(io.StringIO(text)))


def viewer(engine: Engine, person: User) -> Viewer:
    with Session(engine) as session:
        found = load_viewer(session, person.id or 0)
    assert found is not None
    return found


@pytest.fixture
async def api(any_engine: Engine, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Api]:
    app = FastAPI()
    app.include_router(build_router())
    async for value in open_api(any_engine, clock, tmp_path, app):
        yield value


# --- cells -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("plain = text", "plain = text"),
        (-5, -5),  # numbers are numbers, even negative ones
        (1.25, 1.25),
        (True, "true"),
        (False, "false"),
        (None, ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_quoted(value: Any, cell: Any) -> None:
    assert safe_cell(value) == cell


def test_entry_rows_carry_hours_and_money_only_for_those_who_see_it() -> None:
    row = {
        "id": 7,
        "user_name": "Ann",
        "duration_s": 5400,
        "billable": True,
        "note": "=cmd|' /C calc'!A0",
        "bill_rate": 120.0,
    }
    base = rows_of(entry_rows_csv([row], money=False, header=True))
    assert base[0] == list(ENTRY_COLUMNS)
    values = dict(zip(base[0], base[1], strict=True))
    assert (values["hours"], values["billable"], values["ended_at"]) == ("1.5", "true", "")
    assert values["note"] == "'=cmd|' /C calc'!A0"
    money = rows_of(entry_rows_csv([row], money=True, header=False))
    assert money == [[*base[1], "120.0"]]


def test_file_names() -> None:
    assert entries_filename(MONDAY, SUNDAY) == "time-entries-2026-11-23-2026-11-29.csv"
    assert entries_filename(MONDAY, SUNDAY, scope="team-3") == (
        "time-entries-team-3-2026-11-23-2026-11-29.csv"
    )


# --- time entries: the API's CSV and the pages' export ------------------------------------------


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        ("member_a", {"user_id": "self"}),
        ("manager_a", {"team_id": "team_a"}),
        ("slt", {"team_id": "team_b"}),
        ("admin", {}),
    ],
)
async def test_the_page_export_is_the_api_csv_byte_for_byte(
    api: Api, who: str, filters: dict[str, str]
) -> None:
    org = api.org
    person: User = getattr(org, who)
    ids = {"self": person.id, "team_a": org.team_a.id, "team_b": org.team_b.id}
    kwargs = {name: ids[value] for name, value in filters.items()}
    query = "".join(f"&{name}={value}" for name, value in kwargs.items())
    answer = await api.call("GET", f"/time-entries.csv?from={MONDAY}&to={SUNDAY}{query}", person)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    exported = export_entries(
        api.system.engine,
        viewer(api.system.engine, person),
        first=MONDAY,
        last=SUNDAY,
        tz=api.system.tz,
        **kwargs,
    )
    assert exported == answer.content
    assert len(rows_of(exported)) > 1  # a header and at least one entry


async def test_the_team_filter_keeps_to_the_viewers_scope(api: Api) -> None:
    org = api.org
    team_a, team_b = org.team_a.id, org.team_b.id

    async def names(person: User, team_id: int | None) -> set[str] | int:
        query = f"/time-entries.csv?from={MONDAY}&to={SUNDAY}&team_id={team_id}"
        answer = await api.call("GET", query, person)
        if answer.status_code != 200:
            return answer.status_code
        rows = rows_of(answer.content)
        return {row[rows[0].index("user_name")] for row in rows[1:]}

    assert await names(org.manager_a, team_a) == {org.member_a.name, org.member_a2.name}
    assert await names(org.manager_a, team_b) == 404  # not theirs: as if it did not exist
    assert await names(org.manager_a, 99_999) == 404
    assert await names(org.member_a, team_a) == {org.member_a.name}  # still only their own
    assert await names(org.member_a, team_b) == 404
    assert await names(org.slt, team_b) == {org.member_b.name}
    listed = await api.call("GET", f"/time-entries?team_id={team_b}", org.manager_a)
    assert listed.status_code == 404
    with pytest.raises(NotFound):
        export_entries(
            api.system.engine,
            viewer(api.system.engine, org.manager_a),
            first=MONDAY,
            last=SUNDAY,
            tz=api.system.tz,
            team_id=team_b,
        )


async def test_money_columns_follow_the_role(api: Api) -> None:
    org = api.org
    for person, has_rate in ((org.admin, True), (org.manager_a, False), (org.member_a, False)):
        answer = await api.call("GET", "/time-entries.csv", person)
        assert ("bill_rate" in rows_of(answer.content)[0]) is has_rate


def test_a_long_period_streams_in_pages_under_one_header(engine: Engine) -> None:
    org = build_org(engine)
    start = datetime(2026, 10, 1, 8, tzinfo=UTC)
    with Session(engine) as session:
        session.add_all(
            TimeEntry(
                user_id=org.member_b.id,
                project_id=org.project_b.id,
                started_at=start + timedelta(minutes=10 * n),
                ended_at=start + timedelta(minutes=10 * n + 5),
                duration_s=300,
                billable=True,
                created_at=start,
                updated_at=start,
            )
            for n in range(MAX_ENTRY_LIMIT + 5)
        )
        session.commit()
    chunks = list(
        iter_entries_csv(
            engine,
            viewer(engine, org.member_b),
            first=date(2026, 10, 1),
            last=date(2026, 11, 29),
            tz=UTC_ZONE,
        )
    )
    assert len(chunks) == 2
    rows = rows_of("".join(chunks))
    assert rows[0] == list(ENTRY_COLUMNS)
    assert len(rows) == 1 + MAX_ENTRY_LIMIT + 5 + 1  # + build_org's Monday entry of member_b
    assert all(row[0].isdigit() for row in rows[1:])


def test_a_bad_filter_raises_before_any_output(engine: Engine) -> None:
    org = build_org(engine)
    chunks = iter_entries_csv(
        engine, viewer(engine, org.manager_b), first=MONDAY, last=SUNDAY, tz=UTC_ZONE, team_id=1
    )
    with pytest.raises(NotFound):
        next(chunks)


# --- dashboard tables ---------------------------------------------------------------------------


def test_team_members_as_the_team_page_lists_them() -> None:
    members = [
        {
            "user_id": 1,
            "name": "Ann",
            "hours": 12.345,
            "billable_hours": 10.0,
            "capacity": 22.5,
            "utilization": 12.345 / 22.5,
            "running": {"project": "Site", "client": "Acme", "since": "2026-11-25T08:05:00Z"},
            "overdue_tasks": 2,
        },
        {
            "user_id": 2,
            "name": "-Bob",
            "hours": 0.0,
            "billable_hours": 0.0,
            "capacity": 0.0,
            "utilization": None,
            "running": None,
            "overdue_tasks": 0,
        },
    ]
    rows = rows_of(team_members_csv(members, tz=ZoneInfo("Europe/Berlin")))
    assert rows[0][:5] == ["Person", "Hours", "Billable hours", "Capacity", "Utilization"]
    assert rows[1] == [
        "Ann",
        "12.35",
        "10.0",
        "22.5",
        "0.5487",
        "Site",
        "Acme",
        "2026-11-25T09:05+01:00",
        "2",
    ]
    assert rows[2] == ["'-Bob", "0.0", "0.0", "0.0", "", "", "", "", "0"]


def test_client_health_worst_first_with_its_components() -> None:
    clients = [
        {"client_id": 1, "name": "Green", "score": 90, "rag": "green", "change": 0},
        {"client_id": 2, "name": "Red", "score": 30, "rag": "red", "change": None},
        {
            "client_id": 3,
            "name": "Acme",
            "score": 64,
            "rag": "amber",
            "change": -6,
            "components": {
                "pace": 40.0,
                "overservice": 100.0,
                "rate": 80.0,
                "volatility": 100.0,
                "pulse": 50.0,
                "worst_pace": 1.3,
                "worst_overservice": None,
                "rate_ratio": 0.9,
                "hours": 21.5,
                "pulse_rating": "amber",
            },
        },
    ]
    rows = rows_of(client_health_csv(clients))
    assert rows[0][:4] == ["Client", "Score", "RAG", "Change vs last week"]
    assert [row[0] for row in rows[1:]] == ["Red", "Acme", "Green"]
    assert rows[1][:4] == ["Red", "30", "red", ""]
    assert rows[2] == [
        "Acme",
        "64",
        "amber",
        "-6",
        "40.0",
        "100.0",
        "80.0",
        "100.0",
        "50.0",
        "1.3",
        "",
        "0.9",
        "21.5",
        "amber",
    ]


def test_budget_burn_lists_budgeted_projects_fastest_pace_first() -> None:
    def project(name: str, pace: float | None, budget: float | None) -> dict[str, Any]:
        return {
            "project_id": hash(name) % 1000,
            "name": name,
            "billing_model": "t_and_m",
            "budget_period": "total",
            "budget_hours": budget,
            "consumed_hours": 30.0,
            "hours_week": 4.0,
            "burn_pct": None if budget is None else 30.0 / budget,
            "elapsed": 0.5,
            "pace": pace,
        }

    clients = [
        {"client_id": 1, "name": "Acme", "projects": [project("Slow", 0.8, 100.0)]},
        {
            "client_id": 2,
            "name": "@Bolt",
            "projects": [
                project("Unbudgeted", None, None),
                project("Fast", 1.6, 20.0),
                project("No end", None, 50.0),
            ],
        },
    ]
    rows = rows_of(budget_burn_csv(clients))
    assert rows[0] == [
        "Client",
        "Project",
        "Billing model",
        "Budget period",
        "Budget hours",
        "Used hours",
        "Hours this week",
        "Burn",
        "Time elapsed",
        "Pace",
    ]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("'@Bolt", "Fast"),
        ("Acme", "Slow"),
        ("'@Bolt", "No end"),
    ]
    assert rows[1][4:] == ["20.0", "30.0", "4.0", "1.5", "0.5", "1.6"]


def test_a_freshly_seeded_entry_is_exported_for_its_owner(engine: Engine) -> None:
    """The smallest round trip: a row written to the database comes out in its owner's CSV."""
    org = build_org(engine)
    f.entry(
        engine,
        org.member_a,
        org.internal,
        datetime(2026, 11, 25, 8, tzinfo=UTC),
        1.0,
        note="+ planning",
    )
    rows = rows_of(
        export_entries(
            engine,
            viewer(engine, org.member_a),
            first=MONDAY,
            last=SUNDAY,
            tz=UTC_ZONE,
            user_id=org.member_a.id,
        )
    )
    notes = [row[ENTRY_COLUMNS.index("note")] for row in rows[1:]]
    assert "'+ planning" in notes
    assert len(rows) == 3  # header, Monday's 3 h on Acme, Wednesday's planning
