"""`workshub bench`: parse the flags, run, print the table, write the JSON (and, if asked, the
README's Performance section)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workshub.bench.options import SCENARIOS, BenchOptions
from workshub.bench.report import machine, markdown, table, write_json
from workshub.bench.run import run_bench

__all__ = ["main", "parse_options"]


def _scenarios(text: str) -> tuple[str, ...]:
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(SCENARIOS)}")
    return chosen


def _sizes(text: str) -> tuple[int | None, ...]:
    sizes: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if part == "full":
            sizes.append(None)
        elif part.endswith("k") and part[:-1].isdigit():
            sizes.append(int(part[:-1]) * 1000)
        elif part.isdigit():
            sizes.append(int(part))
        else:
            raise argparse.ArgumentTypeError(f"not a size: {part!r} (e.g. 10k,100k,full)")
    return tuple(sizes)


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be above 0")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    d = BenchOptions()
    p = argparse.ArgumentParser(
        prog="workshub bench",
        description="Measure what SPEC §9 promises: push latency against a plain socket.io "
        "floor, CPU and memory per dashboard, recompute cost, write throughput, page times.",
    )
    p.add_argument(
        "--scenarios",
        type=_scenarios,
        default=d.scenarios,
        help=f"comma-separated, from {','.join(SCENARIOS)} (default: all)",
    )
    p.add_argument(
        "--profile",
        choices=("demo", "large"),
        default=d.profile,
        help="seeded organisation (default large, ~850k entries)",
    )
    push = p.add_argument_group("push")
    push.add_argument(
        "--dashboards",
        type=_positive(int),
        default=d.dashboards,
        help="simulated dashboards (default 200; SPEC also asks for 500)",
    )
    push.add_argument("--writes", type=_positive(int), default=d.writes)
    push.add_argument("--rate", type=_positive(float), default=d.rate, help="writes per second")
    push.add_argument(
        "--sessions",
        type=_positive(int),
        default=d.sessions,
        help="manager sign-ins the dashboards share",
    )
    push.add_argument("--chromium-pages", type=int, default=d.chromium_pages)
    push.add_argument(
        "--profile-server",
        action="store_true",
        help="sample the server with py-spy during the push writes",
    )
    writes = p.add_argument_group("writes")
    writes.add_argument("--write-rate", type=_positive(float), default=d.write_rate)
    writes.add_argument("--write-seconds", type=_positive(float), default=d.write_seconds)
    writes.add_argument("--workers", type=_positive(int), default=d.workers)
    page = p.add_argument_group("page")
    page.add_argument("--page-gets", type=_positive(int), default=d.page_gets)
    page.add_argument("--page-loads", type=int, default=d.page_loads)
    recompute = p.add_argument_group("recompute")
    recompute.add_argument(
        "--recompute-sizes",
        type=_sizes,
        default=d.recompute_sizes,
        help="history sizes in entries, e.g. 10k,100k,full",
    )
    recompute.add_argument("--recompute-repeats", type=_positive(int), default=d.recompute_repeats)
    recompute.add_argument("--recompute-writes", type=_positive(int), default=d.recompute_writes)
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=d.cache_dir,
        help="seeded databases, reused for the day (default data/bench/cache)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=d.out_dir,
        dest="out_dir",
        help="where the JSON goes (default data/bench)",
    )
    p.add_argument("--markdown", type=Path, help="also write the README's Performance section here")
    p.add_argument(
        "--settle",
        type=_positive(float),
        default=d.settle_s,
        dest="settle_s",
        help="seconds of quiet around each phase (idle CPU, last pushes; default 3)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


def parse_options(argv: Sequence[str]) -> tuple[BenchOptions, argparse.Namespace]:
    args = _parser().parse_args(list(argv))
    options = BenchOptions(
        scenarios=args.scenarios,
        profile=args.profile,
        dashboards=args.dashboards,
        writes=args.writes,
        rate=args.rate,
        sessions=args.sessions,
        chromium_pages=max(0, args.chromium_pages),
        write_rate=args.write_rate,
        write_seconds=args.write_seconds,
        workers=args.workers,
        page_gets=args.page_gets,
        page_loads=max(0, args.page_loads),
        recompute_sizes=args.recompute_sizes,
        recompute_repeats=args.recompute_repeats,
        recompute_writes=args.recompute_writes,
        settle_s=args.settle_s,
        profile_server=args.profile_server,
        cache_dir=args.cache_dir.expanduser().resolve(),
        out_dir=args.out_dir.expanduser().resolve(),
        progress=not args.quiet,
    )
    return options, args


def main(argv: Sequence[str]) -> Path:
    """Run the bench; returns the JSON report's path."""
    options, args = parse_options(argv)
    started = time.monotonic()
    report: dict[str, Any] = {"machine": machine(), "started_at": datetime.now(UTC).isoformat()}
    report.update(run_bench(options))
    report["finished_at"] = datetime.now(UTC).isoformat()
    report["seconds"] = round(time.monotonic() - started, 1)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    path = write_json(report, options.out_dir)
    print(table(report))
    print(f"\nJSON: {path}")
    if args.markdown is not None:
        command = "workshub bench " + shlex.join(argv) if argv else "workshub bench"
        args.markdown.write_text(markdown(report, command=command) + "\n")
        print(f"Markdown: {args.markdown}", file=sys.stderr)
    return path
