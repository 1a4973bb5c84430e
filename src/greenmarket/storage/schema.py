"""The one SQLAlchemy ``MetaData`` every area's tables join, and the journal table.

Each area declares its tables in ``<area>/tables.py`` on this ``metadata``; Alembic migrations in
``storage/migrations`` create them. Constraint names follow one convention so that migrations can
name them on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Portable JSON: JSONB on PostgreSQL, JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")
# Integer primary keys that are 64-bit on PostgreSQL and ROWID aliases on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

journal = Table(
    "journal",
    metadata,
    Column("sequence", BigId, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("area", String(32), nullable=False),
    Column("type", String(64), nullable=False),
    Column("payload", Json, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

# One row holding the journal's head; appending locks it, so the chain has one order.
journal_head = Table(
    "journal_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sequence", BigId, nullable=False),
    Column("hash", String(64), nullable=False),
)

__all__ = ["BigId", "Json", "journal", "journal_head", "metadata", "Text"]
