"""The one entry point for computing a dashboard snapshot, and the money filter for viewers
who may not see money (SPEC §2, §5).

A snapshot always holds every field; `strip_money` removes money on the way out, so one
computation serves every viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from workshub.domain.dashboards import clients, keys, people
from workshub.domain.dashboards.keys import DashboardKey
from workshub.domain.project_history import HistoryReader

__all__ = ["Compute", "compute_snapshot", "money_paths", "strip_money"]


class Compute(Protocol):
    """What every dashboard computation looks like."""

    def __call__(
        self,
        session: Session,
        key: DashboardKey,
        /,
        *,
        now: datetime,
        tz: ZoneInfo,
        history: HistoryReader | None = None,
    ) -> dict[str, Any]: ...


_COMPUTERS: dict[str, Compute] = {
    "metrics": people.compute_metrics,
    "team_data": people.compute_team_data,
    "active_timers": people.compute_active_timers,
    "today": people.compute_today,
    "utilization_trend": people.compute_utilization_trend,
    "client_data": clients.compute_client_data,
    "client_health": clients.compute_client_health,
    "client_history": clients.compute_client_history,
}


def compute_snapshot(
    session: Session,
    key: DashboardKey,
    *,
    now: datetime,
    tz: ZoneInfo,
    history: HistoryReader | None = None,
) -> dict[str, Any]:
    """Compute the snapshot data for `key` as of `now` (the snapshot's computed_at). With
    `history` (taken before `session` first read), hours before the current week come from
    its cache; the snapshot is the same either way."""
    compute = _COMPUTERS.get(key.type)
    if compute is None:
        raise ValueError(f"no computation for dashboard type {key.type!r}")
    return compute(session, key, now=now, tz=tz, history=history)


def money_paths(data_type: str) -> tuple[tuple[str, ...], ...]:
    """Where money sits in a snapshot of `data_type`: the top-level `keys.MONEY_FIELDS`, plus
    the dotted paths of `keys.NESTED_MONEY` ("clients.*.revenue_week": `*` is every item of a
    list, or every value of a mapping)."""
    top = [(name,) for name in sorted(keys.MONEY_FIELDS.get(data_type, ()))]
    nested = [tuple(path.split(".")) for path in keys.NESTED_MONEY.get(data_type, ())]
    return (*top, *nested)


def _without(node: Any, path: Sequence[str]) -> Any:
    """`node` without what `path` names; copies only along the path (snapshots are shared)."""
    head, rest = path[0], path[1:]
    if head == "*":
        if not rest:
            return node
        if isinstance(node, list):
            return [_without(child, rest) for child in node]
        if isinstance(node, dict):
            return {name: _without(child, rest) for name, child in node.items()}
        return node
    if not isinstance(node, dict) or head not in node:
        return node
    copied = dict(node)
    if rest:
        copied[head] = _without(node[head], rest)
    else:
        del copied[head]
    return copied


def strip_money(data_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """A copy of snapshot `data` without money, for viewers who may not see it."""
    stripped: dict[str, Any] = dict(data)
    for path in money_paths(data_type):
        stripped = _without(stripped, path)
    return stripped
