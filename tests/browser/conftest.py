"""A real server and a real browser: ``greenmarket serve`` over a copy of the demo market, driven
by Playwright in Debian's Chromium (``/usr/bin/chromium``; Playwright's own browser download is not
used).

Each test gets its own server process and database copy, with the market clock started inside the
demo's Tokyo morning session (``GREENMARKET_CLOCK_START``), so tests never share state. When
``CI=true`` and Chromium is missing, the run fails; elsewhere these tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from greenmarket.demo import DEMO_SESSION_TIMES, DEMO_TOKENS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TOKENS = {token.removeprefix("gm_demo_"): token for token, *_ in DEMO_TOKENS}  # "sakura": …
SESSION_START = DEMO_SESSION_TIMES["Asia/Tokyo"] + timedelta(hours=1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start within 60 s: {log.read_text()}")


@pytest.fixture
def server_setup():  # type: ignore[no-untyped-def]
    """``setup(database_url) -> extra environment``, run before the server starts (none here)."""
    return lambda url: {}


@pytest.fixture
def server(sqlite_demo_template: Path, tmp_path: Path, server_setup) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The base URL of a fresh ``greenmarket serve`` over its own copy of the demo market."""
    database = tmp_path / "demo.db"
    shutil.copyfile(sqlite_demo_template, database)
    url = f"sqlite:///{database}"
    port = _free_port()
    environment = {**os.environ, "GREENMARKET_DATABASE_URL": url,
                   "GREENMARKET_CLOCK_START": SESSION_START.isoformat(), **server_setup(url)}
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "greenmarket"), "serve", "--port", str(port)],
            env=environment, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Chromium for one test module.

    Playwright's sync API keeps an asyncio loop running in the worker while it is open, so it is
    stopped with the module: later tests in the same worker may call ``asyncio.run``.
    """
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, server):  # type: ignore[no-untyped-def]
    """``new_page(language="en")``: a page in a fresh browser context (own cookies)."""
    contexts = []

    def make(language: str = "en"):  # type: ignore[no-untyped-def]
        context = browser.new_context(base_url=server, locale=language,
                                      extra_http_headers={"Accept-Language": language})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in_as():  # type: ignore[no-untyped-def]
    """``sign_in_as(page, "sakura")``: sign in through the form, as a user would."""
    def sign_in(page, who: str) -> None:  # type: ignore[no-untyped-def]
        page.goto("/signin")
        page.fill("#f-token", TOKENS[who])
        page.click("form.card button[type=submit]")
        page.wait_for_selector("[data-testid=signed-in-as]")
    return sign_in
