"""Proof documents and offline verification against a signed checkpoint (pure: no I/O).

These are the JSON shapes the log serves (``/v1/log/proofs/…``) and ``greenmarket log verify``
reads; every check raises :class:`ValidationError` with a stable code naming what failed:

- ``journal_gap`` / ``journal_broken_link`` / ``journal_tampered``: the hash chain is broken;
- ``log_root_mismatch``: the entries do not hash to the checkpoint's root (a changed, deleted,
  reordered or inserted entry, even with the chain rebuilt around it);
- ``log_journal_short``: fewer entries than the checkpoint covers;
- ``log_proof_invalid``: an inclusion proof does not lead to the checkpoint's root;
- ``log_fork_detected``: two checkpoints that no consistency proof joins (a forked history);
- ``log_size_mismatch``: the proof is for another tree size than the checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from greenmarket.errors import FileFormatError, ValidationError
from greenmarket.integrity.checkpoint import Checkpoint
from greenmarket.integrity.merkle import (
    MerkleTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from greenmarket.journal import JournalEntry, verify_chain


def _hex_list(values: Sequence[bytes]) -> list[str]:
    return [value.hex() for value in values]


def _hashes(values: Any, name: str) -> list[bytes]:
    if not isinstance(values, list):
        raise ValidationError(f"{name} must be a list of hex hashes", field=name)
    return [_hash(value, name) for value in values]


def _hash(value: Any, name: str) -> bytes:
    try:
        hashed = bytes.fromhex(str(value))
    except ValueError:
        raise ValidationError(f"{name} holds a hash that is not hex", field=name) from None
    if len(hashed) != 32:
        raise ValidationError(f"{name} holds a hash that is not 32 bytes", field=name)
    return hashed


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"proof field {name!r} must be an integer", field=name)
    return value


def _check_size(stated: int, checkpoint: Checkpoint, name: str) -> None:
    if stated != checkpoint.tree_size:
        raise ValidationError(
            f"proof is for tree size {stated}, the checkpoint for {checkpoint.tree_size}",
            code="log_size_mismatch",
            field=name,
        )


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Entry ``sequence`` is leaf ``sequence - 1`` of the tree of the first ``tree_size``."""

    sequence: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    path: list[bytes]
    entry: JournalEntry | None = None

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "inclusion",
            "sequence": self.sequence,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "root_hash": self.root_hash.hex(),
            "proof": _hex_list(self.path),
        }
        if self.entry is not None:
            body["entry"] = self.entry.to_dict()
        return body

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InclusionProof:
        entry = data.get("entry")
        try:
            parsed_entry = JournalEntry.from_dict(entry) if entry is not None else None
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError(f"proof entry is malformed: {error}", field="entry") from None
        return cls(
            sequence=_int(data, "sequence"),
            tree_size=_int(data, "tree_size"),
            leaf_hash=_hash(data.get("leaf_hash"), "leaf_hash"),
            root_hash=_hash(data.get("root_hash"), "root_hash"),
            path=_hashes(data.get("proof"), "proof"),
            entry=parsed_entry,
        )

    def verify(self, checkpoint: Checkpoint) -> None:
        """Check the entry (when given) and the audit path against ``checkpoint``'s root."""
        _check_size(self.tree_size, checkpoint, "tree_size")
        if self.entry is not None:
            verify_chain([self.entry], previous_hash=self.entry.previous_hash)
            if (
                self.entry.sequence != self.sequence
                or leaf_hash(self.entry.to_bytes()) != self.leaf_hash
            ):
                raise ValidationError(
                    f"entry {self.entry.sequence} is not the proof's leaf",
                    code="log_proof_invalid",
                    field="entry",
                )
        if not verify_inclusion(
            self.sequence - 1, self.tree_size, self.leaf_hash, self.path, checkpoint.root_hash
        ):
            raise ValidationError(
                f"entry {self.sequence} is not in the signed tree of size {self.tree_size}",
                code="log_proof_invalid",
                field="proof",
            )


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The tree of the first ``first`` entries is a prefix of the tree of the first ``second``."""

    first: int
    second: int
    first_root_hash: bytes
    second_root_hash: bytes
    path: list[bytes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "consistency",
            "first": self.first,
            "second": self.second,
            "first_root_hash": self.first_root_hash.hex(),
            "second_root_hash": self.second_root_hash.hex(),
            "proof": _hex_list(self.path),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConsistencyProof:
        return cls(
            first=_int(data, "first"),
            second=_int(data, "second"),
            first_root_hash=_hash(data.get("first_root_hash"), "first_root_hash"),
            second_root_hash=_hash(data.get("second_root_hash"), "second_root_hash"),
            path=_hashes(data.get("proof"), "proof"),
        )

    def verify(self, previous: Checkpoint, current: Checkpoint) -> None:
        """Check that ``current`` extends ``previous``; a failure means a forked history."""
        _check_size(self.first, previous, "first")
        _check_size(self.second, current, "second")
        if not verify_consistency(
            self.first, self.second, previous.root_hash, current.root_hash, self.path
        ):
            raise ValidationError(
                f"the tree of size {self.second} does not extend the signed tree of size "
                f"{self.first}: the log's history forked",
                code="log_fork_detected",
                field="proof",
            )


def parse_proof(data: Any) -> InclusionProof | ConsistencyProof:
    """Read a proof document by its ``type``."""
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "inclusion":
        return InclusionProof.from_dict(data)
    if kind == "consistency":
        return ConsistencyProof.from_dict(data)
    raise ValidationError("proof type must be 'inclusion' or 'consistency'", field="type")


def parse_journal_lines(lines: Iterable[str], *, source: str) -> list[JournalEntry]:
    """Read an exported journal (JSON Lines); a bad line is refused with its number."""
    entries: list[JournalEntry] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(JournalEntry.from_dict(json.loads(line)))
        except json.JSONDecodeError as error:
            raise FileFormatError(f"not JSON: {error.msg}", source=source, line=number) from None
        except KeyError as missing:
            raise FileFormatError(
                "journal entry lacks a field", source=source, line=number, column=missing.args[0]
            ) from None
        except (TypeError, ValueError, AttributeError) as error:
            raise FileFormatError(
                f"not a journal entry: {error}", source=source, line=number
            ) from None
    return entries


@dataclass(frozen=True, slots=True)
class JournalVerdict:
    """What ``verify_journal`` established."""

    entries: int
    covered: int
    root_hash: bytes


def verify_journal(entries: Sequence[JournalEntry], checkpoint: Checkpoint) -> JournalVerdict:
    """Check a whole journal offline: its hash chain, then its Merkle root against ``checkpoint``.

    Entries beyond the checkpoint's tree size are chain-checked but not covered by its signature.
    """
    if entries and entries[0].sequence != 1:
        raise ValidationError(
            f"journal starts at entry {entries[0].sequence}, not 1",
            code="journal_gap",
            field="sequence",
        )
    verify_chain(entries)
    if len(entries) < checkpoint.tree_size:
        raise ValidationError(
            f"journal has {len(entries)} entries, the checkpoint covers {checkpoint.tree_size}",
            code="log_journal_short",
        )
    tree = MerkleTree(entry.to_bytes() for entry in entries[: checkpoint.tree_size])
    root = tree.root()
    if root != checkpoint.root_hash:
        raise ValidationError(
            f"entries 1…{checkpoint.tree_size} hash to {root.hex()}, the checkpoint signs "
            f"{checkpoint.root_hash.hex()}",
            code="log_root_mismatch",
        )
    return JournalVerdict(len(entries), checkpoint.tree_size, root)
