"""Trading history of the demo market: the business days before the demo day.

Without it the demo's tape, price/volume charts, daily reports and settlements would be empty
until someone trades. Every step goes through the real services — orders reserve credits or
cash, call auctions uncross at 11:30 and 15:00, the continuous book matches, trades become DvP
instructions settled on their settlement dates (T+5 in Tokyo, T+0 in New York) — so the history
obeys the same rules as live trading. Only the order flow is invented: a seeded random walk
around each contract's base price, the same on every load.

デモ市場の取引履歴：デモ日以前の営業日の板寄せ・ザラ場・受渡（価格は乱数による）。
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from greenmarket.clock import FixedClock
from greenmarket.exchange.contracts import Contract, Session, Venue
from greenmarket.exchange.service import ExchangeService
from greenmarket.exchange.venue import BASE_PRICES
from greenmarket.registry.service import RegistryService
from greenmarket.settlement import dvp

#: Business days of history (the demo day's venue calendar) before the demo day.
HISTORY_DAYS = 10
SEED = 2025


@dataclass(frozen=True, slots=True)
class Flow:
    """Who trades a contract in the history, and how much each seller may sell in all.

    The sellers hold credits the contract delivers; their allowances leave what the demo day's
    resting orders need.
    """

    sellers: dict[str, int]
    buyers: tuple[str, ...]
    quantities: tuple[int, int, int]  # smallest, largest, step of one order
    price_step: Decimal  # order prices are the day's mid plus a few of these
    orders: int  # orders per call auction or per continuous day


FLOWS = {
    "TSE-JCR-FORESTRY": Flow({"hokuriku-forest": 8_000, "kanagawa-pref": 2_000},
                             ("nihon-steel", "sakura-solar", "minato-bank", "kansai-logistics"),
                             (50, 250, 10), Decimal(5), 6),
    "TSE-JCR-ENERGY-SAVING": Flow({"nihon-steel": 3_500, "kansai-logistics": 4_000},
                                  ("sakura-solar", "minato-bank", "midori-trading"),
                                  (50, 200, 10), Decimal(5), 5),
    "CBL-GLOBAL-NATURE": Flow({"midori-trading": 40_000, "nihon-steel": 5_000},
                              ("kansai-logistics", "sakura-solar", "hokuriku-forest"),
                              (200, 1_500, 100), Decimal("0.01"), 6),
}

#: Volatility of the walk per session, and its pull back toward the base price.
VOLATILITY = 0.012
MEAN_REVERSION = 0.3


def history_start(venue: Venue, demo_day: date, days: int = HISTORY_DAYS) -> date:
    """The first of the ``days`` business days of ``venue`` before ``demo_day``."""
    day, found = demo_day, 0
    while found < days:
        day -= timedelta(days=1)
        found += venue.calendar.is_business_day(day)
    return day


class HistoryLoader:
    """Plays the order flow of :data:`FLOWS` through the exchange, day after day."""

    def __init__(self, exchange: ExchangeService, registry: RegistryService,
                 clock: FixedClock) -> None:
        self.exchange, self.registry, self.clock = exchange, registry, clock
        self.random = random.Random(SEED)
        self.allowance = {cid: dict(flow.sellers) for cid, flow in FLOWS.items()}
        self.mid: dict[str, Decimal] = {}

    def load(self, first: date, demo_day: date) -> None:
        """Trade every business day from ``first`` up to the day before ``demo_day``."""
        contracts = [self.exchange.contracts[cid] for cid in FLOWS]
        venues = {c.venue: [k for k in contracts if k.venue == c.venue] for c in contracts}
        day = first
        while day < demo_day:
            # venues in the order their day starts (Tokyo's day ends before New York's opens)
            for venue, traded in sorted(venues.items(),
                                        key=lambda item: venue_time(item[0], day, time(0))):
                if venue.calendar.is_business_day(day):
                    for session in venue.sessions:
                        self._trade_session(venue, session, traded, day)
                    self._settle(venue, day)
            day += timedelta(days=1)

    def _trade_session(self, venue: Venue, session: Session, contracts: list[Contract],
                       day: date) -> None:
        """Open the session's books, take a few orders on each, uncross or close them."""
        self.clock.set(venue_time(venue, day, session.opens) + timedelta(minutes=30))
        for contract in contracts:
            self._walk(contract)
            self.exchange.open_session(contract.contract_id, actor="admin:demo")
        for round_ in range(max(FLOWS[c.contract_id].orders for c in contracts)):
            self.clock.advance(timedelta(minutes=15))
            for contract in contracts:
                if round_ < FLOWS[contract.contract_id].orders:
                    self._order(contract)
        if session.auction_at is not None:
            self.clock.set(venue_time(venue, day, session.auction_at))
            for contract in contracts:
                self.exchange.uncross(contract.contract_id, actor="admin:demo")
        else:
            self.clock.set(venue_time(venue, day, session.closes) - timedelta(minutes=1))
            for contract in contracts:
                self.exchange.close_session(contract.contract_id, actor="admin:demo")

    def _walk(self, contract: Contract) -> None:
        """Move the contract's mid price one step of a random walk pulled toward its base price."""
        cid = contract.contract_id
        anchor = float(BASE_PRICES[cid])
        last = float(contract.to_money(self.exchange.base_prices[cid]))
        mid = last + MEAN_REVERSION * (anchor - last) + self.random.gauss(0, VOLATILITY * anchor)
        self.mid[cid] = Decimal(str(mid)).quantize(contract.tick)

    def _order(self, contract: Contract) -> None:
        cid, flow = contract.contract_id, FLOWS[contract.contract_id]
        low, high, step = flow.quantities
        quantity = self.random.randrange(low, high + 1, step)
        if self.random.random() < 0.5:
            sellers = [s for s, left in self.allowance[cid].items() if left >= quantity]
            if not sellers:
                return
            participant, side, ticks = self.random.choice(sellers), "sell", (-4, 3)
            self.allowance[cid][participant] -= quantity
        else:
            participant, side, ticks = self.random.choice(flow.buyers), "buy", (-3, 4)
        price = self.mid[cid] + flow.price_step * self.random.randint(*ticks)
        self.exchange.submit(participant, cid, side=side, quantity=quantity, price=price,
                             client_order_id=f"hist-{self.clock.now():%m%d-%H%M}")

    def _settle(self, venue: Venue, day: date) -> None:
        """Settle what falls due on ``day``, half an hour after ``venue`` has closed (its DvP
        instructions then count on the venue's own trading day)."""
        self.clock.set(venue_time(venue, day, max(s.closes for s in venue.sessions))
                       + timedelta(minutes=30))
        dvp.settle_due(lambda operation: self.registry.execute("admin:demo", operation), day)


def venue_time(venue: Venue, day: date, local: time) -> datetime:
    """``local`` time of ``venue`` on ``day``, in UTC as the server's own clock gives it."""
    return datetime.combine(day, local, tzinfo=venue.zone).astimezone(UTC)
