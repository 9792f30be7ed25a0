"""Manual entries: validation that names the field, versions, scope per role, audit and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests import factories as f
from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import Forbidden, NotFound, ValidationFailed, VersionConflict
from workshub.domain.events import TimeEntryChanged
from workshub.domain.models import TimeEntry
from workshub.domain.services.entries import create_entry, delete_entry, update_entry

NINE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def test_create_stores_a_manual_entry_with_its_rate_audit_and_event(world: World) -> None:
    me = world.viewer(world.member)
    berlin = NINE.astimezone(ZoneInfo("Europe/Berlin"))
    with world.uow(world.member) as uow:
        entry = create_entry(
            uow,
            me,
            project_id=world.project.id,
            started_at=berlin,
            ended_at=NINE + timedelta(hours=2),
        )
    row = world.get(TimeEntry, entry.id)
    assert (row.started_at, row.duration_s, row.source, row.billable) == (
        NINE,
        7200,
        "manual",
        True,
    )
    assert row.bill_rate == 120.0 and row.version == 1
    [audit] = world.audits("entry.create")
    assert audit.after is not None and audit.after["started_at"] == "2026-11-24T09:00:00Z"
    [event] = world.events
    assert isinstance(event, TimeEntryChanged) and event.change == "created"
    assert [r.client_id for r in event.refs] == [world.client.id]


@pytest.mark.parametrize(
    ("started_at", "ended_at", "field"),
    [
        (NINE, NINE, "ended_at"),
        (NINE, NINE - timedelta(minutes=1), "ended_at"),
        (NINE, NINE + timedelta(hours=24, seconds=1), "ended_at"),
        (
            datetime(2026, 11, 25, 11, tzinfo=UTC),
            datetime(2026, 11, 25, 12, tzinfo=UTC),
            "started_at",
        ),
        (datetime(2026, 11, 24, 9), NINE + timedelta(hours=1), "started_at"),
        (NINE, datetime(2026, 11, 24, 10), "ended_at"),
    ],
    ids=["empty", "backwards", "over-24h", "future", "naive-start", "naive-end"],
)
def test_invalid_spans_name_the_field(
    world: World, started_at: datetime, ended_at: datetime, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        create_entry(
            uow,
            world.viewer(world.member),
            project_id=world.project.id,
            started_at=started_at,
            ended_at=ended_at,
        )
    assert raised.value.status == 422 and list(raised.value.fields or {}) == [field]
    assert world.count(TimeEntry) == 0 and world.events == []


def test_exactly_24_hours_is_allowed(world: World) -> None:
    with world.uow(world.member) as uow:
        entry = create_entry(
            uow,
            world.viewer(world.member),
            project_id=world.project.id,
            started_at=NINE - timedelta(hours=24),
            ended_at=NINE,
        )
    assert entry.duration_s == 86400


def test_other_fields_are_validated_by_name(world: World) -> None:
    me = world.viewer(world.member)
    span = {"started_at": NINE, "ended_at": NINE + timedelta(hours=1)}
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        create_entry(uow, me, project_id=world.archived.id, **span)
    assert list(raised.value.fields or {}) == ["project_id"]
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        create_entry(uow, me, project_id=world.project.id, note="x" * 2001, **span)
    assert list(raised.value.fields or {}) == ["note"]


def _entry(world: World, person=None, *, hours: float | None = 1.0) -> TimeEntry:
    return f.entry(world.engine, person or world.member, world.project, NINE, hours)


def test_update_moves_the_entry_bumps_its_version_and_reports_both_places(world: World) -> None:
    entry = _entry(world)
    with world.uow(world.member) as uow:
        updated = update_entry(
            uow,
            world.viewer(world.member),
            entry_id=entry.id,
            version=1,
            project_id=world.project_b.id,
            ended_at=NINE + timedelta(hours=3),
            note="Review",
        )
    assert (updated.version, updated.duration_s, updated.note) == (2, 10800, "Review")
    assert updated.bill_rate == 80.0  # project_b has no rate: the person's, fixed on save
    assert updated.updated_at == world.system.clock.now()
    [audit] = world.audits("entry.update")
    assert audit.before is not None and audit.after is not None
    assert (audit.before["version"], audit.after["version"]) == (1, 2)
    [event] = world.events
    assert isinstance(event, TimeEntryChanged) and event.change == "updated"
    assert [r.client_id for r in event.refs] == [world.client.id, world.client_b.id]


def test_a_stale_version_is_a_conflict_carrying_the_current_entry(world: World) -> None:
    entry = _entry(world)
    me = world.viewer(world.member)
    with world.uow(world.member) as uow:
        update_entry(uow, me, entry_id=entry.id, version=1, note="first")
    with pytest.raises(VersionConflict) as raised, world.uow(world.member) as uow:
        update_entry(uow, me, entry_id=entry.id, version=1, note="second")
    assert raised.value.status == 409
    assert raised.value.current is not None
    assert (raised.value.current["version"], raised.value.current["note"]) == (2, "first")
    assert "bill_rate" not in raised.value.current  # no money for a team member
    with pytest.raises(VersionConflict), world.uow(world.member) as uow:
        delete_entry(uow, me, entry_id=entry.id, version=1)
    assert world.get(TimeEntry, entry.id).note == "first"


def test_an_update_that_changes_nothing_keeps_the_version(world: World) -> None:
    entry = f.entry(world.engine, world.member, world.project, NINE, 1.0, bill_rate=120.0)
    with world.uow(world.member) as uow:
        same = update_entry(
            uow, world.viewer(world.member), entry_id=entry.id, version=1, note=entry.note
        )
    assert same.version == 1 and world.events == [] and world.audits("entry.update") == []


def test_a_running_entry_may_move_its_start_but_has_no_end(world: World) -> None:
    entry = f.entry(
        world.engine, world.member, world.project, datetime(2026, 11, 25, 9, tzinfo=UTC), None
    )
    me = world.viewer(world.member)
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        update_entry(uow, me, entry_id=entry.id, version=1, ended_at=NINE + timedelta(days=1))
    assert list(raised.value.fields or {}) == ["ended_at"]
    earlier = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    with world.uow(world.member) as uow:
        moved = update_entry(uow, me, entry_id=entry.id, version=1, started_at=earlier)
    assert moved.started_at == earlier and moved.ended_at is None and moved.version == 2
    with pytest.raises(ValidationFailed) as raised, world.uow(world.member) as uow:
        update_entry(uow, me, entry_id=entry.id, version=2, started_at=NINE - timedelta(days=1))
    assert list(raised.value.fields or {}) == ["started_at"]


def test_delete_removes_the_entry_and_says_where_it_was(world: World) -> None:
    entry = _entry(world)
    with world.uow(world.member) as uow:
        delete_entry(uow, world.viewer(world.member), entry_id=entry.id, version=1)
    assert world.get(TimeEntry, entry.id) is None
    [event] = world.events
    assert isinstance(event, TimeEntryChanged) and event.change == "deleted"
    assert event.refs[0].team_id == world.member.team_id
    [audit] = world.audits("entry.delete")
    assert audit.before is not None and audit.after is None


def test_a_member_cannot_touch_anothers_entry_and_cannot_tell_it_exists(world: World) -> None:
    theirs = _entry(world, world.other)
    me = world.viewer(world.member)
    with pytest.raises(NotFound) as hidden, world.uow(world.member) as uow:
        update_entry(uow, me, entry_id=theirs.id, version=1, note="mine now")
    with pytest.raises(NotFound) as missing, world.uow(world.member) as uow:
        update_entry(uow, me, entry_id=999_999, version=1, note="mine now")
    assert str(hidden.value) == str(missing.value)
    with pytest.raises(NotFound), world.uow(world.member) as uow:
        delete_entry(uow, me, entry_id=theirs.id, version=1)
    with pytest.raises(NotFound), world.uow(world.member) as uow:
        create_entry(
            uow,
            me,
            user_id=world.other.id,
            project_id=world.project.id,
            started_at=NINE,
            ended_at=NINE + timedelta(hours=1),
        )
    assert world.get(TimeEntry, theirs.id).version == 1


def test_a_manager_edits_led_teams_entries_only(world: World) -> None:
    mine_to_edit = _entry(world, world.member)
    elsewhere = _entry(world, world.other)
    boss = world.viewer(world.manager)
    with world.uow(world.manager) as uow:
        edited = update_entry(uow, boss, entry_id=mine_to_edit.id, version=1, billable=False)
    assert edited.billable is False
    with pytest.raises(NotFound), world.uow(world.manager) as uow:
        update_entry(uow, boss, entry_id=elsewhere.id, version=1, billable=False)
    with world.uow(world.manager) as uow:
        added = create_entry(
            uow,
            boss,
            user_id=world.member.id,
            project_id=world.internal.id,
            started_at=NINE,
            ended_at=NINE + timedelta(hours=1),
        )
    assert added.user_id == world.member.id and added.bill_rate == 80.0


def test_slt_reads_everyone_but_may_not_edit_them(world: World) -> None:
    theirs = _entry(world, world.member)
    with pytest.raises(Forbidden) as raised, world.uow(world.slt) as uow:
        update_entry(uow, world.viewer(world.slt), entry_id=theirs.id, version=1, note="x")
    assert raised.value.status == 403
    with world.uow(world.admin) as uow:
        update_entry(uow, world.viewer(world.admin), entry_id=theirs.id, version=1, note="x")
    assert world.get(TimeEntry, theirs.id).note == "x"
