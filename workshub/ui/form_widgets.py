"""Dialogs the write pages share: a form whose service errors land next to their fields, a
confirmation, and a secret shown once (a new API token, a reset password).

Each dialog is built when opened and deleted when closed, so a page keeps no hidden elements
per row or per action (NiceGUI keeps every element of every client in memory).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nicegui import ui
from nicegui.elements.mixins.validation_element import ValidationElement

from workshub.ui.actions import Outcome
from workshub.ui.components import tid

__all__ = ["FormDialog", "FormField", "confirm", "show_once"]

FieldKind = Literal["text", "email", "password", "number", "select", "date", "time", "switch"]


@dataclass(frozen=True)
class FormField:
    """One input. `name` is the service's field name, so its validation message finds it."""

    name: str
    label: str
    kind: FieldKind = "text"
    options: Mapping[Any, str] | None = None
    hint: str = ""
    clearable: bool = False
    step: float | None = None
    wide: bool = False  # spans both columns of the form


class FormDialog:
    """A modal form. `await form.run(submit)` shows it until `submit(values)` succeeds (→ its
    Outcome) or the person cancels (→ None); a failed Outcome's field messages show under the
    fields they name, anything else in a banner."""

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        *,
        values: Mapping[str, Any] | None = None,
        submit_label: str = "Save",
        aliases: Mapping[str, str] | None = None,
        subtitle: str = "",
    ) -> None:
        self.fields = list(fields)
        self.aliases = dict(aliases or {})
        self.inputs: dict[str, ui.element] = {}
        values = values or {}
        with ui.dialog() as self.dialog, ui.card().classes("w-full").style("max-width: 520px"):
            ui.label(title).classes("text-h6")
            if subtitle:
                ui.label(subtitle).classes("wh-subtitle")
            with ui.element("div").classes("w-full grid grid-cols-1 sm:grid-cols-2 gap-x-3"):
                for field in self.fields:
                    element = self._input(field, values.get(field.name))
                    self.inputs[field.name] = tid(element, f"field-{field.name}")
            self.banner = tid(ui.label().classes("wh-banner-error w-full"), "form-error")
            self.banner.set_visibility(False)
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat")
                self.save = tid(ui.button(submit_label).props("unelevated"), "form-save")

    def _input(self, field: FormField, value: Any) -> ui.element:
        if field.kind == "switch":
            return ui.switch(field.label, value=bool(value)).classes("q-mt-sm")
        if field.kind == "select":
            options = dict(field.options or {})
            element: ui.element = ui.select(
                options,
                value=value if value in options else None,
                label=field.label,
                with_input=len(options) > 8,
                clearable=field.clearable,
            ).props("outlined dense options-dense")
        elif field.kind == "number":
            element = ui.number(field.label, value=value, step=field.step).props("outlined dense")
        elif field.kind == "password":
            element = ui.input(field.label, password=True, password_toggle_button=True).props(
                "outlined dense"
            )
        else:
            element = ui.input(field.label, value="" if value is None else str(value)).props(
                "outlined dense"
            )
            if field.kind in ("email", "date", "time"):
                element.props(f"type={field.kind} stack-label")
        if field.hint:
            element.props(f'hint="{field.hint}"')
        return element.classes("w-full sm:col-span-2" if field.wide else "w-full")

    def values(self) -> dict[str, Any]:
        """The form as the services take it: text stripped, an empty optional value as None."""
        result: dict[str, Any] = {}
        for name, element in self.inputs.items():
            value = getattr(element, "value", None)
            if isinstance(value, str):
                value = value.strip()
            result[name] = value
        return result

    def show_errors(self, outcome: Outcome[Any]) -> None:
        unplaced = []
        for name, message in (outcome.fields or {}).items():
            element = self.inputs.get(self.aliases.get(name, name))
            if isinstance(element, ValidationElement):
                element.error = message
            else:
                unplaced.append(f"{name}: {message}")
        text = "; ".join(unplaced) if unplaced else ("" if outcome.fields else outcome.error)
        self.banner.set_text(text or "")
        self.banner.set_visibility(bool(text))

    def fail(self, name: str, message: str) -> None:
        """A problem found before calling the service (a time that does not parse)."""
        self.show_errors(Outcome(error=message, fields={name: message}))

    def clear_errors(self) -> None:
        for element in self.inputs.values():
            if isinstance(element, ValidationElement):
                element.error = None
        self.banner.set_visibility(False)

    async def run(
        self, submit: Callable[[dict[str, Any]], Awaitable[Outcome[Any] | None]]
    ) -> Outcome[Any] | None:
        async def save() -> None:
            self.clear_errors()
            self.save.props("loading")
            try:
                outcome = await submit(self.values())
            finally:
                self.save.props(remove="loading")
            if outcome is None:
                return  # the submitter showed why (or the person lost access)
            if outcome.ok:
                self.dialog.submit(outcome)
            else:
                self.show_errors(outcome)

        self.save.on_click(save)
        result = await self.dialog
        if not self.dialog.is_deleted:
            self.dialog.delete()
        return result if isinstance(result, Outcome) else None


async def confirm(text: str, *, ok_label: str = "Delete", detail: str = "") -> bool:
    """A yes/no question; True only when the person confirms."""
    with ui.dialog() as dialog, ui.card().style("max-width: 420px"):
        ui.label(text).classes("text-subtitle1 text-weight-medium")
        if detail:
            ui.label(detail).classes("wh-subtitle")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            tid(
                ui.button(ok_label, on_click=lambda: dialog.submit(True)).props(
                    "unelevated color=negative"
                ),
                "confirm-ok",
            )
    result = await dialog
    if not dialog.is_deleted:
        dialog.delete()
    return result is True


async def show_once(title: str, secret: str, *, note: str) -> None:
    """A secret the server keeps no copy of: shown this once, with a copy button."""
    with (
        ui.dialog().props("persistent") as dialog,
        ui.card().classes("w-full").style("max-width: 520px"),
    ):
        ui.label(title).classes("text-h6")
        ui.label(note).classes("wh-subtitle")
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            tid(
                ui.input(value=secret).props("outlined dense readonly").classes("col font-mono"),
                "secret-value",
            )

            def copy() -> None:
                ui.clipboard.write(secret)
                ui.notify("Copied.", timeout=1200)

            ui.button(icon="content_copy", on_click=copy).props("flat round dense").tooltip("Copy")
        with ui.row().classes("w-full justify-end"):
            tid(ui.button("Done", on_click=dialog.close).props("unelevated"), "secret-done")
    await dialog
    if not dialog.is_deleted:
        dialog.delete()
