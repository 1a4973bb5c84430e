"""Shared fixtures: a fresh PostgreSQL database per test that asks for one.

PostgreSQL is named by ``GREENMARKET_TEST_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test that needs it gets a database of its own,
created from nothing and dropped afterwards, so no run depends on what an earlier one left. When
``CI=true`` and the server cannot be reached the run fails; elsewhere those tests are skipped with
the reason shown.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from greenmarket.demo import load_demo
from greenmarket.storage.db import Database, normalize_url
from greenmarket.storage.migrate import upgrade
from greenmarket.storage.scratch import scratch_postgres_database

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _admin_url() -> str:
    return normalize_url(os.environ.get("GREENMARKET_TEST_DATABASE_URL", DEFAULT_PG_URL))


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server, or fail (CI) / skip (elsewhere)."""
    url = _admin_url()
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure to connect means the same here
        message = f"PostgreSQL at {url} is unreachable: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    with scratch_postgres_database(postgres_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'greenmarket.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run a storage test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


def load_demo_into(url: str) -> None:
    """Create the schema at ``url`` and load the whole demo market into it."""
    database = Database(url)
    upgrade(database.engine)
    load_demo(database)
    database.dispose()


@pytest.fixture(scope="session")
def demo_loader():  # type: ignore[no-untyped-def]
    """``load_demo_into`` for conftest files below this one (they cannot import this module)."""
    return load_demo_into


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the demo market, loaded once per test session; tests copy it."""
    path = tmp_path_factory.mktemp("demo") / "template.db"
    load_demo_into(f"sqlite:///{path}")
    return path
