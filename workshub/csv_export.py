"""CSV exports, as Harvest and Kimai users expect them: time entries for a period and scope (the
API's `/time-entries.csv` and the download buttons on /today and /team share this code), and the
dashboard tables (team members, client health, budget burn) from a snapshot's data.

Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is quoted
with a leading apostrophe (CSV injection); numbers stay numbers. Entry reads go through
`list_entries`, so an export sees exactly what the viewer may read. Reads block: call them off
the event loop.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workshub.domain.scope import Viewer
from workshub.domain.services import listing

__all__ = [
    "CSV_MEDIA_TYPE",
    "ENTRY_COLUMNS",
    "budget_burn_csv",
    "client_health_csv",
    "entries_filename",
    "entry_columns",
    "entry_rows_csv",
    "export_entries",
    "iter_entries_csv",
    "safe_cell",
    "team_members_csv",
]

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
ENTRY_COLUMNS = (
    "id",
    "user_id",
    "user_name",
    "project_id",
    "project_name",
    "client_id",
    "client_name",
    "started_at",
    "ended_at",
    "duration_s",
    "hours",
    "billable",
    "note",
    "source",
    "version",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Column = tuple[str, str]  # (header, key of the row)


def safe_cell(value: Any) -> Any:
    """One cell: formula-like text quoted, booleans as true/false, None empty."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _csv(header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header is not None:
        writer.writerow(header)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


# --- time entries --------------------------------------------------------------------------------


def entry_columns(*, money: bool) -> tuple[str, ...]:
    """The entry columns; the rate in force only for those who see money (slt, admin)."""
    return (*ENTRY_COLUMNS, "bill_rate") if money else ENTRY_COLUMNS


def entry_rows_csv(rows: Iterable[Mapping[str, Any]], *, money: bool, header: bool) -> str:
    """`list_entries` rows as CSV text, with the header line when `header`."""
    columns = entry_columns(money=money)

    def values(row: Mapping[str, Any]) -> list[Any]:
        seconds = row.get("duration_s")
        with_hours = {**row, "hours": round(seconds / 3600, 4) if seconds else None}
        return [with_hours.get(name) for name in columns]

    return _csv(columns if header else None, (values(row) for row in rows))


def iter_entries_csv(
    engine: Engine,
    viewer: Viewer,
    *,
    first: date,
    last: date,
    tz: ZoneInfo,
    user_id: int | None = None,
    team_id: int | None = None,
    cursor: str | None = None,
) -> Iterator[str]:
    """The header and the first page (from `cursor`, if given), then one chunk per further
    page: a year of entries streams without being held. A bad filter raises on the first
    `next()`, before any output."""
    header = True
    while True:
        with Session(engine) as session:
            page, cursor = listing.list_entries(
                session,
                viewer,
                first=first,
                last=last,
                tz=tz,
                user_id=user_id,
                team_id=team_id,
                limit=listing.MAX_ENTRY_LIMIT,
                cursor=cursor,
            )
        yield entry_rows_csv(page, money=viewer.sees_money, header=header)
        header = False
        if cursor is None:
            return


def export_entries(
    engine: Engine,
    viewer: Viewer,
    *,
    first: date,
    last: date,
    tz: ZoneInfo,
    user_id: int | None = None,
    team_id: int | None = None,
) -> bytes:
    """The whole export as UTF-8 bytes (for a page's download): the API's CSV, byte for byte."""
    chunks = iter_entries_csv(
        engine, viewer, first=first, last=last, tz=tz, user_id=user_id, team_id=team_id
    )
    return "".join(chunks).encode("utf-8")


def entries_filename(first: date, last: date, *, scope: str = "") -> str:
    """`time-entries-2026-11-23-2026-11-29.csv`; a scope (`team-3`) goes before the dates."""
    label = f"time-entries-{scope}-" if scope else "time-entries-"
    return f"{label}{first.isoformat()}-{last.isoformat()}.csv"


# --- dashboard tables ---------------------------------------------------------------------------


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def team_members_csv(members: Iterable[Mapping[str, Any]], *, tz: ZoneInfo) -> bytes:
    """team_data's members as the /team table lists them; utilization is a fraction (0.83)."""
    header = (
        "Person",
        "Hours",
        "Billable hours",
        "Capacity",
        "Utilization",
        "Timer project",
        "Timer client",
        "Timer since",
        "Overdue tasks",
    )

    def row(member: Mapping[str, Any]) -> list[Any]:
        running = member.get("running") or {}
        since = running.get("since")
        return [
            member["name"],
            _hours(member.get("hours")),
            _hours(member.get("billable_hours")),
            _hours(member.get("capacity")),
            _ratio(member.get("utilization")),
            running.get("project"),
            running.get("client"),
            _local(since, tz) if since else None,
            member.get("overdue_tasks", 0),
        ]

    return _csv(header, (row(m) for m in members)).encode("utf-8")


def _local(iso: str, tz: ZoneInfo) -> str:
    instant = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return instant.astimezone(tz).isoformat(timespec="minutes")


HEALTH_COMPONENTS = ("pace", "overservice", "rate", "volatility", "pulse")
RAG_ORDER = {"red": 0, "amber": 1, "green": 2}


def client_health_csv(clients: Iterable[Mapping[str, Any]]) -> bytes:
    """client_health's clients, worst first as /leadership lists them: score, RAG, change vs
    the previous week, the component scores (0–100) and what drove them."""
    header = (
        "Client",
        "Score",
        "RAG",
        "Change vs last week",
        *(name.capitalize() for name in HEALTH_COMPONENTS),
        "Worst pace",
        "Worst retainer load",
        "Rate vs target",
        "Hours",
        "Latest pulse",
    )

    def row(client: Mapping[str, Any]) -> list[Any]:
        parts = client.get("components") or {}
        scores = [None if parts.get(n) is None else round(parts[n], 1) for n in HEALTH_COMPONENTS]
        return [
            client["name"],
            client.get("score"),
            client.get("rag"),
            client.get("change"),
            *scores,
            _ratio(parts.get("worst_pace")),
            _ratio(parts.get("worst_overservice")),
            _ratio(parts.get("rate_ratio")),
            _hours(parts.get("hours")),
            parts.get("pulse_rating"),
        ]

    ordered = sorted(
        clients,
        key=lambda c: (
            RAG_ORDER.get(c.get("rag") or "", -1),
            101 if c.get("score") is None else c["score"],
        ),
    )
    return _csv(header, (row(c) for c in ordered)).encode("utf-8")


def budget_burn_csv(clients: Iterable[Mapping[str, Any]]) -> bytes:
    """client_data's budgeted projects, fastest pace first (as the budget burn table lists them);
    burn, elapsed and pace are fractions (1.2 = 120 %)."""
    header = (
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
    )
    rows = [
        [
            client["name"],
            project["name"],
            project.get("billing_model"),
            project.get("budget_period"),
            _hours(project.get("budget_hours")),
            _hours(project.get("consumed_hours")),
            _hours(project.get("hours_week")),
            _ratio(project.get("burn_pct")),
            _ratio(project.get("elapsed")),
            _ratio(project.get("pace")),
        ]
        for client in clients
        for project in client.get("projects") or []
        if project.get("budget_hours") is not None
    ]
    rows.sort(key=lambda r: (r[9] is None, -(r[9] or 0.0), r[0], r[1]))
    return _csv(header, rows).encode("utf-8")
