"""The wire format of entries, tasks, notifications, time off and pulses: plain dicts the API
returns as they are, never table rows. Instants are RFC 3339 UTC with `Z`; dates are ISO."""

from __future__ import annotations

from typing import Any

from workshub.domain.models import ClientPulse, Notification, Task, TimeEntry, TimeOff
from workshub.domain.timeutil import iso_utc

__all__ = [
    "entry_public",
    "notification_public",
    "pulse_public",
    "task_public",
    "time_off_public",
]


def entry_public(entry: TimeEntry, *, money: bool = False) -> dict[str, Any]:
    """An entry; `bill_rate` is money, so it is there only for viewers who see money."""
    body: dict[str, Any] = {
        "id": entry.id,
        "user_id": entry.user_id,
        "project_id": entry.project_id,
        "started_at": iso_utc(entry.started_at),
        "ended_at": iso_utc(entry.ended_at),
        "duration_s": entry.duration_s,
        "running": entry.ended_at is None,
        "note": entry.note,
        "billable": entry.billable,
        "source": entry.source,
        "version": entry.version,
        "created_at": iso_utc(entry.created_at),
        "updated_at": iso_utc(entry.updated_at),
    }
    if money:
        body["bill_rate"] = entry.bill_rate
    return body


def task_public(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "project_id": task.project_id,
        "assignee_id": task.assignee_id,
        "title": task.title,
        "status": task.status,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "version": task.version,
    }


def notification_public(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "created_at": iso_utc(notification.created_at),
        "read_at": iso_utc(notification.read_at),
    }


def time_off_public(time_off: TimeOff) -> dict[str, Any]:
    return {
        "id": time_off.id,
        "user_id": time_off.user_id,
        "day": time_off.day.isoformat(),
        "hours": time_off.hours,
    }


def pulse_public(pulse: ClientPulse) -> dict[str, Any]:
    return {
        "id": pulse.id,
        "client_id": pulse.client_id,
        "week": pulse.week.isoformat(),
        "rating": pulse.rating,
        "note": pulse.note,
        "author_id": pulse.author_id,
    }
