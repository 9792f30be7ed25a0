"""API tokens as the account and admin pages list them: local times, never the token itself."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from workshub.ui.components import instant

__all__ = ["local_stamp", "token_rows"]


def local_stamp(iso: str | None, tz: ZoneInfo, *, empty: str = "—") -> str:
    """An instant as the organisation's local date and time."""
    if not iso:
        return empty
    return f"{instant(iso).astimezone(tz):%d %b %Y %H:%M}"


def token_rows(tokens: list[dict[str, Any]], tz: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {
            "id": token["id"],
            "name": token["name"],
            "user": token.get("user_name") or "",
            "created": local_stamp(token["created_at"], tz),
            "expires": local_stamp(token["expires_at"], tz, empty="never"),
            "last_used": local_stamp(token["last_used_at"], tz, empty="never"),
        }
        for token in tokens
    ]
