"""/status in the simulated browser (slt and admin only), and its row builders on literal input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nicegui.testing.user import User

from tests.api.conftest import Org
from tests.ui.conftest import SignIn, current_path, expect_text, settle, viewer_of, wait_for
from workshub.app import System
from workshub.domain.services import timer as timer_service
from workshub.domain.uow import UnitOfWork
from workshub.ui.pages.status import fmt_age, job_rows, key_rows, refresh_rows


def the(user: User, marker: str) -> Any:
    elements = list(user.find(marker=marker).elements)
    assert len(elements) == 1, f"{len(elements)} elements marked {marker!r}"
    return elements[0]


@pytest.mark.parametrize("role", ["slt", "admin"])
async def test_slt_and_admin_see_the_live_layer(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn, role: str
) -> None:
    await sign_in(user, role, path="/status")
    assert current_path(user) == "/status"
    bell_key = f"today:user:{ui_org.by_role(role).id}"  # the header's bell watches it

    def keys() -> dict[str, Any]:
        return {row["key"]: row for row in the(user, "status-keys-table").rows}

    await wait_for(lambda: bell_key in keys(), what="the next tick", timeout=3.0)
    assert keys()[bell_key]["subscribers"] >= 1 and keys()[bell_key]["ttl"] == "30 s"
    jobs = [row["name"] for row in the(user, "status-jobs-table").rows]
    assert {"live.refresh_ahead", "live.retry_failed", "live.cleanup"} <= set(jobs)
    await expect_text(user, "status-health", "ok")
    await expect_text(user, "status-events", str(ui_system.hub.seq))


@pytest.mark.parametrize(("role", "home"), [("manager", "/team"), ("team_member", "/today")])
async def test_others_are_sent_home(user: User, sign_in: SignIn, role: str, home: str) -> None:
    await sign_in(user, role, path="/status")
    assert current_path(user) == home


async def test_signed_out_goes_to_login(user: User) -> None:
    await user.open("/status")
    assert current_path(user) == "/login"


async def test_it_follows_the_process_every_two_seconds(
    user: User, ui_org: Org, ui_system: System, sign_in: SignIn
) -> None:
    await sign_in(user, "admin", path="/status")
    before = ui_system.hub.seq
    await expect_text(user, "status-events", str(before))
    me = viewer_of(ui_system, ui_org.member_a)
    with UnitOfWork(ui_system.engine, ui_system.hub, ui_system.clock, actor_id=me.id) as uow:
        timer_service.start_timer(uow, me, project_id=ui_org.project_a.id or 0)
    await settle(ui_system)
    assert ui_system.hub.seq > before
    await expect_text(user, "status-events", str(ui_system.hub.seq), timeout=4.0)
    await wait_for(
        lambda: "today" in {row["type"] for row in the(user, "status-refresh-table").rows},
        what="a recompute listed",
        timeout=4.0,
    )


def test_key_rows_put_failing_keys_first_and_say_the_state() -> None:
    def entry(**over: Any) -> dict[str, Any]:
        base = {
            "version": 7,
            "age_s": 12.4,
            "ttl_s": 300,
            "hits": 3,
            "misses": 1,
            "subscribers": 2,
            "stale": False,
            "last_error": None,
        }
        return base | over

    stats = {
        "keys": {
            "metrics:org:0:2026-11-23": entry(),
            "today:user:1": entry(stale=True, age_s=95.0),
            "team_data:team:2:2026-11-23": entry(last_error="boom", version=None, age_s=None),
        }
    }
    rows = key_rows(stats)
    assert [(r["key"], r["state"]) for r in rows] == [
        ("team_data:team:2:2026-11-23", "failing"),
        ("metrics:org:0:2026-11-23", "fresh"),
        ("today:user:1", "stale"),
    ]
    assert [(r["version"], r["age"], r["ttl"]) for r in rows] == [
        ("—", "—", "300 s"),
        (7, "12 s", "300 s"),
        (7, "1 min", "300 s"),
    ]


def test_job_and_refresh_rows_read_in_local_time() -> None:
    tz = ZoneInfo("Europe/Berlin")
    jobs: list[dict[str, Any]] = [
        {
            "name": "live.cleanup",
            "next_run": "2026-11-25T10:01:00Z",
            "last_run": None,
            "last_duration_s": None,
            "last_error": None,
            "runs": 0,
        },
        {
            "name": "live.refresh_ahead",
            "next_run": "2026-11-25T10:00:05Z",
            "last_run": "2026-11-25T10:00:00Z",
            "last_duration_s": 0.0123,
            "last_error": "RuntimeError: down",
            "runs": 4,
        },
    ]
    assert job_rows(jobs, tz=tz) == [
        {
            "name": "live.cleanup",
            "next_run": "11:01:00",
            "last_run": "—",
            "duration": "—",
            "runs": 0,
            "last_error": "",
        },
        {
            "name": "live.refresh_ahead",
            "next_run": "11:00:05",
            "last_run": "11:00:00",
            "duration": "12.3 ms",
            "runs": 4,
            "last_error": "RuntimeError: down",
        },
    ]
    now = datetime(2026, 11, 25, 10, 0, 30, tzinfo=UTC)
    health = {"last_refresh": {"today": "2026-11-25T10:00:00Z"}}
    assert refresh_rows(health, now=now, tz=tz) == [
        {"type": "today", "ago": "30 s", "at": "11:00:00"}
    ]


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "—"), (0.4, "0 s"), (59.9, "59 s"), (60, "1 min"), (7300, "2 h")]
)
def test_ages_read_like_speech(seconds: float | None, text: str) -> None:
    assert fmt_age(seconds) == text
