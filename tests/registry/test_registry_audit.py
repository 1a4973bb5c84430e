"""The audit finds what it is meant to find: each check fails on a registry broken behind its back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from greenmarket.errors import ValidationError
from greenmarket.journal import store as journal_store
from greenmarket.registry import audit, ledger
from greenmarket.registry.ledger import CreditSpec

if TYPE_CHECKING:
    from conftest import Registry


def tamper(registry: Registry, *statements: str) -> None:
    """Change the tables with raw SQL, as a faulty tool or an intruder would."""
    with registry.db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def busy(registry: Registry) -> None:
    registry.issue(100)
    registry.transfer("alpha", "beta", 30)
    registry.retire("beta", 5)
    registry.run(lambda c: ledger.place_hold(c, account_id=registry.holding["alpha"], quantity=20,
                                             spec=CreditSpec()))


def test_a_clean_registry_passes_every_check(sqlite_registry: Registry) -> None:
    busy(sqlite_registry)
    with sqlite_registry.db.read() as session:
        report = audit.audit(session)
    assert report.ok
    with sqlite_registry.db.read() as session:
        assert audit.verify_journal(session) == report.journal_entries
    assert report.blocks == 4  # the held piece, the rest at alpha, the active and retired at beta
    assert report.journal_entries > 20


def test_lost_credits_break_issued_equals_the_sum(sqlite_registry: Registry) -> None:
    busy(sqlite_registry)
    # Shrink the issuance's last free block by one credit: one credit has vanished.
    tamper(sqlite_registry, "update serial_blocks set serial_end = serial_end - 1 where id = ("
           "select id from serial_blocks where status = 'active' order by serial_end desc limit 1)")
    with sqlite_registry.db.read() as session:
        problems = audit.check_invariants(session)
        differences = audit.compare_with_tables(session)
    assert any("issued 100 but blocks account for 99" in p for p in problems)
    assert any("serial_end is 99 in serial_blocks but 100 in the journal" in p for p in differences)


def test_hold_remaining_must_match_held_credits(sqlite_registry: Registry) -> None:
    busy(sqlite_registry)
    tamper(sqlite_registry, "update holds set remaining = 19")
    with sqlite_registry.db.read() as session:
        problems = audit.check_invariants(session)
    assert problems == ["hold 1 (active): holds 20 credits, expected 19"]


def test_overlap_and_dangling_holder_are_reported(sqlite_registry: Registry) -> None:
    busy(sqlite_registry)
    # Remove the database's own guards first, to see that the audit stands on its own.
    tamper(sqlite_registry, "drop trigger serial_blocks_no_overlap_update")
    raw = sqlite_registry.db.engine.raw_connection()  # autocommit: the pragma applies
    try:
        raw.execute("pragma foreign_keys = off")
        raw.execute("update serial_blocks set serial_start = 25, account_id = 99"
                    " where serial_start = 31")
    finally:
        raw.execute("pragma foreign_keys = on")
        raw.close()
    with sqlite_registry.db.read() as session:
        problems = audit.check_invariants(session)
    assert any("overlap" in p for p in problems)
    assert any("holder account 99 does not exist" in p for p in problems)


def test_a_moved_block_not_in_the_journal_is_a_replay_difference(sqlite_registry: Registry) -> None:
    busy(sqlite_registry)
    beta = sqlite_registry.holding["beta"]
    tamper(sqlite_registry, f"update serial_blocks set account_id = {beta}"
           " where status = 'active' and serial_start = 51")
    with sqlite_registry.db.read() as session:
        assert audit.check_invariants(session) == []  # still consistent, but not what happened
        differences = audit.compare_with_tables(session)
    assert len(differences) == 1 and "account_id" in differences[0]


def test_an_edited_journal_entry_breaks_the_chain(sqlite_registry: Registry) -> None:
    busy(sqlite_registry)
    tamper(sqlite_registry, "drop trigger journal_no_update",
           "update journal set actor = 'mallory' where sequence = 3")
    with sqlite_registry.db.read() as session:
        with pytest.raises(ValidationError, match="journal entry 3: content does not match") as error:
            audit.verify_journal(session)
        assert error.value.code == "journal_tampered"
        assert audit.audit(session).journal_problems == [error.value.message]


def test_rebuild_takes_the_last_after_image_of_each_block(sqlite_registry: Registry) -> None:
    busy(sqlite_registry)
    with sqlite_registry.db.read() as session:
        entries = list(journal_store.read(session))
    state = audit.rebuild_from_journal(entries)
    assert sum(b["serial_end"] - b["serial_start"] + 1 for b in state.values()) == 100
    assert {b["status"] for b in state.values()} == {"active", "held", "retired"}
    # Replaying a prefix gives the state as it was then: right after the issuance, one block.
    issued_at = next(i for i, e in enumerate(entries) if e.type == "issued")
    early = audit.rebuild_from_journal(entries[: issued_at + 1])
    assert [(b["serial_start"], b["serial_end"], b["status"]) for b in early.values()] == [
        (1, 100, "active")]
