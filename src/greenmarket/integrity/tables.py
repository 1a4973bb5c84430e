"""Integrity tables on the shared metadata: the transparency log's issued checkpoints."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String, Table

from greenmarket.storage.schema import BigId, metadata

# Every checkpoint the log has signed, in order; never updated nor deleted. A new one is signed
# only when the journal it covers is consistent with the one before (see ``integrity.log``).
log_checkpoints = Table(
    "log_checkpoints",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("origin", String(200), nullable=False),
    Column("tree_size", BigId, nullable=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("time", String(32), nullable=False),
    Column("key_id", LargeBinary(4), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

