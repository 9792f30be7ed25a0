"""People's hours per window with the stopped part from `ProjectHistory`'s cache: a
12-week trend or a week's metrics read only the windows an event dropped, plus running
timers — the same figures `queries.window_hours` reads whole every time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session

from workshub.domain.closed_cache import CacheView
from workshub.domain.metrics import Hours, entry_seconds
from workshub.domain.project_history import PersonWindow
from workshub.domain.queries import RunningEntry, Window, closed_hours

__all__ = ["cached_window_hours"]


def cached_window_hours(
    session: Session,
    windows: Sequence[Window],
    running: Iterable[RunningEntry],
    *,
    now: datetime,
    cache: CacheView[PersonWindow, Hours],
) -> dict[tuple[int, int], Hours]:
    """Hours per (key, user_id): stopped entries from the cache or one SQL query for the
    windows it lacks (then kept), running ones up to `now`."""
    by_span: dict[PersonWindow, list[Window]] = defaultdict(list)
    for window in windows:
        by_span[(window.lo, window.hi)].append(window)
    hours: dict[tuple[int, int], Hours] = {}
    missing: list[Window] = []
    for span, group in by_span.items():
        found = cache.get(span, (window.user_id for window in group))
        for window in group:
            cached = found.get(window.user_id)
            if cached is None:
                missing.append(window)
            elif cached.tracked_s or cached.billable_s:
                hours[(window.key, window.user_id)] = cached
    if missing:
        fresh = closed_hours(session, missing)
        read: dict[PersonWindow, dict[int, Hours]] = defaultdict(dict)
        for window in missing:
            slot = (window.key, window.user_id)
            read[(window.lo, window.hi)][window.user_id] = fresh.get(slot, Hours())
            if slot in fresh:
                hours[slot] = fresh[slot]
        for span, sums in read.items():
            cache.put(span, sums)
    _add_running(hours, windows, running, now=now)
    return hours


def _add_running(
    hours: dict[tuple[int, int], Hours],
    windows: Sequence[Window],
    running: Iterable[RunningEntry],
    *,
    now: datetime,
) -> None:
    """As `queries.window_hours` does: each running entry counts up to now in its window."""
    by_user: dict[int, list[Window]] = defaultdict(list)
    for window in windows:
        by_user[window.user_id].append(window)
    for entry in running:
        for window in by_user.get(entry.user_id, ()):
            if window.lo <= entry.started_at < window.hi:
                seconds = entry_seconds(duration_s=None, started_at=entry.started_at, now=now)
                extra = Hours(seconds, seconds if entry.billable else 0.0)
                slot = (window.key, entry.user_id)
                hours[slot] = hours.get(slot, Hours()) + extra
