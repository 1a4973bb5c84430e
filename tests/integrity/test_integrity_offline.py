"""Offline verification of an exported journal and of proofs: every kind of tampering is caught."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from greenmarket.errors import FileFormatError, ValidationError
from greenmarket.integrity.checkpoint import Checkpoint, SignedCheckpoint, sign, verify_signature
from greenmarket.integrity.merkle import MerkleTree
from greenmarket.integrity.proofs import (
    ConsistencyProof,
    InclusionProof,
    parse_journal_lines,
    parse_proof,
    verify_journal,
)
from greenmarket.journal import GENESIS_HASH, JournalEntry

KEY = Ed25519PrivateKey.generate()
SIZE = 25


def checkpoint_of(entries: list[JournalEntry], size: int | None = None) -> SignedCheckpoint:
    size = len(entries) if size is None else size
    tree = MerkleTree(entry.to_bytes() for entry in entries[:size])
    return sign(
        Checkpoint("greenmarket/journal", size, tree.root(), "2026-04-01T12:00:00.000000Z"), KEY
    )


def rechain(entries: list[JournalEntry]) -> list[JournalEntry]:
    """What a careful forger does: renumber and re-seal every entry so the hash chain holds."""
    out: list[JournalEntry] = []
    previous = GENESIS_HASH
    for sequence, entry in enumerate(entries, start=1):
        body = {**entry.body(), "sequence": sequence, "previous_hash": previous}
        sealed = JournalEntry(**body)
        sealed = dataclasses.replace(sealed, hash=sealed.compute_hash())
        out.append(sealed)
        previous = sealed.hash
    return out


def with_payload(entry: JournalEntry, **changes: object) -> JournalEntry:
    return dataclasses.replace(entry, payload={**entry.payload, **changes})


def code_of(entries: list[JournalEntry], signed: SignedCheckpoint) -> str:
    with pytest.raises(ValidationError) as refused:
        verify_journal(entries, signed.checkpoint)
    return refused.value.code


def test_an_honest_journal_verifies(make_chain) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(SIZE)
    signed = checkpoint_of(entries)
    verify_signature(signed, KEY.public_key())
    verdict = verify_journal(entries, signed.checkpoint)
    assert (verdict.entries, verdict.covered) == (SIZE, SIZE)
    # a journal that grew after the checkpoint still verifies its signed prefix
    longer = entries + make_chain(3, start=SIZE + 1, previous_hash=entries[-1].hash)
    assert verify_journal(longer, signed.checkpoint).covered == SIZE


def test_a_changed_past_entry_is_caught_however_it_is_hidden(make_chain) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(SIZE)
    signed = checkpoint_of(entries)
    changed = entries.copy()
    changed[6] = with_payload(entries[6], quantity=999_999)
    assert code_of(changed, signed) == "journal_tampered"
    resealed = changed.copy()
    resealed[6] = dataclasses.replace(changed[6], hash=changed[6].compute_hash())
    assert code_of(resealed, signed) == "journal_broken_link"
    assert code_of(rechain(changed), signed) == "log_root_mismatch"


def test_a_deleted_entry_is_caught(make_chain) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(SIZE)
    signed = checkpoint_of(entries)
    deleted = entries[:10] + entries[11:]
    assert code_of(deleted, signed) == "journal_gap"
    assert code_of(entries[1:], signed) == "journal_gap"
    assert code_of(entries[:-1], signed) == "log_journal_short"
    padded = rechain(deleted + [with_payload(entries[-1], padding=True)])
    assert code_of(padded, signed) == "log_root_mismatch"


def test_reordered_entries_are_caught(make_chain) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(SIZE)
    signed = checkpoint_of(entries)
    swapped = entries.copy()
    swapped[3], swapped[4] = swapped[4], swapped[3]
    assert code_of(swapped, signed) == "journal_gap"
    assert code_of(rechain(swapped), signed) == "log_root_mismatch"


def test_a_changed_or_foreign_checkpoint_is_refused(make_chain) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(SIZE)
    signed = checkpoint_of(entries)
    forged = dataclasses.replace(
        signed, checkpoint=dataclasses.replace(signed.checkpoint, tree_size=SIZE - 1)
    )
    with pytest.raises(ValidationError) as refused:
        verify_signature(forged, KEY.public_key())
    assert refused.value.code == "log_bad_signature"
    with pytest.raises(ValidationError) as refused:
        verify_signature(signed, Ed25519PrivateKey.generate().public_key())
    assert refused.value.code == "log_wrong_key"
    round_trip = SignedCheckpoint.from_dict(signed.to_dict())
    assert round_trip == signed
    with pytest.raises(ValidationError):
        SignedCheckpoint.from_dict({**signed.to_dict(), "note": signed.note().replace("25", "24")})


def test_inclusion_proofs_round_trip_and_catch_a_changed_entry(make_chain) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(SIZE)
    tree = MerkleTree(entry.to_bytes() for entry in entries)
    signed = checkpoint_of(entries)
    for index, entry in enumerate(entries):
        proof = InclusionProof(
            index + 1, SIZE, tree.leaf_hash(index), tree.root(), tree.inclusion_proof(index), entry
        )
        parsed = parse_proof(proof.to_dict())
        assert parsed == proof
        parsed.verify(signed.checkpoint)
    proof = InclusionProof(
        8, SIZE, tree.leaf_hash(7), tree.root(), tree.inclusion_proof(7), entries[7]
    )
    altered = with_payload(entries[7], quantity=1)
    altered = dataclasses.replace(altered, hash=altered.compute_hash())
    with pytest.raises(ValidationError, match="not the proof's leaf"):
        dataclasses.replace(proof, entry=altered).verify(signed.checkpoint)
    with pytest.raises(ValidationError) as refused:
        dataclasses.replace(proof, sequence=9, entry=None).verify(signed.checkpoint)
    assert refused.value.code == "log_proof_invalid"
    with pytest.raises(ValidationError) as refused:
        proof.verify(checkpoint_of(entries, SIZE - 1).checkpoint)
    assert refused.value.code == "log_size_mismatch"


def test_a_forked_history_is_caught_between_two_checkpoints(make_chain) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(SIZE)
    old = checkpoint_of(entries, 12)
    honest = entries + make_chain(5, start=SIZE + 1, previous_hash=entries[-1].hash)
    new = checkpoint_of(honest)
    tree = MerkleTree(entry.to_bytes() for entry in honest)
    proof = ConsistencyProof(
        12, len(honest), tree.root(12), tree.root(), tree.consistency_proof(12)
    )
    parse_proof(proof.to_dict()).verify(old.checkpoint, new.checkpoint)  # type: ignore[call-arg]

    # the log rewrites entry 5 and signs the rewritten history: no proof joins the two checkpoints
    forked = rechain(entries[:4] + [with_payload(entries[4], quantity=1)] + honest[5:])
    fork_tree = MerkleTree(entry.to_bytes() for entry in forked)
    fork_checkpoint = checkpoint_of(forked)
    fork_proof = ConsistencyProof(
        12, len(forked), fork_tree.root(12), fork_tree.root(), fork_tree.consistency_proof(12)
    )
    with pytest.raises(ValidationError) as refused:
        fork_proof.verify(old.checkpoint, fork_checkpoint.checkpoint)
    assert refused.value.code == "log_fork_detected"
    # nor does the honest proof reach the forked root
    with pytest.raises(ValidationError):
        proof.verify(old.checkpoint, fork_checkpoint.checkpoint)


def test_a_bad_journal_line_is_refused_with_its_place(make_chain) -> None:  # type: ignore[no-untyped-def]
    lines = [entry.to_bytes().decode() for entry in make_chain(3)]
    assert len(parse_journal_lines(lines, source="journal.jsonl")) == 3
    with pytest.raises(FileFormatError) as refused:
        parse_journal_lines([lines[0], "{not json", lines[2]], source="journal.jsonl")
    assert refused.value.line == 2 and "journal.jsonl:2" in refused.value.message
    with pytest.raises(FileFormatError) as refused:
        parse_journal_lines([lines[0], '{"sequence": 2}'], source="journal.jsonl")
    assert refused.value.line == 2
