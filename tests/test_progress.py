"""The progress bar: what it shows, when it draws, and that it can stay silent."""

from __future__ import annotations

import io

from workshub.progress import ProgressBar, format_duration, format_rate


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_formats() -> None:
    assert format_duration(7.4) == "0:07"
    assert format_duration(725) == "12:05"
    assert format_duration(3723) == "1:02:03"
    assert format_duration(-3) == "0:00"
    assert format_rate(850) == "850/s"
    assert format_rate(61_234) == "61.2k/s"
    assert format_rate(1_300_000) == "1.3M/s"


def test_line_shows_percentage_counts_rate_and_eta() -> None:
    clock = FakeMonotonic()
    bar = ProgressBar(1000, label="Entries", stream=io.StringIO(), monotonic=clock, width=10)
    clock.now += 2
    bar.advance(250)
    assert bar.line() == "Entries [##········]  25% 250/1,000 125/s ETA 0:06"
    clock.now += 6
    bar.advance(750)
    assert bar.line().endswith("100% 1,000/1,000 125/s in 0:08")


def test_a_log_gets_a_line_now_and_then_and_the_final_state() -> None:
    clock = FakeMonotonic()
    stream = io.StringIO()
    with ProgressBar(100, label="Work", stream=stream, monotonic=clock) as bar:
        for _ in range(10):
            clock.now += 1
            bar.advance(10)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3  # after 5 s, after 10 s, and on close
    assert "\r" not in stream.getvalue()
    assert lines[0].startswith("Work") and " 50%" in lines[0]
    assert "100%" in lines[-1] and "in 0:10" in lines[-1]


def test_a_terminal_redraws_one_line_in_place() -> None:
    clock = FakeMonotonic()
    stream = TtyStream()
    with ProgressBar(3, label="Work", stream=stream, monotonic=clock) as bar:
        for _ in range(3):
            clock.now += 0.5
            bar.advance()
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1


def test_update_to_takes_absolute_progress_and_a_late_total() -> None:
    stream = io.StringIO()
    bar = ProgressBar(0, label="Weeks", stream=stream, monotonic=FakeMonotonic())
    bar.update_to(13, 156)
    bar.update_to(156, 156)
    bar.close()
    assert (bar.done, bar.total) == (156, 156)
    assert "156/156" in stream.getvalue()


def test_disabled_draws_nothing() -> None:
    stream = TtyStream()
    with ProgressBar(10, label="Quiet", stream=stream, enabled=False) as bar:
        bar.advance(10)
    assert stream.getvalue() == ""
