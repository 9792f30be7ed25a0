"""The look: one stylesheet in assets/, Quasar's brand colours, and the favicon."""

from __future__ import annotations

import sys
from pathlib import Path

from nicegui import app, ui

__all__ = ["ASSETS_DIR", "apply_theme", "assets_dir", "serve_assets"]


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


def apply_theme() -> None:
    """Per page: stylesheet and colours (NiceGUI builds head elements per client)."""
    ui.add_head_html('<link rel="stylesheet" href="/assets/theme.css">')
    ui.colors(**BRAND)
