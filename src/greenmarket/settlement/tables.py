"""Cash ledger and settlement-instruction tables.

The cash ledger is double-entry: every movement's postings sum to zero, and an account's balance is
the sum of its postings. ``balance`` and ``reserved`` are kept on the account row (updated in the
same transaction) so that checks and locks are one row; the database refuses a participant's
balance below what it has reserved, and a negative reservation.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from greenmarket.storage.schema import BigId, metadata

cash_accounts = Table(
    "cash_accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("participant_id", String(64), ForeignKey("participants.id"), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False),
    # Only the designated bank account (money outside greenmarket) may go below zero.
    Column("may_go_negative", Boolean, nullable=False),
    UniqueConstraint("participant_id", "currency", "kind", name="uq_cash_accounts_owner"),
    CheckConstraint("kind in ('participant','venue_fees','bank')", name="kind"),
    CheckConstraint("reserved >= 0", name="reserved"),
    CheckConstraint("may_go_negative or balance >= reserved", name="floor"),
)

cash_movements = Table(
    "cash_movements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(128), nullable=True),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("kind in ('deposit','withdrawal','settlement')", name="kind"),
)

cash_postings = Table(
    "cash_postings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("movement_id", BigId, ForeignKey("cash_movements.id"), nullable=False, index=True),
    Column("account_id", BigId, ForeignKey("cash_accounts.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    CheckConstraint("amount <> 0", name="amount"),
)

cash_reservations = Table(
    "cash_reservations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("cash_accounts.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("reference", String(128), nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("amount > 0 and remaining >= 0 and remaining <= amount", name="amounts"),
    CheckConstraint("state in ('active','released','consumed')", name="state"),
)

settlement_instructions = Table(
    "settlement_instructions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("trade_reference", String(128), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("price", BigInteger, nullable=False),  # minor units per credit
    Column("amount", BigInteger, nullable=False),  # price × quantity
    Column("buyer_fee", BigInteger, nullable=False),
    Column("seller_fee", BigInteger, nullable=False),
    Column("seller_hold_id", BigId, ForeignKey("holds.id"), nullable=False),
    Column("buyer_account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("buyer_reservation_id", BigId, ForeignKey("cash_reservations.id"), nullable=False),
    Column("seller_cash_account_id", BigId, ForeignKey("cash_accounts.id"), nullable=False),
    Column("venue_cash_account_id", BigId, ForeignKey("cash_accounts.id"), nullable=False),
    Column("trade_date", Date, nullable=False),
    Column("settlement_date", Date, nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("settled_at", String(32), nullable=True),
    CheckConstraint("quantity > 0 and price > 0 and amount = price * quantity", name="amount"),
    CheckConstraint("buyer_fee >= 0 and seller_fee >= 0 and seller_fee <= amount", name="fees"),
    CheckConstraint("state in ('pending','settled','failed')", name="state"),
    CheckConstraint("settlement_date >= trade_date", name="dates"),
)
