"""Signing in for a token, revoking it, the caller, and the sign-in throttle (SPEC §6)."""

from __future__ import annotations

from sqlmodel import Session, select

from tests.api.conftest import Api
from workshub.domain.models import ApiToken, User


async def sign_in(api: Api, email: str, password: str, **extra: object):
    return await api.call(
        "POST", "/auth/token", json={"email": email, "password": password, **extra}
    )


async def test_sign_in_gives_a_token_that_works_until_revoked(any_api: Api) -> None:
    response = await sign_in(any_api, "Member.A@x.test", "secret", name="laptop")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["user"] == {
        "id": any_api.org.member_a.id,
        "name": "Member.A",
        "role": "team_member",
    }
    headers = {"Authorization": f"Bearer {body['token']}"}
    me = await any_api.call("GET", "/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "member.a@x.test"
    assert me.json()["via"] == "token"

    assert (await any_api.call("DELETE", "/auth/token", headers=headers)).status_code == 204
    again = await any_api.call("GET", "/me", headers=headers)
    assert again.status_code == 401
    # Only the token used was revoked: the fixture's own token still works.
    assert (await any_api.call("GET", "/me", any_api.org.member_a)).status_code == 200


async def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    wrong = await sign_in(api, "member.a@x.test", "nope-nope")
    unknown = await sign_in(api, "nobody@x.test", "nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_a_deactivated_user_cannot_sign_in(api: Api) -> None:
    with Session(api.system.engine) as session:
        user = session.get(User, api.org.member_b.id)
        assert user is not None
        user.is_active = False
        session.add(user)
        session.commit()
    assert (await sign_in(api, "member.b@x.test", "secret")).status_code == 401


async def test_five_failures_throttle_the_account_with_retry_after(api: Api) -> None:
    for _ in range(5):
        assert (await sign_in(api, "member.a@x.test", "wrong-one")).status_code == 401
    response = await sign_in(api, "member.a@x.test", "secret")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1
    api.clock.advance(minutes=15, seconds=1)
    assert (await sign_in(api, "member.a@x.test", "secret")).status_code == 200


async def test_a_token_can_expire(api: Api) -> None:
    response = await sign_in(api, "member.a@x.test", "secret", expires_in_days=1)
    token = response.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.call("GET", "/me", headers=headers)).status_code == 200
    api.clock.advance(days=1, seconds=1)
    assert (await api.call("GET", "/me", headers=headers)).status_code == 401


async def test_only_the_token_hash_is_stored(api: Api) -> None:
    token = (await sign_in(api, "member.a@x.test", "secret")).json()["token"]
    with Session(api.system.engine) as session:
        stored = session.exec(select(ApiToken.token_sha256)).all()
    assert token not in stored


async def test_me_describes_the_caller(api: Api) -> None:
    body = (await api.call("GET", "/me", api.org.manager_a)).json()
    assert body["role"] == "manager"
    assert body["led_team_ids"] == [api.org.team_a.id]
    assert body["sees_money"] is False
    assert (await api.call("GET", "/me", api.org.slt)).json()["sees_money"] is True


async def test_changing_the_password(api: Api) -> None:
    wrong = await api.call(
        "POST", "/me/password", api.org.member_a, json={"current": "nope", "new": "long-enough"}
    )
    assert wrong.status_code == 422
    assert "current" in wrong.json()["error"]["fields"]
    short = await api.call(
        "POST", "/me/password", api.org.member_a, json={"current": "secret", "new": "short"}
    )
    assert short.json()["error"]["fields"] == {"new": "must be at least 8 characters"}
    ok = await api.call(
        "POST", "/me/password", api.org.member_a, json={"current": "secret", "new": "long-enough"}
    )
    assert ok.status_code == 204
    assert (await sign_in(api, "member.a@x.test", "long-enough")).status_code == 200
    assert (await sign_in(api, "member.a@x.test", "secret")).status_code == 401
