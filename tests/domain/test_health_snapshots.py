"""Weekly client-health snapshots: freezing one week, a backlog, and reading them back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests import factories as f
from tests.domain import acme
from workshub.db import session_scope
from workshub.domain.dashboards.clients import compute_client_health, compute_client_history
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.health_snapshots import (
    freeze_past_weeks,
    freeze_week,
    last_freezable_week,
)
from workshub.domain.models import ClientHealthSnapshot

UTC_TZ = ZoneInfo("UTC")


@pytest.fixture
def acme_db(any_engine: Engine) -> dict[str, Any]:
    return acme.build(any_engine)


def snapshots(engine: Engine) -> dict[tuple[int, date], ClientHealthSnapshot]:
    with Session(engine) as session:
        rows = session.exec(select(ClientHealthSnapshot)).all()
    return {(row.client_id, row.week): row for row in rows}


def freeze(engine: Engine, week: date, *, now: datetime = acme.NOW) -> int:
    with session_scope(engine, write=True) as session:
        return freeze_week(session, week, now=now, tz=UTC_TZ)


def test_freezing_a_week_writes_one_snapshot_per_active_client(any_engine, acme_db) -> None:
    assert freeze(any_engine, acme.LAST_WEEK) == 3  # Acme, Beta, Gamma; Gone is archived
    rows = snapshots(any_engine)
    frozen = rows[acme_db["acme"], acme.LAST_WEEK]
    assert (frozen.score, frozen.rag) == (90, "green")
    assert frozen.components["hours"] == pytest.approx(26.0)
    assert frozen.components["volatility"] == pytest.approx(100 * (1 - 7.75 / 18.25) / 0.75)
    assert frozen.computed_at == acme.NOW
    assert (acme_db["gone"], acme.LAST_WEEK) not in rows


def test_freezing_again_overwrites(any_engine, acme_db) -> None:
    freeze(any_engine, acme.LAST_WEEK)
    assert freeze(any_engine, acme.LAST_WEEK) == 3
    assert len(snapshots(any_engine)) == 3


def test_a_week_is_not_frozen_before_the_tuesday_after_it(any_engine) -> None:
    monday_noon = datetime(2026, 11, 23, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="not over"):
        freeze(any_engine, acme.LAST_WEEK, now=monday_noon)
    assert last_freezable_week(now=monday_noon, tz=UTC_TZ) == date(2026, 11, 9)
    tuesday = datetime(2026, 11, 24, tzinfo=UTC)
    assert last_freezable_week(now=tuesday, tz=UTC_TZ) == acme.LAST_WEEK
    # 23:30 UTC on Monday is already Tuesday 00:30 in Berlin
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert last_freezable_week(now=late, tz=ZoneInfo("Europe/Berlin")) == acme.LAST_WEEK


def test_running_entries_count_up_to_the_freeze_instant(any_engine, acme_db) -> None:
    night_owl = f.user(any_engine, "n@x.test")
    with Session(any_engine) as session:
        beta_project = session.exec(
            select(f.Project).where(f.Project.client_id == acme_db["beta"])
        ).one()
    f.entry(any_engine, night_owl, beta_project, datetime(2026, 11, 22, 20, tzinfo=UTC), None)
    assert beta_hours_last_week(any_engine) == pytest.approx(62.0)  # live: up to now
    freeze(any_engine, acme.LAST_WEEK)
    frozen = snapshots(any_engine)[acme_db["beta"], acme.LAST_WEEK]
    assert frozen.components["hours"] == pytest.approx(28.0)  # Sun 20:00 → Tue 00:00
    assert beta_hours_last_week(any_engine) == pytest.approx(28.0)  # frozen beats live


def beta_hours_last_week(engine: Engine) -> float:
    with Session(engine) as session:
        data = compute_client_health(
            session,
            DashboardKey.parse("client_health:org:0:2026-11-16"),
            now=acme.NOW,
            tz=UTC_TZ,
        )
    return {c["name"]: c["components"]["hours"] for c in data["clients"]}["Beta"]


def test_freezing_the_backlog_covers_every_past_week_once(any_engine, acme_db) -> None:
    calls: list[tuple[int, int]] = []
    weeks = freeze_past_weeks(
        any_engine, now=acme.NOW, tz=UTC_TZ, progress=lambda *done: calls.append(done)
    )
    assert weeks == 4  # 26 Oct (the earliest entry) to 16 Nov
    assert calls == [(4, 4)]
    rows = snapshots(any_engine)
    assert {week for _, week in rows} == {
        date(2026, 10, 26),
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    }
    assert len(rows) == 12
    assert rows[acme_db["acme"], acme.LAST_WEEK].score == 90  # the same as computed live
    assert rows[acme_db["acme"], date(2026, 10, 26)].components["hours"] == pytest.approx(21.0)
    assert freeze_past_weeks(any_engine, now=acme.NOW, tz=UTC_TZ) == 0


def test_frozen_weeks_feed_the_dashboards(any_engine, acme_db) -> None:
    freeze_past_weeks(any_engine, now=acme.NOW, tz=UTC_TZ)
    with Session(any_engine) as session:
        health = compute_client_health(
            session, DashboardKey.parse("client_health:org:0:2026-11-23"), now=acme.NOW, tz=UTC_TZ
        )
        history = compute_client_history(
            session,
            DashboardKey.parse(f"client_history:client:{acme_db['acme']}:2026-11-23"),
            now=acme.NOW,
            tz=UTC_TZ,
        )
    assert {c["name"]: c["change"] for c in health["clients"]}["Acme"] == 44 - 90
    frozen = [w["week"] for w in history["weeks"] if w["frozen"]]
    assert frozen == ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]
    assert [w["hours"] for w in history["weeks"][-5:]] == pytest.approx([21, 26, 26, 26, 29])


def test_the_backlog_is_capped(any_engine, acme_db, monkeypatch) -> None:
    from workshub.domain import health_snapshots

    monkeypatch.setattr(health_snapshots, "MAX_BACKLOG_WEEKS", 2)
    assert freeze_past_weeks(any_engine, now=acme.NOW, tz=UTC_TZ) == 2
    assert {week for _, week in snapshots(any_engine)} == {date(2026, 11, 9), acme.LAST_WEEK}


def test_an_empty_database_has_nothing_to_freeze(any_engine) -> None:
    assert freeze_past_weeks(any_engine, now=acme.NOW, tz=UTC_TZ) == 0
