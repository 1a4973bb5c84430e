"""Builders for the integrity tests: a signing key, a journal database, a sealed chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert

from greenmarket.integrity.tables import ensure_tables
from greenmarket.journal import GENESIS_HASH, JournalEntry
from greenmarket.journal import store
from greenmarket.storage.db import Database
from greenmarket.storage.schema import journal, journal_head, metadata

START = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def sealed_chain(count: int, *, start: int = 1, previous_hash: str = GENESIS_HASH,
                 tag: str = "") -> list[JournalEntry]:
    """``count`` hash-linked entries, as the registry would journal issuances."""
    entries: list[JournalEntry] = []
    for sequence in range(start, start + count):
        entry = JournalEntry.seal(
            sequence=sequence,
            time=START + timedelta(minutes=sequence),
            actor="registry-admin",
            area="registry",
            type="credits_issued",
            payload={"project": f"JCR-{sequence:03d}{tag}", "serial_start": 1000 * sequence + 1,
                     "quantity": 1000},
            previous_hash=previous_hash,
        )
        entries.append(entry)
        previous_hash = entry.hash
    return entries


def append_entries(database: Database, count: int, *, tag: str = "") -> list[JournalEntry]:
    """Append ``count`` entries through the journal store, one unit of work each."""
    appended = []
    for i in range(count):
        with database.unit_of_work() as session:
            appended.append(
                store.append(
                    session,
                    time=START + timedelta(minutes=i),
                    actor="registry-admin",
                    area="registry",
                    type="credits_issued",
                    payload={"index": i, "tag": tag, "quantity": 500},
                )
            )
    return appended


@pytest.fixture
def signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ed25519PrivateKey:
    """A fresh log key, also named by GREENMARKET_LOG_SIGNING_KEY for the adapters."""
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "log-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("GREENMARKET_LOG_SIGNING_KEY", str(path))
    return key


def create_journal_database(url: str) -> Database:
    """The journal and log tables from the metadata, with the head row a migration would add."""
    database = Database(url)
    metadata.create_all(database.engine, tables=[journal, journal_head], checkfirst=True)
    ensure_tables(database.engine)
    with database.unit_of_work() as session:
        session.execute(insert(journal_head).values(id=1, sequence=0, hash=GENESIS_HASH))
    return database


@pytest.fixture
def journal_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    database = create_journal_database(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def make_chain():  # type: ignore[no-untyped-def]
    """The :func:`sealed_chain` builder (a fixture, so test modules need not import conftest)."""
    return sealed_chain


@pytest.fixture
def append_to():  # type: ignore[no-untyped-def]
    """The :func:`append_entries` builder."""
    return append_entries


@pytest.fixture
def new_journal_database():  # type: ignore[no-untyped-def]
    """The :func:`create_journal_database` builder (for a second engine or PostgreSQL)."""
    return create_journal_database
