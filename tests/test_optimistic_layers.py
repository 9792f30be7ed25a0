"""The optimistic layer model on its own: a confirmed base, overlays on top, versions deciding."""

from __future__ import annotations

import copy

from workshub.ui.optimistic import (
    PENDING,
    AddNumber,
    InsertRow,
    Layers,
    MergeField,
    RemoveRow,
    SetField,
    UpdateRow,
    apply_ops,
)

TASKS = {
    "tasks": [{"id": 1, "status": "todo"}, {"id": 2, "status": "todo"}],
    "unread_count": 2,
    "running": None,
}


def statuses(data: dict[str, object]) -> list[tuple[object, object, bool]]:
    rows = data["tasks"]
    assert isinstance(rows, list)
    return [(r["id"], r["status"], bool(r.get(PENDING))) for r in rows]


def test_ops_change_a_copy_and_mark_what_they_touched() -> None:
    base = copy.deepcopy(TASKS)
    data = apply_ops(
        base,
        [
            UpdateRow("tasks", 2, {"status": "done"}),
            InsertRow("tasks", {"id": 3, "status": "doing"}, first=True),
            RemoveRow("tasks", 1),
            AddNumber("unread_count", -5),
            SetField("running", {"project": "Acme"}),
        ],
    )
    assert statuses(data) == [(3, "doing", True), (2, "done", True)]
    assert data["unread_count"] == 0  # never below the minimum
    assert data["running"] == {"project": "Acme", PENDING: True}
    assert base == TASKS  # nothing shared was mutated


def test_an_insert_with_a_known_key_replaces_in_place_and_missing_rows_are_ignored() -> None:
    base = {"pulses": [{"week": "2026-11-23", "rating": "green"}, {"week": "2026-11-16"}]}
    data = apply_ops(
        base,
        [
            InsertRow("pulses", {"week": "2026-11-23", "rating": "red"}, key="week", first=True),
            UpdateRow("pulses", "2020-01-06", {"rating": "amber"}, key="week"),
            RemoveRow("missing", 1),
            MergeField("running", {"note": "x"}),  # running is absent: nothing to merge
            AddNumber("hours", 1.5),  # absent: stays absent
        ],
    )
    assert data == {
        "pulses": [{"week": "2026-11-23", "rating": "red", PENDING: True}, {"week": "2026-11-16"}]
    }


def test_a_pending_overlay_shows_on_the_base_and_goes_with_a_base_that_has_its_write() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=10)
    layers.add("r1", [UpdateRow("tasks", 1, {"status": "done"})], now=0.0)
    assert layers.pending and layers.fields() == {"tasks"}
    assert statuses(layers.view())[0] == (1, "done", True)

    assert layers.confirm("r1", seq=12, now=0.1) is False  # committed as 12; the base is at 10
    assert statuses(layers.view())[0] == (1, "done", True)

    done = [{"id": 1, "status": "done"}, {"id": 2, "status": "todo"}]
    assert layers.merge_base({"tasks": done}, as_of=12) == ["r1"]
    assert not layers.pending
    assert statuses(layers.view())[0] == (1, "done", False)  # now the confirmed value


def test_a_push_older_than_the_write_never_clobbers_the_overlay() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=10)
    layers.add("r1", [UpdateRow("tasks", 1, {"status": "done"})], now=0.0)
    layers.confirm("r1", seq=15, now=0.1)
    # A recompute that started at seq 14 (before the write) arrives late, with another change.
    older = [{"id": 1, "status": "todo"}, {"id": 2, "status": "doing"}]
    assert layers.merge_base({"tasks": older}, as_of=14) == []
    assert statuses(layers.view()) == [(1, "done", True), (2, "doing", False)]
    # Only a base at least as new as the write settles it.
    assert layers.merge_base({"unread_count": 1}, as_of=15) == ["r1"]
    assert statuses(layers.view()) == [(1, "todo", False), (2, "doing", False)]


def test_rolling_back_one_edit_keeps_another_pending_one_on_the_same_list() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=3)
    layers.add("a", [UpdateRow("tasks", 1, {"status": "done"})], now=0.0)
    layers.add("b", [UpdateRow("tasks", 2, {"status": "doing"})], now=0.0)
    assert statuses(layers.view()) == [(1, "done", True), (2, "doing", True)]

    assert layers.rollback("a") is True
    assert statuses(layers.view()) == [(1, "todo", False), (2, "doing", True)]
    assert layers.rollback("a") is False  # already gone
    assert list(layers.overlays) == ["b"]


def test_later_overlays_apply_on_top_of_earlier_ones() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=0)
    layers.add("first", [UpdateRow("tasks", 1, {"status": "doing"})], now=0.0)
    layers.add("second", [UpdateRow("tasks", 1, {"status": "done"})], now=0.0)
    assert statuses(layers.view())[0] == (1, "done", True)
    layers.rollback("second")
    assert statuses(layers.view())[0] == (1, "doing", True)


def test_a_confirmation_that_arrives_after_its_push_settles_at_once() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=20)  # the push (as_of 20) beat the write's answer (seq 18)
    layers.add("r", [RemoveRow("tasks", 1)], now=0.0)
    assert layers.confirm("r", seq=18, now=0.0) is True
    assert not layers.pending


def test_a_write_that_changed_nothing_waits_for_nothing() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=5)
    layers.add("r", [UpdateRow("tasks", 1, {"status": "todo"})], now=0.0)
    assert layers.confirm("r", seq=None, now=0.0) is True
    assert layers.confirm("unknown", seq=9, now=0.0) is True


def test_an_overlay_that_waits_too_long_is_overdue_and_unconfirmed_ones_never_are() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=1)
    layers.add("slow", [RemoveRow("tasks", 1)], now=0.0)
    layers.add("waiting", [RemoveRow("tasks", 2)], now=0.0)
    layers.confirm("waiting", seq=50, now=1.0)
    assert layers.overdue(now=10.9, after=10.0) == []
    assert layers.overdue(now=11.0, after=10.0) == ["waiting"]
    assert layers.drop(["waiting", "nope"]) == ["waiting"]
    assert list(layers.overlays) == ["slow"]  # its write has not answered yet


def test_a_reset_drops_every_overlay_and_starts_the_versions_again() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=40)
    layers.add("r", [RemoveRow("tasks", 1)], now=0.0)
    assert layers.reset({"tasks": []}, as_of=30) == ["r"]
    assert layers.view() == {"tasks": []} and layers.as_of == 30


def test_the_base_as_of_never_goes_backwards() -> None:
    layers = Layers()
    layers.set_base(TASKS, as_of=9)
    layers.merge_base({"unread_count": 0}, as_of=4)
    assert layers.as_of == 9
