"""/timesheet in the simulated browser: the week grid against capacity, any past week, adding,
editing and deleting entries, own time off, and a change made elsewhere arriving by push.

build_org: member_a tracked 3.0 h on Acme site on Monday 23 Nov (09:00 UTC) and 2.0 h on Xeno
audit the week before; the clock stands at Wednesday 25 Nov 10:00 UTC (so week to date is
Monday–Wednesday, 3 × 7.5 h of capacity).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from nicegui.testing.user import User
from sqlmodel import Session, select

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, current_path, expect_text, settle, viewer_of, wait_for
from tests.ui.form_helpers import (
    element,
    field_error,
    fill,
    has,
    marked,
    rows_of,
    save,
    wait_rows,
)
from workshub.app import System
from workshub.domain.models import TimeEntry, TimeOff
from workshub.domain.services import entries as entry_service
from workshub.domain.uow import UnitOfWork
from workshub.ui.timesheet_grid import DAY_FIELDS

GRID = "timesheet-grid"
ENTRIES = "timesheet-entries"


def _days(row: dict[str, object]) -> list[object]:
    return [row[name] for name in DAY_FIELDS]


def _row(rows: list[dict[str, object]], label: str) -> dict[str, object] | None:
    return next((row for row in rows if row["label"] == label), None)


async def _open(user: User, sign_in: SignIn, who: object) -> list[dict[str, object]]:
    await sign_in(user, who, path="/timesheet")  # type: ignore[arg-type]
    return await wait_rows(user, GRID, lambda rows: bool(rows), what="the first read")


def _entries_of(system: System, user_id: int) -> list[TimeEntry]:
    with Session(system.engine) as session:
        return list(session.exec(select(TimeEntry).where(TimeEntry.user_id == user_id)))


async def test_the_week_grid_shows_own_hours_against_capacity(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    rows = await _open(user, sign_in, ui_org.member_a)
    assert [row["label"] for row in rows] == ["Acme · Acme site", "Total"]
    assert _days(rows[0]) == ["3.0", "", "", "", "", "", ""]
    assert rows[0]["total"] == "3.0"
    # The total row: hours per day so far, blank for the days still to come.
    assert _days(rows[1]) == ["3.0", "0.0", "0.0", "", "", "", ""]
    await expect_text(user, "timesheet-total", "3.0")
    await expect_text(user, "timesheet-capacity", "22.5")
    await expect_text(user, "timesheet-utilization", "13%")  # 3.0 / 22.5 = 13.3 %
    assert element(user, "week-select").value == "2026-11-23"
    assert [(r["day"], r["start"], r["end"], r["hours"]) for r in rows_of(user, ENTRIES)] == [
        ("Mon 23", "09:00", "12:00", "3.0")
    ]


async def test_a_manager_sees_only_their_own_week(user: User, ui_org: Org, sign_in: SignIn) -> None:
    rows = await _open(user, sign_in, ui_org.manager_a)
    # Their team's entries (member_a 3.0 h, member_a2 4.0 h) are not theirs.
    assert [row["label"] for row in rows] == ["Total"]
    assert rows[0]["total"] == "0.0"
    assert rows_of(user, ENTRIES) == []
    await user.should_see("No time tracked in this week yet.")
    await expect_text(user, "timesheet-total", "0.0")


async def test_a_past_week_counts_all_its_working_days(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    assert user.client is not None
    with user.client:
        element(user, "week-select").value = "2026-11-16"
    rows = await wait_rows(
        user, GRID, lambda r: _row(r, "Xeno · Xeno audit") is not None, what="last week"
    )
    assert _row(rows, "Acme · Acme site") is None
    xeno = _row(rows, "Xeno · Xeno audit")
    assert xeno is not None and _days(xeno) == ["", "2.0", "", "", "", "", ""]
    await expect_text(user, "timesheet-capacity", "37.5")  # a past week: all five days
    await expect_text(user, "timesheet-utilization", "5%")


async def test_the_week_cannot_go_past_the_current_one(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await sign_in(user, ui_org.member_a, path="/timesheet?week=2027-03-01")
    await wait_rows(user, GRID, bool, what="the first read")
    assert element(user, "week-select").value == "2026-11-23"


async def test_adding_an_entry_lands_and_shows_in_the_grid(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    user.find(marker="entry-add").click()
    await fill(
        user,
        project=ui_org.project_b.id,
        date="2026-11-24",
        start="13:00",
        end="14:30",
        note="Kick-off",
    )
    save(user)
    rows = await wait_rows(
        user, GRID, lambda r: _row(r, "Bolt · Bolt app") is not None, what="the new row"
    )
    bolt = _row(rows, "Bolt · Bolt app")
    assert bolt is not None and _days(bolt)[:3] == ["", "1.5", ""]
    await expect_text(user, "timesheet-total", "4.5")  # shown at once; the write follows
    await wait_for(
        lambda: any(e.note for e in _entries_of(ui_system, ui_org.member_a.id or 0)),
        what="the write",
    )
    entry = next(e for e in _entries_of(ui_system, ui_org.member_a.id or 0) if e.note)
    assert entry.note == "Kick-off" and entry.duration_s == 5400 and entry.source == "manual"
    assert entry.started_at == datetime(2026, 11, 24, 13, tzinfo=UTC)


def _shown_error(user: User, name: str) -> str | None:
    """The message under a field of the open form (None while no form is open: a save closes
    it at once, and a refused one opens it again with the message)."""
    return field_error(user, name) if len(marked(user, f"field-{name}")) == 1 else None


async def test_a_bad_entry_is_refused_next_to_its_field(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    user.find(marker="entry-add").click()
    await fill(user, date="2026-11-24", start="14:00", end="13:00")
    save(user)
    await wait_for(lambda: _shown_error(user, "end") is not None, what="the end's message")
    assert field_error(user, "end") == "must be after started_at"
    await fill(user, date="2026-11-27", start="09:00", end="10:00")  # Friday: not yet
    save(user)
    await wait_for(lambda: _shown_error(user, "start") is not None, what="the start's message")
    assert field_error(user, "start") == "must not be in the future"
    await fill(user, start="9 o'clock")
    save(user)
    await wait_for(lambda: _shown_error(user, "start") == "enter a time like 09:30", what="parse")
    assert len(_entries_of(ui_system, ui_org.member_a.id or 0)) == 2  # nothing was written


async def test_editing_an_entry_saves_a_new_version(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    row = rows_of(user, ENTRIES)[0]
    user.find(marker=ENTRIES).trigger("edit", row)
    await fill(user, end="12:30", note="Reviewed the draft")
    save(user)
    rows = await wait_rows(
        user, ENTRIES, lambda r: r[0]["note"] == "Reviewed the draft", what="the saved note"
    )
    assert rows[0]["hours"] == "3.5"
    await expect_text(user, "timesheet-total", "3.5")
    entry = ui_org.entries["a"]

    def saved() -> TimeEntry:
        found = _entries_of(ui_system, ui_org.member_a.id or 0)
        return next(e for e in found if e.id == entry.id)

    await wait_for(lambda: saved().version == entry.version + 1, what="the write")
    assert saved().duration_s == 3.5 * 3600
    await wait_rows(user, ENTRIES, lambda r: not r[0]["pending"], what="the confirmation")


async def test_an_edit_of_a_changed_entry_is_refused_and_the_list_refreshed(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    stale = rows_of(user, ENTRIES)[0]
    member = viewer_of(ui_system, ui_org.member_a)
    entry = ui_org.entries["a"]
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=member.id) as uow:
        entry_service.update_entry(
            uow, member, entry_id=entry.id or 0, version=entry.version, note="From my phone"
        )
    user.find(marker=ENTRIES).trigger("edit", stale)
    await fill(user, note="From the timesheet")
    save(user)
    await user.should_see("The entry was changed by someone else just now", retries=50)
    rows = await wait_rows(
        user, ENTRIES, lambda r: r[0]["note"] == "From my phone", what="the current entry"
    )
    assert rows[0]["version"] == entry.version + 1


async def test_deleting_an_entry_offers_undo_then_deletes(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    row = rows_of(user, ENTRIES)[0]
    user.find(marker=ENTRIES).trigger("remove", row)
    await wait_rows(user, GRID, lambda r: len(r) == 1, what="the empty week")  # at once
    await expect_text(user, "timesheet-total", "0.0")
    await user.should_see(marker="undo-bar")
    user.find(marker="undo-dismiss").click()  # no undo: delete now

    def ids() -> set[int | None]:
        return {e.id for e in _entries_of(ui_system, ui_org.member_a.id or 0)}

    await wait_for(lambda: ui_org.entries["a"].id not in ids(), what="the delete")
    await user.should_not_see(marker="undo-bar")


async def test_clicking_a_day_shows_its_entries_and_an_empty_day_adds_one(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    grid = user.find(marker=GRID)
    project_id = ui_org.project_a.id
    grid.trigger("cell", {"kind": "project", "project_id": project_id, "day": "d1", "value": ""})
    await fill(user, project=project_id)  # an empty day opens the form on that project and day
    assert element(user, "field-date").value == "2026-11-24"
    user.find(content="Cancel").click()
    await wait_for(lambda: not has(user, "form-save"), what="closing")

    grid.trigger("cell", {"kind": "total", "project_id": None, "day": "d0", "value": "3.0"})
    await user.should_see("Showing Monday 23 November")
    assert [r["day"] for r in rows_of(user, ENTRIES)] == ["Mon 23"]


async def test_own_time_off_lowers_capacity_and_can_be_removed(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    user.find(marker="time-off-add").click()
    await fill(user, day="2026-11-23", hours=4.0)
    save(user)
    await expect_text(user, "timesheet-capacity", "18.5")  # 22.5 − 4.0
    rows = rows_of(user, GRID)
    off = _row(rows, "Time off")
    assert off is not None and _days(off)[0] == "4.0"
    assert _row(rows, "Total")["total"] == "3.0"  # type: ignore[index]  # not tracked time
    (row,) = rows_of(user, "time-off-table")
    assert (row["day"], row["hours"]) == ("Mon 23", "4.0")

    user.find(marker="time-off-table").trigger("remove", row)
    await wait_for(lambda: has(user, "confirm-ok"), what="confirm")
    user.find(marker="confirm-ok").click()
    await expect_text(user, "timesheet-capacity", "22.5")
    with Session(ui_system.engine) as session:
        assert session.exec(select(TimeOff)).all() == []


async def test_too_much_time_off_is_refused_next_to_hours(
    user: User, ui_org: Org, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    user.find(marker="time-off-add").click()
    await fill(user, day="2026-11-23", hours=30)
    save(user)
    await wait_for(lambda: field_error(user, "hours") is not None, what="the hours' message")
    assert field_error(user, "hours") == "must be more than 0 and at most 24"


async def test_an_entry_written_elsewhere_arrives_by_push(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await _open(user, sign_in, ui_org.member_a)
    member = viewer_of(ui_system, ui_org.member_a)
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=member.id) as uow:
        entry_service.create_entry(
            uow,
            member,
            project_id=ui_org.project_a.id or 0,
            started_at=datetime(2026, 11, 25, 8, tzinfo=UTC),
            ended_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        )
    await settle(ui_system)
    rows = await wait_rows(
        user, GRID, lambda r: r[0]["d2"] == "1.5", what="today's entry in the grid"
    )
    assert rows[0]["total"] == "4.5"
    await expect_text(user, "timesheet-total", "4.5")


async def test_signed_out_goes_to_login(user: User) -> None:
    await user.open("/timesheet")
    assert current_path(user) == "/login"


def test_week_options_hold_the_selected_week() -> None:
    from workshub.ui.components import week_options

    options = week_options(date(2026, 11, 23), weeks=2, selected=date(2020, 1, 6))
    assert list(options) == ["2026-11-23", "2026-11-16", "2020-01-06"]
    assert options["2026-11-23"] == "This week · 23–29 Nov"
    assert options["2020-01-06"] == "6–12 Jan 2020"  # the year, as it is not this one
