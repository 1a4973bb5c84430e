"""The call auction (板寄せ, itayose): one price that uncrosses the book, and who fills at it.

:func:`choose_auction_price` is the single place of the price rule. For every candidate price ``p``
(ticks) let ``D(p)`` be the buy quantity willing to pay ``p`` or more, ``S(p)`` the sell quantity
willing to take ``p`` or less, the executable volume ``min(D, S)`` and the surplus ``D - S``. The
auction price is chosen by, in order:

1. ``maximum_volume``  — the prices with the maximum executable volume;
2. ``minimum_surplus`` — among them, those with the smallest absolute surplus;
3. ``market_pressure`` — if every remaining price has surplus on the sell side, the lowest; if every
   one has it on the buy side, the highest;
4. ``reference_price`` — otherwise the reference price (the last auction price, or the base price)
   clamped into the range of the remaining prices.

Candidates are every tick from the lowest to the highest order price. Between two neighbouring
order prices ``D`` and ``S`` are constant, so it is enough to look at the order prices, the two ends
of each gap between them and the reference price: the same decision at a cost that grows with the
number of orders, not with the width of the price range.

:func:`uncross` then allocates: orders priced better than the auction price fill completely; at the
price the side with surplus is rationed in time priority (or pro rata, a contract option: each
order gets ``floor(quantity × available / wanted)`` rounded down to the lot, then the lots left over
go one each to the orders at the price in time priority). Everything is vectorized with numpy, so
a million resting orders uncross well within a second (``benchmarks/uncross.py``).

:class:`CallAuctionBook` keeps the orders of one session's window, publishes the indicative price
(the same rule, on the book as it stands) and uncrosses at the auction time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.exchange.contracts import Allocation, Contract
from greenmarket.exchange.orders import (
    CancelReason,
    Event,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderExpired,
    OrderType,
    Side,
    TimeInForce,
    Trade,
    parse_side,
)

Ints = NDArray[np.int64]


class Condition(StrEnum):
    """Which step of the price rule decided the auction price."""

    MAXIMUM_VOLUME = "maximum_volume"
    MINIMUM_SURPLUS = "minimum_surplus"
    MARKET_PRESSURE = "market_pressure"
    REFERENCE_PRICE = "reference_price"


@dataclass(frozen=True, slots=True)
class AuctionPrice:
    """The outcome of the price rule: price (ticks), executable volume and surplus.

    ``surplus`` is the quantity left unmatched at the price on the heavier side (``|D - S|``);
    ``surplus_side`` names that side (``None`` when the book balances exactly).
    """

    price: int
    volume: int
    surplus: int
    surplus_side: Side | None
    condition: Condition


@dataclass(frozen=True, slots=True)
class Uncross:
    """An uncross: the price (``None`` when the book does not cross) and each order's fill."""

    price: AuctionPrice | None
    buy_fills: Ints
    sell_fills: Ints

    @property
    def volume(self) -> int:
        return self.price.volume if self.price else 0

    @property
    def surplus(self) -> int:
        return self.price.surplus if self.price else 0


def choose_auction_price(
    prices: Ints, demand: Ints, supply: Ints, reference_price: int,
    demand_above: Ints | None = None, supply_below: Ints | None = None,
) -> AuctionPrice | None:
    """Apply conditions (1)-(4) to candidate ``prices`` (ascending) with their ``D`` and ``S``.

    The candidates must stand for every tick between the lowest and the highest order price, as
    :func:`candidate_prices` makes them (including the reference price when it lies in between).
    ``demand_above`` and ``supply_below`` (buys strictly above, sells strictly below each price)
    let condition (4) clamp only into prices at which every order better than the price can fill
    in full, as itayose promises. Conditions (1)-(3) always land on such a price; (4), with
    surplus on both sides, could otherwise pick a price below the highest buy-side surplus (or
    above the lowest sell-side one) and starve an order better than it.
    Return ``None`` when nothing can execute at any price.
    """
    volume = np.minimum(demand, supply)
    best_volume = int(volume.max()) if len(volume) else 0
    if best_volume <= 0:
        return None

    def decided(index: int, condition: Condition) -> AuctionPrice:
        surplus = int(demand[index] - supply[index])
        side = Side.BUY if surplus > 0 else Side.SELL if surplus < 0 else None
        return AuctionPrice(int(prices[index]), best_volume, abs(surplus), side, condition)

    # (1) maximum executable volume
    remaining = np.flatnonzero(volume == best_volume)
    if len(remaining) == 1:
        return decided(int(remaining[0]), Condition.MAXIMUM_VOLUME)
    # (2) minimum surplus
    surplus = demand[remaining] - supply[remaining]
    least = np.abs(surplus).min()
    keep = np.abs(surplus) == least
    remaining, surplus = remaining[keep], surplus[keep]
    if len(remaining) == 1:
        return decided(int(remaining[0]), Condition.MINIMUM_SURPLUS)
    # (3) market pressure: all surplus on the sell side -> lowest; all on the buy side -> highest
    if (surplus < 0).all():
        return decided(int(remaining[0]), Condition.MARKET_PRESSURE)
    if (surplus > 0).all():
        return decided(int(remaining[-1]), Condition.MARKET_PRESSURE)
    # (4) the reference price clamped into the remaining range (a candidate by construction),
    # keeping only prices at which every order better than the price fills in full
    if demand_above is not None and supply_below is not None:
        fills_better = (demand_above[remaining] <= best_volume) & (
            supply_below[remaining] <= best_volume)
        remaining = remaining[fills_better]
    low, high = int(prices[remaining[0]]), int(prices[remaining[-1]])
    target = min(max(reference_price, low), high)
    return decided(int(np.searchsorted(prices, target)), Condition.REFERENCE_PRICE)


def candidate_prices(buy_prices: Ints, sell_prices: Ints, reference_price: int) -> Ints:
    """Order prices, both ends of every gap between neighbouring ones, and the reference price."""
    levels = np.unique(np.concatenate((buy_prices, sell_prices)))
    gap = np.diff(levels) > 1
    parts = [levels, levels[:-1][gap] + 1, levels[1:][gap] - 1]
    if len(levels) and levels[0] <= reference_price <= levels[-1]:
        parts.append(np.array([reference_price], dtype=np.int64))
    return np.unique(np.concatenate(parts))


def demand_supply(
    buy_prices: Ints, buy_quantities: Ints, sell_prices: Ints, sell_quantities: Ints,
    prices: Ints,
) -> tuple[Ints, Ints]:
    """``D(p)`` (buys at ``p`` or higher) and ``S(p)`` (sells at ``p`` or lower) at each price."""
    order = np.argsort(buy_prices, kind="stable")
    sorted_prices, cumulative = buy_prices[order], np.cumsum(buy_quantities[order])
    below = np.searchsorted(sorted_prices, prices, side="left")
    total = cumulative[-1] if len(cumulative) else 0
    demand = total - np.where(below > 0, cumulative[np.maximum(below - 1, 0)], 0)
    order = np.argsort(sell_prices, kind="stable")
    sorted_prices, cumulative = sell_prices[order], np.cumsum(sell_quantities[order])
    upto = np.searchsorted(sorted_prices, prices, side="right")
    supply = np.where(upto > 0, cumulative[np.maximum(upto - 1, 0)], 0)
    return demand.astype(np.int64), supply.astype(np.int64)


def uncross(
    buy_prices: Ints, buy_quantities: Ints, buy_priorities: Ints,
    sell_prices: Ints, sell_quantities: Ints, sell_priorities: Ints,
    reference_price: int, *, lot: int = 1, allocation: Allocation = Allocation.TIME,
) -> Uncross:
    """Find the auction price and every order's fill (arrays aligned with the inputs).

    Prices are ticks, quantities multiples of ``lot``, priorities integers where smaller is earlier
    (ties: the earlier position in the input). With ``prices`` and ``D``/``S`` computed here, the
    price itself comes from :func:`choose_auction_price`.
    """
    buy_prices, sell_prices = np.asarray(buy_prices, np.int64), np.asarray(sell_prices, np.int64)
    buy_quantities = np.asarray(buy_quantities, np.int64)
    sell_quantities = np.asarray(sell_quantities, np.int64)
    no_fills = (np.zeros(len(buy_prices), np.int64), np.zeros(len(sell_prices), np.int64))
    if not len(buy_prices) or not len(sell_prices):
        return Uncross(None, *no_fills)
    prices = candidate_prices(buy_prices, sell_prices, reference_price)
    demand, supply = demand_supply(buy_prices, buy_quantities, sell_prices, sell_quantities, prices)
    demand_above = demand_supply(buy_prices, buy_quantities, sell_prices, sell_quantities,
                                 prices + 1)[0]
    supply_below = demand_supply(buy_prices, buy_quantities, sell_prices, sell_quantities,
                                 prices - 1)[1]
    decision = choose_auction_price(prices, demand, supply, reference_price, demand_above,
                                    supply_below)
    if decision is None:
        return Uncross(None, *no_fills)
    price, volume = decision.price, decision.volume
    buy_fills = _allocate(
        buy_quantities, np.asarray(buy_priorities, np.int64), buy_prices > price,
        buy_prices == price, volume, lot, allocation,
    )
    sell_fills = _allocate(
        sell_quantities, np.asarray(sell_priorities, np.int64), sell_prices < price,
        sell_prices == price, volume, lot, allocation,
    )
    return Uncross(decision, buy_fills, sell_fills)


def _allocate(
    quantities: Ints, priorities: Ints, better: NDArray[np.bool_], at_price: NDArray[np.bool_],
    volume: int, lot: int, allocation: Allocation,
) -> Ints:
    """Fill one side: better-priced orders completely, then ration ``volume`` at the price."""
    fills = np.where(better, quantities, 0)
    available = volume - int(fills.sum())
    at = np.flatnonzero(at_price)
    at = at[np.argsort(priorities[at], kind="stable")]  # time priority; ties by input position
    wanted = quantities[at]
    if available >= int(wanted.sum()):
        fills[at] = wanted
    elif allocation is Allocation.PRO_RATA:
        fills[at] = pro_rata([int(q) for q in wanted], available, lot)
    else:
        before = np.cumsum(wanted) - wanted
        fills[at] = np.clip(available - before, 0, wanted)
    return fills


def pro_rata(wanted: list[int], available: int, lot: int) -> list[int]:
    """Share ``available`` in proportion to ``wanted`` (time order): floor to the lot, then one
    lot each of what is left, in time priority. Exact integer arithmetic."""
    total = sum(wanted)
    shares = [(quantity * available // total) // lot * lot for quantity in wanted]
    left = (available - sum(shares)) // lot
    for index in range(len(shares)):
        if not left:
            break
        if shares[index] < wanted[index]:
            shares[index] += lot
            left -= 1
    return shares


def pair_fills(
    buy_order: Ints, buy_fills: Ints, sell_order: Ints, sell_fills: Ints
) -> tuple[Ints, Ints, Ints]:
    """Pair filled buys and sells (each list in priority order) into trades.

    Return ``(buy index, sell index, quantity)`` per trade: the buys' and sells' fills laid end to
    end, cut wherever either side's order changes.
    """
    buy_cumulative = np.cumsum(buy_fills)
    sell_cumulative = np.cumsum(sell_fills)
    cuts = np.union1d(buy_cumulative[buy_fills > 0], sell_cumulative[sell_fills > 0])
    starts = np.concatenate(([0], cuts[:-1]))
    buys = buy_order[np.searchsorted(buy_cumulative, cuts, side="left")]
    sells = sell_order[np.searchsorted(sell_cumulative, cuts, side="left")]
    return buys, sells, cuts - starts


class CallAuctionBook:
    """The orders of one call session's window, the indicative price, and the uncross.

    Limit orders only; they rest until the auction (time in force is the session). Priority is the
    order of arrival; an amendment that lowers the quantity at the same price keeps it, anything
    else moves the order to the back. At the uncross every trade is at the auction price and the
    unfilled remainder of every order expires with the session. The auction does not apply
    self-match prevention (an owner's crossing orders may trade with each other; surveillance
    reports them as wash trades).
    """

    def __init__(
        self, contract: Contract, base_price: int, *, reference_price: int | None = None,
        first_order_id: int = 1, first_trade_id: int = 1,
    ) -> None:
        self.contract = contract
        self.low, self.high = contract.price_band_ticks(base_price)
        self.reference_price = base_price if reference_price is None else reference_price
        self._orders: dict[int, _AuctionOrder] = {}
        self._client_order_ids: set[tuple[str, str]] = set()
        self._next_order_id = first_order_id
        self._next_trade_id = first_trade_id
        self._sequence = 0

    @property
    def next_order_id(self) -> int:
        return self._next_order_id

    @property
    def next_trade_id(self) -> int:
        return self._next_trade_id

    def orders(self) -> Iterator[OrderAccepted]:
        return (order.accepted for order in self._orders.values())

    def depth(self) -> dict[str, list[tuple[int, int, int]]]:
        """Aggregated ``(price, quantity, orders)`` levels, best first, at current (amended) terms."""
        levels: dict[tuple[Side, int], list[int]] = {}
        for order in self._orders.values():
            level = levels.setdefault((order.accepted.side, order.price), [0, 0])
            level[0] += order.quantity
            level[1] += 1
        return {
            side.value: sorted(((price, q, n) for (s, price), (q, n) in levels.items() if s is side),
                               reverse=side is Side.BUY)
            for side in (Side.BUY, Side.SELL)
        }

    def submit(
        self, participant: str, owner: str, side: Side, price: int, quantity: int, time: datetime,
        client_order_id: str | None = None,
    ) -> list[Event]:
        """Enter a limit order into the window."""
        side = parse_side(side)
        self._check(price, quantity, time)
        if client_order_id is not None:
            if (participant, client_order_id) in self._client_order_ids:
                raise Conflict(
                    f"client order id {client_order_id!r} was already used by {participant}",
                    code="duplicate_client_order_id", field="client_order_id",
                )
            self._client_order_ids.add((participant, client_order_id))
        order_id = self._next_order_id
        self._next_order_id += 1
        accepted = OrderAccepted(
            order_id, participant, owner, side, OrderType.LIMIT, price, quantity,
            TimeInForce.DAY, client_order_id, time,
        )
        self._orders[order_id] = _AuctionOrder(accepted, price, quantity, self._take_sequence())
        return [accepted]

    def cancel(self, order_id: int, participant: str, time: datetime) -> list[Event]:
        order = self._order(order_id, participant)
        del self._orders[order_id]
        return [OrderCancelled(order_id, order.quantity, CancelReason.REQUESTED, time)]

    def amend(
        self, order_id: int, participant: str, price: int, quantity: int, time: datetime
    ) -> list[Event]:
        """Change price and quantity; a lower quantity at the same price keeps priority."""
        order = self._order(order_id, participant)
        self._check(price, quantity, time)
        kept = price == order.price and quantity <= order.quantity
        order.price, order.quantity = price, quantity
        if not kept:
            order.sequence = self._take_sequence()
        return [OrderAmended(order_id, price, quantity, quantity, kept, time)]

    def indicative(self) -> AuctionPrice | None:
        """The price, volume and surplus the book would uncross at now (参考気配)."""
        return self._run().price

    def uncross(self, time: datetime) -> tuple[AuctionPrice | None, list[Event]]:
        """Uncross at the auction time: trades at one price, then the rest of every order expires.

        The auction price becomes the next reference price.
        """
        result = self._run()
        orders = list(self._orders.values())
        buys = [o for o in orders if o.accepted.side is Side.BUY]
        sells = [o for o in orders if o.accepted.side is Side.SELL]
        events: list[Event] = []
        filled: dict[int, int] = {}
        if result.price is not None:
            price = result.price.price
            buy_rank = np.lexsort(([o.sequence for o in buys], [-o.price for o in buys]))
            sell_rank = np.lexsort(([o.sequence for o in sells], [o.price for o in sells]))
            pairs = pair_fills(buy_rank, result.buy_fills[buy_rank], sell_rank, result.sell_fills[sell_rank])
            for buy_index, sell_index, quantity in zip(*pairs):
                buy, sell = buys[int(buy_index)].accepted, sells[int(sell_index)].accepted
                events.append(Trade(
                    self._next_trade_id, price, int(quantity), buy.order_id, sell.order_id,
                    buy.participant, sell.participant, None, time,
                ))
                self._next_trade_id += 1
            for group, fills in ((buys, result.buy_fills), (sells, result.sell_fills)):
                filled.update((o.accepted.order_id, int(f)) for o, f in zip(group, fills))
            self.reference_price = price
        for order_id in sorted(self._orders):
            left = self._orders[order_id].quantity - filled.get(order_id, 0)
            if left:
                events.append(OrderExpired(order_id, left, time))
        self._orders.clear()
        return result.price, events

    def _run(self) -> Uncross:
        orders = list(self._orders.values())
        buys = [o for o in orders if o.accepted.side is Side.BUY]
        sells = [o for o in orders if o.accepted.side is Side.SELL]
        return uncross(
            np.array([o.price for o in buys], np.int64), np.array([o.quantity for o in buys], np.int64),
            np.array([o.sequence for o in buys], np.int64),
            np.array([o.price for o in sells], np.int64), np.array([o.quantity for o in sells], np.int64),
            np.array([o.sequence for o in sells], np.int64),
            self.reference_price, lot=self.contract.lot, allocation=self.contract.allocation,
        )

    def _take_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    def _check(self, price: int, quantity: int, time: datetime) -> None:
        lot = self.contract.lot
        if type(quantity) is not int or quantity <= 0 or quantity % lot:
            raise ValidationError(f"quantity must be a positive multiple of the lot {lot}", field="quantity")
        if type(price) is not int:
            raise ValidationError("a call auction takes limit orders with an integer price in ticks", field="price")
        if not self.low <= price <= self.high:
            raise ValidationError(
                f"price {price} is outside today's band {self.low}-{self.high}",
                field="price", code="price_outside_band",
            )
        if time.tzinfo is None:
            raise ValidationError("times must carry a UTC offset", field="time")

    def _order(self, order_id: int, participant: str) -> _AuctionOrder:
        order = self._orders.get(order_id)
        if order is None or order.accepted.participant != participant:
            raise NotFound(f"order {order_id} is not in the auction book", field="order_id")
        return order


class _AuctionOrder:
    """An order in the window: what was accepted, and its current price, quantity and priority."""

    __slots__ = ("accepted", "price", "quantity", "sequence")

    def __init__(self, accepted: OrderAccepted, price: int, quantity: int, sequence: int) -> None:
        self.accepted = accepted
        self.price = price
        self.quantity = quantity
        self.sequence = sequence

