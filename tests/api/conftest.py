"""An API client over a database holding the demo market, on SQLite and on PostgreSQL.

The demo is loaded once per test session into a template (a SQLite file, a PostgreSQL template
database); each test gets its own copy, so tests stay independent and fast.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from greenmarket.api.app import create_app
from greenmarket.storage.db import Database
from greenmarket.storage.scratch import scratch_postgres_database


@pytest.fixture(scope="session")
def postgres_demo_template(postgres_server: str, demo_loader) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with scratch_postgres_database(postgres_server) as url:
        demo_loader(url)
        yield make_url(url).database  # type: ignore[misc]


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "demo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_demo_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    template = request.getfixturevalue("postgres_demo_template")
    with scratch_postgres_database(request.getfixturevalue("postgres_server"), template) as url:
        database = Database(url)
        yield database
        database.dispose()


@pytest.fixture
def client(demo_db: Database) -> TestClient:
    return TestClient(create_app(demo_db))
