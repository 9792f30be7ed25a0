"""A progress bar on stderr for long commands (the large seed): percentage, rate and ETA.

No dependency, so the single binary carries it. On a terminal it redraws one line in place a
few times a second; into a file or a pipe it writes a plain line now and then, so logs stay
readable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

__all__ = ["ProgressBar", "format_duration", "format_rate"]

TTY_INTERVAL_S = 0.1
LOG_INTERVAL_S = 5.0


def format_duration(seconds: float) -> str:
    """`0:07`, `12:05`, `1:02:03`: an ETA people read at a glance."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(per_second: float) -> str:
    """`850/s`, `61.2k/s`, `1.3M/s`."""
    if per_second >= 1_000_000:
        return f"{per_second / 1_000_000:.1f}M/s"
    if per_second >= 1_000:
        return f"{per_second / 1_000:.1f}k/s"
    return f"{per_second:.0f}/s"


class ProgressBar:
    """Counts work done towards a known total and shows it; `enabled=False` draws nothing.

    Usage::

        with ProgressBar(len(rows), label="Entries") as bar:
            for chunk in chunks:
                write(chunk)
                bar.advance(len(chunk))
    """

    def __init__(
        self,
        total: int,
        *,
        label: str,
        stream: TextIO | None = None,
        enabled: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        width: int = 28,
    ) -> None:
        self.total = max(0, total)
        self.label = label
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._monotonic = monotonic
        self._width = width
        self._tty = enabled and _is_tty(self._stream)
        self._started = monotonic()
        # A log gets its first line after an interval, not for the first item done.
        self._drawn_at: float | None = None if self._tty else self._started
        self._closed = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n) if self.total else self.done + n
        now = self._monotonic()
        interval = TTY_INTERVAL_S if self._tty else LOG_INTERVAL_S
        if self._drawn_at is None or now - self._drawn_at >= interval:
            self._draw(now)

    def update_to(self, done: int, total: int | None = None) -> None:
        """Absolute progress, for work that reports `(done, total)` itself."""
        if total is not None:
            self.total = max(0, total)
        self.advance(done - self.done)

    def close(self) -> None:
        """Draw the final state once and end the line."""
        if self._closed:
            return
        self._closed = True
        if not self._enabled:
            return
        self._draw(self._monotonic(), final=True)

    def line(self, now: float | None = None) -> str:
        """The bar as text (what is drawn)."""
        now = self._monotonic() if now is None else now
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self._width)
        bar = "#" * filled + "·" * (self._width - filled)
        counts = f"{self.done:,}/{self.total:,}"
        if self.done >= self.total:
            tail = f"in {format_duration(elapsed)}"
        elif rate > 0:
            tail = f"ETA {format_duration((self.total - self.done) / rate)}"
        else:
            tail = "ETA ?"
        return f"{self.label} [{bar}] {fraction:4.0%} {counts} {format_rate(rate)} {tail}"

    def _draw(self, now: float, *, final: bool = False) -> None:
        if not self._enabled:
            return
        self._drawn_at = now
        text = self.line(now)
        if self._tty:
            self._stream.write("\r" + text + "\x1b[K" + ("\n" if final else ""))
        else:
            self._stream.write(text + "\n")
        self._stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
