"""Journal entries and their hash chain (pure: no I/O).

An entry is (sequence, time, actor, area, type, payload, previous_hash, hash). Its ``hash`` is the
SHA-256 of the canonical JSON of every other field, so that changing any byte of any past entry, or
reordering or deleting entries, breaks the chain. The exported journal is JSON Lines, one
:meth:`JournalEntry.to_dict` per line in sequence order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from greenmarket.errors import ValidationError

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    """Serialize ``value`` the one way that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def format_time(moment: datetime) -> str:
    """Render a journal time: UTC, microseconds, ``Z`` suffix (one spelling per instant)."""
    if moment.tzinfo is None:
        raise ValidationError("journal time must be timezone-aware", field="time")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One state change, sealed by its hash and linked to the entry before it."""

    sequence: int
    time: str
    actor: str
    area: str
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    previous_hash: str = GENESIS_HASH
    hash: str = ""

    @classmethod
    def seal(
        cls,
        *,
        sequence: int,
        time: datetime,
        actor: str,
        area: str,
        type: str,
        payload: dict[str, Any],
        previous_hash: str,
    ) -> JournalEntry:
        """Build the entry that follows ``previous_hash`` and compute its own hash."""
        unsealed = cls(sequence, format_time(time), actor, area, type, payload, previous_hash)
        return cls(**{**unsealed.body(), "hash": unsealed.compute_hash()})

    def body(self) -> dict[str, Any]:
        """Every field but ``hash``: the hashed content."""
        return {
            "sequence": self.sequence,
            "time": self.time,
            "actor": self.actor,
            "area": self.area,
            "type": self.type,
            "payload": self.payload,
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.body())).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash}

    def to_bytes(self) -> bytes:
        """The canonical bytes of the whole entry (the transparency log's leaf data)."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JournalEntry:
        return cls(
            sequence=int(data["sequence"]),
            time=str(data["time"]),
            actor=str(data["actor"]),
            area=str(data["area"]),
            type=str(data["type"]),
            payload=dict(data["payload"]),
            previous_hash=str(data["previous_hash"]),
            hash=str(data["hash"]),
        )


def verify_chain(entries: Iterable[JournalEntry], previous_hash: str = GENESIS_HASH) -> int:
    """Check sequence continuity and every hash link; return the number of entries checked.

    Raises :class:`ValidationError` naming the first entry that breaks the chain.
    """
    count = 0
    expected_sequence: int | None = None
    for entry in entries:
        if expected_sequence is not None and entry.sequence != expected_sequence:
            raise ValidationError(
                f"journal entry {entry.sequence}: expected sequence {expected_sequence}",
                code="journal_gap",
                field="sequence",
            )
        if entry.previous_hash != previous_hash:
            raise ValidationError(
                f"journal entry {entry.sequence}: previous_hash does not match the entry before",
                code="journal_broken_link",
                field="previous_hash",
            )
        if entry.compute_hash() != entry.hash:
            raise ValidationError(
                f"journal entry {entry.sequence}: content does not match its hash",
                code="journal_tampered",
                field="hash",
            )
        previous_hash = entry.hash
        expected_sequence = entry.sequence + 1
        count += 1
    return count
