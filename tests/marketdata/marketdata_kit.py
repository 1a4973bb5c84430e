"""Shared builders for the market-data tests: a small market and a hand-made trading day."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from greenmarket.clock import FixedClock
from greenmarket.exchange.contracts import TSE_STYLE
from greenmarket.exchange.service import ExchangeService, FeeSchedule
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exchange"))
from exchange_kit import SPOT, TRADERS, build_market

#: A call-auction contract on the TSE-style venue, in USD like the traders' cash.
AUCTION = replace(SPOT, contract_id="TSE-GEO", name="Call-auction offset", venue=TSE_STYLE)
CONTRACTS = (SPOT, AUCTION)
NY = SPOT.venue.zone


def ny(hour: int, minute: int = 0) -> datetime:
    """A time on the hand-made day, 2026-04-28 (a Tuesday), New York."""
    return datetime(2026, 4, 28, hour, minute, tzinfo=NY)


class Market:
    """A database with four funded traders and an exchange service over both contracts."""

    def __init__(self, url: str, contracts=CONTRACTS) -> None:  # type: ignore[no-untyped-def]
        self.db = Database(url)
        upgrade(self.db.engine)
        self.clock = FixedClock(ny(9))
        self.registry = RegistryService(self.db, self.clock)
        build_market(self.registry)
        self.exchange = ExchangeService(
            self.db, self.clock, list(contracts),
            base_prices={c.contract_id: Decimal("10.00") for c in contracts},
            fees=FeeSchedule(buyer_bps=Decimal(5), seller_bps=Decimal(5)))

    def at(self, moment: datetime) -> Market:
        self.clock.set(moment)
        return self

    def run(self, op):  # type: ignore[no-untyped-def]
        return self.registry.execute("admin:test", op)


def hand_made_day(market: Market) -> None:
    """The continuous day whose report ``test_marketdata_daily`` computes by hand.

    Book after each step (bid / ask in USD) and the trades:
      10:00 open
      10:00 alpha sells 100 @ 10.10          -     / 10.10
      10:10 beta buys 50 @ 10.00             10.00 / 10.10   spread 0.10
      10:30 gamma buys 40 @ 10.10  -> T 40 @ 10.10; 10.00 / 10.10 (60 left)
      11:00 delta sells 30 @ 10.00 -> T 30 @ 10.00; 10.00 (20 left) / 10.10
      11:30 beta buys 20 @ 10.05             10.05 / 10.10   spread 0.05
      12:00 gamma sells 20 @ 10.05 -> T 20 @ 10.05; 10.00 / 10.10
      13:00 beta cancels its 10:10 order     -     / 10.10   (no spread)
      14:00 beta buys 10 @ 10.08             10.08 / 10.10   spread 0.02
      17:00 close (10.08 / 10.10 expire)
    """
    ex, cid = market.exchange, SPOT.contract_id
    market.at(ny(10)).exchange.open_session(cid)
    ex.submit("alpha", cid, side="sell", quantity=100, price=Decimal("10.10"))
    market.at(ny(10, 10))
    first_bid = ex.submit("beta", cid, side="buy", quantity=50, price=Decimal("10.00"))
    market.at(ny(10, 30))
    ex.submit("gamma", cid, side="buy", quantity=40, price=Decimal("10.10"))
    market.at(ny(11))
    ex.submit("delta", cid, side="sell", quantity=30, price=Decimal("10.00"))
    market.at(ny(11, 30))
    ex.submit("beta", cid, side="buy", quantity=20, price=Decimal("10.05"))
    market.at(ny(12))
    ex.submit("gamma", cid, side="sell", quantity=20, price=Decimal("10.05"))
    market.at(ny(13))
    ex.cancel("beta", cid, first_bid["events"][0]["order_id"])
    market.at(ny(14))
    ex.submit("beta", cid, side="buy", quantity=10, price=Decimal("10.08"))
    market.at(ny(17))
    ex.close_session(cid)


__all__ = ["AUCTION", "CONTRACTS", "NY", "SPOT", "TRADERS", "Market", "hand_made_day", "ny"]
