"""The transparency log over the journal table: tree, checkpoints, proofs, entries, export.

Leaf ``i`` of the tree is ``JournalEntry.to_bytes()`` of journal entry ``sequence = i + 1``, so the
tree of size ``n`` covers entries 1 … n. The tree is kept in memory per engine and extended with the
entries committed since; before extending, the cached last entry is compared with the table (a
rolled-back or rewritten entry makes it rebuild from the start) and every new entry is checked
against the hash chain, so the log never signs a broken journal. A new checkpoint is signed only
if the journal still hashes to the previous checkpoint's root at its size: a rewritten history is
refused with ``log_fork_detected`` instead of being signed.

Functions take the caller's session (one unit of work) on a migrated database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import BinaryIO
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.orm import Session

from greenmarket.clock import Clock
from greenmarket.errors import Conflict, DomainError, NotFound, ValidationError
from greenmarket.integrity.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    key_id,
    log_origin,
    sign,
)
from greenmarket.integrity.merkle import MerkleTree
from greenmarket.integrity.proofs import ConsistencyProof, InclusionProof
from greenmarket.integrity.tables import log_checkpoints
from greenmarket.journal import GENESIS_HASH, JournalEntry, store, verify_chain
from greenmarket.journal.entry import format_time
from greenmarket.storage.schema import journal

PAGE = 5_000
MAX_ENTRIES = 1_000


class JournalBroken(DomainError):
    """The journal table no longer forms one hash chain: the log refuses to serve or sign it."""

    status = 500
    code = "log_journal_broken"


@dataclass
class _CachedTree:
    tree: MerkleTree
    last_hash: str


_trees: WeakKeyDictionary[Engine | Connection, _CachedTree] = WeakKeyDictionary()
_trees_lock = threading.Lock()


def journal_tree(session: Session) -> MerkleTree:
    """The Merkle tree over every journal entry the session can see."""
    engine = session.get_bind()
    with _trees_lock:
        cached = _trees.get(engine)
        if cached is None or not _still_current(session, cached):
            cached = _trees[engine] = _CachedTree(MerkleTree(), GENESIS_HASH)
        _extend(session, cached)
        return cached.tree


def _still_current(session: Session, cached: _CachedTree) -> bool:
    if cached.tree.size == 0:
        return True
    stored = session.execute(
        select(journal.c.hash).where(journal.c.sequence == cached.tree.size)
    ).scalar_one_or_none()
    return stored == cached.last_hash


def _extend(session: Session, cached: _CachedTree) -> None:
    while True:
        entries = list(store.read(session, after=cached.tree.size, limit=PAGE))
        if not entries:
            return
        if entries[0].sequence != cached.tree.size + 1:
            raise JournalBroken(
                f"journal entry {cached.tree.size + 1} is missing", field="sequence"
            )
        try:
            verify_chain(entries, previous_hash=cached.last_hash)
        except ValidationError as broken:
            raise JournalBroken(broken.message, field=broken.field, cause=broken.code) from None
        for entry in entries:
            cached.tree.append(entry.to_bytes())
        cached.last_hash = entries[-1].hash


def _row_to_checkpoint(row) -> SignedCheckpoint:  # type: ignore[no-untyped-def]
    return SignedCheckpoint(
        Checkpoint(row.origin, row.tree_size, bytes(row.root_hash), row.time),
        key_id=bytes(row.key_id),
        signature=bytes(row.signature),
    )


def latest_checkpoint(session: Session) -> SignedCheckpoint | None:
    """The last checkpoint the log signed, if any."""
    row = session.execute(
        select(log_checkpoints).order_by(log_checkpoints.c.id.desc()).limit(1)
    ).one_or_none()
    return _row_to_checkpoint(row) if row else None


def issue_checkpoint(
    session: Session, *, clock: Clock, key: Ed25519PrivateKey, origin: str | None = None
) -> SignedCheckpoint:
    """Sign and store a checkpoint of the whole journal, if it extends the last one signed."""
    tree = journal_tree(session)
    size = tree.size
    previous = latest_checkpoint(session)
    if previous is not None:
        _refuse_fork(tree, size, previous.checkpoint)
    signed = sign(
        Checkpoint(origin or log_origin(), size, tree.root(size), format_time(clock.now())), key
    )
    cp = signed.checkpoint
    session.execute(
        insert(log_checkpoints).values(
            origin=cp.origin,
            tree_size=cp.tree_size,
            root_hash=cp.root_hash,
            time=cp.time,
            key_id=signed.key_id,
            signature=signed.signature,
        )
    )
    return signed


def _refuse_fork(tree: MerkleTree, size: int, previous: Checkpoint) -> None:
    if previous.tree_size > size or tree.root(previous.tree_size) != previous.root_hash:
        raise Conflict(
            f"the journal no longer extends the checkpoint of size {previous.tree_size} "
            f"signed at {previous.time}: its history was rewritten",
            code="log_fork_detected",
        )


def fresh_checkpoint(
    session: Session, *, key: Ed25519PrivateKey, origin: str | None = None
) -> SignedCheckpoint | None:
    """The last checkpoint if it covers the whole journal under this key and origin, else None."""
    latest = latest_checkpoint(session)
    if latest is None:
        return None
    cp = latest.checkpoint
    current = (
        cp.tree_size == journal_tree(session).size
        and cp.origin == (origin or log_origin())
        and latest.key_id == key_id(cp.origin, key.public_key())
    )
    return latest if current else None


def current_checkpoint(
    session: Session, *, clock: Clock, key: Ed25519PrivateKey, origin: str | None = None
) -> SignedCheckpoint:
    """The last checkpoint if it is fresh, else a newly issued one."""
    fresh = fresh_checkpoint(session, key=key, origin=origin)
    return fresh or issue_checkpoint(session, clock=clock, key=key, origin=origin)


def _tree_of_size(session: Session, tree_size: int, name: str) -> MerkleTree:
    tree = journal_tree(session)
    if not 1 <= tree_size <= tree.size:
        raise NotFound(f"the log has no tree of size {tree_size} (size is {tree.size})", field=name)
    return tree


def inclusion_proof(session: Session, sequence: int, tree_size: int) -> InclusionProof:
    """The proof that entry ``sequence`` is in the tree of the first ``tree_size`` entries."""
    tree = _tree_of_size(session, tree_size, "tree_size")
    if not 1 <= sequence <= tree_size:
        raise NotFound(f"entry {sequence} is not in a tree of size {tree_size}", field="sequence")
    (entry,) = store.read(session, after=sequence - 1, limit=1)
    return InclusionProof(
        sequence=sequence,
        tree_size=tree_size,
        leaf_hash=tree.leaf_hash(sequence - 1),
        root_hash=tree.root(tree_size),
        path=tree.inclusion_proof(sequence - 1, tree_size),
        entry=entry,
    )


def consistency_proof(session: Session, first: int, second: int) -> ConsistencyProof:
    """The proof that the tree of size ``first`` is a prefix of the tree of size ``second``."""
    tree = _tree_of_size(session, second, "second")
    if not 1 <= first <= second:
        raise ValidationError(f"first must be within 1…{second}", field="first")
    return ConsistencyProof(
        first=first,
        second=second,
        first_root_hash=tree.root(first),
        second_root_hash=tree.root(second),
        path=tree.consistency_proof(first, second),
    )


def entries(session: Session, start: int, end: int) -> list[JournalEntry]:
    """Entries ``start … end`` (inclusive), at most :data:`MAX_ENTRIES` of them."""
    if start < 1 or end < start:
        raise ValidationError("need 1 ≤ start ≤ end", field="start")
    limit = min(end - start + 1, MAX_ENTRIES)
    return list(store.read(session, after=start - 1, limit=limit))


def export_journal(session: Session, out: BinaryIO, *, tree_size: int | None = None) -> int:
    """Write entries 1 … ``tree_size`` (default: all) as JSON Lines; return how many."""
    written, after = 0, 0
    while tree_size is None or written < tree_size:
        page = PAGE if tree_size is None else min(PAGE, tree_size - written)
        batch = list(store.read(session, after=after, limit=page))
        for entry in batch:
            out.write(entry.to_bytes() + b"\n")
        written += len(batch)
        if len(batch) < page:
            break
        after = batch[-1].sequence
    if tree_size is not None and written < tree_size:
        raise NotFound(f"the journal has only {written} entries", field="tree_size")
    return written
