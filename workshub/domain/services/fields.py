"""Reading raw field values for admin-edited records, one message per field.

Values arrive from the API (already typed by pydantic), the admin page and the CLI (often
strings), so each reader accepts the obvious spellings and names the field when it cannot.
Every problem is collected before anything is raised: a form shows all its errors at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from workshub.domain.errors import ValidationFailed

__all__ = ["FieldReader", "reject_unknown"]

_MISSING = object()


class FieldReader:
    """Reads fields out of `values`; `done()` raises one ValidationFailed naming every bad field."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def done(self) -> None:
        if self.errors:
            message = "; ".join(f"{name}: {text}" for name, text in self.errors.items())
            raise ValidationFailed(message, fields=dict(self.errors))

    def _raw(self, name: str) -> Any:
        value = self.values.get(name, _MISSING)
        if isinstance(value, str):
            value = value.strip()
            return None if value == "" else value
        return None if value is _MISSING else value

    def text(self, name: str, *, max_length: int) -> str:
        """A required, stripped string."""
        value = self._raw(name)
        if value is None:
            self.fail(name, "is required")
            return ""
        if not isinstance(value, str):
            self.fail(name, "must be text")
            return ""
        if len(value) > max_length:
            self.fail(name, f"must be at most {max_length} characters")
        return value

    def number(
        self,
        name: str,
        *,
        minimum: float = 0.0,
        positive: bool = False,
        maximum: float | None = None,
        required: bool = False,
    ) -> float | None:
        """A number ≥ minimum (> minimum when `positive`), at most `maximum`; None if optional."""
        value = self._raw(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        number = _as_float(value)
        if number is None:
            self.fail(name, "must be a number")
            return None
        if number < minimum or (positive and number == minimum):
            self.fail(name, f"must be {'greater than' if positive else 'at least'} {minimum:g}")
        elif maximum is not None and number > maximum:
            self.fail(name, f"must be at most {maximum:g}")
        return number

    def ident(self, name: str) -> int | None:
        """An optional row id."""
        value = self._raw(name)
        if value is None:
            return None
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            self.fail(name, "must be an id")
            return None
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        """A local date (a `date` or an ISO string); None if optional and absent."""
        value = self._raw(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if isinstance(value, datetime):
            self.fail(name, "must be a date, not a date-time")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(name, "must be a date (YYYY-MM-DD)")
        return None

    def choice(self, name: str, enum: type[StrEnum], *, default: StrEnum | None = None) -> str:
        value = self._raw(name)
        if value is None and default is not None:
            return default.value
        allowed = [member.value for member in enum]
        if value not in allowed:
            self.fail(name, f"must be one of {', '.join(allowed)}")
            return default.value if default is not None else allowed[0]
        return str(value)

    def flag(self, name: str, *, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.fail(name, "must be true or false")
        return default


def _as_float(value: Any) -> float | None:
    """A finite float from a number or numeric text; None for anything else (bools included)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def reject_unknown(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """A field that cannot be changed is a validation error, not a silent no-op."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed(
            "; ".join(f"{name}: cannot be changed" for name in unknown),
            fields=dict.fromkeys(unknown, "cannot be changed"),
        )
