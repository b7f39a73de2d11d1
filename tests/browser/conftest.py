"""Browser tests: the console in Debian's Chromium (``apt-get install chromium``), driven by
Playwright, against one live server per module; axe-core (npm, ``tests/browser/package.json``)
checks every main page, and screenshots of them land in ``tests/browser/screenshots/``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from partner_center.provisioning import Credentials
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
PASSWORD = "Console-Passw0rd"


def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` in a thread of its own: Playwright's sync API keeps an event loop running in
    the test thread, where ``asyncio.run`` (the harness's provisioning) cannot start another."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


class BrowserServer(LiveServer):
    """A live server whose provisioning helpers run beside Playwright's event loop."""

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        return in_thread(super()._call, fn, **kwargs)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    url, pg_name = in_thread(lambda: asyncio.run(create_fresh_database()))
    in_thread(migrate, url)
    live = BrowserServer(url).start()
    try:
        yield live
    finally:
        live.stop()
        in_thread(lambda: asyncio.run(drop_database(pg_name)))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium fonts-noto-cjk (.ci/run)")
    if not AXE.exists():
        pytest.fail("axe-core is missing: (cd tests/browser && npm ci) (.ci/run)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser, server: LiveServer) -> Iterator[Callable[..., Page]]:
    """Open a page in a browser context of its own (another person, or JavaScript off:
    ``new_page(java_script_enabled=False)``); closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page(**options: Any) -> Page:
        defaults: dict[str, Any] = {
            "base_url": server.url,
            "locale": "en-US",
            "viewport": {"width": 1280, "height": 900},
            "bypass_csp": True,  # axe-core is injected as an inline script
        }
        context = browser.new_context(**(defaults | options))
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture(scope="module")
def csp(server: LiveServer) -> Partner:
    """A cloud solution provider whose administrator signs in with ``PASSWORD``."""
    return server.partner(password=PASSWORD)


@pytest.fixture(scope="module")
def customers(server: LiveServer, csp: Partner) -> list[Credentials]:
    return [server.customer(csp, name=unique("cust")) for _ in range(3)]


def row(page: Page, customer: Credentials) -> str:
    """The text of the customer's row in the customer list."""
    return page.inner_text(f"tr:has(#c-{customer.account_id})")


def sign_in(page: Page, account: str, password: str = PASSWORD) -> None:
    page.goto("/console/sign-in")
    page.fill("#account_name", account)
    page.fill("#password", password)
    page.click("button[type=submit]")


def signed_in(page: Page, partner: Partner) -> None:
    """The partner's administrator signs in and lands on the dashboard."""
    sign_in(page, partner.creds.domain_name)
    page.wait_for_url("**/console/dashboard")


def notice(page: Page, text: str) -> None:
    page.wait_for_selector(f".notice:has-text({text!r})")


def check_page(page: Page, name: str) -> None:
    """Screenshot the page, check that it fits the window's width (no sideways scrolling), then
    run axe-core on it: no serious or critical violation."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name}: the page is wider than the window: {widths}"
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"


def field_error(page: Page, field: str) -> str:
    return page.inner_text(f"#{field}-error")


def error_code(text: str) -> str:
    match = re.search(r"[A-Z]+\.\d+", text)
    assert match is not None, text
    return match.group(0)
