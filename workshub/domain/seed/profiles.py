"""How big each seeded organisation is (SPEC §8). `scale` shrinks the large one for tests
while keeping its shape (history length, leavers, starters, trouble clients)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

__all__ = ["DEMO", "LARGE", "PROFILES", "Profile", "ProfileName"]

ProfileName = Literal["demo", "large"]


@dataclass(frozen=True, slots=True)
class Profile:
    name: ProfileName
    teams: int
    people: int
    clients: int
    projects: int
    internal_projects: int
    history_days: int
    running_timers: int
    mean_entries_per_day: float  # for a full-time person; part-timers log proportionally fewer

    def scaled(self, scale: float) -> Profile:
        """The same organisation at `scale` of its size, never too small to have every kind."""
        if not 0 < scale <= 1:
            raise ValueError("scale must be in (0, 1]")
        if scale == 1:
            return self
        teams = max(2, round(self.teams * scale))
        people = max(round(self.people * scale), 6 * teams + 3)
        clients = max(round(self.clients * scale), 3 * teams)
        internal = max(3, round(self.internal_projects * scale))
        return replace(
            self,
            teams=teams,
            people=people,
            clients=clients,
            projects=max(round(self.projects * scale), 2 * clients + internal),
            internal_projects=internal,
            running_timers=max(2, round(self.running_timers * scale)),
        )


DEMO = Profile(
    name="demo",
    teams=5,
    people=40,
    clients=30,
    projects=80,
    internal_projects=5,
    history_days=365,
    running_timers=5,
    mean_entries_per_day=4.5,
)
LARGE = Profile(
    name="large",
    teams=25,
    people=250,
    clients=200,
    projects=700,
    internal_projects=10,
    history_days=3 * 365,
    running_timers=12,
    mean_entries_per_day=5.2,
)
PROFILES: dict[str, Profile] = {"demo": DEMO, "large": LARGE}
