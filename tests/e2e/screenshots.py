"""README screenshots: each demo role's home page at 1400×900, from a fresh demo server.

    python -m tests.e2e.screenshots [--out assets/screenshots]

Writes member.png, manager.png, slt.png and admin.png. Needs Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright

from tests.e2e.harness import CHROMIUM, HOMES, launch, running_server, sign_in

ROOT = Path(__file__).resolve().parents[2]
SHOTS = {
    "member": "member@demo.test",
    "manager": "manager@demo.test",
    "slt": "slt@demo.test",
    "admin": "admin@demo.test",
}
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
SETTLE_S = 2.0  # charts animate in; the "updated" age ticks to "just now"


def _wait_for_data(page: Page) -> None:
    """The page has drawn its first snapshot (the header shows the data's age)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-wh-updated]')]"
        ".some(el => el.getAttribute('data-wh-updated'))",
        timeout=15_000,
    )


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="workshub-shots-") as tmp:
        with running_server(Path(tmp) / "data") as server, sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                for role, email in SHOTS.items():
                    context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
                    page = context.new_page()
                    sign_in(page, server.url, email)
                    assert page.url.endswith(HOMES[email]), page.url
                    _wait_for_data(page)
                    time.sleep(SETTLE_S)
                    path = out / f"{role}.png"
                    page.screenshot(path=str(path))
                    written.append(path)
                    context.close()
            finally:
                browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"needs Chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    started = time.monotonic()
    for path in take(args.out):
        print(path)
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
