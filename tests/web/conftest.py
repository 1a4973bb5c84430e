"""Web pages over a copy of the demo market (SQLite), with the market clock in a Tokyo session.

The pages are adapters over the API's handlers, whose rules are tested on SQLite and PostgreSQL in
tests/api; here each test gets its own copy of the demo database and a fixed clock inside the
morning session of the demo (orders are accepted only inside session windows).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from greenmarket.api.app import create_app
from greenmarket.clock import FixedClock
from greenmarket.demo import DEMO_SESSION_TIMES, DEMO_TOKENS
from greenmarket.storage.db import Database

TOKENS = {token.removeprefix("gm_demo_"): token for token, *_ in DEMO_TOKENS}  # "sakura": …


@pytest.fixture
def web_db(sqlite_demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "demo.db"
    shutil.copyfile(sqlite_demo_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def market_clock() -> FixedClock:
    """Tokyo, inside the demo morning session (after the demo orders were entered)."""
    return FixedClock(DEMO_SESSION_TIMES["Asia/Tokyo"] + timedelta(hours=1))


@pytest.fixture
def web(web_db: Database, market_clock: FixedClock) -> TestClient:
    """A browser-like client: follows redirects, keeps cookies, asks for English by default."""
    client = TestClient(create_app(web_db, market_clock), headers={"Accept-Language": "en"})
    return client


def _sign_in(client: TestClient, who: str) -> TestClient:
    response = client.post("/signin", data={"token": TOKENS[who], "next": "/"})
    assert response.status_code == 200, response.text
    assert "gm_session" in client.cookies
    return client


@pytest.fixture
def sign_in():  # type: ignore[no-untyped-def]
    """``sign_in(client, "sakura")``: sign a client in as one of the demo users (TOKENS)."""
    return _sign_in


@pytest.fixture
def csrf_of():  # type: ignore[no-untyped-def]
    """``csrf_of(html)``: the CSRF value of the first form on a page."""
    def find(html: str) -> str:
        match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
        assert match, "no CSRF field on the page"
        return match.group(1)
    return find
