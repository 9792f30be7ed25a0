"""People metrics (SPEC §4) as pure functions of rows and a clock.

No session, no `datetime.now()`: callers pass the rows and `now`/`today`, so every formula can be
checked against hand-computed literal rows, and the SQL layer only has to deliver sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from workshub.domain.timeutil import local_date, working_days

__all__ = [
    "SECONDS_PER_HOUR",
    "EntryLike",
    "Hours",
    "Person",
    "Utilization",
    "aggregate",
    "capacity_hours",
    "capacity_over",
    "counted_span",
    "day_capacity",
    "employed_span",
    "entry_seconds",
    "hours_of_entries",
    "person_utilization",
    "ratio",
    "utilization_of",
]

SECONDS_PER_HOUR = 3600.0
WORKING_DAYS_PER_WEEK = 5


@dataclass(frozen=True, slots=True)
class Person:
    """What the formulas need to know about a user."""

    id: int
    weekly_capacity_hours: float
    starts_on: date | None = None
    ends_on: date | None = None

    @property
    def counts(self) -> bool:
        """Only people with capacity count in team and organisation figures."""
        return self.weekly_capacity_hours > 0

    def employed_on(self, day: date) -> bool:
        if self.starts_on is not None and day < self.starts_on:
            return False
        return self.ends_on is None or day <= self.ends_on


class EntryLike(Protocol):
    @property
    def started_at(self) -> datetime: ...
    @property
    def duration_s(self) -> int | None: ...
    @property
    def billable(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Hours:
    """Tracked and billable time in seconds (floats: a running timer counts to the microsecond)."""

    tracked_s: float = 0.0
    billable_s: float = 0.0

    def __add__(self, other: Hours) -> Hours:
        return Hours(self.tracked_s + other.tracked_s, self.billable_s + other.billable_s)

    @property
    def tracked_hours(self) -> float:
        return self.tracked_s / SECONDS_PER_HOUR

    @property
    def billable_hours(self) -> float:
        return self.billable_s / SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True)
class Utilization:
    """Hours against capacity; every ratio is None when its denominator is zero."""

    tracked_hours: float
    billable_hours: float
    capacity_hours: float

    @property
    def utilization(self) -> float | None:
        return ratio(self.tracked_hours, self.capacity_hours)

    @property
    def billable_utilization(self) -> float | None:
        return ratio(self.billable_hours, self.capacity_hours)

    @property
    def billable_pct(self) -> float | None:
        return ratio(self.billable_hours, self.tracked_hours)


def ratio(numerator: float, denominator: float) -> float | None:
    """A ratio, or None (shown as "—") when the denominator is zero."""
    if denominator == 0:
        return None
    return numerator / denominator


def employed_span(person: Person, first: date, last: date) -> tuple[date, date] | None:
    """The part of [first, last] in which the person was employed, or None."""
    lo = max(first, person.starts_on) if person.starts_on else first
    hi = min(last, person.ends_on) if person.ends_on else last
    return (lo, hi) if lo <= hi else None


def counted_span(first: date, last: date, *, today: date) -> tuple[date, date] | None:
    """A period cut at today: the current period counts to date, a future one not at all."""
    last = min(last, today)
    return (first, last) if first <= last else None


def day_capacity(person: Person, day: date, *, time_off_hours: float = 0.0) -> float:
    """weekly/5 minus the day's time off; 0 on weekends and outside employment."""
    if day.weekday() >= WORKING_DAYS_PER_WEEK or not person.employed_on(day):
        return 0.0
    return max(0.0, person.weekly_capacity_hours / WORKING_DAYS_PER_WEEK - time_off_hours)


def capacity_hours(
    person: Person,
    *,
    first: date,
    last: date,
    today: date,
    time_off: Mapping[date, float],
) -> float:
    """Capacity over [first, last], counting days up to and including today only."""
    span = counted_span(first, last, today=today)
    if span is None:
        return 0.0
    return capacity_over(person, working_days(*span), time_off=time_off)


def capacity_over(person: Person, days: Sequence[date], *, time_off: Mapping[date, float]) -> float:
    """Capacity over given working days (callers computing many people share the days)."""
    return sum(day_capacity(person, day, time_off_hours=time_off.get(day, 0.0)) for day in days)


def entry_seconds(*, duration_s: int | None, started_at: datetime, now: datetime) -> float:
    """A stopped entry's duration, or a running one's time so far."""
    if duration_s is not None:
        return float(duration_s)
    return max(0.0, (now - started_at).total_seconds())


def hours_of_entries(
    entries: Iterable[EntryLike],
    *,
    first: date,
    last: date,
    tz: ZoneInfo,
    now: datetime,
) -> Hours:
    """Entries that started on a local day in [first, last], each counted wholly there."""
    total = Hours()
    for entry in entries:
        if first <= local_date(entry.started_at, tz) <= last:
            seconds = entry_seconds(
                duration_s=entry.duration_s, started_at=entry.started_at, now=now
            )
            total += Hours(seconds, seconds if entry.billable else 0.0)
    return total


def utilization_of(hours: Hours, capacity: float) -> Utilization:
    return Utilization(hours.tracked_hours, hours.billable_hours, capacity)


def person_utilization(
    person: Person,
    entries: Iterable[EntryLike],
    *,
    first: date,
    last: date,
    now: datetime,
    tz: ZoneInfo,
    time_off: Mapping[date, float],
) -> Utilization:
    """One person's period from their entry rows: hours only on days they were employed."""
    today = local_date(now, tz)
    span = counted_span(first, last, today=today)
    employed = employed_span(person, *span) if span else None
    hours = Hours()
    if employed is not None:
        hours = hours_of_entries(entries, first=employed[0], last=employed[1], tz=tz, now=now)
    capacity = capacity_hours(person, first=first, last=last, today=today, time_off=time_off)
    return utilization_of(hours, capacity)


def aggregate(figures: Iterable[tuple[Person, Utilization]]) -> Utilization:
    """A team's or the organisation's figures: sums over people with capacity, then ratios."""
    tracked = billable = capacity = 0.0
    for person, figure in figures:
        if person.counts:
            tracked += figure.tracked_hours
            billable += figure.billable_hours
            capacity += figure.capacity_hours
    return Utilization(tracked, billable, capacity)
