"""Pooled PostgreSQL connections: a connection that went stale while idle is replaced, not used."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from greenmarket.storage import db as storage_db
from greenmarket.storage.db import Database

pytestmark = pytest.mark.postgres


def backend_pid(database: Database) -> int:
    with database.unit_of_work() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_connection_killed_by_the_server_is_replaced_on_checkout(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(postgres_url)
    try:
        first = backend_pid(database)
        assert backend_pid(database) == first  # in steady use: the same pooled connection
        killer = Database(postgres_url)
        with killer.unit_of_work() as session:
            session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        killer.dispose()
        monkeypatch.setattr(storage_db, "PING_AFTER_IDLE_SECONDS", 0.0)
        replaced = backend_pid(database)
        assert replaced != first
    finally:
        database.dispose()
