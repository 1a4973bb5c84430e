"""Integrity tables on the shared metadata: the transparency log's issued checkpoints.

Until the Alembic migrations include them, :func:`ensure_tables` creates them where needed.
"""

from __future__ import annotations

from weakref import WeakSet

from sqlalchemy import Column, Engine, LargeBinary, String, Table

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


_ensured: WeakSet[Engine] = WeakSet()


def ensure_tables(engine: Engine) -> None:
    """Create the integrity tables if they are missing (until the migrations create them).

    Call it outside any open transaction: on SQLite a writer holding the lock would block it.
    """
    if engine not in _ensured:
        metadata.create_all(engine, tables=[log_checkpoints], checkfirst=True)
        _ensured.add(engine)
