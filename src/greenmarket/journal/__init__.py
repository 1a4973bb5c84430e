"""The one append-only, hash-linked journal of every state change in greenmarket."""

from greenmarket.journal.entry import GENESIS_HASH, JournalEntry, canonical_json, verify_chain

__all__ = ["GENESIS_HASH", "JournalEntry", "canonical_json", "verify_chain"]
