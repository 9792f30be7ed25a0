"""Running WorksHub: the NiceGUI app with the REST API, the pages and the live layer, wired to
one `System` (the composition root)."""

from __future__ import annotations

import asyncio
import logging
import sys

from fastapi import Request
from nicegui import app, ui
from nicegui.storage import Storage

from workshub import __version__, collector
from workshub.api import install_api
from workshub.app import System, build_system, start_live, stop_live
from workshub.domain.seed import DEMO_LOGINS, DEMO_PASSWORD, seed_if_empty
from workshub.settings import Settings
from workshub.simulate import simulation_job
from workshub.ui import pages
from workshub.ui.page_requests import release_page_requests
from workshub.ui.session import track_user_storage_loads
from workshub.ui.theme import ASSETS_DIR, install_theme, serve_assets

__all__ = ["create_app", "serve"]

log = logging.getLogger(__name__)

# A dead connection shows within seconds; a page's client survives a minute's gap (SPEC §7).
RECONNECT_TIMEOUT_S = 5.0


def _browser_session(request: Request) -> tuple[int, int] | None:
    """The signed-in user of a browser request (NiceGUI's user storage, signed cookie)."""
    if "session" not in request.scope or "id" not in request.session:
        return None
    storage = app.storage.user
    user_id, version = storage.get("user_id"), storage.get("session_version")
    if isinstance(user_id, int) and isinstance(version, int):
        return user_id, version
    return None


def create_app(system: System) -> None:
    """Install the API, the assets, the pages and the live layer's start/stop on NiceGUI's app."""
    install_api(app, system, browser_session=_browser_session)
    track_user_storage_loads()  # before ui.run adds NiceGUI's storage middleware around it
    serve_assets()
    install_theme()
    pages.register(system)

    extra_jobs = [simulation_job(system)] if system.settings.simulate else []

    async def startup() -> None:
        await start_live(system, jobs=extra_jobs)

    async def shutdown() -> None:
        await stop_live(system)
        log.info("WorksHub stopped")  # the last line of a clean stop (SIGTERM, Ctrl+C)

    app.on_startup(startup)
    app.on_shutdown(shutdown)
    app.on_connect(lambda: system.store.client_connected())
    app.on_connect(release_page_requests)
    app.on_disconnect(lambda: system.store.client_disconnected())


def _announce(settings: Settings, *, seeded: bool) -> None:
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::"} else settings.host
    print(f"WorksHub {__version__} on http://{host}:{settings.port}", flush=True)
    print(f"  data: {settings.data_dir}", flush=True)
    if seeded or settings.demo_enabled:
        logins = ", ".join(email for email, _role in DEMO_LOGINS)
        print(f"  demo logins (password '{DEMO_PASSWORD}'): {logins}", flush=True)


def _manage_garbage_collection() -> None:
    """Start-up objects frozen, full collections on our schedule, the heap trimmed once pages
    stop opening or closing (workshub.collector)."""
    tasks: list[asyncio.Task[None]] = []
    trimmer = collector.HeapTrimmer()

    def startup() -> None:
        collector.settle_startup()
        tasks.append(asyncio.create_task(collector.collect_periodically(), name="gc"))

    def shutdown() -> None:
        trimmer.cancel()
        for task in tasks:
            task.cancel()

    app.on_startup(startup)
    app.on_shutdown(shutdown)
    app.on_connect(trimmer.poke)  # a page's build leaves its garbage freed
    app.on_delete(trimmer.poke)  # a closed page's elements go when its client is deleted


def serve(settings: Settings) -> None:
    """`workshub serve`: migrate, seed the demo into an empty database if enabled, serve."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    system = build_system(settings)
    seeded = False
    if settings.demo_enabled:
        summary = seed_if_empty(system.engine, now=system.clock.now(), tz=system.tz, progress=True)
        seeded = summary is not None
        system.history.clear()  # the seed wrote without events: cached sums start from it
    Storage.path = settings.data_dir / "nicegui"  # NiceGUI's user storage lives with the data
    create_app(system)
    _manage_garbage_collection()
    _announce(settings, seeded=seeded)
    ui.run(
        host=settings.host,
        port=settings.port,
        title="WorksHub",
        favicon=ASSETS_DIR / "favicon.svg",
        reload=False,
        show=False,
        storage_secret=settings.resolved_secret(),
        reconnect_timeout=RECONNECT_TIMEOUT_S,
        fastapi_docs=True,
        show_welcome_message=False,
        uvicorn_logging_level="warning",
    )
    sys.exit(0)
