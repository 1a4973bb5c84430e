"""Audit of the registry: its invariants, its journal chain, and the journal's replay.

Three independent checks an operator (``greenmarket registry audit``) or a test can run at any time:

- :func:`check_invariants` reads the tables and lists every violated registry invariant (per
  issuance, issued = active + held + retired + cancelled; no overlap; blocks inside their issuance;
  held credits per active hold equal its ``remaining``; no empty or negative block; one holder each);
- :func:`verify_journal` checks the journal's hash chain (raises on the first break);
- :func:`compare_with_tables` replays the ``blocks`` after-images of the registry's journal entries
  (:func:`rebuild_from_journal`) and lists every difference with the ``serial_blocks`` table.

The table checks return readable messages (an empty list means all is well); :func:`audit` runs
all three and gathers their findings in one :class:`AuditReport`. None of them writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from greenmarket.errors import ValidationError
from greenmarket.journal import store as journal_store
from greenmarket.journal.entry import JournalEntry, verify_chain
from greenmarket.registry.ledger import AREA
from greenmarket.registry.model import BlockStatus, HoldState
from greenmarket.registry.tables import (
    accounts,
    cancellations,
    holds,
    issuances,
    retirements,
    serial_blocks,
)
from greenmarket.storage.schema import journal

#: The columns of a serial block as recorded in the journal's after-images.
BLOCK_FIELDS = (
    "id", "program", "project_id", "vintage", "issuance_id", "serial_start", "serial_end",
    "account_id", "status", "hold_id", "retirement_id", "cancellation_id",
)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of all three checks."""

    blocks: int
    journal_entries: int
    invariant_violations: list[str]
    journal_problems: list[str]
    replay_differences: list[str]

    @property
    def ok(self) -> bool:
        return not (self.invariant_violations or self.journal_problems or self.replay_differences)


def audit(session: Session) -> AuditReport:
    """Run every check in one read transaction."""
    entries = session.execute(select(func.count()).select_from(journal)).scalar_one()
    blocks = session.execute(select(func.count()).select_from(serial_blocks)).scalar_one()
    try:
        verify_journal(session)
        journal_problems = []
    except ValidationError as error:
        journal_problems = [error.message]
    return AuditReport(
        blocks=int(blocks),
        journal_entries=int(entries),
        invariant_violations=check_invariants(session),
        journal_problems=journal_problems,
        replay_differences=compare_with_tables(session),
    )


# --- invariants ------------------------------------------------------------------------------


def check_invariants(session: Session) -> list[str]:
    """Every violated registry invariant, as one readable message each (empty: all hold)."""
    blocks = [dict(row._mapping) for row in session.execute(
        select(serial_blocks).order_by(serial_blocks.c.program, serial_blocks.c.serial_start)
    )]
    problems: list[str] = []
    problems += _check_ranges(blocks)
    problems += _check_holders(session, blocks)
    problems += _check_overlaps(blocks)
    problems += _check_issuances(session, blocks)
    problems += _check_holds(session, blocks)
    problems += _check_final_records(session, blocks)
    return problems


def _check_ranges(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        f"block {b['id']}: serials {b['serial_start']}-{b['serial_end']} are empty or negative"
        for b in blocks
        if b["serial_start"] < 1 or b["serial_end"] < b["serial_start"]
    ]


def _check_holders(session: Session, blocks: list[dict[str, Any]]) -> list[str]:
    existing = set(session.execute(select(accounts.c.id)).scalars())
    return [
        f"block {b['id']}: holder account {b['account_id']} does not exist"
        for b in blocks
        if b["account_id"] is None or b["account_id"] not in existing
    ]


def _check_overlaps(blocks: list[dict[str, Any]]) -> list[str]:
    """Blocks come sorted by (program, serial_start): each must start after the previous ends."""
    problems = []
    previous: dict[str, Any] | None = None
    for block in blocks:
        if previous is not None and previous["program"] == block["program"] \
                and block["serial_start"] <= previous["serial_end"]:
            problems.append(
                f"{block['program']} blocks {previous['id']} "
                f"({previous['serial_start']}-{previous['serial_end']}) and {block['id']} "
                f"({block['serial_start']}-{block['serial_end']}) overlap"
            )
        if previous is None or previous["program"] != block["program"] \
                or block["serial_end"] > previous["serial_end"]:
            previous = block
    return problems


def _check_issuances(session: Session, blocks: list[dict[str, Any]]) -> list[str]:
    """Per issuance: issued = active + held + retired + cancelled, all inside its serial range."""
    problems = []
    by_issuance: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for block in blocks:
        by_issuance[block["issuance_id"]].append(block)
    for issuance in session.execute(select(issuances).order_by(issuances.c.id)):
        own = by_issuance.pop(issuance.id, [])
        totals = {status: 0 for status in BlockStatus}
        for block in own:
            totals[BlockStatus(block["status"])] += _size(block)
            if block["serial_start"] < issuance.serial_start or block["serial_end"] > issuance.serial_end:
                problems.append(
                    f"block {block['id']} ({block['serial_start']}-{block['serial_end']}) lies "
                    f"outside issuance {issuance.id} ({issuance.serial_start}-{issuance.serial_end})"
                )
            if block["program"] != issuance.program or block["project_id"] != issuance.project_id \
                    or block["vintage"] != issuance.vintage:
                problems.append(f"block {block['id']} does not carry issuance {issuance.id}'s "
                                "program, project and vintage")
        accounted = sum(totals.values())
        if accounted != issuance.quantity:
            detail = ", ".join(f"{status.value} {totals[status]}" for status in BlockStatus)
            problems.append(
                f"issuance {issuance.id}: issued {issuance.quantity} but blocks account for "
                f"{accounted} ({detail})"
            )
    for issuance_id, orphans in sorted(by_issuance.items()):
        problems.append(f"blocks {sorted(b['id'] for b in orphans)} name issuance {issuance_id}, "
                        "which does not exist")
    return problems


def _check_holds(session: Session, blocks: list[dict[str, Any]]) -> list[str]:
    """Held credits per hold equal its ``remaining``, sit in its account, and only active holds
    hold anything."""
    problems = []
    held: dict[int, int] = defaultdict(int)
    for block in blocks:
        if block["status"] == BlockStatus.HELD:
            held[block["hold_id"]] += _size(block)
    hold_rows = {row.id: row for row in session.execute(select(holds))}
    for block in blocks:
        hold = hold_rows.get(block["hold_id"]) if block["hold_id"] is not None else None
        if block["status"] == BlockStatus.HELD and (hold is None or hold.account_id != block["account_id"]):
            problems.append(f"held block {block['id']} is not in the account of its hold "
                            f"{block['hold_id']}")
    for hold in hold_rows.values():
        expected = hold.remaining if hold.state == HoldState.ACTIVE else 0
        if held.get(hold.id, 0) != expected:
            problems.append(
                f"hold {hold.id} ({hold.state}): holds {held.get(hold.id, 0)} credits, "
                f"expected {expected}"
            )
        if (hold.state == HoldState.ACTIVE) != (hold.remaining > 0):
            problems.append(f"hold {hold.id} is {hold.state} with {hold.remaining} remaining")
    return problems


def _check_final_records(session: Session, blocks: list[dict[str, Any]]) -> list[str]:
    """Each retirement and cancellation is backed by exactly its quantity of final credits."""
    problems = []
    for table, status, column in (
        (retirements, BlockStatus.RETIRED, "retirement_id"),
        (cancellations, BlockStatus.CANCELLED, "cancellation_id"),
    ):
        counted: dict[int, int] = defaultdict(int)
        for block in blocks:
            if block["status"] == status:
                counted[block[column]] += _size(block)
        for row in session.execute(select(table.c.id, table.c.quantity)):
            if counted.pop(row.id, 0) != row.quantity:
                problems.append(f"{status.value} record {row.id}: quantity {row.quantity} but "
                                f"{status.value} blocks hold a different number of credits")
        for record_id in sorted(counted):
            problems.append(f"{status.value} blocks name {column} {record_id}, which does not exist")
    return problems


def _size(block: dict[str, Any]) -> int:
    return int(block["serial_end"]) - int(block["serial_start"]) + 1


# --- journal ---------------------------------------------------------------------------------


def verify_journal(session: Session) -> int:
    """Check the whole journal's hash chain; return the number of entries checked.

    Raises :class:`~greenmarket.errors.ValidationError` (``journal_gap``, ``journal_broken_link``
    or ``journal_tampered``) naming the first entry that breaks it.
    """
    return verify_chain(journal_store.read(session))


def rebuild_from_journal(entries: Iterable[JournalEntry]) -> dict[int, dict[str, Any]]:
    """Replay the registry entries' block after-images, in order, into ``{block id: block}``.

    Blocks are never deleted, so the last after-image of each block is its state.
    """
    state: dict[int, dict[str, Any]] = {}
    for entry in entries:
        if entry.area != AREA:
            continue
        for block in entry.payload.get("blocks", ()):
            state[int(block["id"])] = {name: block.get(name) for name in BLOCK_FIELDS}
    return state


def compare_with_tables(session: Session) -> list[str]:
    """Differences between the journal's replay and the ``serial_blocks`` table (empty: equal)."""
    rebuilt = rebuild_from_journal(journal_store.read(session, area=AREA))
    table = {
        int(row.id): {name: row._mapping[name] for name in BLOCK_FIELDS}
        for row in session.execute(select(serial_blocks))
    }
    problems = []
    for block_id in sorted(rebuilt.keys() | table.keys()):
        replayed, stored = rebuilt.get(block_id), table.get(block_id)
        if stored is None:
            problems.append(f"block {block_id} is in the journal but not in serial_blocks")
        elif replayed is None:
            problems.append(f"block {block_id} is in serial_blocks but no journal entry records it")
        else:
            differing = [name for name in BLOCK_FIELDS if replayed[name] != stored[name]]
            if differing:
                problems.append(
                    f"block {block_id}: " + ", ".join(
                        f"{name} is {stored[name]!r} in serial_blocks but {replayed[name]!r} "
                        "in the journal" for name in differing
                    )
                )
    return problems


__all__ = [
    "AuditReport", "audit", "check_invariants", "compare_with_tables", "rebuild_from_journal",
    "verify_journal",
]
