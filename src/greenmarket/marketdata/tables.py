"""Market-data tables: everything here is projected from the journal and can be rebuilt from it.

Prices are kept in integer ticks (exact); money prices are derived with the contract's tick at the
edge. Times are the journal's UTC strings; ``trading_day`` is the venue-local date. No table holds
a participant id: public data never names counterparties.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, String, Table

from greenmarket.storage.schema import BigId, metadata

#: One row per consumer: the last journal sequence folded into the tables (same transaction).
marketdata_cursor = Table(
    "marketdata_cursor",
    metadata,
    Column("consumer", String(32), primary_key=True),
    Column("sequence", BigId, nullable=False),
)

#: The trade tape (post-trade transparency): never the buyer or the seller.
marketdata_trades = Table(
    "marketdata_trades",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    # the trade's reference within its contract, as in its settlement instruction: ``T7`` for
    # the book's trade 7, ``B2026-04-28:1`` for that day's block trade 1
    Column("trade_id", String(48), primary_key=True),
    Column("sequence", BigId, nullable=False, index=True),
    Column("time", String(40), nullable=False),
    Column("trading_day", Date, nullable=False),
    Column("price_ticks", BigInteger, nullable=False),
    Column("price", String(40), nullable=False),  # exact decimal text in the contract currency
    Column("currency", String(3), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("block", Boolean, nullable=False),
    Column("auction", Boolean, nullable=False),
)

#: One row per contract and venue-local trading day (a day with only deliveries has no prices).
marketdata_daily = Table(
    "marketdata_daily",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("trading_day", Date, primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("tick", String(20), nullable=False),  # the contract's tick, to turn ticks into money
    Column("open_ticks", BigInteger, nullable=True),
    Column("high_ticks", BigInteger, nullable=True),
    Column("low_ticks", BigInteger, nullable=True),
    Column("close_ticks", BigInteger, nullable=True),
    Column("volume", BigInteger, nullable=False),
    Column("notional_ticks", BigInteger, nullable=False),  # Σ price_ticks × quantity (VWAP)
    Column("trades", Integer, nullable=False),
    Column("block_volume", BigInteger, nullable=False),
    Column("closing_bid_ticks", BigInteger, nullable=True),
    Column("closing_ask_ticks", BigInteger, nullable=True),
    # time-weighted spread: Σ spread_ticks × microseconds quoted, and the microseconds quoted
    Column("spread_tick_us", BigInteger, nullable=False),
    Column("quoted_us", BigInteger, nullable=False),
    Column("deliveries", Integer, nullable=False),
    Column("delivered_quantity", BigInteger, nullable=False),
)

#: Settlement instructions still to be delivered: which contract and how many credits.
marketdata_instructions = Table(
    "marketdata_instructions",
    metadata,
    Column("instruction_id", BigId, primary_key=True, autoincrement=False),
    Column("contract_id", String(64), nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

#: Block trades reported and not yet confirmed: their terms, for the tape when confirmed.
marketdata_block_reports = Table(
    "marketdata_block_reports",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("trading_day", Date, primary_key=True),
    Column("report_id", Integer, primary_key=True),
    Column("price_ticks", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

#: Projects as registered: the category of a serial block comes from its project.
marketdata_projects = Table(
    "marketdata_projects",
    metadata,
    Column("project_id", String(64), primary_key=True),
    Column("program", String(16), nullable=False),
    Column("category", String(64), nullable=False),
)

#: Credits issued, retired and cancelled per registry-local day, program, category and vintage.
marketdata_registry_daily = Table(
    "marketdata_registry_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("program", String(16), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("vintage", Integer, primary_key=True),
    Column("issued", BigInteger, nullable=False),
    Column("retired", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
)

TABLES = (marketdata_cursor, marketdata_trades, marketdata_daily, marketdata_instructions,
          marketdata_block_reports, marketdata_projects, marketdata_registry_daily)
#: What a replay from sequence 0 empties first (everything but the cursor, which it resets).
PROJECTED = TABLES[1:]

