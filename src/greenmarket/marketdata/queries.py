"""Read side of market data: the public tape, daily reports and registry statistics.

Every function returns plain rows (lists of dicts) whose prices are exact decimal text in the
contract's currency, alongside the integer ticks they come from. None of them carries a participant
id: the tables hold none.

Derived figures (exact ``Decimal`` arithmetic, rounded half-even to 1/10,000 of a tick):

- VWAP = Σ(price × quantity) / Σ quantity over the day's trades, block trades included;
- spread = time-weighted best offer - best bid over the continuous session's quoted time
  (see :mod:`greenmarket.marketdata.projector` for the weighting).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from greenmarket.errors import ValidationError
from greenmarket.marketdata.tables import (
    marketdata_daily,
    marketdata_registry_daily,
    marketdata_trades,
)

PERIODS = ("day", "month", "year")
DIMENSIONS = ("program", "category", "vintage")
PRECISION = Decimal("0.0001")  # of a tick

TAPE_COLUMNS = ("contract_id", "trade_id", "time", "trading_day", "price", "price_ticks",
                "currency", "quantity", "block", "auction")
DAILY_COLUMNS = ("contract_id", "trading_day", "currency", "open", "high", "low", "close", "vwap",
                 "volume", "trades", "block_volume", "closing_bid", "closing_ask", "spread",
                 "quoted_seconds", "deliveries", "delivered_quantity")


def empty_daily(contract_id: str, day: date, currency: str, tick: Decimal) -> dict[str, Any]:
    """A daily row before anything happened on the day."""
    return {"contract_id": contract_id, "trading_day": day, "currency": currency,
            "tick": str(tick), "open_ticks": None, "high_ticks": None, "low_ticks": None,
            "close_ticks": None, "volume": 0, "notional_ticks": 0, "trades": 0, "block_volume": 0,
            "closing_bid_ticks": None, "closing_ask_ticks": None, "spread_tick_us": 0,
            "quoted_us": 0, "deliveries": 0, "delivered_quantity": 0}


def _ratio(numerator: int, denominator: int, tick: Decimal) -> str | None:
    """``numerator / denominator`` ticks as money, rounded to 1/10,000 of a tick."""
    if not denominator:
        return None
    exact = Decimal(numerator) * tick / Decimal(denominator)
    return str(exact.quantize(tick * PRECISION, rounding=ROUND_HALF_EVEN))


def public_daily(row: dict[str, Any]) -> dict[str, Any]:
    """A daily row as published: money prices, VWAP, spread; JSON-ready."""
    tick = Decimal(row["tick"])
    money = lambda ticks: None if ticks is None else str(ticks * tick)
    return {
        "contract_id": row["contract_id"],
        "trading_day": row["trading_day"].isoformat(),
        "currency": row["currency"],
        "open": money(row["open_ticks"]), "high": money(row["high_ticks"]),
        "low": money(row["low_ticks"]), "close": money(row["close_ticks"]),
        "vwap": _ratio(row["notional_ticks"], row["volume"], tick),
        "volume": row["volume"], "trades": row["trades"], "block_volume": row["block_volume"],
        "closing_bid": money(row["closing_bid_ticks"]),
        "closing_ask": money(row["closing_ask_ticks"]),
        "spread": _ratio(row["spread_tick_us"], row["quoted_us"], tick),
        "quoted_seconds": row["quoted_us"] / 1_000_000,
        "deliveries": row["deliveries"], "delivered_quantity": row["delivered_quantity"],
    }


def public_trade(row: dict[str, Any]) -> dict[str, Any]:
    """A tape row as published (JSON-ready)."""
    return {name: (row[name].isoformat() if name == "trading_day" else row[name])
            for name in TAPE_COLUMNS}


def _of_contract_and_days(query: Select[Any], columns: Any, contract_id: str | None,
                          since: date | None, until: date | None) -> Select[Any]:
    """``query`` kept to one contract and a range of trading days, where given."""
    if contract_id is not None:
        query = query.where(columns.contract_id == contract_id)
    if since is not None:
        query = query.where(columns.trading_day >= since)
    if until is not None:
        query = query.where(columns.trading_day <= until)
    return query


def tape(session: Session, *, contract_id: str | None = None, since: date | None = None,
         until: date | None = None, limit: int | None = None,
         newest: bool = False) -> list[dict[str, Any]]:
    """Trades in journal order (oldest first), optionally of one contract and a day range;
    ``limit`` keeps the first trades, or with ``newest`` the last ones."""
    t = marketdata_trades.c
    order = (t.sequence.desc(), t.trade_id.desc()) if newest else (t.sequence, t.trade_id)
    query = _of_contract_and_days(select(marketdata_trades).order_by(*order), t,
                                  contract_id, since, until)
    if limit is not None:
        query = query.limit(limit)
    rows = [public_trade(dict(row._mapping)) for row in session.execute(query)]
    return rows[::-1] if newest else rows


def daily(session: Session, *, contract_id: str | None = None, since: date | None = None,
          until: date | None = None) -> list[dict[str, Any]]:
    """Daily reports since the first trade, by contract and day."""
    t = marketdata_daily.c
    query = _of_contract_and_days(select(marketdata_daily).order_by(t.contract_id, t.trading_day),
                                  t, contract_id, since, until)
    return [public_daily(dict(row._mapping)) for row in session.execute(query)]


def period_of(day: date, period: str) -> str:
    """The label of ``day``'s period: ``2026-04-28``, ``2026-04`` or ``2026``."""
    return {"day": day.isoformat(), "month": day.strftime("%Y-%m"), "year": str(day.year)}[period]


def registry_stats(session: Session, *, by: str = "program", period: str = "month"
                   ) -> list[dict[str, Any]]:
    """Credits issued, retired and cancelled per period and one dimension (program, category or
    vintage), periods in the registry's time zone. This adds periods to
    :func:`greenmarket.registry.queries.issuance_report`, which reports the current totals."""
    if by not in DIMENSIONS:
        raise ValidationError(f"by must be one of {', '.join(DIMENSIONS)}", field="by")
    if period not in PERIODS:
        raise ValidationError(f"period must be one of {', '.join(PERIODS)}", field="period")
    totals: dict[tuple[str, Any], dict[str, int]] = {}
    for row in session.execute(select(marketdata_registry_daily)):
        key = (period_of(row.day, period), getattr(row, by))
        sums = totals.setdefault(key, {"issued": 0, "retired": 0, "cancelled": 0})
        for name in sums:
            sums[name] += getattr(row, name)
    return [{"period": p, by: value, **sums} for (p, value), sums in sorted(totals.items())]
