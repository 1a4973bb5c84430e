"""Registry tables on the shared metadata.

Invariants held by the database itself (beside the checks in the core):
- ``serial_end >= serial_start >= 1`` (no empty or negative blocks);
- serial ranges of one program never overlap: an exclusion constraint on ``int8range`` in
  PostgreSQL, an equivalent trigger on SQLite (both created by the migration);
- retired and cancelled blocks can be neither updated nor deleted; no block is ever deleted;
- a held block names its hold, and only a held block does.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from greenmarket.storage.schema import BigId, Json, metadata

programs = Table(
    "programs",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("governmental", Boolean, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("serial_format", String(200), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("program", String(16), ForeignKey("programs.code"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("country", String(2), nullable=False),
    Column("category", String(32), nullable=False),
    Column("methodology", String(100), nullable=False),
    Column("verifier", String(200), nullable=False),
    Column("verifier_accreditation", String(16), nullable=False),
    Column("fi_eligible", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("verifier_accreditation in ('doe','iso14065','none')", name="accreditation"),
)

participants = Table(
    "participants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("type", String(32), nullable=False),
    Column("kyc_state", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    CheckConstraint(
        "type in ('corporate','financial_institution','government','local_government','association')",
        name="type",
    ),
    CheckConstraint("kyc_state in ('pending','verified','rejected','suspended')", name="kyc"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("participant_id", String(64), ForeignKey("participants.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("kind in ('holding','retirement','venue_custody','bridge')", name="kind"),
    CheckConstraint("state in ('pending','open','blocked')", name="state"),
)

issuances = Table(
    "issuances",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False, index=True),
    Column("program", String(16), ForeignKey("programs.code"), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("serial_start", BigInteger, nullable=False),
    Column("serial_end", BigInteger, nullable=False),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    CheckConstraint("quantity > 0 and serial_end - serial_start + 1 = quantity", name="range"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("quantity", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("specification", Json, nullable=False),
    Column("reference", String(128), nullable=True),
    # Who may release it: the participant's own hold, or the exchange's reservation for an order.
    Column("managed_by", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("quantity > 0 and remaining >= 0 and remaining <= quantity", name="quantities"),
    CheckConstraint("state in ('active','released','consumed')", name="state"),
    CheckConstraint("managed_by in ('participant','exchange')", name="managed_by"),
)

retirements = Table(
    "retirements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("participant_id", String(64), ForeignKey("participants.id"), nullable=False, index=True),
    Column("quantity", BigInteger, nullable=False),
    Column("beneficiary", String(300), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("claim", Text, nullable=False),
    Column("reporting_year", Integer, nullable=True),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint(
        "purpose in ('voluntary_offset','gx_ets','corsia','ndc','other')", name="purpose"
    ),
)

cancellations = Table(
    "cancellations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("from_account_id", BigId, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("to_account_id", BigId, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("quantity", BigInteger, nullable=False),
    Column("hold_id", BigId, ForeignKey("holds.id"), nullable=True),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
)

serial_blocks = Table(
    "serial_blocks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("program", String(16), ForeignKey("programs.code"), nullable=False),
    Column("project_id", String(64), ForeignKey("projects.id"), nullable=False),
    Column("vintage", Integer, nullable=False),
    Column("issuance_id", BigId, ForeignKey("issuances.id"), nullable=False, index=True),
    Column("serial_start", BigInteger, nullable=False),
    Column("serial_end", BigInteger, nullable=False),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("hold_id", BigId, ForeignKey("holds.id"), nullable=True, index=True),
    Column("retirement_id", BigId, ForeignKey("retirements.id"), nullable=True, index=True),
    Column("cancellation_id", BigId, ForeignKey("cancellations.id"), nullable=True),
    CheckConstraint("serial_start >= 1 and serial_end >= serial_start", name="range"),
    CheckConstraint("status in ('active','held','locked','retired','cancelled')", name="status"),
    CheckConstraint("(status = 'held') = (hold_id is not null)", name="held_has_hold"),
    CheckConstraint("(status = 'retired') = (retirement_id is not null)", name="retired_has_retirement"),
    CheckConstraint(
        "(status = 'cancelled') = (cancellation_id is not null)", name="cancelled_has_cancellation"
    ),
    Index("ix_serial_blocks_account_free", "account_id", "status", "project_id", "vintage", "serial_start"),
    Index("ix_serial_blocks_program_start", "program", "serial_start"),
)

users = Table(
    "users",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("participant_id", String(64), ForeignKey("participants.id"), nullable=True),
    CheckConstraint("role in ('admin','participant','auditor','compliance')", name="role"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("principal", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Json, nullable=False),
    Column("created_at", String(32), nullable=False),
)

# Program-wide serial counters: the next serial number to issue in each program.
serial_counters = Table(
    "serial_counters",
    metadata,
    Column("program", String(16), ForeignKey("programs.code"), primary_key=True),
    Column("next_serial", BigInteger, nullable=False),
)
