"""Dashboard keys, data types, scopes and TTLs (SPEC §5) — the shared vocabulary of the
dashboard computations, the live store and the API.

A key is `{type}:{scope}:{id}[:{monday}]`, e.g. `metrics:team:3:2026-11-23`,
`metrics:org:0:2026-11-23`, `today:user:17`. `today` and `active_timers` carry no week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = [
    "DATA_TYPES",
    "MONEY_FIELDS",
    "NESTED_MONEY",
    "SCOPES",
    "TTL_SECONDS",
    "WEEKLESS_TYPES",
    "DashboardKey",
    "ttl_for",
]

DATA_TYPES = (
    "metrics",
    "team_data",
    "client_data",
    "active_timers",
    "today",
    "client_health",
    "utilization_trend",
    "client_history",
)

TTL_SECONDS: dict[str, int] = {
    "metrics": 300,
    "team_data": 180,
    "client_data": 600,
    "active_timers": 30,
    "today": 30,
    "client_health": 600,
    "utilization_trend": 600,
    "client_history": 600,
}
DEFAULT_TTL_SECONDS = 300

# Which scopes each data type may be computed for. `manager` means "a manager's clients";
# its id is the manager's user id.
SCOPES: dict[str, tuple[str, ...]] = {
    "metrics": ("org", "team"),
    "team_data": ("team", "org"),
    "client_data": ("org", "manager"),
    "active_timers": ("team", "org"),
    "today": ("user",),
    "client_health": ("org", "manager"),
    "utilization_trend": ("org", "team"),
    "client_history": ("client",),
}

WEEKLESS_TYPES = frozenset({"today", "active_timers"})

# Top-level snapshot fields that are money: stripped for viewers who may not see money
# (team_member, manager). Nested money (per-row) is in NESTED_MONEY.
MONEY_FIELDS: dict[str, frozenset[str]] = {
    "metrics": frozenset({"revenue", "effective_rate"}),
}

# Money inside rows, as dotted paths; `*` is every item of a list (compute.money_paths).
NESTED_MONEY: dict[str, tuple[str, ...]] = {
    "client_data": (
        "clients.*.revenue_week",
        "clients.*.effective_rate_week",
        "clients.*.target_rate",
    ),
}


def ttl_for(data_type: str) -> int:
    return TTL_SECONDS.get(data_type, DEFAULT_TTL_SECONDS)


@dataclass(frozen=True, slots=True, order=True)
class DashboardKey:
    type: str
    scope: str
    scope_id: int
    week: date | None = None

    def __post_init__(self) -> None:
        if self.type not in SCOPES:
            raise ValueError(f"unknown dashboard type {self.type!r}")
        if self.scope not in SCOPES[self.type]:
            raise ValueError(f"{self.type} has no scope {self.scope!r}")
        if (self.week is None) != (self.type in WEEKLESS_TYPES):
            raise ValueError(f"{self.type} {'takes no' if self.week else 'needs a'} week")
        if self.week is not None and self.week.weekday() != 0:
            raise ValueError("a key's week is its Monday")

    def __str__(self) -> str:
        base = f"{self.type}:{self.scope}:{self.scope_id}"
        return f"{base}:{self.week.isoformat()}" if self.week else base

    @classmethod
    def parse(cls, text: str) -> DashboardKey:
        parts = text.split(":")
        if len(parts) not in (3, 4):
            raise ValueError(f"not a dashboard key: {text!r}")
        week = date.fromisoformat(parts[3]) if len(parts) == 4 else None
        return cls(parts[0], parts[1], int(parts[2]), week)

    @property
    def ttl(self) -> int:
        return ttl_for(self.type)
