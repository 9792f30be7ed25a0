"""Dashboard snapshots as the API sends them: envelopes, money stripped per viewer, ETags.

ETag = `W/"{key}:{version}:{money|base}"` (SPEC §5): a version is never repeated, so the tag
changes exactly when the data a viewer may see changes; a composite joins its parts' tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request

from workshub.domain.dashboards.compute import strip_money
from workshub.domain.timeutil import iso_utc
from workshub.live.store import Snapshot

__all__ = [
    "Part",
    "composite_envelope",
    "envelope",
    "etag",
    "joined_etag",
    "matches_if_none_match",
]

Part = tuple[Snapshot, bool]  # a snapshot, and whether the viewer sees money


def _tag_body(snapshot: Snapshot, money: bool) -> str:
    return f"{snapshot.key}:{snapshot.version}:{'money' if money else 'base'}"


def etag(snapshot: Snapshot, *, money: bool) -> str:
    return f'W/"{_tag_body(snapshot, money)}"'


def joined_etag(parts: Sequence[Part]) -> str:
    return 'W/"' + "|".join(_tag_body(snapshot, money) for snapshot, money in parts) + '"'


def matches_if_none_match(request: Request, tag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): `W/` is ignored, `*` matches anything."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def envelope(snapshot: Snapshot, *, money: bool) -> dict[str, Any]:
    """`{type, key, version, computed_at, as_of, stale, data}`; money only for who sees it."""
    key = snapshot.key
    return {
        "type": key.type,
        "key": str(key),
        "version": snapshot.version,
        "computed_at": iso_utc(snapshot.computed_at),
        "as_of": snapshot.as_of,
        "stale": snapshot.stale,
        "data": snapshot.data if money else strip_money(key.type, snapshot.data),
    }


def composite_envelope(
    type_name: str, key: str, parts: Mapping[str, Snapshot], *, money: bool
) -> dict[str, Any]:
    """Several snapshots as one envelope: the newest version, the oldest computed_at and
    as_of (the data is at least that fresh), stale when any part is."""
    snapshots = list(parts.values())
    oldest = min(snapshots, key=lambda s: s.computed_at)
    return {
        "type": type_name,
        "key": key,
        "version": max(s.version for s in snapshots),
        "computed_at": iso_utc(oldest.computed_at),
        "as_of": min(s.as_of for s in snapshots),
        "stale": any(s.stale for s in snapshots),
        "data": {name: envelope(s, money=money)["data"] for name, s in parts.items()},
    }
