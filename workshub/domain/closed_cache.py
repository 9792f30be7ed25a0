"""Sums of stopped entries kept between recomputes, per frame and per owner (a project or a
person), dropped when an entry event says they may have changed.

A frame says which stretch of time the sums cover (a ledger's cuts, a person's week); a
`counts` predicate says whether an entry that started at a given instant is in an owner's
sums of that frame. Recomputes run in worker threads and events arrive on the event loop, so
every access holds a lock; and because a recompute's reads may predate a write whose event
arrives while it runs, a `CacheView` taken before the recompute's transaction refuses to store
anything for an owner dropped since.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["CacheView", "ClosedCache"]

F = TypeVar("F", bound=Hashable)
V = TypeVar("V")


class ClosedCache(Generic[F, V]):
    """Owner id → sums, per frame; the least recently used frames go first."""

    def __init__(self, *, counts: Callable[[F, V, datetime], bool], max_frames: int) -> None:
        self._counts = counts
        self._max_frames = max_frames
        self._lock = threading.Lock()
        self._frames: OrderedDict[F, dict[int, V]] = OrderedDict()
        self._epoch = 0
        self._dropped: dict[int, int] = {}  # owner id -> epoch of its last drop
        self._cleared = 0  # epoch of the last `clear`
        self._hits = self._misses = self._drops = 0

    def view(self) -> CacheView[F, V]:
        with self._lock:
            return CacheView(self, self._epoch)

    def get(
        self, frame: F, owners: Iterable[int], *, fits: Callable[[int, V], bool] | None = None
    ) -> dict[int, V]:
        """The cached sums of those owners in the frame (that `fits` accepts)."""
        found: dict[int, V] = {}
        asked = 0
        with self._lock:
            sums = self._frames.get(frame)
            if sums is not None:
                self._frames.move_to_end(frame)
            for owner in owners:
                asked += 1
                value = None if sums is None else sums.get(owner)
                if value is not None and (fits is None or fits(owner, value)):
                    found[owner] = value
            self._hits += len(found)
            self._misses += asked - len(found)
        return found

    def put(self, frame: F, sums: Mapping[int, V], *, epoch: int) -> None:
        """Keep what a recompute read, except for owners dropped after it began (`epoch`)."""
        if not sums:
            return
        with self._lock:
            if self._cleared > epoch:
                return
            kept = self._frames.get(frame)
            if kept is None:
                kept = self._frames[frame] = {}
                while len(self._frames) > self._max_frames:
                    self._frames.popitem(last=False)
            else:
                self._frames.move_to_end(frame)
            for owner, value in sums.items():
                if self._dropped.get(owner, 0) <= epoch:
                    kept[owner] = value

    def entry_changed(self, owner: int, started_at: datetime) -> None:
        """A stopped entry of the owner that started at `started_at` appeared, changed or
        went: drop the sums that counted (or would count) it, and refuse what recomputes
        already under way read of that owner."""
        with self._lock:
            self._epoch += 1
            self._dropped[owner] = self._epoch
            for frame, sums in self._frames.items():
                value = sums.get(owner)
                if value is not None and self._counts(frame, value, started_at):
                    del sums[owner]
                    self._drops += 1

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._epoch += 1
            self._cleared = self._epoch

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "frames": len(self._frames),
                "sums": sum(len(sums) for sums in self._frames.values()),
                "hits": self._hits,
                "misses": self._misses,
                "drops": self._drops,
            }


class CacheView(Generic[F, V]):
    """A recompute's access to a `ClosedCache`: what it stores is refused for any owner
    dropped after the view was taken."""

    __slots__ = ("_cache", "_epoch")

    def __init__(self, cache: ClosedCache[F, V], epoch: int) -> None:
        self._cache = cache
        self._epoch = epoch

    def get(
        self, frame: F, owners: Iterable[int], *, fits: Callable[[int, V], bool] | None = None
    ) -> dict[int, V]:
        return self._cache.get(frame, owners, fits=fits)

    def put(self, frame: F, sums: Mapping[int, V]) -> None:
        self._cache.put(frame, sums, epoch=self._epoch)
