"""The reference cache keeps a value until a drop, and never keeps one loaded across a drop
(a recompute that read rows before an admin write committed)."""

from __future__ import annotations

from workshub.domain.reference_cache import ReferenceCache, ReferenceSlot

TERMS = ReferenceSlot[tuple[str, ...]]("terms")
PEOPLE = ReferenceSlot[tuple[str, ...]]("people")


def test_a_value_is_loaded_once_until_cleared() -> None:
    cache = ReferenceCache()
    loads: list[str] = []

    def load() -> tuple[str, ...]:
        loads.append("x")
        return ("a", "b")

    assert cache.view().get(TERMS, load) == ("a", "b")
    assert cache.view().get(TERMS, load) == ("a", "b")
    assert len(loads) == 1
    cache.clear()
    assert cache.view().get(TERMS, load) == ("a", "b")
    assert len(loads) == 2
    assert cache.stats() == {"values": 1, "hits": 1, "misses": 2, "clears": 1}


def test_slots_are_kept_apart() -> None:
    cache = ReferenceCache()
    view = cache.view()
    assert view.get(TERMS, lambda: ("fee",)) == ("fee",)
    assert view.get(PEOPLE, lambda: ("ann",)) == ("ann",)
    assert view.get(TERMS, lambda: ("other",)) == ("fee",)


def test_a_load_that_a_drop_overtook_is_used_once_but_not_kept() -> None:
    cache = ReferenceCache()
    view = cache.view()  # a recompute begins

    def load_then_admin_writes() -> tuple[str, ...]:
        cache.clear()  # the write's event arrives while the recompute still reads
        return ("old terms",)

    assert view.get(TERMS, load_then_admin_writes) == ("old terms",)
    assert cache.view().get(TERMS, lambda: ("new terms",)) == ("new terms",)


def test_a_view_taken_before_a_drop_keeps_nothing_afterwards() -> None:
    cache = ReferenceCache()
    early = cache.view()
    cache.clear()
    assert early.get(TERMS, lambda: ("stale",)) == ("stale",)
    assert cache.view().get(TERMS, lambda: ("fresh",)) == ("fresh",)
