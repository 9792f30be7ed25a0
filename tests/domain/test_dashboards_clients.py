"""The client dashboards against a hand-computed client (tests/domain/acme.py), on SQLite and
PostgreSQL: figures, scopes, frozen weeks, and at most five statements per key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.domain import acme
from workshub.domain.dashboards.clients import (
    compute_client_data,
    compute_client_health,
    compute_client_history,
)
from workshub.domain.dashboards.compute import strip_money
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.errors import NotFound
from workshub.domain.scope import load_viewer, manager_client_ids

UTC_TZ = ZoneInfo("UTC")


@pytest.fixture
def acme_db(any_engine: Engine) -> dict[str, Any]:
    return acme.build(any_engine)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """SQL statements sent while inside (transaction control left out)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def compute(engine: Engine, key: str, *, now=acme.NOW) -> tuple[dict[str, Any], int]:  # type: ignore[no-untyped-def]
    parsed = DashboardKey.parse(key)
    function = {
        "client_data": compute_client_data,
        "client_health": compute_client_health,
        "client_history": compute_client_history,
    }[parsed.type]
    with counting(engine) as statements, Session(engine) as session:
        data = function(session, parsed, now=now, tz=UTC_TZ)
    json.dumps(data)  # JSON-ready
    return data, len(statements)


def by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows}


def test_client_data_for_the_current_week(any_engine, acme_db) -> None:
    data, statements = compute(any_engine, "client_data:org:0:2026-11-23")
    assert statements <= 5
    assert (data["week"], data["as_of"], data["month"]) == (
        "2026-11-23",
        "2026-11-25",
        "2026-11-01",
    )
    assert [c["name"] for c in data["clients"]] == ["Acme", "Beta", "Gamma"]  # Gone is archived
    row = by_name(data["clients"])["Acme"]
    assert row["hours_week"] == pytest.approx(29.0)
    assert row["hours_month"] == pytest.approx(117.0)
    assert row["account_lead"] == "M" and row["target_rate"] == 100.0
    assert row["revenue_week"] == pytest.approx(2300.0)
    assert row["effective_rate_week"] == pytest.approx(2300.0 / 29.0)
    assert (row["score"], row["rag"]) == (44, "amber")
    build, care = row["projects"]
    assert build["name"] == "Build" and build["hours_week"] == pytest.approx(20.0)
    assert build["consumed_hours"] == pytest.approx(90.0)
    assert build["burn_pct"] == pytest.approx(0.9)
    assert build["elapsed"] == pytest.approx(25 / 30)
    assert build["pace"] == pytest.approx(1.08)
    assert care["consumed_hours"] == pytest.approx(27.0)
    assert care["burn_pct"] == pytest.approx(27 / 26)
    assert care["pace"] == pytest.approx((27 / 26) / (25 / 30))
    beta = by_name(data["clients"])["Beta"]
    assert (beta["hours_week"], beta["revenue_week"], beta["score"]) == (2.0, 100.0, 86)
    assert beta["projects"][0]["burn_pct"] is None


def test_client_data_for_a_past_week_reads_its_frozen_score(any_engine, acme_db) -> None:
    acme.add_snapshot(any_engine, acme_db["acme"], acme.LAST_WEEK, score=61, hours=26.0)
    data, statements = compute(any_engine, "client_data:org:0:2026-11-16")
    assert statements <= 5
    row = by_name(data["clients"])["Acme"]
    assert (row["score"], row["rag"]) == (61, "amber")
    assert row["hours_week"] == pytest.approx(26.0)  # a past week: all of it, live
    assert row["hours_month"] == pytest.approx(70.0 + 18.0)  # 1–22 November
    assert row["revenue_week"] == pytest.approx(2700.0)
    assert data["as_of"] == "2026-11-22"


def test_client_health_scores_every_component(any_engine, acme_db) -> None:
    data, statements = compute(any_engine, "client_health:org:0:2026-11-23")
    assert statements <= 5
    row = by_name(data["clients"])["Acme"]
    assert (row["score"], row["rag"], row["frozen"]) == (44, "amber", False)
    components = row["components"]
    assert components["pace"] == pytest.approx(100 * (1.5 - (27 / 26) / (25 / 30)) / 0.5)
    assert components["overservice"] == 0.0
    assert components["rate"] == pytest.approx(100 * (2300 / 29 / 100 - 0.5) / 0.5)
    assert components["volatility"] == 100.0
    assert components["pulse"] == 50.0
    assert components["over_budget"] is True
    assert components["worst_overservice"] == pytest.approx(1.5)
    assert components["prior_mean_hours"] == pytest.approx(24.75)
    assert row["change"] == 44 - 90  # last week, computed live


def test_client_health_change_uses_the_frozen_previous_week(any_engine, acme_db) -> None:
    acme.add_snapshot(any_engine, acme_db["acme"], acme.LAST_WEEK, score=80, hours=26.0)
    data, statements = compute(any_engine, "client_health:org:0:2026-11-23")
    assert statements <= 5
    assert by_name(data["clients"])["Acme"]["change"] == 44 - 80


def test_client_health_of_a_past_week_lists_an_archived_client_frozen_then(
    any_engine, acme_db
) -> None:
    acme.add_snapshot(any_engine, acme_db["gone"], acme.LAST_WEEK, score=50, hours=3.0)
    data, _ = compute(any_engine, "client_health:org:0:2026-11-16")
    rows = by_name(data["clients"])
    assert (rows["Gone"]["score"], rows["Gone"]["frozen"]) == (50, True)
    assert (rows["Acme"]["score"], rows["Acme"]["rag"]) == (90, "green")
    assert rows["Acme"]["components"]["volatility"] == pytest.approx(
        100 * (1 - (26 - 18.25) / 18.25) / 0.75
    )


def test_a_managers_scope_is_their_clients(any_engine, acme_db) -> None:
    key = f"client_health:manager:{acme_db['manager']}:2026-11-23"
    data, statements = compute(any_engine, key)
    assert statements <= 5  # the scope is nested in the clients' statement
    assert [c["name"] for c in data["clients"]] == ["Acme", "Gamma"]
    data, statements = compute(any_engine, f"client_data:manager:{acme_db['manager']}:2026-11-23")
    assert statements <= 5  # the scope is nested in the clients' statement
    assert [c["name"] for c in data["clients"]] == ["Acme", "Gamma"]


def test_a_manager_who_leads_nothing_sees_only_clients_they_lead(any_engine, acme_db) -> None:
    data, _ = compute(any_engine, f"client_data:manager:{acme_db['outsider']}:2026-11-23")
    assert [c["name"] for c in data["clients"]] == ["Beta", "Gamma"]


def test_client_history_is_twelve_weeks_ending_with_the_key_week(any_engine, acme_db) -> None:
    acme.add_snapshot(any_engine, acme_db["acme"], date(2026, 11, 9), score=55, hours=12.5)
    data, statements = compute(any_engine, f"client_history:client:{acme_db['acme']}:2026-11-23")
    assert statements <= 5
    weeks = data["weeks"]
    assert [w["week"] for w in weeks][:2] == ["2026-09-07", "2026-09-14"]
    assert len(weeks) == 12 and weeks[-1]["week"] == "2026-11-23"
    assert (weeks[-1]["score"], weeks[-1]["hours"], weeks[-1]["frozen"]) == (44, 29.0, False)
    assert (weeks[-2]["score"], weeks[-2]["hours"]) == (90, 26.0)
    assert (weeks[-3]["score"], weeks[-3]["hours"], weeks[-3]["frozen"]) == (55, 12.5, True)
    assert weeks[0]["hours"] == 0.0


def test_client_history_of_a_fully_frozen_past_needs_no_entry_queries(any_engine, acme_db) -> None:
    client_id = acme_db["acme"]
    for k in range(12):
        week = date.fromordinal(acme.LAST_WEEK.toordinal() - 7 * k)
        acme.add_snapshot(any_engine, client_id, week, score=60 + k, hours=float(k))
    data, statements = compute(any_engine, f"client_history:client:{client_id}:2026-11-16")
    assert statements == 2  # the client and its snapshots
    assert [w["score"] for w in data["weeks"]] == list(range(71, 59, -1))


def test_client_history_of_an_unknown_client_is_not_found(any_engine, acme_db) -> None:
    with pytest.raises(NotFound):
        compute(any_engine, "client_history:client:9999:2026-11-23")


def test_money_inside_client_rows_is_stripped_for_viewers_without_money(
    any_engine, acme_db
) -> None:
    data, _ = compute(any_engine, "client_data:org:0:2026-11-23")
    money = {"revenue_week", "effective_rate_week", "target_rate"}
    assert money <= set(data["clients"][0])
    stripped = strip_money("client_data", data)
    assert all(not money & set(row) for row in stripped["clients"])
    assert stripped["clients"][0]["hours_week"] == pytest.approx(29.0)


def test_the_ledger_reads_the_covering_index_on_sqlite(engine) -> None:
    acme.build(engine)
    with counting(engine) as statements, Session(engine) as session:
        compute_client_health(
            session, DashboardKey.parse("client_health:org:0:2026-11-23"), now=acme.NOW, tz=UTC_TZ
        )
    plans = []
    with Session(engine) as session:
        for statement in [s for s in statements if "time_entry" in s]:
            params = tuple(None for _ in range(statement.count("?")))  # a plan needs no values
            rows = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            plans.append(" | ".join(str(row[-1]) for row in rows))
    (running,) = [p for p in plans if "ux_entry_one_running" in p]
    (ledger,) = [p for p in plans if p != running]
    searches = [part for part in ledger.split(" | ") if "time_entry" in part]
    assert searches and all("ix_entry_project_time" in part for part in searches)
    assert all("project_id=? AND started_at>? AND started_at<?" in part for part in searches)
    assert "AUTOMATIC" not in ledger


def test_a_managers_scope_is_one_statement_and_their_viewer_two(any_engine, acme_db) -> None:
    with counting(any_engine) as statements, Session(any_engine) as session:
        viewer = load_viewer(session, acme_db["manager"])
        assert viewer is not None and len(statements) <= 2
        del statements[:]
        ids = manager_client_ids(session, viewer, now=acme.NOW)
    assert len(statements) == 1
    assert ids == {acme_db["acme"], acme_db["gamma"]}
