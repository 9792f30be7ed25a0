"""Driving WorksHub's form dialogs, tables and week picker in the simulated browser."""

from __future__ import annotations

from typing import Any

from nicegui import ElementFilter, ui
from nicegui.elements.mixins.validation_element import ValidationElement
from nicegui.testing.user import User

from tests.ui.conftest import wait_for

__all__ = [
    "element",
    "field_error",
    "fill",
    "has",
    "marked",
    "rows_of",
    "save",
    "wait_rows",
]


def marked(user: User, marker: str) -> list[Any]:
    """Elements with this marker on the open page, hidden ones too (user.find skips those)."""
    if user.client is None:
        return []
    with user.client:
        return list(ElementFilter(marker=marker))


def has(user: User, marker: str) -> bool:
    return bool(marked(user, marker))


def element(user: User, marker: str) -> Any:
    """The single element with this marker."""
    found = marked(user, marker)
    assert len(found) == 1, f"{len(found)} elements marked {marker!r}"
    return found[0]


async def fill(user: User, **values: Any) -> None:
    """Wait for a form dialog, then set its fields (`field-{name}` markers) as a person would."""
    first = next(iter(values))
    await wait_for(lambda: has(user, f"field-{first}"), what=f"the form's {first} field")
    assert user.client is not None
    with user.client:
        for name, value in values.items():
            element(user, f"field-{name}").value = value


def save(user: User) -> None:
    user.find(marker="form-save").click()


def field_error(user: User, name: str) -> str | None:
    target = element(user, f"field-{name}")
    assert isinstance(target, ValidationElement)
    return target.error


def rows_of(user: User, marker: str) -> list[dict[str, Any]]:
    table = element(user, marker)
    assert isinstance(table, ui.table)
    return list(table.rows)


async def wait_rows(user: User, marker: str, condition: Any, *, what: str) -> list[dict[str, Any]]:
    """Wait until the table's rows satisfy `condition(rows)`; return them."""
    await wait_for(lambda: has(user, marker) and condition(rows_of(user, marker)), what=what)
    return rows_of(user, marker)
