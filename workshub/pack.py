"""`python -m workshub.pack`: the single-file `workshub` executable.

It runs PyInstaller with what `nicegui-pack --onefile` passes (NiceGUI's whole package folder as
data, so its static files and element sources are there) plus what WorksHub loads by path or by
name at run time, which PyInstaller's import analysis cannot see: the assets folder, the
Alembic migrations (loaded as files), the SQLAlchemy drivers picked from a URL and psycopg's
binary implementation. Needs the `build` extra: `pip install -e '.[build]'`.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import nicegui

import workshub
from workshub.migrate import migrations_dir
from workshub.ui.theme import assets_dir

__all__ = ["EXECUTABLE_NAME", "build", "main", "pyinstaller_args"]

EXECUTABLE_NAME = "workshub"
# Imported by name (a database URL, a try/except, zoneinfo's fallback to the tzdata package where
# the machine has no zoneinfo files), so PyInstaller's import analysis cannot follow them.
HIDDEN_IMPORTS = (
    "tzdata",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg_binary",
    "psycopg_binary.pq",
    "psycopg_binary._psycopg",
    "_cffi_backend",
    "alembic.ddl.sqlite",
    "alembic.ddl.postgresql",
)
# Read through importlib.metadata at run time.
METADATA = ("nicegui", "fastapi", "pydantic", "sqlmodel", "alembic", "psycopg", "argon2-cffi")
# Installed beside WorksHub for its tests and tooling, never used by the app; `workshub bench`
# drives Chromium and stays a developer's command.
EXCLUDES = (
    "workshub.bench",
    "pytest",
    "_pytest",
    "playwright",
    "mypy",
    "ruff",
    "tkinter",
    "PyInstaller",
)


def _data(source: Path, target: str) -> list[str]:
    if not source.is_dir():
        raise SystemExit(f"workshub.pack: {source} is missing (build from a clone of the repo)")
    return ["--add-data", f"{source}{os.pathsep}{target}"]


def pyinstaller_args(*, dist: Path, work: Path) -> list[str]:
    """PyInstaller's command line for the onefile build (also shown by --dry-run)."""
    entry = Path(workshub.__file__).parent / "__main__.py"
    args = [
        "--name",
        EXECUTABLE_NAME,
        "--onefile",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--specpath",
        str(work),
        *_data(Path(nicegui.__file__).parent, "nicegui"),
        *_data(assets_dir(), "assets"),
        *_data(migrations_dir(), "workshub/migrations"),
    ]
    for name in HIDDEN_IMPORTS:
        args += ["--hidden-import", name]
    for name in METADATA:
        args += ["--copy-metadata", name]
    for name in EXCLUDES:
        args += ["--exclude-module", name]
    return [*args, str(entry)]


def build(*, dist: Path, work: Path, clean: bool = False) -> Path:
    """Build the executable into `dist`; returns its path. Takes minutes (PyInstaller)."""
    if importlib.util.find_spec("PyInstaller") is None:
        raise SystemExit("workshub.pack needs PyInstaller: pip install -e '.[build]'")
    command = [sys.executable, "-m", "PyInstaller", *pyinstaller_args(dist=dist, work=work)]
    if clean:
        command.append("--clean")
    subprocess.run(command, check=True)
    executable = dist / (EXECUTABLE_NAME + (".exe" if os.name == "nt" else ""))
    if not executable.is_file():
        raise SystemExit(f"workshub.pack: PyInstaller finished but {executable} is missing")
    return executable


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workshub.pack",
        description="Build the single-file workshub executable with PyInstaller.",
    )
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="output folder (dist)")
    parser.add_argument(
        "--work", type=Path, default=Path("build"), help="PyInstaller's work folder (build)"
    )
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument("--dry-run", action="store_true", help="print the command, build nothing")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    if args.dry_run:
        print(sys.executable, "-m", "PyInstaller", *pyinstaller_args(dist=dist, work=work))
        return 0
    started = time.perf_counter()
    executable = build(dist=dist, work=work, clean=args.clean)
    size_mb = executable.stat().st_size / 1e6
    took = time.perf_counter() - started
    print(f"Built {executable} ({size_mb:.0f} MB) in {took:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
