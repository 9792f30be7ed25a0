"""What a bench run measures and how big it is. The defaults are SPEC §9's setting."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workshub.domain.seed import ProfileName

__all__ = ["SCENARIOS", "BenchOptions"]

SCENARIOS = ("push", "writes", "page", "recompute")


@dataclass
class BenchOptions:
    scenarios: tuple[str, ...] = SCENARIOS
    profile: ProfileName = "large"
    # push: N dashboards on the manager's /team; timer writes at `rate` per second
    dashboards: int = 200
    writes: int = 200
    rate: float = 5.0
    sessions: int = 10  # the dashboards share this many sign-ins (browsers), round-robin
    chromium_pages: int = 3
    # writes: open loop at `write_rate` for `write_seconds`, then `workers` as fast as they go
    write_rate: float = 250.0
    write_seconds: float = 10.0
    workers: int = 16
    # page: signed-in GETs and Chromium loads per role's home page
    page_gets: int = 20
    page_loads: int = 3
    # recompute: history sizes in entries (None: the whole profile)
    recompute_sizes: tuple[int | None, ...] = (10_000, 100_000, None)
    recompute_repeats: int = 5
    recompute_writes: int = 6
    settle_s: float = 3.0  # quiet time: idle CPU before writes, last pushes after them
    profile_server: bool = False  # py-spy the server during the push writes
    cache_dir: Path = field(default_factory=lambda: Path("data/bench/cache"))
    out_dir: Path = field(default_factory=lambda: Path("data/bench"))
    progress: bool = True

    def wants(self, scenario: str) -> bool:
        return scenario in self.scenarios

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cache_dir"] = str(self.cache_dir)
        data["out_dir"] = str(self.out_dir)
        data["scenarios"] = list(self.scenarios)
        data["recompute_sizes"] = ["full" if s is None else s for s in self.recompute_sizes]
        return data
