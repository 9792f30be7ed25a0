"""Closed hours kept between recomputes (SPEC §9: the update after one write must not rescan
history): per project before a weekly cut and since it, and per person per week.

A total budget's burn and a fixed fee's recognition need a project's hours since it started:
years of entries, the same on every recompute unless someone edits the past. So for each
project `ProjectHistory` keeps the sums of its *stopped* entries before a cut — Monday 00:00
local of the current week (or an earlier cut of the ledger asking) — and, as a second part,
from that cut up to now; and for each person the stopped hours of each week window. A
recompute reads only what an event dropped, plus running timers.

It is owned by the composition root and fed by the event hub. An entry created, edited,
deleted or stopped drops the sums that counted it: that project's part before the cut only
when the entry started before it, its part since the cut only when it started after; that
person's window only when it started inside. A timer that starts drops nothing (running
entries are never cached). A recompute takes a `HistoryReader` before its transaction
starts; it never stores sums for a project or person dropped after that (`closed_cache`).

It also holds the reference rows every recompute starts from (project terms, the people,
clients: `reference_cache`), dropped by any `ReferenceChanged`; and, for the 12-week trends,
each closed week's hours and capacity summed over a team or the organisation (otherwise every
person's capacity, day by day, every recompute), dropped for that week by an entry event that
started in it or a time-off change on one of its days, and all by any `ReferenceChanged`
(capacity, employment dates and teams are reference rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from workshub.domain.closed_cache import CacheView, ClosedCache
from workshub.domain.events import (
    DomainEvent,
    EntryRef,
    EventHub,
    ReferenceChanged,
    TimeEntryChanged,
    TimeEntryStarted,
    TimeEntryStopped,
    TimeOffChanged,
)
from workshub.domain.metrics import Hours, Utilization
from workshub.domain.reference_cache import ReferenceCache, ReferenceView
from workshub.domain.timeutil import local_date, local_midnight, week_start

__all__ = [
    "OPEN_END",
    "ClosedSums",
    "HistoryFrame",
    "HistoryReader",
    "PersonWindow",
    "ProjectHistory",
    "TrendScope",
    "closed_cut",
    "week_owner",
]

MAX_PROJECT_FRAMES = 48
MAX_PERSON_WINDOWS = 512  # a window is shared by everyone employed all of it
MAX_TREND_SCOPES = 64  # the organisation and each team
# The end of a part that runs up to now: no stopped entry starts after now, so its sums hold
# until an entry event names the project.
OPEN_END = datetime.max.replace(tzinfo=UTC)

PersonWindow = tuple[datetime, datetime]  # [lo, hi) of one person's week
# ("org", 0) or ("team", team_id): whose closed weeks `ProjectHistory.weeks` sums, keyed by
# `week_owner` of their Monday.
TrendScope = tuple[str, int]


def closed_cut(now: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 local of the week containing `now`: before it, only edits change hours."""
    return local_midnight(week_start(local_date(now, tz)), tz)


@dataclass(frozen=True, slots=True)
class HistoryFrame:
    """What a set of cached sums covers: seconds per segment between `cuts` (the last is the
    history cut, or `OPEN_END`), t&m money per segment between `money_cuts`, and the members'
    seconds of `user_ids` (None: not kept). Hours before the first cut are kept per project."""

    cuts: tuple[datetime, ...]
    money_cuts: tuple[datetime, ...]
    user_ids: frozenset[int] | None

    @property
    def first(self) -> datetime:
        return self.cuts[0]

    @property
    def cut(self) -> datetime:
        return self.cuts[-1]


@dataclass(frozen=True, slots=True)
class ClosedSums:
    """One project's stopped entries in a frame, in seconds: per segment between the frame's
    cuts, its members' per segment, t&m money (seconds × rate) per money segment (None: not
    kept), and the seconds between its start and the frame's first cut."""

    start: datetime | None
    seconds: tuple[float, ...]
    members: tuple[float, ...] | None
    amounts: tuple[float, ...] | None
    before_start: float
    empty: bool = False  # all zeros: nothing to put back

    @classmethod
    def of(
        cls,
        *,
        start: datetime | None,
        seconds: tuple[float, ...],
        members: tuple[float, ...] | None,
        amounts: tuple[float, ...] | None,
        before_start: float,
    ) -> ClosedSums:
        empty = not (any(seconds) or any(members or ()) or any(amounts or ()) or before_start)
        return cls(start, seconds, members, amounts, before_start, empty)

    def fits(self, *, start: datetime | None, amounts: bool) -> bool:
        return self.start == start and (not amounts or self.amounts is not None)


def _project_counts(frame: HistoryFrame, sums: ClosedSums, started_at: datetime) -> bool:
    first = frame.first if sums.start is None else min(sums.start, frame.first)
    return first <= started_at < frame.cut


def _person_counts(window: PersonWindow, _hours: Hours, started_at: datetime) -> bool:
    return window[0] <= started_at < window[1]


def _week_counts(_scope: TrendScope, _totals: Utilization, _started_at: datetime) -> bool:
    return True  # the owner is the week itself: whatever dropped it happened in it


def week_owner(day: date) -> int:
    """The owner id of the ISO week containing `day` in `ProjectHistory.weeks`."""
    return week_start(day).toordinal()


class ProjectHistory:
    """The cached closed sums of every project and person, invalidated by entry events; the
    trends' closed weeks, invalidated by entry and time-off events in them; and the reference
    rows. A reference event drops the rows and the weeks."""

    def __init__(self, *, tz: ZoneInfo) -> None:
        self._tz = tz
        self.projects: ClosedCache[HistoryFrame, ClosedSums] = ClosedCache(
            counts=_project_counts, max_frames=MAX_PROJECT_FRAMES
        )
        self.people: ClosedCache[PersonWindow, Hours] = ClosedCache(
            counts=_person_counts, max_frames=MAX_PERSON_WINDOWS
        )
        self.weeks: ClosedCache[TrendScope, Utilization] = ClosedCache(
            counts=_week_counts, max_frames=MAX_TREND_SCOPES
        )
        self.reference = ReferenceCache()

    def reader(self, now: datetime) -> HistoryReader:
        """A recompute's view. Take it before the recompute's transaction starts."""
        return HistoryReader(
            now=now,
            closed_before=closed_cut(now, self._tz),
            projects=self.projects.view(),
            people=self.people.view(),
            weeks=self.weeks.view(),
            reference=self.reference.view(),
        )

    def attach(self, hub: EventHub) -> Callable[[], None]:
        """Listen to `hub`; returns the function that stops listening. Attach before the live
        store, so a recompute an event triggers never sees sums the event invalidates."""
        return hub.subscribe(self.on_event)

    def on_event(self, event: DomainEvent) -> None:
        if isinstance(event, ReferenceChanged):
            self.reference.clear()
            self.weeks.clear()
        elif isinstance(event, TimeOffChanged):
            self._week_changed(event.day)
        for ref in _entry_refs(event):
            self.projects.entry_changed(ref.project_id, ref.started_at)
            self.people.entry_changed(ref.user_id, ref.started_at)
            self._week_changed(local_date(ref.started_at, self._tz))

    def _week_changed(self, day: date) -> None:
        """Drop every scope's figures of the week containing `day`."""
        self.weeks.entry_changed(week_owner(day), local_midnight(day, self._tz))

    def clear(self) -> None:
        """Forget everything (e.g. after rows changed behind the services' back)."""
        self.projects.clear()
        self.people.clear()
        self.weeks.clear()
        self.reference.clear()

    def stats(self) -> dict[str, dict[str, int]]:
        return {
            "projects": self.projects.stats(),
            "people": self.people.stats(),
            "weeks": self.weeks.stats(),
            "reference": self.reference.stats(),
        }


@dataclass(frozen=True, slots=True)
class HistoryReader:
    """One recompute's access: its `now`, the cut before which hours only change by edits,
    and views of the four caches."""

    now: datetime
    closed_before: datetime
    projects: CacheView[HistoryFrame, ClosedSums]
    people: CacheView[PersonWindow, Hours]
    weeks: CacheView[TrendScope, Utilization]
    reference: ReferenceView


def _entry_refs(event: DomainEvent) -> Iterable[EntryRef]:
    """The entries whose stopped seconds the event may change. A timer that starts adds
    nothing yet (running entries are never cached); the one a switch stopped does."""
    if isinstance(event, TimeEntryStarted):
        return () if event.stopped is None else (event.stopped,)
    if isinstance(event, TimeEntryStopped):
        return (event.entry,)
    if isinstance(event, TimeEntryChanged):
        return event.refs
    return ()
