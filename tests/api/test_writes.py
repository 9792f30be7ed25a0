"""Timer and time entry writes: statuses, versions, and idempotent replay (SPEC §3, §6)."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import Session, col, func, select

from tests.api.conftest import Api
from workshub.domain.models import AuditEvent, IdempotencyRecord, TimeEntry


def count_entries(api: Api, user_id: int | None) -> int:
    with Session(api.system.engine) as session:
        return session.exec(
            select(func.count()).select_from(TimeEntry).where(TimeEntry.user_id == user_id)
        ).one()


async def test_start_switch_and_stop(any_api: Api) -> None:
    org = any_api.org
    first = await any_api.call(
        "POST", "/timer/start", org.member_a, json={"project_id": org.project_a.id, "note": "a"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["running"] is True
    assert "bill_rate" not in first.json()  # money is for slt and admin
    any_api.clock.advance(minutes=30)
    second = await any_api.call(
        "POST", "/timer/start", org.member_a, json={"project_id": org.internal.id}
    )
    assert second.status_code == 201
    with Session(any_api.system.engine) as session:
        switched = session.get(TimeEntry, first.json()["id"])
        assert switched is not None and switched.duration_s == 1800
    any_api.clock.advance(minutes=15)
    stopped = await any_api.call("POST", "/timer/stop", org.member_a)
    assert stopped.status_code == 200
    assert stopped.json()["id"] == second.json()["id"]
    assert stopped.json()["duration_s"] == 900
    none = await any_api.call("POST", "/timer/stop", org.member_a)
    assert none.status_code == 409
    assert none.json()["error"]["code"] == "no_running_timer"


async def test_an_admin_sees_the_rate_on_its_entry(api: Api) -> None:
    response = await api.call(
        "POST", "/timer/start", api.org.admin, json={"project_id": api.org.project_a.id}
    )
    assert response.json()["bill_rate"] == 120


async def test_starting_on_an_unknown_project_names_the_field(api: Api) -> None:
    response = await api.call("POST", "/timer/start", api.org.member_a, json={"project_id": 9999})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"project_id"}


async def test_the_same_idempotency_key_replays_and_writes_once(any_api: Api) -> None:
    org = any_api.org
    headers = {"Idempotency-Key": "start-1"}
    body = {"project_id": org.project_a.id}
    before = count_entries(any_api, org.member_a.id)
    first = await any_api.call("POST", "/timer/start", org.member_a, json=body, headers=headers)
    any_api.clock.advance(minutes=5)
    second = await any_api.call("POST", "/timer/start", org.member_a, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_entries(any_api, org.member_a.id) == before + 1
    with Session(any_api.system.engine) as session:
        starts = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer.start")
        ).one()
    assert starts == 1


async def test_the_same_key_on_another_request_is_422(any_api: Api) -> None:
    org = any_api.org
    headers = {"Idempotency-Key": "k"}
    ok = await any_api.call(
        "POST", "/timer/start", org.member_a, json={"project_id": org.project_a.id}, headers=headers
    )
    assert ok.status_code == 201
    other_body = await any_api.call(
        "POST", "/timer/start", org.member_a, json={"project_id": org.internal.id}, headers=headers
    )
    assert other_body.status_code == 422
    assert other_body.json()["error"]["code"] == "idempotency_key_reused"
    other_path = await any_api.call("POST", "/timer/stop", org.member_a, headers=headers)
    assert other_path.json()["error"]["code"] == "idempotency_key_reused"
    # Keys belong to their caller: someone else may use the same one.
    theirs = await any_api.call(
        "POST", "/timer/start", org.member_b, json={"project_id": org.project_b.id}, headers=headers
    )
    assert theirs.status_code == 201


async def test_a_failed_write_records_no_key(api: Api) -> None:
    headers = {"Idempotency-Key": "stop-1"}
    first = await api.call("POST", "/timer/stop", api.org.member_a, headers=headers)
    assert first.status_code == 409
    await api.call(
        "POST", "/timer/start", api.org.member_a, json={"project_id": api.org.project_a.id}
    )
    second = await api.call("POST", "/timer/stop", api.org.member_a, headers=headers)
    assert second.status_code == 200  # the 409 was not stored, so the retry ran


async def test_concurrent_twins_with_one_key_write_once(any_api: Api) -> None:
    org = any_api.org
    headers = {"Idempotency-Key": "twin"}
    body = {"project_id": org.project_a.id}
    before = count_entries(any_api, org.member_a.id)
    responses = await asyncio.gather(
        *(
            any_api.call("POST", "/timer/start", org.member_a, json=body, headers=headers)
            for _ in range(4)
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert count_entries(any_api, org.member_a.id) == before + 1
    with Session(any_api.system.engine) as session:
        records = session.exec(select(func.count()).select_from(IdempotencyRecord)).one()
    assert records == 1


async def test_malformed_idempotency_keys_are_422(api: Api) -> None:
    for key in ("", "has space", "x" * 201):
        response = await api.call(
            "POST", "/timer/stop", api.org.member_a, headers={"Idempotency-Key": key}
        )
        assert response.status_code == 422, key
        assert "Idempotency-Key" in response.json()["error"]["fields"]


async def test_entry_create_edit_delete_with_versions(any_api: Api) -> None:
    org = any_api.org
    created = await any_api.call(
        "POST",
        "/time-entries",
        org.member_a,
        json={
            "project_id": org.project_a.id,
            "started_at": "2026-11-24T10:00:00+01:00",
            "ended_at": "2026-11-24T11:30:00+01:00",
            "note": "review",
        },
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["started_at"] == "2026-11-24T09:00:00Z"
    assert entry["duration_s"] == 5400
    assert entry["source"] == "manual"
    path = f"/time-entries/{entry['id']}"

    edited = await any_api.call(
        "PATCH", path, org.member_a, json={"note": "code review", "version": entry["version"]}
    )
    assert edited.status_code == 200
    assert edited.json()["version"] == entry["version"] + 1

    stale = await any_api.call(
        "PATCH", path, org.member_a, json={"note": "again", "version": entry["version"]}
    )
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "version_conflict"
    assert error["current"]["note"] == "code review"

    gone_stale = await any_api.call(
        "DELETE", path, org.member_a, params={"version": entry["version"]}
    )
    assert gone_stale.status_code == 409
    gone = await any_api.call(
        "DELETE", path, org.member_a, params={"version": edited.json()["version"]}
    )
    assert gone.status_code == 204
    assert (await any_api.call("GET", path, org.member_a)).status_code == 404


async def test_delete_needs_a_version(api: Api) -> None:
    response = await api.call("DELETE", "/time-entries/1", api.org.member_a)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"version"}


async def test_entries_in_the_future_or_too_long_are_refused(api: Api) -> None:
    org = api.org
    future = await api.call(
        "POST",
        "/time-entries",
        org.member_a,
        json={
            "project_id": org.project_a.id,
            "started_at": "2026-11-26T09:00:00Z",
            "ended_at": "2026-11-26T10:00:00Z",
        },
    )
    assert future.status_code == 422
    too_long = await api.call(
        "POST",
        "/time-entries",
        org.member_a,
        json={
            "project_id": org.project_a.id,
            "started_at": "2026-11-20T09:00:00Z",
            "ended_at": "2026-11-21T10:00:00Z",
        },
    )
    assert too_long.status_code == 422


async def test_the_write_answer_carries_the_event_seq_and_commit_time(api: Api) -> None:
    before = time.monotonic()
    response = await api.call(
        "POST", "/timer/start", api.org.member_a, json={"project_id": api.org.project_a.id}
    )
    after = time.monotonic()
    assert int(response.headers["X-WorksHub-Seq"]) == api.system.hub.seq
    assert before < float(response.headers["X-WorksHub-Committed"]) < after
    refused = await api.call("POST", "/timer/stop", api.org.member_b)  # nothing runs: no commit
    assert refused.status_code == 409 and "X-WorksHub-Committed" not in refused.headers


async def test_listing_pages_with_a_cursor(any_api: Api) -> None:
    org = any_api.org
    first = await any_api.call(
        "GET", "/time-entries", org.admin, params={"from": "2026-11-16", "limit": 2}
    )
    assert first.status_code == 200
    page = first.json()
    assert len(page["entries"]) == 2 and page["next_cursor"]
    rest = await any_api.call(
        "GET",
        "/time-entries",
        org.admin,
        params={"from": "2026-11-16", "limit": 2, "cursor": page["next_cursor"]},
    )
    assert rest.json()["next_cursor"] is None
    ids = [e["id"] for e in page["entries"] + rest.json()["entries"]]
    assert len(ids) == len(set(ids)) == 4  # `from` alone runs to today
    started = [e["started_at"] for e in page["entries"] + rest.json()["entries"]]
    assert started == sorted(started)


async def test_listing_defaults_to_the_current_week_and_to_own_entries(api: Api) -> None:
    mine = (await api.call("GET", "/time-entries", api.org.member_a)).json()["entries"]
    assert [e["started_at"] for e in mine] == ["2026-11-23T09:00:00Z"]  # not last week's
    assert {e["user_id"] for e in mine} == {api.org.member_a.id}
    team = (await api.call("GET", "/time-entries", api.org.manager_a)).json()["entries"]
    assert {e["user_id"] for e in team} == {api.org.member_a.id, api.org.member_a2.id}
    everyone = (await api.call("GET", "/time-entries", api.org.slt)).json()["entries"]
    assert len(everyone) == 3
    assert all("bill_rate" in e for e in everyone)
    assert all("bill_rate" not in e for e in team)


async def test_csv_export(api: Api) -> None:
    response = await api.call(
        "GET", "/time-entries.csv", api.org.manager_a, params={"from": "2026-11-16"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("id,user_id,user_name,project_id")
    assert "bill_rate" not in lines[0]
    assert len(lines) == 1 + 3
    admin = await api.call("GET", "/time-entries.csv", api.org.admin)
    assert admin.text.splitlines()[0].endswith(",bill_rate")


async def test_csv_pages_with_limit_and_quotes_formulas(api: Api) -> None:
    await api.call(
        "POST",
        "/time-entries",
        api.org.member_a,
        json={
            "project_id": api.org.project_a.id,
            "started_at": "2026-11-24T12:00:00Z",
            "ended_at": "2026-11-24T13:00:00Z",
            "note": "=HYPERLINK(1)",
        },
    )
    response = await api.call("GET", "/time-entries.csv", api.org.member_a, params={"limit": 1})
    assert len(response.text.strip().splitlines()) == 2
    cursor = response.headers["X-Next-Cursor"]
    rest = await api.call(
        "GET", "/time-entries.csv", api.org.member_a, params={"limit": 1, "cursor": cursor}
    )
    assert "'=HYPERLINK(1)" in rest.text
    assert "X-Next-Cursor" not in rest.headers


async def test_a_manager_edits_a_led_member_entry_but_not_another_team(api: Api) -> None:
    org = api.org
    with Session(api.system.engine) as session:
        theirs = session.exec(
            select(TimeEntry)
            .where(TimeEntry.user_id == org.member_a.id)
            .order_by(col(TimeEntry.id))
        ).first()
        other = session.exec(select(TimeEntry).where(TimeEntry.user_id == org.member_b.id)).one()
    assert theirs is not None
    ok = await api.call(
        "PATCH", f"/time-entries/{theirs.id}", org.manager_a, json={"note": "x", "version": 1}
    )
    assert ok.status_code == 200
    hidden = await api.call(
        "PATCH", f"/time-entries/{other.id}", org.manager_a, json={"note": "x", "version": 1}
    )
    assert hidden.status_code == 404
    assert "x" not in str(hidden.json()["error"].get("current", ""))
    slt = await api.call(
        "PATCH", f"/time-entries/{other.id}", org.slt, json={"note": "x", "version": 1}
    )
    assert slt.status_code == 403


async def test_a_key_is_free_again_after_24_hours(any_api: Api) -> None:
    org = any_api.org
    headers = {"Idempotency-Key": "daily"}
    first = await any_api.call("POST", "/timer/stop", org.admin, headers=headers)
    assert first.status_code == 409  # nothing stored for a failure
    await any_api.call(
        "POST", "/timer/start", org.member_a, json={"project_id": org.project_a.id}, headers=headers
    )
    any_api.clock.advance(hours=24, seconds=1)
    again = await any_api.call(
        "POST", "/timer/start", org.member_a, json={"project_id": org.internal.id}, headers=headers
    )
    assert again.status_code == 201  # another body, but the old record has expired
    assert again.json()["project_id"] == org.internal.id
    with Session(any_api.system.engine) as session:
        assert session.exec(select(func.count()).select_from(IdempotencyRecord)).one() == 1
