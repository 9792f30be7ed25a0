"""The database layer: engines for SQLite (embedded default) and PostgreSQL, one UTC column type,
and the write gate that queues this process's SQLite writers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

__all__ = [
    "BUSY_TIMEOUT_S",
    "UTCDateTime",
    "WriteGate",
    "create_db_engine",
    "is_sqlite",
    "one_writer",
    "session_scope",
    "write_gate",
]

BUSY_TIMEOUT_S = 30.0
# Threads that may hold a connection at once: FastAPI's thread pool (40), NiceGUI's and
# asyncio's executors. A request holds one connection at a time, so waiting is never a deadlock;
# the pool is sized so it is rarely a wait either.
_SQLITE_POOL_SIZE = 20
_SQLITE_POOL_OVERFLOW = 40
_GATE_OPTION = "workshub_write_gate"


class UTCDateTime(TypeDecorator[datetime]):
    """Every instant is stored as naive UTC on both SQLite and PostgreSQL.

    Values going in must be timezone-aware (a naive value is a bug, not a guess); values
    coming out are aware UTC datetimes.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: WorksHub stores aware instants only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("sqlite")


def _normalise_url(url: str) -> str:
    # Plain `postgresql://` URLs mean psycopg 3 here (the only driver we ship).
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


class WriteGate:
    """One write transaction at a time in this process, waiting in a queue.

    SQLite has one writer. Without the gate, every `BEGIN IMMEDIATE` that finds the lock taken
    sleeps in SQLite's busy handler (1, 2, 5 … 100 ms naps) and retries, so under load writers
    mostly sleep while the lock is free, and a burst of them can starve for seconds. Behind the
    gate a writer starts the moment the previous one commits. The busy handler still guards
    against other processes (the CLI, a second server). A thread that already holds the gate
    (a nested write) does not wait for itself: SQLite's busy timeout decides, as before.
    """

    def __init__(self, *, timeout: float = BUSY_TIMEOUT_S) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._timeout = timeout

    @contextmanager
    def hold(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._owner == me:
            yield
            return
        # Past the timeout, go ahead anyway: SQLite's own lock still keeps writes one at a time.
        acquired = self._lock.acquire(timeout=self._timeout)
        if acquired:
            self._owner = me
        try:
            yield
        finally:
            if acquired:
                self._owner = None
                self._lock.release()


def write_gate(engine: Engine) -> WriteGate | None:
    """The engine's write gate (SQLite engines made by `create_db_engine`), else None."""
    gate = engine.get_execution_options().get(_GATE_OPTION)
    return gate if isinstance(gate, WriteGate) else None


@contextmanager
def one_writer(engine: Engine) -> Iterator[None]:
    """Hold the engine's write gate (if it has one) around a write transaction: enter before
    `BEGIN IMMEDIATE`, leave after the commit or rollback."""
    gate = write_gate(engine)
    if gate is None:
        yield
        return
    with gate.hold():
        yield


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    url = _normalise_url(url)
    if not is_sqlite(url):
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
        "execution_options": {_GATE_OPTION: WriteGate()},
    }
    if url in {"sqlite://", "sqlite:///:memory:"}:
        kwargs["poolclass"] = StaticPool
    else:
        kwargs |= {"pool_size": _SQLITE_POOL_SIZE, "max_overflow": _SQLITE_POOL_OVERFLOW}
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy manage transactions (pysqlite's implicit ones defer BEGIN badly).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        # Writers take the lock up front (IMMEDIATE): a deferred reader-turned-writer would
        # fail with "database is locked" instead of waiting. Readers stay deferred (WAL).
        # `sqlite_begin=None`: no transaction at all, each statement on its own (for a lookup
        # of one statement: two calls into SQLite fewer, BEGIN and ROLLBACK).
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error. A `write`
    session takes SQLite's write lock up front, behind the engine's write gate."""
    with (
        one_writer(engine) if write else _nothing(),
        Session(engine, expire_on_commit=False) as session,
    ):
        if write:
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def _nothing() -> Iterator[None]:
    yield
