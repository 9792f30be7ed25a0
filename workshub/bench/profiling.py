"""Where the server's time goes during the push writes: py-spy samples the running server
(from outside, no code change), and the samples are summed per library of the innermost frame
and per WorksHub/NiceGUI function (inclusive). Optional: needs `py-spy` on PATH or beside
Python, and ptrace rights (root, or a relaxed yama ptrace_scope)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["ServerProfile", "summarise_collapsed"]

RATE_HZ = 200
TOP = 15
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")
# The innermost frame's file decides the bucket; the first match wins.
BUCKETS = (
    ("database", ("sqlalchemy/", "sqlite3", "sqlmodel/", "psycopg")),
    ("workshub domain", ("workshub/domain/",)),
    ("workshub live", ("workshub/live/",)),
    ("workshub ui", ("workshub/ui/",)),
    ("workshub api", ("workshub/api/",)),
    ("nicegui", ("nicegui/",)),
    ("socket.io/ws", ("socketio/", "engineio/", "wsproto/", "h11/")),
    ("json", ("orjson", "json/")),
    ("http server", ("uvicorn/", "starlette/", "fastapi/", "anyio/")),
    ("pydantic", ("pydantic",)),
    ("event loop", ("asyncio/",)),
)
# BEGIN IMMEDIATE waiting for SQLite's one writer: a wait, though py-spy sees a busy thread.
LOCK_WAIT = "sqlite write lock (waiting)"
# Frames every sample of the main thread passes through: not worth listing.
ENTRY_FILES = (
    "workshub/__main__.py",
    "workshub/cli.py",
    "workshub/server.py",
    "nicegui/ui_run.py",
    "nicegui/server.py",
)
IDLE_FILES = (
    "concurrent/futures/thread.py",
    "threading.py",
    "asyncio/runners.py",
    "selectors.py",
    "queue.py",
)


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _bucket(file: str) -> str:
    for name, needles in BUCKETS:
        if any(needle in file for needle in needles):
            return name
    return "other"


def _frame(text: str) -> tuple[str, str]:
    match = _FRAME.match(text.strip())
    return (match["func"], match["file"]) if match else (text.strip(), "")


def summarise_collapsed(text: str) -> dict[str, Any]:
    """Self samples per bucket, and inclusive samples of our and NiceGUI's functions, as
    percentages of the samples that were working (waiting threads are left out)."""
    buckets: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = idle = 0
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        if any(frames[-1][1].endswith(name) for name in IDLE_FILES):
            idle += count
            continue
        total += count
        waiting = any(func.endswith("_sqlite_begin") for func, _file in frames)
        buckets[LOCK_WAIT if waiting else _bucket(frames[-1][1])] += count
        seen = set()
        for func, file in frames:
            if ("workshub/" in file or "nicegui/" in file) and not file.endswith(ENTRY_FILES):
                name = f"{file.split('site-packages/')[-1]}:{func}"
                if name not in seen:
                    seen.add(name)
                    inclusive[name] += count
    pct = (lambda n: round(100 * n / total, 1)) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "idle_samples": idle,
        "self_by_library_pct": {name: pct(n) for name, n in buckets.most_common()},
        "inclusive_top_pct": {name: pct(n) for name, n in inclusive.most_common(TOP)},
    }


class ServerProfile:
    def __init__(self, pid: int, out_dir: Path, *, name: str) -> None:
        self.pid = pid
        out_dir.mkdir(parents=True, exist_ok=True)
        self.output = out_dir / f"server-profile-{name}.txt"  # collapsed stacks (flame graphs)
        self._process: subprocess.Popen[bytes] | None = None
        self.error: str | None = None

    def start(self, *, seconds: float) -> None:
        tool = _py_spy()
        if tool is None:
            self.error = "py-spy is not installed"
            return
        command = [tool, "record", "--pid", str(self.pid), "--rate", str(RATE_HZ)]
        command += ["--duration", str(max(1, round(seconds))), "--format", "raw"]
        command += ["--output", str(self.output), "--threads", "--subprocesses"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finish(self) -> dict[str, Any]:
        if self._process is None:
            return {"error": self.error}
        _out, err = self._process.communicate(timeout=120)
        if self._process.returncode != 0 or not self.output.exists():
            return {"error": err.decode(errors="replace").strip()[-500:]}
        return {"stacks": str(self.output), **summarise_collapsed(self.output.read_text())}
