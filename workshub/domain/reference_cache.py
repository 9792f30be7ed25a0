"""Reference rows kept between recomputes: project terms, the people roster, clients with
their projects (SPEC §9: the update after one write must not rebuild them).

They change only through admin writes, each of which publishes `ReferenceChanged`, so any
such event drops them all; writes behind the services' back call `ProjectHistory.clear`.
Like `closed_cache`, a `ReferenceView` is taken before a recompute's transaction starts and
refuses to keep what it loaded once a drop came after it: rows read before an admin write
committed never outlive that write's event. Values are shared between threads, so they are
tuples of frozen rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["ReferenceCache", "ReferenceSlot", "ReferenceView"]

T = TypeVar("T")


class ReferenceSlot(Generic[T]):
    """The name of one kind of cached value, typed by what its loader returns."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ReferenceSlot({self.name!r})"


class ReferenceCache:
    """Slot → value, all dropped together."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._epoch = 0
        self._hits = self._misses = self._clears = 0

    def view(self) -> ReferenceView:
        with self._lock:
            return ReferenceView(self, self._epoch)

    def get(self, slot: ReferenceSlot[T], load: Callable[[], T], *, epoch: int) -> T:
        """The slot's value, loaded (outside the lock) and kept when missing — unless a drop
        came after `epoch`, when the load may predate the write that caused it."""
        with self._lock:
            if slot.name in self._values:
                self._hits += 1
                return self._values[slot.name]
            self._misses += 1
        value = load()
        with self._lock:
            if self._epoch == epoch:
                self._values.setdefault(slot.name, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._epoch += 1
            self._clears += 1

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "values": len(self._values),
                "hits": self._hits,
                "misses": self._misses,
                "clears": self._clears,
            }


class ReferenceView:
    """A recompute's access to a `ReferenceCache`."""

    __slots__ = ("_cache", "_epoch")

    def __init__(self, cache: ReferenceCache, epoch: int) -> None:
        self._cache = cache
        self._epoch = epoch

    def get(self, slot: ReferenceSlot[T], load: Callable[[], T]) -> T:
        return self._cache.get(slot, load, epoch=self._epoch)
