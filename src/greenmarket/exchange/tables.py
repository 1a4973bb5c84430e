"""Exchange tables: each order's reservation, and each book's last journaled command."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, UniqueConstraint

from greenmarket.storage.schema import BigId, metadata

exchange_orders = Table(
    "exchange_orders",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("contract_id", String(64), nullable=False),
    Column("order_id", Integer, nullable=False),  # the book's own id, assigned in sequence
    Column("participant_id", String(64), ForeignKey("participants.id"), nullable=False),
    Column("side", String(4), nullable=False),
    Column("limit_price", BigInteger, nullable=False),  # minor units per credit reserved at
    Column("quantity", BigInteger, nullable=False),  # total, as amended
    Column("open_quantity", BigInteger, nullable=False),
    Column("hold_id", BigId, ForeignKey("holds.id"), nullable=True),
    Column("reservation_id", BigId, ForeignKey("cash_reservations.id"), nullable=True),
    Column("cash_account_id", BigId, ForeignKey("cash_accounts.id"), nullable=False),
    Column("holding_account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    UniqueConstraint("contract_id", "order_id", name="uq_exchange_orders_book_id"),
)

# One row per contract: the sequence of the last journal entry that changed its book. Every command
# locks it first, which makes one writer per contract across processes; a process that finds a
# sequence it has not seen rebuilds the book from the journal before acting.
exchange_books = Table(
    "exchange_books",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("last_sequence", BigInteger, nullable=False),
)
