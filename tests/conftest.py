"""Shared fixtures: a migrated database (SQLite, and PostgreSQL when CI points us at it),
a fake clock, and the composition root built on both."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from workshub.app import System, build_system
from workshub.clock import FakeClock
from workshub.db import create_db_engine
from workshub.migrate import upgrade_database
from workshub.settings import Settings

POSTGRES_URL = os.environ.get("WORKSHUB_TEST_POSTGRES_URL")
POSTGRES_SKIP = "PostgreSQL tests need WORKSHUB_TEST_POSTGRES_URL (CI sets it)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI must set WORKSHUB_TEST_POSTGRES_URL: PostgreSQL tests may not skip"
        )


@pytest.fixture
def clock() -> FakeClock:
    # Wednesday 25 Nov 2026, 10:00 UTC: mid-week, so week-to-date has three working days.
    return FakeClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))


def _sqlite_engine(tmp_path: Path) -> Engine:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade_database(engine)
    return engine


def _postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip(POSTGRES_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_db_engine(POSTGRES_URL)

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET search_path TO "{schema}"')
        cursor.close()
        dbapi_connection.commit()

    try:
        upgrade_database(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a temporary folder."""
    engine = _sqlite_engine(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A migrated PostgreSQL schema of its own (skips without WORKSHUB_TEST_POSTGRES_URL)."""
    yield from _postgres_engine()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = _sqlite_engine(tmp_path)
        yield engine
        engine.dispose()
    else:
        yield from _postgres_engine()


def make_system(engine: Engine, clock: FakeClock, tmp_path: Path, tz: str = "UTC") -> System:
    settings = Settings(data_dir=tmp_path / "data", timezone=tz, secret="test-secret")
    return build_system(settings, clock=clock, engine=engine, migrate=False)


@pytest.fixture
def system(engine: Engine, clock: FakeClock, tmp_path: Path) -> System:
    return make_system(engine, clock, tmp_path)
