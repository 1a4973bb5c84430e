"""Meta-registry tables on the shared metadata: imported sources, their unit records, their rejections.

The Alembic migrations create them (revision 0004).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from greenmarket.storage.schema import BigId, metadata

metaregistry_sources = Table(
    "metaregistry_sources",
    metadata,
    Column("source", String(1000), primary_key=True),
    Column("registry", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_at", String(32), nullable=False),
)

metaregistry_records = Table(
    "metaregistry_records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "source",
        String(1000),
        ForeignKey("metaregistry_sources.source"),
        nullable=False,
        index=True,
    ),
    Column("line", Integer, nullable=False),
    Column("registry", String(32), nullable=False),
    Column("role", String(16), nullable=False),
    Column("program", String(32), nullable=False),
    Column("project", String(64), nullable=False),
    Column("vintage", String(16), nullable=False),
    Column("series", String(32), nullable=True),
    Column("serial_start", BigInteger, nullable=True),
    Column("serial_end", BigInteger, nullable=True),
    Column("quantity", BigInteger, nullable=False),
    Column("row_quantity", BigInteger, nullable=True),
    Column("is_primary", Boolean, nullable=False),
    Column("transfer_to", String(32), nullable=True),
    Column("detail", Text, nullable=False),
    CheckConstraint(
        "role in ('issuance','active','tokenized','retirement','cancellation')", name="role"
    ),
    CheckConstraint(
        "(serial_start is null and serial_end is null) or (serial_start >= 1 and serial_end >= serial_start)",
        name="range",
    ),
)

metaregistry_rejections = Table(
    "metaregistry_rejections",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "source",
        String(1000),
        ForeignKey("metaregistry_sources.source"),
        nullable=False,
        index=True,
    ),
    Column("line", Integer, nullable=False),
    Column("reason", Text, nullable=False),
)

TABLES = (metaregistry_sources, metaregistry_records, metaregistry_rejections)

