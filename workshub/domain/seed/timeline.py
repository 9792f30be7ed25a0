"""Who did what when: time off, and every person's working days laid out as time entries.

Entries are kept in compact typed arrays (about 20 bytes each), not row dicts, so the large
profile's ~850k entries fit comfortably in memory before they are written.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from workshub.domain.models import BillingModel
from workshub.domain.seed import words
from workshub.domain.seed.plan import OrgPlan, PlanPerson
from workshub.domain.timeutil import local_midnight, week_start

__all__ = [
    "DAY_CAP_S",
    "Entries",
    "Pools",
    "TimeOffPlan",
    "count_distribution",
    "generate_entries",
    "generate_time_off",
]

MEDIAN_ENTRY_S = 45 * 60
ENTRY_SIGMA = 0.8  # log-normal spread: most entries 15 min to 2 h, a few half days
MIN_ENTRY_S = 5 * 60
MAX_ENTRY_S = 4 * 3600
DAY_CAP_S = 10 * 3600  # nobody tracks more than 10 h on a day
LATEST_END_S = 21 * 3600  # local time by which a day's last entry ends
MAX_ENTRIES = 12
INTERNAL_SHARE = 0.12
TIME_OFF_HORIZON = timedelta(days=28)  # holidays already booked for the coming weeks

TimeOffPlan = dict[int, dict[date, float]]  # person index → day → hours


@dataclass(slots=True)
class Entries:
    """Finished entries, column by column; `start` is in UTC epoch seconds."""

    person: array[int] = field(default_factory=lambda: array("i"))
    project: array[int] = field(default_factory=lambda: array("i"))
    start: array[int] = field(default_factory=lambda: array("q"))
    duration: array[int] = field(default_factory=lambda: array("i"))
    note: array[int] = field(default_factory=lambda: array("H"))
    last_end_today: dict[int, int] = field(default_factory=dict)  # person → epoch seconds

    def __len__(self) -> int:
        return len(self.start)


def count_distribution(mean: float) -> list[float]:
    """Cumulative probabilities of 1..12 entries a day: 1 + Binomial(11, p) with this mean."""
    trials = MAX_ENTRIES - 1
    p = min(max((mean - 1) / trials, 0.0), 1.0)
    pmf = [math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(trials + 1)]
    return list(accumulate(pmf))


# --- time off ----------------------------------------------------------------------------------


def generate_time_off(rng: random.Random, plan: OrgPlan) -> TimeOffPlan:
    """A week or two of holiday a year plus scattered single and half days, for everyone
    who has capacity, only on working days they were employed."""
    time_off: TimeOffPlan = {}
    horizon = plan.today + TIME_OFF_HORIZON
    for index, person in enumerate(plan.people):
        if person.capacity <= 0:
            continue
        first = max(person.starts_on, plan.history_start)
        last = min(person.ends_on or horizon, horizon)
        if last <= first:
            continue
        span = (last - first).days
        days: dict[date, float] = {}
        full = round(person.capacity / 5, 2)
        for _ in range(round(span / 365 * rng.uniform(1, 2))):
            monday = week_start(first + timedelta(days=rng.randint(0, span)))
            for offset in range(5):
                days[monday + timedelta(days=offset)] = full
        for _ in range(round(span / 365 * rng.randint(6, 12))):
            day = first + timedelta(days=rng.randint(0, span))
            days.setdefault(day, full if rng.random() < 0.8 else round(full / 2, 2))
        kept = {d: h for d, h in sorted(days.items()) if d.weekday() < 5 and first <= d <= last}
        if kept:
            time_off[index] = kept
    return time_off


# --- entries -----------------------------------------------------------------------------------


class Pools:
    """The projects a team can work on each day, with cumulative weights for picking one.

    Cached per (team, day): a team's days repeat across its members."""

    def __init__(self, plan: OrgPlan) -> None:
        self._projects = plan.projects
        self._by_team: dict[int, list[int]] = {}
        internal: list[int] = []
        client_work: list[int] = []
        for index, project in enumerate(plan.projects):
            if project.billing_model is BillingModel.internal:
                internal.append(index)
                continue
            client_work.append(index)
            for team in project.teams:
                self._by_team.setdefault(team, []).append(index)
        self._by_team[-1] = client_work  # slt: any client's work
        self._internal = internal
        self._cache: dict[tuple[int, date], tuple[list[int], list[float]]] = {}

    def client_work(self, team: int | None, day: date) -> tuple[list[int], list[float]]:
        key = (-1 if team is None else team, day)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._open(self._by_team.get(key[0], []), day)
            self._cache[key] = cached
        return cached

    def internal(self, day: date) -> tuple[list[int], list[float]]:
        key = (-2, day)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._open(self._internal, day)
        return cached

    def pick(self, rng: random.Random, team: int | None, *, day: date) -> int | None:
        projects, weights = self.client_work(team, day)
        if not projects or rng.random() < INTERNAL_SHARE:
            projects, weights = self.internal(day)
        if not projects:
            return None
        return projects[bisect_right(weights, rng.random() * weights[-1])]

    def _open(self, indexes: Sequence[int], day: date) -> tuple[list[int], list[float]]:
        open_ = [i for i in indexes if self._projects[i].open_on(day)]
        return open_, list(accumulate(self._projects[i].weight for i in open_))


def generate_entries(
    rng: random.Random,
    plan: OrgPlan,
    *,
    time_off: TimeOffPlan,
    now: datetime,
    tz: ZoneInfo,
    mean_per_day: float,
    on_person: Callable[[], None] | None = None,
) -> Entries:
    """Every working day of everyone with capacity, from the later of history start and
    their start date to the earlier of today and their end date; today only up to `now`."""
    days = _DayWriter(rng, Pools(plan), now=now, today=plan.today)
    midnights: dict[date, int] = {}
    for index, person in enumerate(plan.people):
        if person.capacity > 0:
            cdf = count_distribution(max(1.5, mean_per_day * person.capacity / 37.5))
            off = time_off.get(index, {})
            day = max(person.starts_on, plan.history_start)
            last = min(person.ends_on or plan.today, plan.today)
            while day <= last:
                if day.weekday() < 5:
                    midnight = midnights.get(day)
                    if midnight is None:
                        midnight = midnights[day] = int(local_midnight(day, tz).timestamp())
                    cap = DAY_CAP_S * (1 - off.get(day, 0.0) / (person.capacity / 5))
                    days.lay_out(index, person, day=day, cdf=cdf, midnight=midnight, cap=cap)
                day += timedelta(days=1)
        if on_person is not None:
            on_person()
    return days.entries


class _DayWriter:
    """Lays out one person's day: entries back to back from a morning start, short gaps and
    one lunch break, until the day's count, the day's cap or `now` is reached."""

    def __init__(self, rng: random.Random, pools: Pools, *, now: datetime, today: date) -> None:
        self.entries = Entries()
        self._today = today
        self._rng = rng
        self._pools = pools
        self._now_s = int(now.timestamp())
        self._log_median = math.log(MEDIAN_ENTRY_S)

    def lay_out(
        self,
        index: int,
        person: PlanPerson,
        *,
        day: date,
        cdf: list[float],
        midnight: int,
        cap: float,
    ) -> None:
        rng, entries = self._rng, self.entries
        count = min(bisect_right(cdf, rng.random() * cdf[-1]) + 1, MAX_ENTRIES)
        clock = 8 * 3600 + rng.randrange(0, 5400, 60)
        tracked = 0
        lunch = False
        for _ in range(count):
            length = int(rng.lognormvariate(self._log_median, ENTRY_SIGMA)) // 60 * 60
            length = min(max(length, MIN_ENTRY_S), MAX_ENTRY_S, int(cap - tracked) // 60 * 60)
            start = midnight + clock
            if (
                length < MIN_ENTRY_S
                or clock + length > LATEST_END_S
                or start + length >= self._now_s
            ):
                break
            project = self._pools.pick(rng, person.team, day=day)
            if project is None:
                break
            entries.person.append(index)
            entries.project.append(project)
            entries.start.append(start)
            entries.duration.append(length)
            entries.note.append(rng.randrange(len(words.ENTRY_NOTES)))
            tracked += length
            clock += length + rng.randrange(0, 601, 60)
            if not lunch and clock >= 12 * 3600 + 1800:
                clock += rng.randrange(1800, 3601, 300)
                lunch = True
            if day == self._today:  # where a running timer may begin
                entries.last_end_today[index] = start + length
