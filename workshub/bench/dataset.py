"""The databases a bench runs on: a seeded organisation, cached by name for the day it was
seeded, and a fresh copy of it for each run (the run writes to its copy, never to the cache).

`large` is the full SPEC §8 profile (~850k entries). For the recompute scenario at smaller
sizes the same organisation keeps only its most recent entries, so only history grows between
sizes: people, teams, clients and the current week stay alike.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from workshub.db import create_db_engine
from workshub.domain.auth import hash_password
from workshub.domain.health_snapshots import freeze_past_weeks
from workshub.domain.seed import DEMO_PASSWORD, PROFILES, ProfileName, generate
from workshub.domain.seed.timeline import Entries
from workshub.domain.seed.writer import write_generated
from workshub.migrate import upgrade_database
from workshub.progress import ProgressBar

__all__ = ["DB_NAME", "Dataset", "cached_dataset", "entries_per_history_day", "working_copy"]

DB_NAME = "workshub.db"
META_NAME = "dataset.json"
WORKING_DAYS_PER_DAY = 5 / 7
MIN_HISTORY_DAYS = 45  # the seed's plan needs a month of history for its clients


@dataclass(frozen=True)
class Dataset:
    name: str
    path: Path  # the cached database file
    profile: str
    history_days: int
    entries: int
    seeded_at: str  # ISO instant: "now" for the seed; the current week is relative to it

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "profile": self.profile,
            "history_days": self.history_days,
            "entries": self.entries,
            "seeded_at": self.seeded_at,
        }


def entries_per_history_day(profile: ProfileName) -> float:
    """Roughly how many entries one calendar day of history adds to `profile`."""
    shape = PROFILES[profile]
    return shape.people * shape.mean_entries_per_day * WORKING_DAYS_PER_DAY * 0.85


def cached_dataset(
    cache_dir: Path,
    *,
    profile: ProfileName,
    now: datetime,
    tz: ZoneInfo,
    target_entries: int | None = None,
    progress: bool = True,
) -> Dataset:
    """`profile` (with a history cut to about `target_entries`), seeded today or reused."""
    shape = PROFILES[profile]
    if target_entries is not None:
        days = max(MIN_HISTORY_DAYS, round(1.2 * target_entries / entries_per_history_day(profile)))
        shape = replace(shape, history_days=min(days, shape.history_days))
    full = target_entries is None
    name: str = profile if full else f"{profile}-{target_entries}"
    folder = cache_dir / name
    meta = folder / META_NAME
    if meta.exists() and (folder / DB_NAME).exists():
        known = json.loads(meta.read_text())
        if known.get("seeded_on") == now.astimezone(tz).date().isoformat():
            return _dataset(folder, known)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    engine = create_db_engine(f"sqlite:///{folder / DB_NAME}")
    try:
        upgrade_database(engine)
        generated = generate(shape, seed=42, now=now, tz=tz, progress=progress)
        if target_entries is not None:
            generated = replace(generated, entries=newest(generated.entries, target_entries))
        demo_hash = hash_password(DEMO_PASSWORD)
        hashes = [
            demo_hash if profile == "demo" or person.login else None
            for person in generated.plan.people
        ]
        label = f"Writing {name}"
        with (
            ProgressBar(generated.row_count(), label=label, enabled=progress) as bar,
            engine.begin() as conn,
        ):
            rows = write_generated(conn, generated, password_hashes=hashes, advance=bar.advance)
        with ProgressBar(0, label="Freezing health", enabled=progress) as frozen:
            freeze_past_weeks(engine, now=now, tz=tz, progress=frozen.update_to)
    finally:
        engine.dispose()
    known = {
        "profile": profile,
        "history_days": shape.history_days,
        "entries": rows.get("time_entry", 0),
        "seeded_at": now.isoformat(),
        "seeded_on": now.astimezone(tz).date().isoformat(),
    }
    meta.write_text(json.dumps(known))
    if progress:
        print(f"Seeded {name}: {known['entries']:,} entries.", file=sys.stderr)
    return _dataset(folder, known)


def newest(entries: Entries, keep: int) -> Entries:
    """Only the `keep` most recent entries: a shorter history of the same organisation."""
    if len(entries) <= keep:
        return entries
    cutoff = sorted(entries.start, reverse=True)[keep - 1]
    kept = [i for i, start in enumerate(entries.start) if start >= cutoff][-keep:]
    trimmed = Entries(last_end_today=dict(entries.last_end_today))
    for column in ("person", "project", "start", "duration", "note"):
        source, target = getattr(entries, column), getattr(trimmed, column)
        target.extend(source[i] for i in kept)
    return trimmed


def _dataset(folder: Path, known: dict[str, object]) -> Dataset:
    return Dataset(
        name=folder.name,
        path=folder / DB_NAME,
        profile=str(known["profile"]),
        history_days=int(str(known["history_days"])),
        entries=int(str(known["entries"])),
        seeded_at=str(known["seeded_at"]),
    )


def working_copy(dataset: Dataset, data_dir: Path) -> Path:
    """A data dir holding a private copy of the dataset's database (WAL included)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        target = data_dir / f"{DB_NAME}{suffix}"
        target.unlink(missing_ok=True)
        source = dataset.path.with_name(f"{DB_NAME}{suffix}")
        if source.exists():
            shutil.copyfile(source, target)
    return data_dir
