"""Deterministic seed data (SPEC §8): the `demo` organisation a fresh install shows, and the
`large` one the benchmarks run against."""

from workshub.domain.seed.plan import DEMO_LOGINS
from workshub.domain.seed.profiles import DEMO, LARGE, PROFILES, Profile, ProfileName
from workshub.domain.seed.run import (
    DEMO_PASSWORD,
    DatabaseNotEmpty,
    SeedSummary,
    database_is_empty,
    generate,
    seed,
    seed_if_empty,
)

__all__ = [
    "DEMO",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "LARGE",
    "PROFILES",
    "DatabaseNotEmpty",
    "Profile",
    "ProfileName",
    "SeedSummary",
    "database_is_empty",
    "generate",
    "seed",
    "seed_if_empty",
]
