"""The admin page's lists that the scoped reference lists do not give: every project, archived
ones included (reference.list_projects shows only what may be tracked on), and every API token
with its owner. Admin only; the wire format, never a row."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from workshub.domain.errors import Forbidden
from workshub.domain.models import ApiToken, Client, Project, User
from workshub.domain.scope import Viewer
from workshub.domain.services.accounts import token_public
from workshub.domain.services.reference import project_public

__all__ = ["list_all_projects", "list_all_tokens"]


def _require_admin(viewer: Viewer) -> None:
    if not viewer.is_admin:
        raise Forbidden()


def list_all_projects(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """Every project with its client's name, by client (internal last) and name."""
    _require_admin(viewer)
    rows = session.exec(
        select(Project, Client.name).join(Client, col(Project.client_id) == Client.id, isouter=True)
    ).all()

    def order(row: tuple[Project, str | None]) -> tuple[Any, ...]:
        project, client_name = row
        return (client_name is None, (client_name or "").casefold(), project.name.casefold())

    return [
        project_public(project, client_name=client_name, money=True, last_tracked_at=None)
        for project, client_name in sorted(rows, key=order)
    ]


def list_all_tokens(session: Session, viewer: Viewer) -> list[dict[str, Any]]:
    """Every API token (never the token or its hash) with its owner, newest first."""
    _require_admin(viewer)
    rows = session.exec(
        select(ApiToken, User.name, User.email)
        .join(User, col(User.id) == ApiToken.user_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    return [
        token_public(token) | {"user_name": name, "user_email": email}
        for token, name, email in rows
    ]
