"""The continuous-session order book: price-time priority, in pure Python, built for speed.

Layout. Prices are integer ticks bounded by the day's price band, so each side of the book is a
*ladder*: a list with one FIFO queue (``collections.deque``) per tick, indexed directly by a *key*
that grows away from the touch (asks: ``price - low``; bids: ``high - price``). The best price is
the smallest non-empty key, kept in ``best``; when the best level empties the ladder scans forward
to the next non-empty one. With that symmetry one loop matches both sides. Costs: entering and
matching are constant time per order and per fill; moving the best price past empty ticks is linear
in the gap (bounded by the band); a cancel or a priority-losing amend is linear in its level's queue.

A resting order is a small list ``[remaining, order_id, owner, participant, price, accepted,
total]`` (``accepted`` is its :class:`OrderAccepted` event, ``total`` its current total quantity
after amendments): lists are the cheapest mutable record CPython builds, and this is the hot path.

Rules:
- price-time priority; priority is the order of arrival (commands are applied in sequence; the
  command's ``time`` is recorded, never read from a clock);
- self-match prevention at the beneficial-owner level: when an incoming order reaches a resting
  order of the same ``owner``, the *incoming* order's remaining quantity is cancelled (reason
  ``self_match``); trades already made stand and the resting order keeps its place;
- DAY orders rest until cancelled or :meth:`ContinuousBook.expire` ends the session; IOC and
  market orders never rest (their remainder is cancelled); a FOK order trades completely at once
  or is rejected with no other effect;
- amend: a lower total quantity at the same price keeps time priority; any price change or a
  higher total quantity loses it (the order re-enters as if new, and may trade);
- client order ids are unique per participant for the life of the book; a repeat is refused.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.exchange.contracts import Contract
from greenmarket.exchange.orders import (
    CancelReason,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderExpired,
    OrderRejected,
    OrderType,
    Side,
    TimeInForce,
    Trade,
    parse_side,
)

BUY = Side.BUY
SELL = Side.SELL
LIMIT = OrderType.LIMIT
MARKET = OrderType.MARKET
DAY = TimeInForce.DAY
IOC = TimeInForce.IOC
FOK = TimeInForce.FOK


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """What a resting order looks like now: price and ``total`` after amendments, ``remaining``."""

    order_id: int
    participant: str
    owner: str
    side: Side
    price: int
    total: int
    remaining: int
    client_order_id: str | None


class _Ladder:
    """One side of the book: a FIFO queue per price key, the best key and the order count."""

    __slots__ = ("levels", "best", "count", "origin", "step")

    def __init__(self, size: int, origin: int, step: int) -> None:
        self.levels: list[deque[list]] = [deque() for _ in range(size)]
        self.best = size  # == size when the side is empty
        self.count = 0
        self.origin = origin  # price = origin + step * key
        self.step = step

    def rescan(self) -> None:
        """Move ``best`` forward to the next non-empty level (or to the end when empty)."""
        levels = self.levels
        if not self.count:
            self.best = len(levels)
            return
        key = self.best
        while not levels[key]:
            key += 1
        self.best = key

    def remove(self, entry: list, key: int) -> None:
        level = self.levels[key]
        level.remove(entry)
        self.count -= 1
        if not level and key == self.best:
            self.rescan()

    def depth(self) -> list[tuple[int, int, int]]:
        """``(price, quantity, orders)`` per non-empty level, best first."""
        return [
            (self.origin + self.step * key, sum(e[0] for e in level), len(level))
            for key, level in enumerate(self.levels)
            if level
        ]


class ContinuousBook:
    """The book of one contract during a continuous session.

    ``base_price`` (ticks) fixes the day's price band; orders outside it are refused. Order and
    trade ids are assigned in sequence from ``first_order_id`` and ``first_trade_id``, so replaying
    the same commands rebuilds the same book with the same ids.
    """

    def __init__(
        self, contract: Contract, base_price: int, *, first_order_id: int = 1,
        first_trade_id: int = 1,
    ) -> None:
        self.contract = contract
        self.base_price = base_price
        self.low, self.high = contract.price_band_ticks(base_price)
        size = self.high - self.low + 1
        self._asks = _Ladder(size, self.low, 1)
        self._bids = _Ladder(size, self.high, -1)
        self._resting: dict[int, list] = {}
        self._client_order_ids: set[tuple[str, str]] = set()
        self._next_order_id = first_order_id
        self._next_trade_id = first_trade_id
        self._lot = contract.lot

    # --- queries ---------------------------------------------------------------------------
    @property
    def next_order_id(self) -> int:
        return self._next_order_id

    @property
    def next_trade_id(self) -> int:
        return self._next_trade_id

    @property
    def best_bid(self) -> int | None:
        bids = self._bids
        return self.high - bids.best if bids.count else None

    @property
    def best_ask(self) -> int | None:
        asks = self._asks
        return self.low + asks.best if asks.count else None

    def depth(self) -> dict[str, list[tuple[int, int, int]]]:
        """Aggregated ``(price, quantity, orders)`` levels, best first, per side."""
        return {"buy": self._bids.depth(), "sell": self._asks.depth()}

    def resting(self, order_id: int) -> int:
        """The quantity of ``order_id`` still resting (0 when it is no longer in the book)."""
        entry = self._resting.get(order_id)
        return entry[0] if entry is not None else 0

    def resting_orders(self) -> Iterator[RestingOrder]:
        """The orders in the book now, in order of arrival (amended prices and quantities)."""
        return (self.order(order_id) for order_id in sorted(self._resting))

    def order(self, order_id: int) -> RestingOrder:
        """A snapshot of a resting order; :class:`NotFound` when it is no longer in the book."""
        entry = self._resting.get(order_id)
        if entry is None:
            raise NotFound(f"order {order_id} is not resting in the book", field="order_id")
        accepted: OrderAccepted = entry[5]
        return RestingOrder(order_id, accepted.participant, accepted.owner, accepted.side,
                            entry[4], entry[6], entry[0], accepted.client_order_id)

    # --- commands --------------------------------------------------------------------------
    def submit(
        self,
        participant: str,
        owner: str,
        side: Side,
        price: int | None,
        quantity: int,
        time: datetime,
        order_type: OrderType = LIMIT,
        time_in_force: TimeInForce = DAY,
        client_order_id: str | None = None,
    ) -> list[Event]:
        """Enter an order; return what happened (accepted, trades, cancelled remainder).

        ``owner`` is the beneficial owner used for self-match prevention; ``price`` is in ticks
        (``None`` for a market order).
        """
        if side is not BUY and side is not SELL:
            side = parse_side(side)
        self._check_order(price, quantity, time, order_type, time_in_force)
        if client_order_id is not None:
            key = (participant, client_order_id)
            if key in self._client_order_ids:
                raise Conflict(
                    f"client order id {client_order_id!r} was already used by {participant}",
                    code="duplicate_client_order_id", field="client_order_id",
                )
        order_id = self._next_order_id
        self._next_order_id = order_id + 1
        if order_type is MARKET:
            limit = self.high if side is BUY else self.low
        else:
            limit = price
        if time_in_force is FOK and self._fillable(side, owner, limit, quantity) < quantity:
            return [OrderRejected(order_id, participant, client_order_id, "fill_or_kill_unfilled", time)]
        if client_order_id is not None:
            self._client_order_ids.add(key)
        accepted = OrderAccepted(
            order_id, participant, owner, side, order_type, price, quantity, time_in_force,
            client_order_id, time,
        )
        events: list[Event] = [accepted]
        remaining = self._match(order_id, participant, owner, side, limit, quantity, time, events)
        if remaining:
            if remaining < 0:  # stopped by self-match prevention
                events.append(OrderCancelled(order_id, -remaining, CancelReason.SELF_MATCH, time))
            elif order_type is MARKET:
                events.append(OrderCancelled(order_id, remaining, CancelReason.MARKET_REMAINDER, time))
            elif time_in_force is not DAY:
                events.append(OrderCancelled(order_id, remaining, CancelReason.IMMEDIATE_OR_CANCEL, time))
            else:  # rest: _rest() inlined, as this is the benchmark's hottest path
                entry = [remaining, order_id, owner, participant, price, accepted, quantity]
                if side is BUY:
                    ladder = self._bids
                    key = self.high - price
                else:
                    ladder = self._asks
                    key = price - self.low
                ladder.levels[key].append(entry)
                ladder.count += 1
                if key < ladder.best:
                    ladder.best = key
                self._resting[order_id] = entry
        return events

    def cancel(self, order_id: int, participant: str, time: datetime) -> list[Event]:
        """Withdraw what remains of a resting order of ``participant``."""
        entry = self._entry(order_id, participant)
        self._unrest(entry)
        return [OrderCancelled(order_id, entry[0], CancelReason.REQUESTED, time)]

    def amend(
        self, order_id: int, participant: str, price: int, quantity: int, time: datetime
    ) -> list[Event]:
        """Change a resting order's price and total ``quantity`` (filled quantity included).

        A lower total at the same price keeps time priority; anything else loses it and the order
        re-enters the book, possibly trading at once.
        """
        entry = self._entry(order_id, participant)
        accepted: OrderAccepted = entry[5]
        self._check_order(price, quantity, time, LIMIT, DAY)
        filled = entry[6] - entry[0]
        remaining = quantity - filled
        if remaining <= 0:
            raise ValidationError(
                f"order {order_id} has already traded {filled}; the new total must exceed it",
                field="quantity", code="amend_below_filled",
            )
        if price == entry[4] and quantity <= entry[6]:
            entry[0] = remaining
            entry[6] = quantity
            return [OrderAmended(order_id, price, quantity, remaining, True, time)]
        self._unrest(entry)
        events: list[Event] = [OrderAmended(order_id, price, quantity, remaining, False, time)]
        side = accepted.side
        left = self._match(order_id, participant, entry[2], side, price, remaining, time, events)
        if left < 0:
            events.append(OrderCancelled(order_id, -left, CancelReason.SELF_MATCH, time))
        elif left:
            self._rest([left, order_id, entry[2], participant, price, accepted, quantity], side)
        return events

    def expire(self, time: datetime) -> list[Event]:
        """End the session: every resting order expires, in order of arrival."""
        events: list[Event] = [
            OrderExpired(order_id, entry[0], time) for order_id, entry in sorted(self._resting.items())
        ]
        for ladder in (self._bids, self._asks):
            for level in ladder.levels:
                level.clear()
            ladder.count = 0
            ladder.rescan()
        self._resting.clear()
        return events

    # --- internals -------------------------------------------------------------------------
    def _check_order(
        self, price: int | None, quantity: int, time: datetime, order_type: OrderType,
        time_in_force: TimeInForce,
    ) -> None:
        if type(quantity) is not int or quantity <= 0 or quantity % self._lot:
            raise ValidationError(
                f"quantity must be a positive multiple of the lot {self.contract.lot}",
                field="quantity",
            )
        if order_type is LIMIT:
            if type(price) is not int:
                raise ValidationError("a limit order needs an integer price in ticks", field="price")
            if price < self.low or price > self.high:
                raise ValidationError(
                    f"price {price} is outside today's band {self.low}-{self.high}",
                    field="price", code="price_outside_band",
                )
        elif order_type is MARKET:
            if not self.contract.market_orders:
                raise ValidationError(
                    f"{self.contract.contract_id} takes limit orders only",
                    field="order_type", code="market_orders_not_allowed",
                )
            if price is not None:
                raise ValidationError("a market order has no price", field="price")
        else:
            raise ValidationError(f"unknown order type {order_type!r}", field="order_type")
        if time_in_force is not DAY and time_in_force is not IOC and time_in_force is not FOK:
            raise ValidationError(f"unknown time in force {time_in_force!r}", field="time_in_force")
        if time.tzinfo is None:
            raise ValidationError("times must carry a UTC offset", field="time")

    def _match(
        self, order_id: int, participant: str, owner: str, side: Side, limit: int,
        quantity: int, time: datetime, events: list[Event],
    ) -> int:
        """Trade an incoming order against the other side; return what is left.

        The result is negated when self-match prevention stopped the order.
        """
        if side is BUY:
            ladder = self._asks
            limit_key = limit - self.low
        else:
            ladder = self._bids
            limit_key = self.high - limit
        key = ladder.best
        if key > limit_key:
            return quantity
        levels = ladder.levels
        resting = self._resting
        append = events.append
        origin = ladder.origin
        step = ladder.step
        trade_id = self._next_trade_id
        remaining = quantity
        self_match = False
        while key <= limit_key:
            level = levels[key]
            price = origin + step * key
            while level:
                entry = level[0]
                if entry[2] == owner:
                    self_match = True
                    break
                available = entry[0]
                if available <= remaining:
                    traded = available
                    level.popleft()
                    del resting[entry[1]]
                    ladder.count -= 1
                else:
                    traded = remaining
                    entry[0] = available - remaining
                remaining -= traded
                if side is BUY:
                    append(Trade(trade_id, price, traded, order_id, entry[1], participant, entry[3], BUY, time))
                else:
                    append(Trade(trade_id, price, traded, entry[1], order_id, entry[3], participant, SELL, time))
                trade_id += 1
                if not remaining:
                    break
            if level or not ladder.count:
                break
            key += 1
            while not levels[key]:
                key += 1
            if not remaining:
                break
        self._next_trade_id = trade_id
        ladder.best = key if ladder.count else len(levels)
        return -remaining if self_match else remaining

    def _fillable(self, side: Side, owner: str, limit: int, wanted: int) -> int:
        """How much an incoming order could trade now, up to ``wanted`` (for fill-or-kill)."""
        if side is BUY:
            ladder, limit_key = self._asks, limit - self.low
        else:
            ladder, limit_key = self._bids, self.high - limit
        total = 0
        for key in range(ladder.best, min(limit_key, len(ladder.levels) - 1) + 1):
            for entry in ladder.levels[key]:
                if entry[2] == owner:
                    return total
                total += entry[0]
                if total >= wanted:
                    return total
        return total

    def _rest(self, entry: list, side: Side) -> None:
        if side is BUY:
            ladder = self._bids
            key = self.high - entry[4]
        else:
            ladder = self._asks
            key = entry[4] - self.low
        ladder.levels[key].append(entry)
        ladder.count += 1
        if key < ladder.best:
            ladder.best = key
        self._resting[entry[1]] = entry

    def _unrest(self, entry: list) -> None:
        if entry[5].side is BUY:
            self._bids.remove(entry, self.high - entry[4])
        else:
            self._asks.remove(entry, entry[4] - self.low)
        del self._resting[entry[1]]

    def _entry(self, order_id: int, participant: str) -> list:
        entry = self._resting.get(order_id)
        if entry is None or entry[3] != participant:
            raise NotFound(f"order {order_id} is not resting in the book", field="order_id")
        return entry

