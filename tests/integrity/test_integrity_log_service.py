"""The log service over the journal table: checkpoints, proofs, the tree cache, tampered tables."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update

from greenmarket.clock import FixedClock
from greenmarket.errors import DomainError, NotFound, ValidationError
from greenmarket.integrity import log
from greenmarket.integrity.checkpoint import verify_signature
from greenmarket.integrity.merkle import MerkleTree
from greenmarket.journal import GENESIS_HASH, JournalEntry, store
from greenmarket.storage.db import Database
from greenmarket.storage.schema import journal, journal_head

CLOCK = FixedClock(datetime(2026, 4, 1, 12, 0, tzinfo=UTC))


def all_entries(database: Database) -> list[JournalEntry]:
    with database.read() as session:
        return list(store.read(session))


def checkpoint(database: Database, key):  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        return log.issue_checkpoint(session, clock=CLOCK, key=key)


def rewrite(database: Database, sequence: int, **payload: object) -> None:
    """A forger with write access: change one entry, then re-seal it and every later one."""
    entries = all_entries(database)
    previous = GENESIS_HASH if sequence == 1 else entries[sequence - 2].hash
    with database.unit_of_work() as session:
        for entry in entries[sequence - 1 :]:
            changed = {**entry.payload, **payload} if entry.sequence == sequence else entry.payload
            sealed = JournalEntry(**{**entry.body(), "payload": changed, "previous_hash": previous})
            sealed = JournalEntry(**{**sealed.body(), "hash": sealed.compute_hash()})
            session.execute(
                update(journal)
                .where(journal.c.sequence == entry.sequence)
                .values(**sealed.to_dict())
            )
            previous = sealed.hash
        session.execute(update(journal_head).values(hash=previous))


def test_checkpoints_and_proofs_over_the_stored_journal(
    database_url, signing_key, new_journal_database, append_to
) -> None:  # type: ignore[no-untyped-def]
    database = new_journal_database(database_url)
    append_to(database, 9)
    first = checkpoint(database, signing_key)
    append_to(database, 14, tag="more")
    second = checkpoint(database, signing_key)
    verify_signature(first, signing_key.public_key())
    verify_signature(second, signing_key.public_key())
    entries = all_entries(database)
    assert second.checkpoint.tree_size == len(entries) == 23
    assert second.checkpoint.root_hash == MerkleTree(e.to_bytes() for e in entries).root()
    with database.read() as session:
        for sequence in range(1, 24):
            proof = log.inclusion_proof(session, sequence, 23)
            assert proof.entry == entries[sequence - 1]
            proof.verify(second.checkpoint)
        log.consistency_proof(session, 9, 23).verify(first.checkpoint, second.checkpoint)
        assert [e.sequence for e in log.entries(session, 5, 8)] == [5, 6, 7, 8]
        with pytest.raises(NotFound):
            log.inclusion_proof(session, 3, 24)
        with pytest.raises(NotFound):
            log.inclusion_proof(session, 10, 9)
        with pytest.raises(ValidationError):
            log.consistency_proof(session, 10, 9)
    with database.unit_of_work() as session:
        assert log.latest_checkpoint(session) == second
        assert log.current_checkpoint(session, clock=CLOCK, key=signing_key) == second
    database.dispose()


def test_the_cached_tree_forgets_rolled_back_entries(journal_db, signing_key, append_to) -> None:  # type: ignore[no-untyped-def]
    append_to(journal_db, 5)
    with pytest.raises(RuntimeError):
        with journal_db.unit_of_work() as session:
            store.append(
                session, time=CLOCK.now(), actor="a", area="registry", type="x", payload={}
            )
            assert log.journal_tree(session).size == 6
            raise RuntimeError("roll back")
    append_to(journal_db, 2, tag="after")
    with journal_db.read() as session:
        tree = log.journal_tree(session)
    assert tree.root() == MerkleTree(e.to_bytes() for e in all_entries(journal_db)).root()
    assert tree.size == 7


def test_a_changed_entry_in_the_table_is_refused(
    journal_db, signing_key, append_to, sqlite_url
) -> None:  # type: ignore[no-untyped-def]
    append_to(journal_db, 10)
    checkpoint(journal_db, signing_key)
    with journal_db.unit_of_work() as session:
        session.execute(
            update(journal).where(journal.c.sequence == 4).values(payload={"quantity": 10**6})
        )
    fresh = Database(sqlite_url)  # another process: no cached tree
    with pytest.raises(DomainError) as refused:
        checkpoint(fresh, signing_key)
    assert refused.value.code == "log_journal_broken"
    fresh.dispose()


def test_a_deleted_entry_in_the_table_is_refused(
    journal_db, signing_key, append_to, sqlite_url
) -> None:  # type: ignore[no-untyped-def]
    append_to(journal_db, 10)
    with journal_db.unit_of_work() as session:
        session.execute(delete(journal).where(journal.c.sequence == 6))
    fresh = Database(sqlite_url)
    with fresh.read() as session, pytest.raises(DomainError) as refused:
        log.journal_tree(session)
    assert refused.value.code == "log_journal_broken" and "6" in refused.value.message
    fresh.dispose()


def test_a_rewritten_history_is_never_signed(
    journal_db, signing_key, append_to, sqlite_url
) -> None:  # type: ignore[no-untyped-def]
    append_to(journal_db, 12)
    old = checkpoint(journal_db, signing_key)
    rewrite(journal_db, 5, quantity=1)  # the chain is whole again: only the log can tell
    append_to(journal_db, 3, tag="later")
    for database in (journal_db, Database(sqlite_url)):  # cached and fresh alike
        with pytest.raises(DomainError) as refused:
            checkpoint(database, signing_key)
        assert refused.value.code == "log_fork_detected"
        with database.read() as session:
            proof = log.consistency_proof(session, 12, 15)
        tree = MerkleTree(e.to_bytes() for e in all_entries(database))
        rewritten = dataclasses.replace(old.checkpoint, tree_size=15, root_hash=tree.root())
        with pytest.raises(ValidationError) as refused:
            proof.verify(old.checkpoint, rewritten)
        assert refused.value.code == "log_fork_detected"
