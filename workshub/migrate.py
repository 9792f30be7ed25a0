"""Schema migrations (Alembic), applied by `workshub migrate` and on every `workshub serve`."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

__all__ = ["alembic_config", "migrations_dir", "upgrade_database"]


def migrations_dir() -> Path:
    """The migration scripts: Alembic loads them as files, so the single executable bundles them
    as data under its unpack folder (workshub.pack puts them there)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "workshub" / "migrations"
    return Path(__file__).parent / "migrations"


MIGRATIONS = migrations_dir()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
