"""The look: one stylesheet in assets/, Quasar's brand colours, and the favicon; installed once
for every page (per page they would cost each connected client an element and its own head)."""

from __future__ import annotations

import sys
from pathlib import Path

from nicegui import app, ui

__all__ = ["ASSETS_DIR", "assets_dir", "install_theme", "serve_assets"]


def assets_dir() -> Path:
    """The repository's assets/, or its copy unpacked from the single executable (which keeps
    no source tree, so a path relative to this module would point outside the bundle)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "assets"
    return Path(__file__).resolve().parents[2] / "assets"


ASSETS_DIR = assets_dir()

BRAND = {
    "primary": "#0f766e",
    "secondary": "#334155",
    "accent": "#f59e0b",
    "positive": "#15803d",
    "negative": "#b91c1c",
    "warning": "#b45309",
}


def serve_assets() -> None:
    app.add_static_files("/assets", str(ASSETS_DIR))


# The stylesheet, and the script that shows the connection state and the data's age.
HEAD = (
    '<link rel="stylesheet" href="/assets/theme.css">\n'
    '<script src="/assets/workshub.js" defer></script>'
)


def install_theme() -> None:
    """Once per app, before the first page: every page's head and Quasar's brand colours."""
    app.colors(**BRAND)
    ui.add_head_html(HEAD, shared=True)
