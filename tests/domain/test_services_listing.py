"""Lists behind the API: scope per role, keyset pages, local-date bounds, money per viewer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from tests import factories as f
from tests.conftest import make_system
from tests.domain.services_world import World, build_world
from workshub.domain.errors import Forbidden, NotFound, ValidationFailed
from workshub.domain.models import Notification, Task
from workshub.domain.services.listing import (
    get_entry,
    list_entries,
    list_notifications,
    list_tasks,
    list_time_off,
    unread_count,
)

UTC_TZ = ZoneInfo("UTC")
WEEK = (date(2026, 11, 23), date(2026, 11, 29))
NINE = datetime(2026, 11, 24, 9, tzinfo=UTC)


@pytest.fixture
def world(any_engine, clock, tmp_path) -> World:
    return build_world(make_system(any_engine, clock, tmp_path))


def _entries(world: World, person, *, tz: ZoneInfo = UTC_TZ, **options) -> list[dict]:
    with Session(world.engine) as session:
        rows, _ = list_entries(
            session, world.viewer(person), first=WEEK[0], last=WEEK[1], tz=tz, **options
        )
    return rows


def _owners(rows: list[dict]) -> set[int]:
    return {row["user_id"] for row in rows}


def test_each_role_lists_the_entries_in_its_scope(world: World) -> None:
    for person in (world.member, world.other, world.manager, world.slt):
        f.entry(world.engine, person, world.project, NINE, 1.0)
    member, manager, other = world.member.id, world.manager.id, world.other.id
    assert _owners(_entries(world, world.member)) == {member}
    assert _owners(_entries(world, world.manager)) == {member, manager}
    assert _owners(_entries(world, world.manager_b)) == {other}
    assert _owners(_entries(world, world.slt)) == {member, manager, other, world.slt.id}
    assert _owners(_entries(world, world.manager, user_id=member)) == {member}
    with pytest.raises(NotFound):
        _entries(world, world.member, user_id=other)
    with pytest.raises(NotFound):
        _entries(world, world.manager, user_id=other)


def test_rows_carry_names_and_money_only_for_those_who_see_it(world: World) -> None:
    f.entry(world.engine, world.member, world.project, NINE, 1.5, bill_rate=120.0)
    [row] = _entries(world, world.member)
    assert row["started_at"] == "2026-11-24T09:00:00Z" and row["ended_at"] == "2026-11-24T10:30:00Z"
    assert (row["user_name"], row["project_name"], row["client_name"]) == (
        "Member",
        "Website",
        "Acme",
    )
    assert row["client_id"] == world.client.id and "bill_rate" not in row
    [row] = _entries(world, world.admin)
    assert row["bill_rate"] == 120.0


def test_pages_follow_started_at_then_id_without_gaps_or_repeats(world: World) -> None:
    starts = [NINE, NINE, NINE + timedelta(hours=2), NINE - timedelta(hours=3), NINE]
    ids = [f.entry(world.engine, world.member, world.project, s, 0.5).id for s in starts]
    expected = [i for _, i in sorted(zip(starts, ids, strict=True))]
    seen: list[int] = []
    cursor = None
    with Session(world.engine) as session:
        for _ in range(5):
            rows, cursor = list_entries(
                session,
                world.viewer(world.member),
                first=WEEK[0],
                last=WEEK[1],
                tz=UTC_TZ,
                limit=2,
                cursor=cursor,
            )
            seen += [row["id"] for row in rows]
            if cursor is None:
                break
    assert seen == expected


def test_local_dates_bound_the_period_in_the_organisations_timezone(world: World) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on Sunday 22 Nov is 00:30 on Monday 23 Nov in Berlin: inside the week there.
    f.entry(
        world.engine, world.member, world.project, datetime(2026, 11, 22, 23, 30, tzinfo=UTC), 1
    )
    # 23:30 UTC on Sunday 29 Nov is already Monday 30 Nov in Berlin: outside.
    f.entry(
        world.engine, world.member, world.project, datetime(2026, 11, 29, 23, 30, tzinfo=UTC), 1
    )
    assert [r["started_at"] for r in _entries(world, world.member, tz=berlin)] == [
        "2026-11-22T23:30:00Z"
    ]
    assert [r["started_at"] for r in _entries(world, world.member)] == ["2026-11-29T23:30:00Z"]


@pytest.mark.parametrize(
    ("first", "last", "options", "field"),
    [
        (date(2026, 1, 1), date(2027, 1, 2), {}, "to"),  # 367 days
        (date(2026, 11, 29), date(2026, 11, 23), {}, "to"),
        (*WEEK, {"limit": 0}, "limit"),
        (*WEEK, {"limit": 1001}, "limit"),
        (*WEEK, {"cursor": "not-a-cursor"}, "cursor"),
        (*WEEK, {"cursor": "WzEsMl0"}, "cursor"),  # valid base64 of [1,2]
    ],
)
def test_list_arguments_are_validated_by_name(
    world: World, first: date, last: date, options: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised, Session(world.engine) as session:
        list_entries(
            session, world.viewer(world.member), first=first, last=last, tz=UTC_TZ, **options
        )
    assert list(raised.value.fields or {}) == [field]


def test_366_days_is_the_longest_period(world: World) -> None:
    with Session(world.engine) as session:
        rows, cursor = list_entries(
            session,
            world.viewer(world.member),
            first=date(2025, 11, 25),
            last=date(2026, 11, 25),
            tz=UTC_TZ,
        )
    assert rows == [] and cursor is None


def test_get_entry_hides_entries_outside_scope(world: World) -> None:
    theirs = f.entry(world.engine, world.other, world.project, NINE, 1)
    with Session(world.engine) as session:
        assert get_entry(session, world.viewer(world.manager_b), theirs.id)["id"] == theirs.id
        with pytest.raises(NotFound):
            get_entry(session, world.viewer(world.member), theirs.id)


def _add_task(world: World, assignee, project=None, **fields) -> Task:
    return f._add(
        world.engine,
        Task(
            project_id=(project or world.project).id,
            assignee_id=assignee.id if assignee else None,
            title=fields.pop("title", "Task"),
            **fields,
        ),
    )


def test_tasks_are_listed_per_scope_soonest_due_first(world: World) -> None:
    late = _add_task(world, world.member, due_on=date(2026, 12, 10))
    soon = _add_task(world, world.member, due_on=date(2026, 11, 26))
    undated = _add_task(world, world.member)
    theirs = _add_task(world, world.other)
    open_ours = _add_task(world, None)
    open_theirs = _add_task(world, None, project=world.project_b)
    now = world.system.clock.now()
    with Session(world.engine) as session:

        def ids(person, **options) -> list[int]:
            return [t["id"] for t in list_tasks(session, world.viewer(person), now=now, **options)]

        assert ids(world.member) == [soon.id, late.id, undated.id]
        assert set(ids(world.manager)) == {soon.id, late.id, undated.id, open_ours.id}
        assert set(ids(world.manager_b)) == {theirs.id, open_theirs.id}
        assert len(ids(world.slt)) == 6
        assert ids(world.slt, assignee_id=world.other.id) == [theirs.id]
        with pytest.raises(NotFound):
            ids(world.member, assignee_id=world.other.id)
        [row] = list_tasks(session, world.viewer(world.other), now=now)
    assert (row["project_name"], row["client_name"], row["assignee_name"]) == (
        "Website",
        "Acme",
        "Other",
    )


def test_notifications_are_own_and_newest_first(world: World) -> None:
    base = world.system.clock.now()
    for minutes, person in ((1, world.member), (2, world.member), (3, world.other)):
        f._add(
            world.engine,
            Notification(
                user_id=person.id,
                kind="k",
                title=f"t{minutes}",
                created_at=base + timedelta(minutes=minutes),
            ),
        )
    with Session(world.engine) as session:
        rows = list_notifications(session, world.viewer(world.member))
        assert [r["title"] for r in rows] == ["t2", "t1"]
        assert unread_count(session, world.viewer(world.member)) == 2
        assert rows[0]["created_at"] == "2026-11-25T10:02:00Z" and rows[0]["read_at"] is None


def test_time_off_is_listed_for_oneself_or_by_admin(world: World) -> None:
    f.time_off(world.engine, world.member, date(2026, 11, 27), 4)
    f.time_off(world.engine, world.member, date(2026, 11, 20), 8)
    f.time_off(world.engine, world.other, date(2026, 11, 27), 8)
    with Session(world.engine) as session:
        mine = list_time_off(session, world.viewer(world.member))
        assert [r["day"] for r in mine] == ["2026-11-20", "2026-11-27"]
        recent = list_time_off(session, world.viewer(world.member), first=date(2026, 11, 23))
        assert [r["hours"] for r in recent] == [4]
        theirs = list_time_off(session, world.viewer(world.admin), user_id=world.other.id)
        assert [r["user_id"] for r in theirs] == [world.other.id]
        with pytest.raises(NotFound):
            list_time_off(session, world.viewer(world.member), user_id=world.other.id)
        with pytest.raises(Forbidden):
            list_time_off(session, world.viewer(world.manager), user_id=world.member.id)
