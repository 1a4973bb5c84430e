"""The call-auction price rule on worked books, and random books against a brute-force reference."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.exchange.auction import CallAuctionBook, Condition, pro_rata, uncross
from greenmarket.exchange.contracts import TSE_ENERGY_SAVING, Allocation
from greenmarket.exchange.orders import OrderExpired, Side, Trade

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def run(buys, sells, reference, allocation=Allocation.TIME, lot=1):
    """Uncross lists of (price, quantity) in time order (list position = priority)."""
    def arrays(orders, offset):
        prices = np.array([p for p, _ in orders], np.int64)
        quantities = np.array([q for _, q in orders], np.int64)
        return prices, quantities, np.arange(len(orders), dtype=np.int64) + offset
    return uncross(*arrays(buys, 0), *arrays(sells, 1000), reference, lot=lot, allocation=allocation)


# --- worked cases, one per condition ---------------------------------------------------------

def test_condition_1_maximum_volume():
    # D/S: at 1490 D=90 S=25 (25); at 1500 D=50 S=60 (50); at 1510 D=30 S=60 (30).
    # 50 at 1500 is the unique maximum, so condition (1) decides.
    result = run([(1510, 30), (1500, 20), (1490, 40)], [(1480, 25), (1500, 20), (1500, 15), (1520, 50)], 1490)
    assert (result.price.price, result.volume, result.surplus) == (1500, 50, 10)
    assert result.price.condition is Condition.MAXIMUM_VOLUME
    assert result.price.surplus_side is Side.SELL
    assert result.buy_fills.tolist() == [30, 20, 0]
    # s1 is better than the price and fills fully; at 1500 s2 (earlier) before s3
    assert result.sell_fills.tolist() == [25, 20, 5, 0]


def test_condition_2_minimum_surplus():
    # Volume is 10 at 99, 100 and 101 (sells 10 at 99 cover it), so (1) leaves three prices.
    # Surplus: 99 -> D15-S10=+5, 100 -> +5, 101 -> D10-S10=0: only 101 has the minimum surplus.
    result = run([(101, 10), (100, 5)], [(99, 10)], 99)
    assert (result.price.price, result.volume, result.surplus) == (101, 10, 0)
    assert result.price.condition is Condition.MINIMUM_SURPLUS


def test_condition_2_can_pick_a_price_where_no_order_rests():
    # At 101: D=20 S=15 (+5); at 103: D=15 S=20 (-5); at 102 (no order there): D=15 S=15 (0).
    # All three execute 15; the surplus is smallest at 102, inside the gap between order prices.
    result = run([(103, 15), (101, 5)], [(101, 15), (103, 5)], 101)
    assert (result.price.price, result.volume, result.surplus) == (102, 15, 0)
    assert result.price.condition is Condition.MINIMUM_SURPLUS


def test_condition_3_buy_pressure_takes_the_highest():
    # Buys 20 at 102 against sells 10 at 100: volume 10 and surplus +10 (buy side) at 100, 101
    # and 102, so (1) and (2) leave all three; all surplus is on the buy side -> the highest.
    result = run([(102, 20)], [(100, 10)], 100)
    assert (result.price.price, result.volume, result.surplus) == (102, 10, 10)
    assert result.price.condition is Condition.MARKET_PRESSURE
    assert result.price.surplus_side is Side.BUY


def test_condition_3_sell_pressure_takes_the_lowest():
    # Mirror image: sells 20 at 98 against buys 10 at 100 -> surplus -10 everywhere -> the lowest.
    result = run([(100, 10)], [(98, 20)], 100)
    assert (result.price.price, result.volume, result.surplus) == (98, 10, 10)
    assert result.price.condition is Condition.MARKET_PRESSURE


@pytest.mark.parametrize(("reference", "expected"), [(100, 100), (105, 102), (90, 98)])
def test_condition_4_reference_price_clamped(reference, expected):
    # Buys 10 at 102, sells 10 at 98: volume 10 and surplus 0 at every price 98-102, so (1)-(3)
    # cannot choose; the reference price decides, clamped into 98-102.
    result = run([(102, 10)], [(98, 10)], reference)
    assert result.price.price == expected
    assert result.price.condition is Condition.REFERENCE_PRICE
    assert (result.volume, result.surplus) == (10, 0)


def test_condition_4_when_several_prices_balance_exactly():
    # Buys 10@102 + 5@99, sells 10@99 + 5@102. Volume is 10 at every price 99-102 (1).
    # Surplus: 99 -> D15-S10=+5, 100 -> 0, 101 -> 0, 102 -> D10-S15=-5; (2) keeps 100 and 101,
    # which balance exactly (no side has surplus), so (3) cannot decide and the reference price
    # 105, clamped into 100-101, gives 101.
    result = run([(102, 10), (99, 5)], [(99, 10), (102, 5)], 105)
    assert result.price.price == 101
    assert result.price.condition is Condition.REFERENCE_PRICE


def test_no_cross_and_one_sided_books():
    assert run([(99, 10)], [(100, 10)], 100).price is None
    assert run([(99, 10)], [], 100).price is None
    empty = run([], [], 100)
    assert empty.price is None and empty.volume == 0 and empty.surplus == 0


def test_pro_rata_allocation_floor_then_time_priority():
    # 10 available at 100 for sells of 7, 7 and 6 (20 wanted): floors 3, 3, 3, then the one
    # lot left goes to the earliest order.
    result = run([(100, 10)], [(100, 7), (100, 7), (100, 6)], 100, allocation=Allocation.PRO_RATA)
    assert result.sell_fills.tolist() == [4, 3, 3]
    assert pro_rata([7, 7, 6], 10, 1) == [4, 3, 3]
    assert pro_rata([20, 20], 20, 5) == [10, 10]
    # floors 6 -> 5 and 4 -> 0 (lots of 5); the one lot left goes to the earlier order
    assert pro_rata([15, 10], 10, 5) == [10, 0]


# --- random books against a brute-force reference --------------------------------------------

def reference_uncross(buys, sells, reference):
    """Obviously correct: every tick from the lowest to the highest price, then the four rules."""
    prices = [p for p, _ in buys + sells]
    rows = []
    for p in range(min(prices), max(prices) + 1):
        demand = sum(q for bp, q in buys if bp >= p)
        supply = sum(q for sp, q in sells if sp <= p)
        rows.append((p, min(demand, supply), demand - supply))
    best = max(v for _, v, _ in rows)
    if best == 0:
        return None, [0] * len(buys), [0] * len(sells)
    rows = [r for r in rows if r[1] == best]
    least = min(abs(s) for _, _, s in rows)
    rows = [r for r in rows if abs(r[2]) == least]
    if len(rows) == 1:
        price = rows[0][0]
    elif all(s < 0 for _, _, s in rows):
        price = rows[0][0]
    elif all(s > 0 for _, _, s in rows):
        price = rows[-1][0]
    else:  # only prices at which every order better than the price fills in full
        rows = [r for r in rows if sum(q for bp, q in buys if bp > r[0]) <= best
                and sum(q for sp, q in sells if sp < r[0]) <= best]
        price = min(max(reference, rows[0][0]), rows[-1][0])

    def fill(orders, better):
        fills = [q if better(p) else 0 for p, q in orders]
        left = best - sum(fills)
        for i, (p, q) in enumerate(orders):  # list order is time priority
            if p == price:
                fills[i] = min(q, left)
                left -= fills[i]
        return fills

    return (price, best), fill(buys, lambda p: p > price), fill(sells, lambda p: p < price)


order_lists = st.lists(
    st.tuples(st.integers(95, 105) | st.sampled_from([80, 120, 121, 140]), st.integers(1, 20)),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(buys=order_lists, sells=order_lists, reference=st.integers(70, 150))
def test_random_books_match_the_brute_force_reference(buys, sells, reference):
    result = run(buys, sells, reference)
    if not buys or not sells:
        assert result.price is None
        return
    expected, buy_fills, sell_fills = reference_uncross(buys, sells, reference)
    if expected is None:
        assert result.price is None
    else:
        assert (result.price.price, result.price.volume) == expected
    assert result.buy_fills.tolist() == buy_fills
    assert result.sell_fills.tolist() == sell_fills
    assert int(result.buy_fills.sum()) == int(result.sell_fills.sum()) == result.volume


@settings(max_examples=100, deadline=None)
@given(buys=order_lists, sells=order_lists, reference=st.integers(90, 110))
def test_pro_rata_fills_conserve_volume(buys, sells, reference):
    result = run(buys, sells, reference, allocation=Allocation.PRO_RATA)
    assert int(result.buy_fills.sum()) == int(result.sell_fills.sum()) == result.volume
    assert all(0 <= f <= q for f, (_, q) in zip(result.buy_fills.tolist(), buys))


# --- the auction book of a session -----------------------------------------------------------

def test_call_auction_book_indicative_uncross_and_expiry():
    book = CallAuctionBook(TSE_ENERGY_SAVING, 1500)
    t = T0
    book.submit("alpha", "A", Side.BUY, 1510, 30, t)
    book.submit("beta", "B", Side.BUY, 1500, 20, t + timedelta(seconds=1))
    book.submit("gamma", "C", Side.SELL, 1480, 25, t + timedelta(seconds=2))
    book.submit("delta", "D", Side.SELL, 1500, 40, t + timedelta(seconds=3))
    indicative = book.indicative()
    assert (indicative.price, indicative.volume, indicative.surplus) == (1500, 50, 15)
    price, events = book.uncross(t + timedelta(hours=2))
    trades = [e for e in events if isinstance(e, Trade)]
    assert {tr.price for tr in trades} == {1500}
    assert sum(tr.quantity for tr in trades) == 50
    # the best buy (alpha, 1510) meets the best sell (gamma, 1480) first
    assert (trades[0].buyer, trades[0].seller, trades[0].quantity) == ("alpha", "gamma", 25)
    expired = [e for e in events if isinstance(e, OrderExpired)]
    assert [(e.order_id, e.quantity) for e in expired] == [(4, 15)]
    assert book.reference_price == 1500
    assert book.indicative() is None and list(book.orders()) == []


def test_call_auction_book_amend_priority_and_refusals():
    book = CallAuctionBook(TSE_ENERGY_SAVING, 1500)
    book.submit("p1", "A", Side.SELL, 1500, 10, T0, client_order_id="x")
    book.submit("p2", "B", Side.SELL, 1500, 10, T0)
    book.submit("p3", "C", Side.BUY, 1500, 10, T0)
    assert book.amend(1, "p1", 1500, 8, T0)[0].kept_priority is True
    _, events = book.uncross(T0)
    trade = next(e for e in events if isinstance(e, Trade))
    assert (trade.seller, trade.quantity) == ("p1", 8)
    with pytest.raises(Conflict):
        book.submit("p1", "A", Side.SELL, 1500, 10, T0, client_order_id="x")
    with pytest.raises(ValidationError, match="band"):
        book.submit("p1", "A", Side.SELL, 3000, 10, T0)
    with pytest.raises(NotFound):
        book.cancel(99, "p1", T0)


def test_call_auction_book_amend_up_loses_priority():
    book = CallAuctionBook(TSE_ENERGY_SAVING, 1500)
    book.submit("p1", "A", Side.SELL, 1500, 10, T0)
    book.submit("p2", "B", Side.SELL, 1500, 10, T0)
    book.submit("p3", "C", Side.BUY, 1500, 10, T0)
    assert book.amend(1, "p1", 1500, 12, T0)[0].kept_priority is False
    _, events = book.uncross(T0)
    trade = next(e for e in events if isinstance(e, Trade))
    assert trade.seller == "p2"


def test_contract_money_conversion_round_trips():
    assert TSE_ENERGY_SAVING.to_money(1500) == Decimal("1500")


@settings(max_examples=100, deadline=None)
@given(
    orders=st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from([Side.BUY, Side.SELL]),
                              st.integers(1490, 1510), st.integers(1, 30)), max_size=25),
    allocation=st.sampled_from([Allocation.TIME, Allocation.PRO_RATA]),
)
def test_auction_book_trades_add_up_to_each_orders_fill(orders, allocation):
    book = CallAuctionBook(replace(TSE_ENERGY_SAVING, allocation=allocation), 1500)
    for who, side, price, quantity in orders:
        book.submit(who, who, side, price, quantity, T0)
    indicative = book.indicative()
    price, events = book.uncross(T0)
    assert price == indicative
    accepted = {i + 1: o for i, o in enumerate(orders)}
    traded = {order_id: 0 for order_id in accepted}
    expired = {e.order_id: e.quantity for e in events if isinstance(e, OrderExpired)}
    for trade in (e for e in events if isinstance(e, Trade)):
        assert trade.price == price.price
        assert accepted[trade.buy_order_id][2] >= trade.price >= accepted[trade.sell_order_id][2]
        traded[trade.buy_order_id] += trade.quantity
        traded[trade.sell_order_id] += trade.quantity
    for order_id, (_, side, _, quantity) in accepted.items():
        assert traded[order_id] + expired.get(order_id, 0) == quantity
    if price is not None:
        assert sum(q for i, q in traded.items() if accepted[i][1] is Side.BUY) == price.volume


def test_reference_price_never_starves_orders_better_than_the_price():
    # Found by hypothesis: buys 1@99 and 1@120, sells 1@95 and 1@100, reference 70. Every price
    # 95-100 executes 1 with surplus 1 (buy side at 95-99, sell side at 100), so (4) decides; but
    # at 95-98 both buys are better than the price and only one can fill. Only 99 and 100 keep the
    # itayose promise, and the reference 70 clamps to 99.
    result = run([(99, 1), (120, 1)], [(95, 1), (100, 1)], 70)
    assert result.price.price == 99
    assert result.price.condition is Condition.REFERENCE_PRICE
    assert result.buy_fills.tolist() == [0, 1] and result.sell_fills.tolist() == [1, 0]
