"""Throw-away PostgreSQL databases for tests and benchmarks (created, then dropped)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from greenmarket.storage.db import normalize_url


@contextmanager
def scratch_postgres_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """Create a uniquely named database (optionally a copy of ``template``); drop it after."""
    server_url = normalize_url(server_url)
    name = f"gm_scratch_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    clause = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
