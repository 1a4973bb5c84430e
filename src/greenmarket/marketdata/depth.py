"""Pre-trade data rebuilt from the journal's order events: depth, best bid/offer, indicative auction.

A :class:`BookView` follows one contract's session from the events the exchange journaled
(``OrderAccepted``, ``Trade``, ``OrderCancelled``, ``OrderExpired``, ``OrderAmended``), so it works
in any process that can read the journal, never touching the engine. It keeps each resting order's
side, price and remaining quantity: enough for depth by price level and the best bid and offer.

During a call-auction window the indicative price, volume and surplus (参考気配) are computed by the
exchange's own itayose rule, :func:`greenmarket.exchange.auction.uncross`, on the orders in the
window and the session's reference price; the rule lives there only.

A view never holds participant ids: depth is public.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from greenmarket.exchange.auction import uncross
from greenmarket.exchange.contracts import Contract, Mechanism


@dataclass(slots=True)
class _Resting:
    side: str
    price: int | None  # None only for a market order inside the command that entered it
    remaining: int
    priority: int


class BookView:
    """One contract's book as the journal describes it (one session at a time)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.mechanism: Mechanism | None = None
        self.reference_price: int | None = None
        self._orders: dict[int, _Resting] = {}
        self._priority = 0

    @property
    def is_open(self) -> bool:
        return self.mechanism is not None

    def open(self, mechanism: str, base_price: int) -> None:
        """A session opened: an empty book; the base price is the auction's reference price."""
        self.mechanism = Mechanism(mechanism)
        self.reference_price = base_price
        self._orders.clear()

    def close(self) -> None:
        self.mechanism = None
        self._orders.clear()

    def apply(self, event: dict[str, Any]) -> None:
        """Fold one journaled event into the book."""
        kind = event["type"]
        orders = self._orders
        if kind == "OrderAccepted":
            self._priority += 1
            orders[event["order_id"]] = _Resting(event["side"], event["price"], event["quantity"],
                                                 self._priority)
        elif kind == "Trade":  # a BlockTrade is off the book and never touches it
            for order_id in (event["buy_order_id"], event["sell_order_id"]):
                self._reduce(order_id, event["quantity"])
        elif kind in ("OrderCancelled", "OrderExpired"):
            self._reduce(event["order_id"], event["quantity"])
        elif kind == "OrderAmended":
            order = orders.get(event["order_id"])
            if order is not None:
                if not event["kept_priority"]:
                    self._priority += 1
                    order.priority = self._priority
                order.price, order.remaining = event["price"], event["remaining"]

    def _reduce(self, order_id: int, quantity: int) -> None:
        order = self._orders.get(order_id)
        if order is None:
            return
        order.remaining -= quantity
        if order.remaining <= 0:
            del self._orders[order_id]

    # --- public views --------------------------------------------------------------------------

    def depth(self, levels: int | None = None) -> dict[str, list[tuple[int, int, int]]]:
        """``(price, quantity, orders)`` per level, best first, per side (the engine's format)."""
        sides: dict[str, dict[int, list[int]]] = {"buy": {}, "sell": {}}
        for order in self._orders.values():
            if order.price is None:
                continue
            level = sides[order.side].setdefault(order.price, [0, 0])
            level[0] += order.remaining
            level[1] += 1
        result = {}
        for side, book in sides.items():
            prices = sorted(book, reverse=side == "buy")[:levels]
            result[side] = [(p, book[p][0], book[p][1]) for p in prices]
        return result

    def best(self) -> tuple[int | None, int | None]:
        """Best bid and best offer (ticks), ``None`` for an empty side."""
        bids = [o.price for o in self._orders.values() if o.side == "buy" and o.price is not None]
        asks = [o.price for o in self._orders.values() if o.side == "sell" and o.price is not None]
        return (max(bids) if bids else None, min(asks) if asks else None)

    def spread(self) -> int | None:
        """Best offer minus best bid in ticks on a continuous book quoted on both sides."""
        if self.mechanism is not Mechanism.CONTINUOUS:
            return None
        bid, ask = self.best()
        return None if bid is None or ask is None else ask - bid

    def indicative(self) -> dict[str, Any] | None:
        """The call auction's indicative price, volume and surplus now (``None`` if it would not
        trade, or when no call window is open)."""
        if self.mechanism is not Mechanism.CALL_AUCTION or self.reference_price is None:
            return None
        arrays: dict[str, list[list[int]]] = {"buy": [[], [], []], "sell": [[], [], []]}
        for order in self._orders.values():
            columns = arrays[order.side]
            columns[0].append(order.price)
            columns[1].append(order.remaining)
            columns[2].append(order.priority)
        buy = [np.array(c, np.int64) for c in arrays["buy"]]
        sell = [np.array(c, np.int64) for c in arrays["sell"]]
        outcome = uncross(*buy, *sell, self.reference_price, lot=self.contract.lot,
                          allocation=self.contract.allocation).price
        if outcome is None:
            return None
        return {"price_ticks": outcome.price, "volume": outcome.volume,
                "surplus": outcome.surplus,
                "surplus_side": outcome.surplus_side.value if outcome.surplus_side else None}

    def snapshot(self, levels: int | None = None) -> dict[str, Any]:
        """Everything public about the book now, in ticks and money (JSON-ready)."""
        contract = self.contract
        money = lambda ticks: None if ticks is None else str(contract.to_money(ticks))
        depth = self.depth(levels)
        bid, ask = self.best()
        indicative = self.indicative()
        if indicative is not None:
            indicative = {**indicative, "price": money(indicative["price_ticks"])}
        return {
            "contract_id": contract.contract_id,
            "currency": contract.currency,
            "session": self.mechanism.value if self.mechanism else None,
            "best_bid": money(bid), "best_bid_ticks": bid,
            "best_ask": money(ask), "best_ask_ticks": ask,
            "bids": [{"price": money(p), "price_ticks": p, "quantity": q, "orders": n}
                     for p, q, n in depth["buy"]],
            "asks": [{"price": money(p), "price_ticks": p, "quantity": q, "orders": n}
                     for p, q, n in depth["sell"]],
            "indicative": indicative,
        }
