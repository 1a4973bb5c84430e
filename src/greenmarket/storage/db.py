"""Engine and unit-of-work sessions for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from greenmarket import config


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Take transaction control from the sqlite3 module so that SQLAlchemy's "begin" event can
    # issue BEGIN IMMEDIATE: writers then queue on the lock instead of failing on upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    """Writers take the write lock up front; read-only sessions read a snapshot without it."""
    read_only = connection.get_execution_options().get("read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str | None = None, *, pool_size: int = 10) -> Engine:
    """Create the engine for ``url`` (default: the configured database)."""
    url = normalize_url(url or config.database_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "checkout", _pinging_idle_connections(engine))
    return engine


# A pooled connection idle this long is pinged before use (a restarted server or a dropped
# connection is found there and replaced); busier ones skip the round trip a ping costs.
PING_AFTER_IDLE_SECONDS = 5.0


def _returned(_dbapi_connection: Any, record: Any) -> None:
    record.info["returned_at"] = time.monotonic()


def _pinging_idle_connections(engine: Engine) -> Any:
    """A checkout listener: SQLAlchemy's pre-ping, for connections idle long enough to have
    gone stale (a failed ping makes the pool discard the connection and open another)."""

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure means the connection is unusable
            raise DisconnectionError(f"pooled connection failed its ping: {error}") from error

    return ping_if_idle


class Database:
    """One engine and its session factory; ``unit_of_work`` is one transaction."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Open a transaction; commit on success, roll back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only (on SQLite it does not queue behind writers)."""
        with self.sessions() as session:
            session.connection(execution_options={"read_only": True})
            yield session
            session.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
