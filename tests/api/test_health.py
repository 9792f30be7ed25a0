"""`/health`: public liveness, and the store's inner state for slt and admin."""

from __future__ import annotations

from tests.api.conftest import Api
from workshub import __version__
from workshub.live.scheduler import build_scheduler, shutdown, start


async def test_public_health_says_ok_and_nothing_more(any_api: Api) -> None:
    response = await any_api.call("GET", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}
    member = await any_api.call("GET", "/health", any_api.org.member_a)
    assert member.json() == {"status": "ok", "version": __version__}


async def test_slt_sees_database_cache_and_connections(api: Api) -> None:
    await api.call("GET", "/dashboard/metrics", api.org.slt)
    body = (await api.call("GET", "/health", api.org.slt)).json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["dialect"] == "sqlite"
    assert body["scheduler"] == {"running": False, "jobs": []}
    assert body["cache"]["cache_size"] == 1
    key = body["cache"]["keys"]["metrics:org:0:2026-11-23"]
    assert key["version"] and key["ttl_s"] == 300 and key["stale"] is False
    assert body["connected"] == 0
    assert body["subscriptions"] == 0
    assert set(body["last_refresh"]) == {"metrics"}


async def test_admin_sees_the_scheduler_jobs(api: Api) -> None:
    api.system.scheduler = build_scheduler(api.store, clock=api.clock)
    start(api.system.scheduler)
    try:
        body = (await api.call("GET", "/health", api.org.admin)).json()
    finally:
        await shutdown(api.system.scheduler)
    assert body["scheduler"]["running"] is True
    names = {job["name"] for job in body["scheduler"]["jobs"]}
    assert names and all(job["next_run"] for job in body["scheduler"]["jobs"])


async def test_a_failing_key_makes_health_degraded(api: Api) -> None:
    await api.call("GET", "/dashboard/today", api.org.member_a)

    def broken(key: object, now: object) -> dict:
        raise RuntimeError("boom")

    api.store._compute = broken
    api.store.request_refresh(next(iter(api.store._entries)), manual=False)
    await api.settle()
    assert (await api.call("GET", "/health")).json()["status"] == "degraded"
    stale = (await api.call("GET", "/dashboard/today", api.org.member_a)).json()
    assert stale["stale"] is True  # the last good snapshot is still served


async def test_a_bad_token_on_health_is_401(api: Api) -> None:
    response = await api.call("GET", "/health", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
