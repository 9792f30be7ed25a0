"""Notifications: raised once per (user, dedupe key), however many jobs or processes race to
raise it, and marked read by their owner only."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from workshub.domain.errors import NotFound
from workshub.domain.events import NotificationCreated, NotificationRead
from workshub.domain.models import Notification
from workshub.domain.scope import Viewer
from workshub.domain.services.public import notification_public
from workshub.domain.timeutil import iso_utc
from workshub.domain.uow import UnitOfWork

__all__ = ["mark_all_read", "mark_read", "raise_notification"]


def raise_notification(
    uow: UnitOfWork,
    *,
    user_id: int,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str | None,
) -> Notification | None:
    """The new notification, or None when this user already has one with `dedupe_key`.

    The check is a fast path; the unique index decides. The insert runs in a savepoint so a
    concurrent twin costs only the savepoint, never the caller's transaction.
    """
    session = uow.session
    if dedupe_key is not None and _exists(uow, user_id=user_id, dedupe_key=dedupe_key):
        return None
    notification = Notification(
        user_id=user_id,
        kind=kind,
        title=title[:200],
        body=body,
        link=link[:300],
        created_at=uow.now,
        dedupe_key=dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(notification)
            session.flush()
    except IntegrityError:
        if dedupe_key is not None and _exists(uow, user_id=user_id, dedupe_key=dedupe_key):
            return None
        raise
    assert notification.id is not None
    uow.audit(
        "notification.raise",
        "notification",
        notification.id,
        after={**notification_public(notification), "user_id": user_id},
    )
    uow.emit(
        NotificationCreated(
            actor_id=uow.actor_id,
            request_id=uow.request_id,
            notification_id=notification.id,
            user_id=user_id,
            kind=kind,
            title=notification.title,
            body=body,
            link=notification.link,
            created_at=notification.created_at,
        )
    )
    return notification


def _exists(uow: UnitOfWork, *, user_id: int, dedupe_key: str) -> bool:
    found = uow.session.exec(
        select(Notification.id)
        .where(Notification.user_id == user_id)
        .where(Notification.dedupe_key == dedupe_key)
    ).first()
    return found is not None


def mark_read(uow: UnitOfWork, viewer: Viewer, notification_id: int) -> Notification:
    """Own notifications only; someone else's is NotFound. Reading twice keeps the first time."""
    notification = uow.session.get(Notification, notification_id)
    if notification is None or notification.user_id != viewer.id:
        raise NotFound("notification")
    if notification.read_at is None:
        _read(uow, viewer, notification)
    return notification


def mark_all_read(uow: UnitOfWork, viewer: Viewer) -> int:
    """Marks every unread notification of the viewer read; returns how many."""
    unread = uow.session.exec(
        select(Notification)
        .where(Notification.user_id == viewer.id)
        .where(col(Notification.read_at).is_(None))
    ).all()
    for notification in unread:
        _read(uow, viewer, notification)
    return len(unread)


def _read(uow: UnitOfWork, viewer: Viewer, notification: Notification) -> None:
    assert notification.id is not None
    notification.read_at = uow.now
    uow.session.add(notification)
    uow.audit(
        "notification.read", "notification", notification.id, after={"read_at": iso_utc(uow.now)}
    )
    uow.emit(
        NotificationRead(
            actor_id=viewer.id,
            request_id=uow.request_id,
            notification_id=notification.id,
            user_id=viewer.id,
        )
    )
