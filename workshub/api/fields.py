"""Field types for request bodies and parameters: bounded so bad input is a 422, never a 500.

Ids fit PostgreSQL's 32-bit integers, dates and instants stay far from the calendar's ends
(zoneinfo arithmetic overflows there), text refuses NUL (PostgreSQL refuses it in text), and
numbers are finite.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

__all__ = [
    "MAX_ID",
    "Day",
    "FiniteFloat",
    "Id",
    "Instant",
    "LongText",
    "Name",
    "Secret",
    "ShortText",
    "StrictFlag",
    "StrictId",
    "Version",
    "check_day",
    "check_text",
]

MAX_ID = 2**31 - 1
_FIRST_DAY = date(1900, 1, 1)
_LAST_DAY = date(2999, 12, 31)


def check_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def check_day(value: date) -> date:
    if not _FIRST_DAY <= value <= _LAST_DAY:
        raise ValueError("must be between 1900-01-01 and 2999-12-31")
    return value


def _utc_instant(value: datetime) -> datetime:
    check_day(value.date())
    return value.astimezone(UTC)


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
StrictId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Version = Annotated[int, Field(strict=True, ge=1, le=MAX_ID, description="The row's version")]
StrictFlag = Annotated[bool, Field(strict=True)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1e9)]
Day = Annotated[date, AfterValidator(check_day)]
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_utc_instant),
    Field(description="RFC 3339 with an offset or Z; a naive instant is refused"),
]
ShortText = Annotated[str, Field(max_length=300), AfterValidator(check_text)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(check_text)]
LongText = Annotated[str, Field(max_length=5000), AfterValidator(check_text)]
Secret = Annotated[str, Field(max_length=1024), AfterValidator(check_text)]
