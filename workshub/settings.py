"""Settings: command-line flags, then `WORKSHUB_*` environment variables, then defaults."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]


def default_data_dir() -> Path:
    """`./data`, or beside the executable when running as a single binary."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent / "data"
    return Path.cwd() / "data"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKSHUB_", extra="ignore")

    data_dir: Path = default_data_dir()
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    secret: str | None = None
    timezone: str = "UTC"
    demo: bool | None = None
    simulate: bool = False
    # Test only: every write from a page waits this long before it runs
    # (WORKSHUB_TEST_PERSIST_DELAY_MS), so browser tests can see an edit pending.
    test_persist_delay_ms: int = 0

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'workshub.db'}"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def resolved_secret(self) -> str:
        """The app secret: from the environment, else kept in the data dir (made once)."""
        if self.secret:
            return self.secret
        path = self.ensure_data_dir() / "secret.key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def demo_enabled(self) -> bool:
        """Demo data is on by default only on loopback (its logins have a public password)."""
        if self.demo is not None:
            return self.demo
        return self.host in {"127.0.0.1", "localhost", "::1"}
