"""The floor: a plain python-socketio server that broadcasts given payloads to every connected
client, on the same stack NiceGUI runs on (uvicorn with wsproto, orjson). Whatever WorksHub
adds on top of pushing the same bytes to the same clients is measured against it.

Run as its own process: `python -m workshub.bench.floor --port P`. `POST /broadcast` with
`{"messages": [[event, payload], ...]}` emits each payload as one socket.io `event` (NiceGUI's
`update`, WorksHub's `wh_live`) to every client.
"""

from __future__ import annotations

import argparse
from typing import Any

import orjson
import socketio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["build_app", "main"]


class _OrJson:
    """The JSON module socket.io uses: orjson, as in NiceGUI."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()

    @staticmethod
    def loads(value: str | bytes) -> Any:
        return orjson.loads(value)


def build_app() -> socketio.ASGIApp:
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", json=_OrJson)
    clients: set[str] = set()

    @sio.on("connect")
    async def connect(sid: str, _environ: dict[str, Any], _auth: Any = None) -> None:
        clients.add(sid)

    @sio.on("disconnect")
    async def disconnect(sid: str, *_: Any) -> None:
        clients.discard(sid)

    async def broadcast(request: Request) -> Response:
        body = orjson.loads(await request.body())
        for event, payload in body["messages"]:
            await sio.emit(event, payload)
        return Response(status_code=204)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "clients": len(clients)})

    routes = [
        Route("/broadcast", broadcast, methods=["POST"]),
        Route("/api/v1/health", health),
    ]
    return socketio.ASGIApp(sio, Starlette(routes=routes), socketio_path="/socket.io")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workshub.bench.floor")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(build_app(), host="127.0.0.1", port=args.port, ws="wsproto", log_level="warning")


if __name__ == "__main__":
    main()
