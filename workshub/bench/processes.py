"""The processes a bench run starts: `workshub serve` on a prepared data dir, the floor server,
and the dashboards' load generator. Each runs in its own process group on 127.0.0.1 and is
stopped with everything it started; CPU and memory are read from outside with psutil."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from workshub.bench.loadgen import LoadConfig

__all__ = [
    "LoadGenerator",
    "Server",
    "child_env",
    "floor_server",
    "free_port",
    "wait_healthy",
    "workshub_server",
]

START_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env() -> dict[str, str]:
    """Our environment without pytest's markers: NiceGUI will not serve under PYTEST_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("NICEGUI_USER_SIMULATION", None)
    return env


@dataclass(frozen=True)
class Server:
    """A running server process, measured from outside."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def _ps(self) -> psutil.Process:
        return psutil.Process(self.process.pid)

    def cpu_s(self) -> float:
        """User + system CPU seconds so far, all threads."""
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        return int(self._ps.memory_info().rss)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def _running(command: list[str], *, url: str, log: Path, timeout: float) -> Iterator[Server]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=child_env(),
            start_new_session=True,  # its own process group: stopping it leaves nothing behind
        )
    try:
        wait_healthy(url, process, log, timeout=timeout)
        yield Server(url=url, process=process, log=log)
    finally:
        _stop(process)


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, *, timeout: float) -> None:
    """Until `url`'s /api/v1/health answers 200; raises (with the log's tail) if the process
    exits first or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s (log: {log})")


@contextmanager
def workshub_server(
    data_dir: Path, *, demo: bool = False, timeout: float = START_TIMEOUT_S
) -> Iterator[Server]:
    """`python -m workshub serve` on a free port over `data_dir`'s database; `demo` seeds an
    empty one (the bench prepares its own, the browser tests take the demo)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [sys.executable, "-m", "workshub", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir)] + ([] if demo else ["--no-demo"])
    with _running(
        command, url=f"http://127.0.0.1:{port}", log=data_dir / "server.log", timeout=timeout
    ) as server:
        yield server


@contextmanager
def floor_server(work_dir: Path) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, "-m", "workshub.bench.floor", "--port", str(port)]
    with _running(
        command, url=f"http://127.0.0.1:{port}", log=work_dir / "floor.log", timeout=60.0
    ) as server:
        yield server


class LoadGenerator:
    """The load generator process, driven over its stdin/stdout (see `workshub.bench.loadgen`)."""

    def __init__(self, config: LoadConfig, *, work_dir: Path) -> None:
        self.config = config
        self.work_dir = work_dir
        self._process: asyncio.subprocess.Process | None = None

    async def start(self, *, timeout: float = 600.0) -> dict[str, Any]:
        """Start it and wait until every dashboard is connected and showing data."""
        config_path = self.work_dir / f"loadgen-{self.config.mode}.json"
        config_path.write_text(json.dumps(asdict(self.config)))
        with (self.work_dir / f"loadgen-{self.config.mode}.log").open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "workshub.bench.loadgen",
                str(config_path),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                env=child_env(),
                start_new_session=True,
            )
        return await self._read_line(timeout=timeout)

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def finish(self, *, timeout: float = 300.0) -> dict[str, Any]:
        """Ask for the records, wait for them, and let the process exit."""
        process = self._process
        assert process is not None and process.stdin is not None
        process.stdin.write(b"stop\n")
        await process.stdin.drain()
        await self._read_line(timeout=timeout)
        await asyncio.wait_for(process.wait(), timeout=60.0)
        result: dict[str, Any] = json.loads(Path(self.config.out).read_text())
        return result

    async def _read_line(self, *, timeout: float) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=timeout)
        if not line:
            await process.wait()
            raise RuntimeError(
                f"the load generator exited with {process.returncode} "
                f"(log: {self.work_dir}/loadgen-{self.config.mode}.log)"
            )
        message: dict[str, Any] = json.loads(line)
        return message

    async def kill(self) -> None:
        process = self._process
        if process is None or process.returncode is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        await process.wait()
