"""Marking the close and marking the auction: late orders that move a call auction's price, or an
outsized share of its volume taken by late orders.

For each contract the rule follows the auction window's book (entries, amendments, cancels of
``session: auction`` orders). At ``window_close`` (or at the ``uncross`` when no close was sent) it
takes, per holder, the actions of the last ``last_minutes`` and asks two questions:

1. *price*: the indicative price of the book as it is, against the book with that holder's late
   actions undone (late entries removed, late amendments and cancels restored). Both prices come
   from the exchange's own itayose rule (:mod:`greenmarket.exchange.auction`), never a copy of it.
   The move ``|p - p_without| / p_without`` must reach ``price_move``;
2. *share*: the holder's late orders' fills at the uncross (again the exchange's allocation) over
   the auction volume must reach ``late_volume_share``, the auction volume being at least
   ``min_auction_volume``.

Score: ``max(move / (move + price_move), share)``, so 0.5 at the price threshold and the share
itself for the share test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from greenmarket.exchange.auction import (
    candidate_prices,
    choose_auction_price,
    demand_supply,
    uncross,
)
from greenmarket.surveillance.events import Amend, Auction, Cancel
from greenmarket.surveillance.model import Alert, LiveOrder, ratio_score
from greenmarket.surveillance.rules.base import Context, Rule

#: An order in the window: side, price, quantity, priority (arrival sequence).
Resting = tuple[str, int, int, int]


@dataclass(frozen=True)
class MarkingTheCloseConfig:
    last_minutes: float = 5.0
    price_move: float = 0.02
    late_volume_share: float = 0.6
    min_auction_volume: int = 1


def indicative_price(orders: Iterable[Resting], reference: int) -> int | None:
    """The price the exchange would uncross ``orders`` at (参考気配), or ``None`` if none crosses."""
    buys = [(price, quantity) for side, price, quantity, _ in orders if side == "buy"] or [(0, 0)]
    sells = [(price, quantity) for side, price, quantity, _ in orders if side == "sell"] or [(0, 0)]
    buy_prices, buy_quantities = np.array(buys, np.int64).T
    sell_prices, sell_quantities = np.array(sells, np.int64).T
    prices = candidate_prices(buy_prices, sell_prices, reference)
    demand, supply = demand_supply(buy_prices, buy_quantities, sell_prices, sell_quantities, prices)
    decision = choose_auction_price(prices, demand, supply, reference)
    return decision.price if decision else None


def auction_fills(orders: dict[str, Resting], reference: int) -> tuple[int, dict[str, int]]:
    """The auction volume and each order's fill, by the exchange's uncross."""
    buys = [(key, o) for key, o in orders.items() if o[0] == "buy"]
    sells = [(key, o) for key, o in orders.items() if o[0] == "sell"]

    def arrays(side: list[tuple[str, Resting]]) -> tuple[np.ndarray, ...]:
        return tuple(np.array([o[i] for _, o in side], np.int64) for i in (1, 2, 3))

    result = uncross(*arrays(buys), *arrays(sells), reference)
    fills = {key: int(f) for (key, _), f in zip(buys, result.buy_fills)}
    fills.update({key: int(f) for (key, _), f in zip(sells, result.sell_fills)})
    return result.volume, fills


@dataclass
class _Window:
    reference: int | None = None
    orders: dict[str, Resting] = field(default_factory=dict)
    #: (ts, time, holder, order id, state before the action or None for an entry, involved)
    actions: list[tuple[float, datetime, str, str, Resting | None, tuple[str, ...]]] = field(default_factory=list)
    sequence: int = 0
    closed: bool = False


class MarkingTheCloseRule(Rule):
    name = "marking_the_close"
    Config = MarkingTheCloseConfig

    def __init__(self, context: Context, config: MarkingTheCloseConfig | None = None) -> None:
        super().__init__(context)
        self.config = config or MarkingTheCloseConfig()
        self._windows: dict[str, _Window] = {}

    def on_order(self, order: LiveOrder) -> None:
        if order.order.session != "auction":
            return
        window = self._window(order.order.contract)
        window.sequence += 1
        window.orders[order.order_id] = (order.order.side, order.price, order.quantity, window.sequence)
        window.actions.append((order.ts, order.order.time, order.holder, order.order_id, None, order.involved()))

    def on_amend(self, order: LiveOrder, event: Amend, old_price: int, old_quantity: int) -> None:
        window = self._windows.get(order.order.contract)
        before = window.orders.get(order.order_id) if window else None
        if window is None or before is None:
            return
        keeps_priority = event.price == before[1] and event.quantity <= before[2]
        if not keeps_priority:
            window.sequence += 1
        window.orders[order.order_id] = (
            before[0], event.price, event.quantity, before[3] if keeps_priority else window.sequence)
        window.actions.append((event.ts, event.time, order.holder, order.order_id, before, order.involved()))

    def on_cancel(self, order: LiveOrder, event: Cancel) -> None:
        window = self._windows.get(order.order.contract)
        before = window.orders.pop(order.order_id, None) if window else None
        if window is None or before is None:
            return
        window.actions.append((event.ts, event.time, order.holder, order.order_id, before, order.involved()))

    def on_auction(self, event: Auction) -> None:
        window = self._window(event.contract)
        if event.event == "window_open":
            self._windows[event.contract] = _Window(reference=event.price)
        elif event.event == "window_close":
            self._examine(event.contract, window, event.ts)
            window.closed = True
        elif event.event == "uncross":
            if not window.closed:
                self._examine(event.contract, window, event.ts)
            self._windows[event.contract] = _Window(reference=event.price or window.reference)

    def on_day_end(self) -> None:
        self._windows.clear()

    def _window(self, contract: str) -> _Window:
        window = self._windows.get(contract)
        if window is None:
            window = self._windows[contract] = _Window()
        return window

    def _examine(self, contract: str, window: _Window, close_ts: float) -> None:
        config = self.config
        cutoff = close_ts - config.last_minutes * 60
        late: dict[str, list[tuple[float, datetime, str, str, Resting | None, tuple[str, ...]]]] = {}
        for action in window.actions:
            if action[0] >= cutoff:
                late.setdefault(action[2], []).append(action)
        if not late or not window.orders:
            return
        reference = window.reference
        if reference is None:
            reference = int(np.median([o[1] for o in window.orders.values()]))
        actual = indicative_price(window.orders.values(), reference)
        volume, fills = auction_fills(window.orders, reference)
        for actions in late.values():
            without = dict(window.orders)
            first: dict[str, Resting | None] = {}
            for action in actions:
                first.setdefault(action[3], action[4])
            for order_id, before in first.items():
                if before is None:
                    without.pop(order_id, None)
                else:
                    without[order_id] = before
            baseline = indicative_price(without.values(), reference) if without else None
            move = abs((actual or reference) - (baseline or reference)) / (baseline or reference)
            late_fill = sum(fills.get(order_id, 0) for order_id in first)
            share = late_fill / volume if volume else 0.0
            priced = move >= config.price_move
            outsized = share >= config.late_volume_share and volume >= config.min_auction_volume
            if not (priced or outsized):
                continue
            score = max(ratio_score(move, config.price_move) if priced else 0.0, share if outsized else 0.0)
            self.context.emit(Alert(
                self.name, max(a[1] for a in actions), contract,
                [p for a in actions for p in a[5]], list(first), score,
            ))
