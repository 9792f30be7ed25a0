"""Periods in the organisation's timezone, turned into UTC bounds for SQL (SPEC §3, §4)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workshub.domain.errors import ValidationFailed

__all__ = [
    "day_bounds",
    "days_in_month",
    "iso_utc",
    "local_date",
    "local_midnight",
    "month_start",
    "parse_instant",
    "period_bounds",
    "week_start",
    "working_days",
]


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `tz` (DST-safe: zoneinfo resolves the offset)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def period_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[first 00:00, (last + 1) 00:00) in UTC; both dates inclusive."""
    return local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz)


def week_start(day: date) -> date:
    """The ISO week's Monday."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def working_days(first: date, last: date) -> list[date]:
    """Monday–Friday from first to last inclusive."""
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def parse_instant(value: str, *, field: str) -> datetime:
    """An RFC 3339 instant with an offset or `Z`; a naive instant is refused (422)."""
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise ValidationFailed.field(field, "must be an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise ValidationFailed.field(field, "needs a UTC offset or Z")
    return parsed.astimezone(UTC)


def iso_utc(instant: datetime | None) -> str | None:
    """An instant as RFC 3339 in UTC with `Z`."""
    if instant is None:
        return None
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
