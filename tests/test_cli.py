"""The `workshub` command, run in-process on a temporary data dir."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from workshub.cli import main
from workshub.clock import FakeClock
from workshub.db import create_db_engine
from workshub.domain.models import Team, User
from workshub.domain.services.accounts import authenticate_token
from workshub.settings import Settings

POSTGRES_URL = os.environ.get("WORKSHUB_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _no_workshub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("WORKSHUB_") and name != "WORKSHUB_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def sqlite_url(data_dir: str) -> str:
    return f"sqlite:///{Path(data_dir) / 'workshub.db'}"


def find_user(url: str, email: str) -> User | None:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(select(User).where(func.lower(User.email) == email)).first()
    finally:
        engine.dispose()


def seed_add_and_issue_token(
    where: list[str], url: str, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed", "--profile", "demo", "--quiet", *where], clock=clock) == 0
    out = capsys.readouterr().out
    assert "Seeded the demo organisation (seed 42)" in out and "manager@demo.test" in out

    add = ["user", "add", "--email", "New.Person@Example.test", "--name", "New Person"]
    add += ["--role", "team_member", "--team", "brand", "--password", "long-enough-pw"]
    assert main([*add, *where], clock=clock) == 0
    assert "Added new.person@example.test (team_member)" in capsys.readouterr().out

    assert main(["token", "create", "--email", "NEW.PERSON@example.test", *where]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert token.startswith("wh_") and "not shown again" in captured.err

    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            user = authenticate_token(session, token, now=clock.now())
            brand = session.exec(select(Team).where(Team.name == "Brand")).one()
        assert user is not None and user.email == "new.person@example.test"
        assert user.team_id == brand.id
    finally:
        engine.dispose()

    assert main(["seed", "--profile", "demo", "--quiet", *where], clock=clock) == 1
    err = capsys.readouterr().err
    assert err == "workshub: error: The database already holds data; seed only an empty database.\n"


def test_seed_then_user_add_then_token_create(
    data_dir: str, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--data-dir", data_dir]
    seed_add_and_issue_token(where, sqlite_url(data_dir), clock, capsys)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections land in a schema of their own."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need WORKSHUB_TEST_POSTGRES_URL (CI sets it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_the_same_on_postgres(
    postgres_url: str, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_add_and_issue_token(["--database", postgres_url], postgres_url, clock, capsys)


def test_user_add_prompts_twice_for_the_password(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[str] = []
    answers = iter(["a-good-password", "a-good-password"])

    def prompt(question: str) -> str:
        asked.append(question)
        return next(answers)

    argv = ["user", "add", "--email", "a@example.test", "--name", "A", "--role", "admin"]
    assert main([*argv, "--data-dir", data_dir], prompt=prompt) == 0
    assert asked == ["Password: ", "Repeat password: "]
    user = find_user(sqlite_url(data_dir), "a@example.test")
    assert user is not None and user.role == "admin" and user.team_id is None
    assert user.password_hash is not None


def test_user_add_refuses_mismatched_passwords(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--data-dir", data_dir]) == 0
    capsys.readouterr()
    answers = iter(["first-password", "second-password"])
    argv = ["user", "add", "--email", "a@example.test", "--name", "A", "--role", "slt"]
    assert main([*argv, "--data-dir", data_dir], prompt=lambda _q: next(answers)) == 1
    assert capsys.readouterr().err == "workshub: error: The passwords do not match.\n"
    assert find_user(sqlite_url(data_dir), "a@example.test") is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--team", "Nowhere"], "workshub: error: No team 'Nowhere'.\n"),
        (["--team", "999"], "workshub: error: No team '999'.\n"),
        (["--password", "short"], "workshub: error: password: must be at least 8 characters\n"),
    ],
)
def test_user_add_errors_are_one_line(
    data_dir: str, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    argv = ["user", "add", "--email", "b@example.test", "--name", "B", "--role", "manager"]
    if "--password" not in extra:
        extra = [*extra, "--password", "long-enough-pw"]
    assert main([*argv, *extra, "--data-dir", data_dir]) == 1
    assert capsys.readouterr().err == message


def test_token_for_an_unknown_email(data_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--email", "ghost@example.test", "--data-dir", data_dir]) == 1
    assert capsys.readouterr().err == (
        "workshub: error: No user has the email 'ghost@example.test'.\n"
    )


def test_migrate_creates_an_up_to_date_database(
    data_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--data-dir", data_dir]) == 0
    assert "Database is up to date: sqlite:///" in capsys.readouterr().out
    assert (Path(data_dir) / "workshub.db").exists()


def test_an_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--database", "postgresql://nobody@127.0.0.1:1/none"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workshub: error: database: ") and err.count("\n") == 1


# --- serve: settings and the demo default ------------------------------------------------------


def serve_with(argv: list[str]) -> Settings:
    served: list[Settings] = []
    assert main(argv, serve=served.append) == 0
    (settings,) = served
    return settings


def test_no_command_means_serve_with_defaults() -> None:
    settings = serve_with([])
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.demo_enabled and not settings.simulate


def test_flags_win_over_environment_which_wins_over_defaults(
    monkeypatch: pytest.MonkeyPatch, data_dir: str
) -> None:
    monkeypatch.setenv("WORKSHUB_PORT", "7000")
    monkeypatch.setenv("WORKSHUB_HOST", "localhost")
    settings = serve_with(["--data-dir", data_dir, "--simulate"])
    assert (settings.host, settings.port, settings.simulate) == ("localhost", 7000, True)
    assert settings.data_dir == Path(data_dir).resolve()
    settings = serve_with(["serve", "--port", "9000", "--no-demo"])
    assert (settings.host, settings.port, settings.demo_enabled) == ("localhost", 9000, False)


def test_demo_is_off_on_a_public_host_unless_asked_and_then_warns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert not serve_with(["serve", "--host", "0.0.0.0"]).demo_enabled
    assert capsys.readouterr().err == ""
    assert serve_with(["serve", "--host", "0.0.0.0", "--demo"]).demo_enabled
    assert capsys.readouterr().err.startswith("workshub: warning: demo data on 0.0.0.0")
    assert serve_with(["serve", "--host", "127.0.0.1", "--demo"]).demo_enabled
    assert capsys.readouterr().err == ""


def test_usage_errors_and_version_return_their_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("workshub ")
    assert main(["seed"]) == 2  # --profile is required
    assert "--profile" in capsys.readouterr().err
    assert main(["user"]) == 2
