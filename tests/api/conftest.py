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
from greenmarket.demo import load_demo
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade
from greenmarket.storage.scratch import scratch_postgres_database


def _load_demo(url: str) -> None:
    database = Database(url)
    upgrade(database.engine)
    load_demo(database)
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "template.db"
    _load_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_demo_template(postgres_server: str) -> Iterator[str]:
    with scratch_postgres_database(postgres_server) as url:
        _load_demo(url)
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
