"""The live layer: the store of computed dashboard snapshots, the map from domain events to the
keys they change, and the scheduled jobs that keep watched keys fresh (SPEC §1, §5)."""

from workshub.live.dependencies import Lookup, affected_keys
from workshub.live.scheduler import JobSpec, LiveScheduler, build_scheduler, shutdown, start
from workshub.live.store import LiveStore, RefreshResult, Snapshot

__all__ = [
    "JobSpec",
    "LiveScheduler",
    "LiveStore",
    "Lookup",
    "RefreshResult",
    "Snapshot",
    "affected_keys",
    "build_scheduler",
    "shutdown",
    "start",
]
