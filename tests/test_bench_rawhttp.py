"""The bench's lean HTTP/1.1 writer: kept-alive connections, both body framings, and a
connection the server closed while it was idle reopened without losing the request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from workshub.bench.rawhttp import Connections

Handler = Callable[[bytes, int], tuple[bytes, bool]]  # request, nth on its connection → answer


@asynccontextmanager
async def http_server(handler: Handler) -> AsyncIterator[tuple[str, list[bytes], list[int]]]:
    """A one-request-at-a-time HTTP/1.1 server; yields its URL, the requests it read and the
    number of connections it accepted (as a one-item list)."""
    requests: list[bytes] = []
    accepted = [0]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted[0] += 1
        nth = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                requests.append(request)
                nth += 1
                answer, close = handler(request, nth)
                writer.write(answer)
                await writer.drain()
                if close:
                    break
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", requests, accepted


def answer(status: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def test_requests_share_a_kept_alive_connection_and_carry_their_json() -> None:
    def handler(request: bytes, nth: int) -> tuple[bytes, bool]:
        return answer(201, json.dumps({"nth": nth}).encode(), "X-WorksHub-Seq: 7"), False

    async with http_server(handler) as (url, requests, accepted):
        async with Connections(url, size=1) as http:
            first = await http.post("/api/v1/timer/start", json_body={"project_id": 3})
            second = await http.post("/api/v1/timer/stop", headers={"Authorization": "Bearer t"})

    assert (first.status, first.json(), first.headers["x-workshub-seq"]) == (201, {"nth": 1}, "7")
    assert second.json() == {"nth": 2}
    assert accepted == [1]
    assert requests[0].startswith(b"POST /api/v1/timer/start HTTP/1.1\r\n")
    assert requests[0].endswith(b'\r\n\r\n{"project_id": 3}')
    assert b"Authorization: Bearer t\r\n" in requests[1]


async def test_a_chunked_answer_is_read_whole() -> None:
    def handler(request: bytes, nth: int) -> tuple[bytes, bool]:
        body = b'4\r\n{"a"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n'
        return b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n" + body, False

    async with http_server(handler) as (url, _, _):
        async with Connections(url, size=1) as http:
            assert (await http.get("/x")).json() == {"a": 1}
            assert (await http.get("/x")).json() == {"a": 1}  # and the connection is still good


async def test_a_connection_the_server_closed_while_idle_is_reopened() -> None:
    # The server answers and closes without saying so (its keep-alive timeout): the next request
    # finds the connection dead before a byte of answer, and is sent again on a new one.
    def handler(request: bytes, nth: int) -> tuple[bytes, bool]:
        return answer(200, b"{}"), True

    async with http_server(handler) as (url, requests, accepted):
        async with Connections(url, size=1) as http:
            await http.post("/one")
            await asyncio.sleep(0.05)
            assert (await http.post("/two")).status == 200

    assert accepted == [2]
    assert [r.split(b" ")[1] for r in requests] == [b"/one", b"/two"]


async def test_a_new_connection_closed_without_an_answer_is_an_error_not_a_resend() -> None:
    def handler(request: bytes, nth: int) -> tuple[bytes, bool]:
        return b"", True

    async with http_server(handler) as (url, requests, _):
        async with Connections(url, size=1) as http:
            with pytest.raises(asyncio.IncompleteReadError):
                await http.post("/write")

    assert len(requests) == 1  # sent once: a write is never repeated on a fresh connection


async def test_open_all_opens_every_connection_before_a_measured_phase() -> None:
    def handler(request: bytes, nth: int) -> tuple[bytes, bool]:
        return answer(200, b"{}"), False

    async with http_server(handler) as (url, requests, accepted):
        async with Connections(url, size=3) as http:
            await http.open_all("/api/v1/health")
            assert accepted == [3]  # one new connection each, at once
            await asyncio.gather(*(http.get("/x") for _ in range(3)))
            assert accepted == [3]  # the phase itself opened none
    assert sorted(r.split(b" ")[1] for r in requests) == [b"/api/v1/health"] * 3 + [b"/x"] * 3
