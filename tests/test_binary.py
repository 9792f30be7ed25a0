"""The single-file executable, built by `python -m workshub.pack` and run as a user would: with
no Python environment around it, on a free port, signed in through the API, stopped by SIGTERM.

The build takes one to two minutes, so one executable serves the module: `dist/workshub` when
it is newer than every source file (a developer just built it), else a fresh build in a temporary
folder. Without PyInstaller these tests skip locally and FAIL in CI (CI=true): CI installs the
`build` extra, and a smoke test that silently skips there proves nothing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workshub import __version__
from workshub.bench.processes import free_port, wait_healthy
from workshub.pack import EXECUTABLE_NAME, build

pytestmark = [
    pytest.mark.binary,
    pytest.mark.skipif(sys.platform != "linux", reason="the smoke test reads /proc"),
]

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (ROOT / "workshub", ROOT / "assets", ROOT / "pyproject.toml")
START_TIMEOUT_S = 120.0  # unpacking ~60 MB, migrating and seeding the demo
STOP_TIMEOUT_S = 30.0


def _newest_source() -> float:
    newest = 0.0
    for source in SOURCES:
        files = [source] if source.is_file() else source.rglob("*")
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="module")
def executable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = ROOT / "dist" / EXECUTABLE_NAME
    if built.is_file() and built.stat().st_mtime > _newest_source():
        return built
    if importlib.util.find_spec("PyInstaller") is None:
        reason = "the executable needs PyInstaller: pip install -e '.[build]'"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{reason}; CI must not skip the binary test", pytrace=False)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("pack")
    return build(dist=folder / "dist", work=folder / "build")


def _bare_env(home: Path) -> dict[str, str]:
    """A machine without Python: no venv on PATH, no PYTHONPATH, no PYTEST_*, and (through an
    empty PYTHONTZPATH) not even the system's zoneinfo, so the bundled tzdata must answer."""
    tmp = home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "TMPDIR": str(tmp),  # where onefile unpacks; must be empty again after a clean stop
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONTZPATH": "",
        "WORKSHUB_TIMEZONE": "Europe/Berlin",
    }


def _session_processes(session_id: int) -> list[int]:
    """Every process still alive in the session the executable was started in."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended while we looked
            continue
        state, _ppid, _pgrp, session = stat.rsplit(")", 1)[1].split()[:4]
        if int(session) == session_id and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.fixture
def serving(executable: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The executable serving the demo on a free port from a temporary data dir; killed (whole
    session) if a test leaves it running."""
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(executable), "--port", str(port), "--data-dir", str(tmp_path / "data")],
            cwd=tmp_path,
            env=_bare_env(tmp_path / "home"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log, timeout=START_TIMEOUT_S)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_executable_serves_the_demo_and_stops_cleanly(
    serving: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    url, process = serving
    with httpx.Client(base_url=url, timeout=30.0) as http:
        assert http.get("/api/v1/health").json() == {"status": "ok", "version": __version__}
        signed_in = http.post(
            "/api/v1/auth/token", json={"email": "admin@demo.test", "password": "demo"}
        )
        assert signed_in.status_code == 200, signed_in.text
        auth = {"Authorization": f"Bearer {signed_in.json()['token']}"}

        metrics = http.get("/api/v1/dashboard/metrics", headers=auth)
        assert metrics.status_code == 200, metrics.text
        envelope = metrics.json()
        assert envelope["key"].startswith("metrics:org:0:")
        assert envelope["data"]["tracked_hours"] > 0  # the demo was seeded
        assert envelope["data"]["capacity_hours"] > 0

        export = http.get("/api/v1/time-entries.csv", headers=auth)
        assert export.status_code == 200
        assert export.text.splitlines()[0].startswith("id,user_id,user_name")
        # The pages' own files: the bundled assets and NiceGUI's static folder.
        assert http.get("/assets/theme.css").status_code == 200
        login = http.get("/login")
        assert login.status_code == 200
        assert http.get(f"/_nicegui/{_nicegui_version()}/static/nicegui.js").status_code == 200

    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught (as systemd expects);
    # the log line proves the shutdown hooks ran rather than the default handler killing it.
    assert process.wait(timeout=STOP_TIMEOUT_S) in (0, -signal.SIGTERM)
    assert "WorksHub stopped" in (tmp_path / "server.log").read_text()
    deadline = time.monotonic() + 5.0
    while (left := _session_processes(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"processes left running: {left}"
    assert list((tmp_path / "home" / "tmp").iterdir()) == []  # onefile's unpack folder is gone
    assert (tmp_path / "data" / "workshub.db").is_file()
    assert (tmp_path / "data" / "secret.key").is_file()


def test_first_start_makes_its_data_dir_beside_the_executable(
    executable: Path, tmp_path: Path
) -> None:
    installed = tmp_path / "opt" / EXECUTABLE_NAME
    installed.parent.mkdir()
    shutil.copy2(executable, installed)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(installed), "migrate"],
        cwd=elsewhere,
        env=_bare_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT_S * 2,
    )
    assert result.returncode == 0, result.stderr
    assert (installed.parent / "data" / "workshub.db").is_file()
    assert list(elsewhere.iterdir()) == []


def _nicegui_version() -> str:
    from nicegui import __version__ as nicegui_version

    return nicegui_version
