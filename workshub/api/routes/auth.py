"""Signing in for scripts (API tokens) and the caller's own account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session

from workshub.api.deps import CallerDep, SystemDep
from workshub.api.errors import ApiRoute, request_id_of
from workshub.api.schemas import PasswordChange, TokenRequest, error_responses
from workshub.api.writes import WriteDep, perform
from workshub.domain.errors import NotFound
from workshub.domain.services import accounts
from workshub.domain.timeutil import iso_utc
from workshub.domain.uow import UnitOfWork

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["account"])


@router.post(
    "/auth/token",
    summary="Sign in and get an API token",
    description=(
        "Exchanges an email and password for a bearer token, shown this once. After 5 failed "
        "sign-ins for one account, or 20 from one address, within 15 minutes: 429 with "
        "Retry-After. No Idempotency-Key: there is no caller yet to key it to."
    ),
    responses=error_responses(401, 422, 429),
)
def issue_token(body: TokenRequest, request: Request, system: SystemDep) -> JSONResponse:
    address = request.client.host if request.client else "unknown"
    with Session(system.engine, expire_on_commit=False) as session:
        user = accounts.sign_in(
            session,
            system.sign_in_throttle,
            email=body.email,
            password=body.password,
            address=address,
        )
    assert user.id is not None
    with UnitOfWork(
        system.engine,
        system.hub,
        system.clock,
        actor_id=user.id,
        request_id=request_id_of(request),
    ) as uow:
        token, row = accounts.create_api_token(
            uow, user_id=user.id, name=body.name, expires_in_days=body.expires_in_days
        )
    content = {
        "token": token,
        "token_id": row.id,
        "expires_at": iso_utc(row.expires_at),
        "user": {"id": user.id, "name": user.name, "role": user.role},
    }
    return JSONResponse(content, headers={"Cache-Control": "no-store"})


@router.delete(
    "/auth/token",
    status_code=204,
    summary="Revoke the token used for this request",
    responses=error_responses(401, 404),
)
def revoke_token(ctx: WriteDep) -> Response:
    token = ctx.token
    if token is None:  # a browser session has no token to revoke
        raise NotFound("API token")

    def work(uow: UnitOfWork) -> None:
        row = accounts.find_api_token(uow.session, token, now=uow.now)
        if row is None or row.id is None:
            raise NotFound("API token")
        accounts.revoke_token(uow, token_id=row.id, user_id=ctx.viewer.id)

    return perform(ctx, work, status=204)


@router.get("/me", summary="The caller", responses=error_responses(401))
def me(caller: CallerDep) -> dict[str, Any]:
    viewer = caller.viewer
    return {
        "id": viewer.id,
        "name": viewer.name,
        "email": viewer.email,
        "role": viewer.role.value,
        "team_id": viewer.team_id,
        "led_team_ids": sorted(viewer.led_team_ids),
        "sees_money": viewer.sees_money,
        "via": "token" if caller.token is not None else "session",
    }


@router.post(
    "/me/password",
    status_code=204,
    summary="Change your own password",
    description="Ends your other browser sessions; API tokens stay valid.",
    responses=error_responses(401, 422),
)
def change_password(body: PasswordChange, ctx: WriteDep) -> Response:
    def work(uow: UnitOfWork) -> None:
        accounts.change_password(uow, ctx.viewer, current=body.current, new=body.new)

    return perform(ctx, work, status=204)
