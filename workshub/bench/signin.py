"""Browser sessions without a browser: fill in and submit WorksHub's real sign-in form over
NiceGUI's socket, exactly the events a person's browser sends, and keep the session cookie."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from workshub.bench.browser import PageSocket, element_by_testid, load_page

__all__ = ["BrowserSession", "sign_in"]


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser: its cookie header and the home page the sign-in navigated to."""

    email: str
    cookie: str
    home: str

    @property
    def cookies(self) -> dict[str, str]:
        name, _, value = self.cookie.partition("=")
        return {name: value}


def _cookie_header(http: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


async def sign_in(
    base_url: str, email: str, password: str, *, timeout: float = 30.0
) -> BrowserSession:
    """Sign in through /login's form; raises when the form does not navigate away."""
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as http:
        page = await load_page(http, "/login")
        ids = {
            test_id: element_by_testid(page.elements, test_id)
            for test_id in ("login-email", "login-password", "login-submit")
        }
        missing = [test_id for test_id, element_id in ids.items() if element_id is None]
        if missing:
            raise RuntimeError(f"/login has no {', '.join(missing)}")
        socket = PageSocket(page, base_url, cookie=_cookie_header(http))
        await socket.connect(timeout=timeout)
        try:
            for test_id, value in (("login-email", email), ("login-password", password)):
                element_id = ids[test_id]
                assert element_id is not None
                events = page.elements[element_id].get("events", [])
                change = next(e["type"] for e in events if e["type"].startswith("update:"))
                await socket.event(element_id, change, value)
            opened = asyncio.create_task(socket.wait_for("open", timeout=timeout))
            await asyncio.sleep(0)  # the waiter is registered before the click is sent
            submit = ids["login-submit"]
            assert submit is not None
            await socket.event(submit, "click")
            try:
                target = await opened
            except TimeoutError:
                raise RuntimeError(f"signing in as {email} did not navigate away") from None
        finally:
            await socket.close()
        return BrowserSession(email=email, cookie=_cookie_header(http), home=str(target["path"]))
