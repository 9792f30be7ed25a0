"""Percentiles, and when each dashboard had each write: the first state of the watched element,
received after the write was sent, that shows the write (a started entry present; a stopped
entry gone, after the dashboard had shown it)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Expected", "arrivals", "percentile", "summary"]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Iterable[float], *, digits: int = 2) -> dict[str, Any]:
    """n, p50, p95, p99, max and mean of `values` (milliseconds, say), rounded."""
    data = list(values)

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "n": len(data),
        "p50": r(percentile(data, 50)),
        "p95": r(percentile(data, 95)),
        "p99": r(percentile(data, 99)),
        "max": r(max(data) if data else None),
        "mean": r(sum(data) / len(data) if data else None),
    }


@dataclass(frozen=True)
class Expected:
    """What a write should make every dashboard show: entry `entry_id` present or gone."""

    sent_at: float
    entry_id: Any
    present: bool


def arrivals(
    expected: Sequence[Expected], states: Sequence[tuple[float, Sequence[Any]]]
) -> list[float | None]:
    """For one dashboard's states (time-ordered), when each expected change reached it."""
    times = [at for at, _rows in states]
    first_seen: dict[Any, float] = {}
    for at, rows in states:
        for key in rows:
            first_seen.setdefault(key, at)
    found: list[float | None] = []
    for want in expected:
        start = bisect.bisect_left(times, want.sent_at)
        if not want.present:  # gone only counts once the dashboard had shown it
            shown = first_seen.get(want.entry_id)
            if shown is None:
                found.append(None)
                continue
            start = max(start, bisect.bisect_right(times, shown))
        hit = next(
            (
                times[i]
                for i in range(start, len(states))
                if (want.entry_id in states[i][1]) == want.present
            ),
            None,
        )
        found.append(hit)
    return found
