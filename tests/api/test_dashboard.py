"""Dashboards over REST: envelopes, ETags, money per viewer, weeks, the bundle, refreshes."""

from __future__ import annotations

import re

from tests.api.conftest import Api

ENVELOPE = {"type", "key", "version", "computed_at", "as_of", "stale", "data"}


async def test_the_envelope_and_its_etag(any_api: Api) -> None:
    response = await any_api.call("GET", "/dashboard/metrics", any_api.org.slt)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ENVELOPE
    assert body["type"] == "metrics"
    assert body["key"] == "metrics:org:0:2026-11-23"
    assert body["computed_at"] == "2026-11-25T10:00:00Z"
    assert body["stale"] is False
    assert body["data"]["tracked_hours"] == 12.0
    assert response.headers["ETag"] == f'W/"metrics:org:0:2026-11-23:{body["version"]}:money"'
    assert response.headers["Cache-Control"] == "private, no-cache"


async def test_if_none_match_answers_304_until_the_data_changes(api: Api) -> None:
    org = api.org
    first = await api.call("GET", "/dashboard/today", org.member_a)
    tag = first.headers["ETag"]
    same = await api.call("GET", "/dashboard/today", org.member_a, headers={"If-None-Match": tag})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["ETag"] == tag
    listed = await api.call(
        "GET", "/dashboard/today", org.member_a, headers={"If-None-Match": f'"x", {tag}'}
    )
    assert listed.status_code == 304

    await api.call("POST", "/timer/start", org.member_a, json={"project_id": org.project_a.id})
    await api.settle()
    changed = await api.call(
        "GET", "/dashboard/today", org.member_a, headers={"If-None-Match": tag}
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert changed.json()["version"] > first.json()["version"]
    assert changed.json()["data"]["running"]["project_id"] == org.project_a.id
    assert changed.json()["as_of"] >= int(api.system.hub.seq)


async def test_money_is_stripped_for_members_and_managers(any_api: Api) -> None:
    org = any_api.org
    slt = await any_api.call("GET", f"/dashboard/metrics?team_id={org.team_a.id}", org.slt)
    manager = await any_api.call("GET", "/dashboard/metrics", org.manager_a)
    member = await any_api.call("GET", "/dashboard/metrics", org.member_a)
    assert {"revenue", "effective_rate"} <= set(slt.json()["data"])
    for response in (manager, member):
        assert not {"revenue", "effective_rate"} & set(response.json()["data"])
        assert response.headers["ETag"].endswith(':base"')
    # One snapshot serves both: same key and version, different money.
    assert slt.json()["version"] == manager.json()["version"]
    assert slt.headers["ETag"] != manager.headers["ETag"]


MONEY_KEYS = {"revenue", "effective_rate", "revenue_week", "effective_rate_week", "target_rate"}


def money_keys_in(node: object) -> set[str]:
    if isinstance(node, dict):
        found = MONEY_KEYS & set(node)
        for value in node.values():
            found |= money_keys_in(value)
        return found
    if isinstance(node, list):
        return set().union(*(money_keys_in(item) for item in node)) if node else set()
    return set()


async def test_no_money_anywhere_in_a_manager_client_dashboard(api: Api) -> None:
    org = api.org
    for path in ("/dashboard/client_data", "/dashboard/client_health", "/dashboard/comprehensive"):
        manager = (await api.call("GET", path, org.manager_a)).json()
        assert money_keys_in(manager["data"]) == set(), path
    admin = (await api.call("GET", "/dashboard/client_data", org.admin)).json()
    assert money_keys_in(admin["data"])


async def test_any_day_of_a_week_means_its_monday(api: Api) -> None:
    for day in ("2026-11-16", "2026-11-19", "2026-11-22"):
        body = (await api.call("GET", f"/dashboard/metrics?week={day}", api.org.slt)).json()
        assert body["key"] == "metrics:org:0:2026-11-16"
        assert body["data"]["tracked_hours"] == 2.0


async def test_a_future_week_is_422_but_ignored_by_weekless_types(api: Api) -> None:
    response = await api.call("GET", "/dashboard/metrics?week=2026-11-30", api.org.slt)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"week": "must not be in the future"}
    today = await api.call("GET", "/dashboard/today?week=2027-01-04", api.org.slt)
    assert today.status_code == 200
    assert today.json()["key"] == f"today:user:{api.org.slt.id}"
    timers = await api.call("GET", "/dashboard/active_timers?week=2027-01-04", api.org.slt)
    assert timers.json()["key"] == "active_timers:org:0"


async def test_scope_defaults(api: Api) -> None:
    org = api.org
    member = (await api.call("GET", "/dashboard/metrics", org.member_a)).json()
    assert member["key"] == f"metrics:team:{org.team_a.id}:2026-11-23"
    manager = (await api.call("GET", "/dashboard/team_data", org.manager_a)).json()
    assert manager["key"] == f"team_data:team:{org.team_a.id}:2026-11-23"
    clients = (await api.call("GET", "/dashboard/client_health", org.manager_a)).json()
    assert clients["key"] == f"client_health:manager:{org.manager_a.id}:2026-11-23"
    assert {c["client_id"] for c in clients["data"]["clients"]} == {
        org.client_a.id,
        org.client_x.id,
    }
    slt = (await api.call("GET", "/dashboard/team_data", org.slt)).json()
    assert slt["key"] == "team_data:org:0:2026-11-23"


async def test_client_history_needs_a_client(api: Api) -> None:
    response = await api.call("GET", "/dashboard/client_history", api.org.slt)
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"client_id"}


async def test_comprehensive_joins_its_parts(api: Api) -> None:
    response = await api.call("GET", "/dashboard/comprehensive", api.org.manager_a)
    body = response.json()
    assert body["type"] == "comprehensive"
    assert set(body["data"]) == {"metrics", "team_data", "client_data", "active_timers"}
    tags = re.findall(r"(\w+):\w+:\d+(?::[\d-]+)?:(\d+):base", response.headers["ETag"])
    assert [t for t, _ in tags] == ["metrics", "team_data", "client_data", "active_timers"]
    assert body["version"] == max(int(v) for _, v in tags)
    again = await api.call(
        "GET",
        "/dashboard/comprehensive",
        api.org.manager_a,
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


async def test_the_bundle_for_a_member_and_for_a_manager(api: Api) -> None:
    member = (await api.call("GET", "/dashboard", api.org.member_a)).json()
    assert set(member) == {"comprehensive", "today", "client_health"}
    assert set(member["comprehensive"]["data"]) == {"metrics"}
    assert member["client_health"] is None
    assert member["today"]["key"] == f"today:user:{api.org.member_a.id}"
    manager = await api.call("GET", "/dashboard?week=2026-11-18", api.org.manager_a)
    body = manager.json()
    assert set(body["comprehensive"]["data"]) == {
        "metrics",
        "team_data",
        "client_data",
        "active_timers",
    }
    assert body["client_health"]["key"].endswith(":2026-11-16")
    again = await api.call(
        "GET",
        "/dashboard?week=2026-11-18",
        api.org.manager_a,
        headers={"If-None-Match": manager.headers["ETag"]},
    )
    assert again.status_code == 304


async def test_a_manual_refresh_is_throttled_per_key(api: Api) -> None:
    first = await api.call("POST", "/dashboard/metrics/refresh", api.org.slt)
    assert first.status_code == 202
    assert first.json() == {"accepted": True, "throttled": False, "version": None}
    await api.settle()
    second = await api.call("POST", "/dashboard/metrics/refresh", api.org.member_a)
    assert second.json()["accepted"] is True  # another key: the member's team metrics
    third = await api.call("POST", "/dashboard/metrics/refresh", api.org.admin)
    assert third.json()["throttled"] is True
    assert third.json()["version"] is not None
    api.clock.advance(seconds=5)
    fourth = await api.call("POST", "/dashboard/metrics/refresh", api.org.admin)
    assert fourth.json()["accepted"] is True


async def test_an_expired_snapshot_is_served_stale_while_it_recomputes(api: Api) -> None:
    first = (await api.call("GET", "/dashboard/today", api.org.member_a)).json()
    api.clock.advance(seconds=31)
    stale = (await api.call("GET", "/dashboard/today", api.org.member_a)).json()
    assert stale["stale"] is True
    assert stale["version"] == first["version"]
    await api.settle()
    fresh = (await api.call("GET", "/dashboard/today", api.org.member_a)).json()
    assert fresh["stale"] is False
    assert fresh["computed_at"] == "2026-11-25T10:00:31Z"


async def test_a_failing_computation_is_a_503_not_a_500(api: Api) -> None:
    def broken(key: object, now: object) -> dict:
        raise RuntimeError("database gone")

    api.store._compute = broken
    response = await api.call("GET", "/dashboard/metrics", api.org.slt)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"] == "1"
