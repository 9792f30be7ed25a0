"""The `workshub` command (SPEC §8): serve, seed, user add, token create, migrate.

Settings come from flags, then `WORKSHUB_*` variables, then defaults; everything else is built
by the composition root. A user's mistake prints one line on stderr and exits 1, never a
traceback.
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from workshub import __version__
from workshub.app import System, build_system
from workshub.clock import Clock
from workshub.domain.errors import DomainError
from workshub.domain.models import Role, Team, User
from workshub.settings import Settings

__all__ = ["CliError", "build_settings", "main"]

Serve = Callable[[Settings], None]
Prompt = Callable[[str], str]
_SETTINGS_FLAGS = ("host", "port", "data_dir", "database_url", "demo", "simulate")
_TOP_LEVEL = {"-h", "--help", "--version"}


class CliError(Exception):
    """A mistake in how the command was used: shown as one line, exit status 1."""


def main(
    argv: Sequence[str] | None = None,
    *,
    serve: Serve | None = None,
    clock: Clock | None = None,
    prompt: Prompt = getpass.getpass,
) -> int:
    """Run one command; returns the exit status. The keyword arguments are test seams."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["bench"]:  # its own parser, loaded only for it
        return _bench(args_list[1:])
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in _TOP_LEVEL):
        args_list.insert(0, "serve")  # `workshub` alone means `workshub serve`
    try:
        args = _parser().parse_args(args_list)
    except SystemExit as exit_:  # --help, --version, or a usage error argparse printed
        return exit_.code if isinstance(exit_.code, int) else 1
    context = _Context(serve=serve, clock=clock, prompt=prompt)
    try:
        args.run(args, context)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except (CliError, DomainError, SQLAlchemyError, ZoneInfoNotFoundError, OSError) as error:
        _fail(_one_line(error))
        return 1
    except ValidationError as error:
        first = error.errors()[0]
        _fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        return 1
    return 0


def build_settings(args: argparse.Namespace) -> Settings:
    """Flags given on the command line win over `WORKSHUB_*` variables, which win over defaults."""
    given: dict[str, Any] = {
        name: getattr(args, name)
        for name in _SETTINGS_FLAGS
        if getattr(args, name, None) is not None
    }
    return Settings(**given)


class _Context:
    def __init__(self, *, serve: Serve | None, clock: Clock | None, prompt: Prompt) -> None:
        self.serve = serve
        self.clock = clock
        self.prompt = prompt

    def system(self, args: argparse.Namespace) -> System:
        return build_system(build_settings(args), clock=self.clock)


# --- commands ----------------------------------------------------------------------------------


def _serve(args: argparse.Namespace, context: _Context) -> None:
    settings = build_settings(args)
    if settings.demo and not is_loopback(settings.host):
        print(
            f"workshub: warning: demo data on {settings.host}: its logins have a public "
            "password; anyone who can reach this address can sign in.",
            file=sys.stderr,
        )
    if context.serve is not None:
        context.serve(settings)
        return
    from workshub.server import serve  # the web stack loads only for this command

    serve(settings)


def _seed(args: argparse.Namespace, context: _Context) -> None:
    from workshub.domain.seed import DEMO_LOGINS, DEMO_PASSWORD, DatabaseNotEmpty, seed

    system = context.system(args)
    try:
        started = time.perf_counter()
        summary = seed(
            system.engine,
            profile=args.profile,
            seed=args.seed,
            now=system.clock.now(),
            tz=system.tz,
            progress=not args.quiet,
        )
        took = time.perf_counter() - started
    except DatabaseNotEmpty as error:
        raise CliError(str(error)) from None
    finally:
        system.engine.dispose()
    rows = summary.rows
    print(
        f"Seeded the {summary.profile} organisation (seed {summary.seed}) in {took:.1f} s: "
        f"{rows.get('user', 0)} people, {rows.get('team', 0)} teams, "
        f"{rows.get('client', 0)} clients, {rows.get('project', 0)} projects, "
        f"{summary.entries:,} time entries, {summary.running_timers} running timers, "
        f"{summary.weeks_frozen} weeks of client health."
    )
    emails = ", ".join(email for email, _role in DEMO_LOGINS)
    print(f"Sign in as {emails} with the password {DEMO_PASSWORD!r}.")


def _user_add(args: argparse.Namespace, context: _Context) -> None:
    from workshub.domain.services.accounts import add_user
    from workshub.domain.uow import UnitOfWork

    password = args.password if args.password is not None else _ask_password(context.prompt)
    system = context.system(args)
    try:
        with Session(system.engine) as session:
            team_id = None if args.team is None else _team_id(session, args.team)
        with UnitOfWork(system.engine, system.hub, system.clock, actor_id=None) as uow:
            user = add_user(
                uow,
                email=args.email,
                name=args.name,
                role=args.role,
                team_id=team_id,
                password=password,
            )
    finally:
        system.engine.dispose()
    print(f"Added {user.email} ({user.role}) with id {user.id}.")


def _token_create(args: argparse.Namespace, context: _Context) -> None:
    from workshub.domain.services.accounts import create_api_token, normalise_email
    from workshub.domain.uow import UnitOfWork

    system = context.system(args)
    try:
        with Session(system.engine) as session:
            email = normalise_email(args.email)
            user = session.exec(select(User).where(func.lower(User.email) == email)).first()
        if user is None or user.id is None:
            raise CliError(f"No user has the email {args.email!r}.")
        with UnitOfWork(system.engine, system.hub, system.clock, actor_id=None) as uow:
            token, _row = create_api_token(
                uow, user_id=user.id, name=args.name, expires_in_days=None
            )
    finally:
        system.engine.dispose()
    print(token)
    print(f"API token for {user.email}: store it now, it is not shown again.", file=sys.stderr)


def _migrate(args: argparse.Namespace, context: _Context) -> None:
    system = context.system(args)
    system.engine.dispose()
    url = make_url(system.settings.resolved_database_url).render_as_string(hide_password=True)
    print(f"Database is up to date: {url}")


def _bench(argv: list[str]) -> int:
    """`workshub bench`: its flags and its heavy imports (the `bench` extra) live in
    `workshub.bench`."""
    try:
        from workshub.bench.cli import main as bench_main
    except ImportError as error:
        _fail(f"{error.name or error}: install the bench extra: pip install 'workshub[bench]'")
        return 1
    try:
        bench_main(argv)
    except SystemExit as exit_:  # --help, or a usage error its parser printed
        return exit_.code if isinstance(exit_.code, int) else 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except (RuntimeError, OSError) as error:
        _fail(f"bench: {_one_line(error)}")
        return 1
    return 0


# --- helpers -----------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ask_password(prompt: Prompt) -> str:
    first = prompt("Password: ")
    if prompt("Repeat password: ") != first:
        raise CliError("The passwords do not match.")
    return first


def _team_id(session: Session, team: str) -> int:
    """A team by id, or by name (ignoring case)."""
    if team.isdigit():
        row = session.get(Team, int(team))
        if row is not None and row.id is not None:
            return row.id
    matches = session.exec(select(Team).where(func.lower(Team.name) == team.lower())).all()
    if len(matches) > 1:
        raise CliError(f"Several teams are called {team!r}: give the team's id.")
    if not matches or matches[0].id is None:
        raise CliError(f"No team {team!r}.")
    return matches[0].id


def _fail(message: str) -> None:
    print(f"workshub: error: {message}", file=sys.stderr)


def _one_line(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        return f"database: {str(cause).splitlines()[0]}"
    if isinstance(error, ZoneInfoNotFoundError):
        return f"unknown timezone: {error.args[0] if error.args else error}"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# --- the parser --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workshub", description="WorksHub: a real-time operations dashboard."
    )
    parser.add_argument("--version", action="version", version=f"workshub {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app (the default)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    _database_flags(serve)
    serve.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="seed the demo organisation into an empty database (default: on for loopback)",
    )
    serve.add_argument(
        "--simulate",
        action="store_true",
        default=None,
        help="keep demo people starting and stopping timers",
    )
    serve.set_defaults(run=_serve)

    seed = commands.add_parser("seed", help="fill an empty database with deterministic data")
    seed.add_argument("--profile", choices=("demo", "large"), required=True)
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    seed.add_argument("--quiet", action="store_true", help="no progress bars")
    _database_flags(seed)
    seed.set_defaults(run=_seed)

    user = commands.add_parser("user", help="manage people").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    add = user.add_parser("add", help="add a person")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--team", help="team id or name")
    add.add_argument("--password", help="prompted for when not given")
    _database_flags(add)
    add.set_defaults(run=_user_add)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    create = token.add_parser("create", help="create an API token and print it once")
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="cli", help="a label for the token (default cli)")
    _database_flags(create)
    create.set_defaults(run=_token_create)

    commands.add_parser("bench", help="measure SPEC §9 (workshub bench --help)", add_help=False)

    migrate = commands.add_parser("migrate", help="upgrade the database schema")
    _database_flags(migrate)
    migrate.set_defaults(run=_migrate)
    return parser


def _database_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="folder for the database and secret")
    parser.add_argument(
        "--database", dest="database_url", metavar="URL", help="database URL (default SQLite)"
    )
