"""What a connected page keeps of the HTTP request that built it.

NiceGUI keeps a page's request objects for as long as its client lives: `client.request`, the
`request` of every event listener, and the contexts of the tasks it started while building the
page. `app.storage.user` finds the browser's session through them, so they must stay. But they
also hold the request's ASGI plumbing — the middlewares' receive and send closures, uvicorn's
request cycle, FastAPI's exit stacks — which is dead once the response has gone out and cost
~19 KB per connected dashboard (measured with 200 /team pages; SPEC §9's bar is 250 KB).

When a page's socket connects, its HTML has long been delivered: each request object is then
emptied down to what is read later (headers, session, path, client address and the like).
"""

from __future__ import annotations

from nicegui import Client, context
from starlette.requests import Request, empty_receive, empty_send

__all__ = ["KEPT_SCOPE", "release_page_requests"]

# What a connected page may still read of its request's ASGI scope; everything else is dropped.
KEPT_SCOPE = frozenset(
    {
        "type",
        "asgi",
        "http_version",
        "server",
        "client",
        "scheme",
        "method",
        "root_path",
        "path",
        "raw_path",
        "query_string",
        "headers",
        "extensions",
        "session",
        "state",
        "app",
        "router",
        "route",
        "endpoint",
        "path_params",
        "nicegui_page_path",
    }
)


def release_page_requests() -> None:
    """An `app.on_connect` handler: empties the current client's request objects (once)."""
    client = context.client
    for request in _requests_of(client):
        if request._receive is not empty_receive:
            _empty(request)


def _requests_of(client: Client) -> list[Request]:
    found: dict[int, Request] = {}
    if client._request is not None:
        found[id(client._request)] = client._request
    for element in list(client.elements.values()):
        for listener in element._event_listeners.values():
            if listener.request is not None:
                found.setdefault(id(listener.request), listener.request)
    return list(found.values())


def _empty(request: Request) -> None:
    scope = request.scope
    for key in [key for key in scope if key not in KEPT_SCOPE]:
        del scope[key]
    request._receive = empty_receive
    request._send = empty_send
