"""Continuous matching: scenarios, a brute-force reference, and invariants under random commands."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.exchange.continuous import ContinuousBook
from greenmarket.exchange.contracts import CBL_GLOBAL_NATURE, TSE_ENERGY_SAVING
from greenmarket.exchange.orders import (
    CancelReason,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderExpired,
    OrderRejected,
    OrderType,
    Side,
    TimeInForce,
    Trade,
)

T0 = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
BUY, SELL = Side.BUY, Side.SELL
LIMIT_ONLY = replace(CBL_GLOBAL_NATURE, market_orders=False)


def book(contract=CBL_GLOBAL_NATURE) -> ContinuousBook:
    return ContinuousBook(contract, 100)  # band 10-190 ticks


def trades(events):
    return [(e.price, e.quantity, e.buy_order_id, e.sell_order_id) for e in events if isinstance(e, Trade)]


def test_partial_fill_trades_at_the_resting_price_and_rests_the_rest():
    b = book()
    b.submit("s", "S", SELL, 100, 10, T0)
    events = b.submit("b", "B", BUY, 101, 4, T0)
    assert isinstance(events[0], OrderAccepted) and events[0].order_id == 2
    assert trades(events) == [(100, 4, 2, 1)]
    assert events[1].aggressor is BUY and (events[1].buyer, events[1].seller) == ("b", "s")
    assert b.resting(1) == 6 and b.resting(2) == 0
    events = b.submit("b", "B", BUY, 100, 10, T0)
    assert trades(events) == [(100, 6, 3, 1)]
    assert b.resting(3) == 4 and b.best_bid == 100 and b.best_ask is None


def test_price_then_time_priority():
    b = book()
    b.submit("a", "A", SELL, 100, 5, T0)          # 1
    b.submit("c", "C", SELL, 100, 5, T0)          # 2
    b.submit("d", "D", SELL, 99, 5, T0)           # 3: better price, later
    b.submit("e", "E", SELL, 101, 5, T0)          # 4: beyond the buyer's limit
    events = b.submit("b", "B", BUY, 100, 12, T0)
    assert trades(events) == [(99, 5, 5, 3), (100, 5, 5, 1), (100, 2, 5, 2)]
    assert b.resting(2) == 3 and b.resting(4) == 5
    assert b.depth() == {"buy": [], "sell": [(100, 3, 1), (101, 5, 1)]}


def test_amend_down_keeps_priority_and_up_or_price_loses_it():
    b = book()
    b.submit("a", "A", SELL, 100, 10, T0)   # 1
    b.submit("c", "C", SELL, 100, 10, T0)   # 2
    amended = b.amend(1, "a", 100, 6, T0)
    assert amended == [OrderAmended(1, 100, 6, 6, True, T0)]
    assert trades(b.submit("b", "B", BUY, 100, 1, T0)) == [(100, 1, 3, 1)]
    # quantity up: loses priority behind order 2
    assert b.amend(1, "a", 100, 8, T0)[0].kept_priority is False
    assert trades(b.submit("b", "B", BUY, 100, 1, T0)) == [(100, 1, 4, 2)]
    # a price change that crosses trades at once
    b.submit("x", "X", BUY, 98, 3, T0)      # 5
    events = b.amend(5, "x", 100, 3, T0)
    assert events[0].kept_priority is False
    assert trades(events) == [(100, 3, 5, 2)]
    with pytest.raises(ValidationError):
        b.amend(2, "c", 100, 4, T0)  # order 2 has traded 4 already: total must exceed it


def test_immediate_or_cancel_never_rests():
    b = book()
    b.submit("s", "S", SELL, 100, 5, T0)
    events = b.submit("b", "B", BUY, 100, 8, T0, time_in_force=TimeInForce.IOC)
    assert trades(events) == [(100, 5, 2, 1)]
    assert events[-1] == OrderCancelled(2, 3, CancelReason.IMMEDIATE_OR_CANCEL, T0)
    assert b.best_bid is None


def test_fill_or_kill_is_all_or_nothing():
    b = book()
    b.submit("s", "S", SELL, 100, 5, T0)
    b.submit("t", "T", SELL, 101, 5, T0)
    rejected = b.submit("b", "B", BUY, 100, 8, T0, time_in_force=TimeInForce.FOK, client_order_id="k")
    assert rejected == [OrderRejected(3, "b", "k", "fill_or_kill_unfilled", T0)]
    assert b.resting(1) == 5 and b.resting(2) == 5
    # the client order id of a rejected order was not used up
    filled = b.submit("b", "B", BUY, 101, 8, T0, time_in_force=TimeInForce.FOK, client_order_id="k")
    assert trades(filled) == [(100, 5, 4, 1), (101, 3, 4, 2)]


def test_fill_or_kill_counts_only_what_self_match_prevention_allows():
    b = book()
    b.submit("s", "S", SELL, 100, 5, T0)
    b.submit("mine", "B", SELL, 100, 5, T0)
    b.submit("t", "T", SELL, 100, 5, T0)
    events = b.submit("b", "B", BUY, 100, 10, T0, time_in_force=TimeInForce.FOK)
    assert isinstance(events[0], OrderRejected)


def test_market_orders_sweep_inside_the_band_where_allowed():
    b = book()
    b.submit("s", "S", SELL, 100, 5, T0)
    b.submit("t", "T", SELL, 150, 5, T0)
    events = b.submit("b", "B", BUY, None, 12, T0, order_type=OrderType.MARKET)
    assert trades(events) == [(100, 5, 3, 1), (150, 5, 3, 2)]
    assert events[-1] == OrderCancelled(3, 2, CancelReason.MARKET_REMAINDER, T0)
    limit_only = book(LIMIT_ONLY)
    with pytest.raises(ValidationError) as refused:
        limit_only.submit("b", "B", BUY, None, 1, T0, order_type=OrderType.MARKET)
    assert refused.value.code == "market_orders_not_allowed"


def test_self_match_prevention_cancels_the_incoming_remainder():
    b = book()
    b.submit("s", "S", SELL, 99, 5, T0)          # 1: another owner, better price
    b.submit("desk-2", "OWNER", SELL, 100, 5, T0)  # 2: same beneficial owner, other participant
    b.submit("t", "T", SELL, 100, 5, T0)         # 3: behind the own order
    events = b.submit("desk-1", "OWNER", BUY, 100, 10, T0)
    assert trades(events) == [(99, 5, 4, 1)]
    assert events[-1] == OrderCancelled(4, 5, CancelReason.SELF_MATCH, T0)
    assert b.resting(2) == 5 and b.resting(3) == 5 and b.best_bid is None


def test_client_order_ids_are_unique_per_participant():
    b = book()
    b.submit("a", "A", BUY, 90, 1, T0, client_order_id="c1")
    with pytest.raises(Conflict) as repeated:
        b.submit("a", "A", BUY, 91, 1, T0, client_order_id="c1")
    assert repeated.value.code == "duplicate_client_order_id"
    assert b.best_bid == 90 and b.next_order_id == 2
    b.submit("z", "Z", BUY, 91, 1, T0, client_order_id="c1")  # another participant may


def test_cancel_and_refusals_change_nothing():
    b = book()
    b.submit("a", "A", BUY, 90, 3, T0)
    with pytest.raises(NotFound):
        b.cancel(1, "intruder", T0)
    assert b.cancel(1, "a", T0) == [OrderCancelled(1, 3, CancelReason.REQUESTED, T0)]
    with pytest.raises(NotFound):
        b.cancel(1, "a", T0)
    for bad in [dict(price=191), dict(price=9), dict(quantity=0), dict(price=100.0)]:
        args = dict(price=100, quantity=1) | bad
        with pytest.raises(ValidationError):
            b.submit("a", "A", BUY, args["price"], args["quantity"], T0)
    with pytest.raises(ValidationError):
        b.submit("a", "A", BUY, 100, 1, datetime(2026, 1, 5, 14))  # naive time
    assert b.best_bid is None and b.best_ask is None and b.next_order_id == 2


def test_lot_and_band_come_from_the_contract():
    tse = ContinuousBook(TSE_ENERGY_SAVING, 1500)
    assert (tse.low, tse.high) == (150, 2850)


def test_expire_ends_the_session():
    b = book()
    b.submit("a", "A", BUY, 90, 3, T0)
    b.submit("c", "C", SELL, 110, 4, T0)
    later = T0 + timedelta(hours=3)
    assert b.expire(later) == [OrderExpired(1, 3, later), OrderExpired(2, 4, later)]
    assert b.best_bid is None and b.best_ask is None
    assert trades(b.submit("a", "A", BUY, 110, 1, later)) == []


# --- random command sequences --------------------------------------------------------------

submit_cmd = st.tuples(
    st.just("submit"), st.sampled_from(["p1", "p2", "p3", "p4"]), st.sampled_from([BUY, SELL]),
    st.integers(95, 105), st.integers(1, 10),
    st.sampled_from([TimeInForce.DAY, TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK]),
    st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET]),
)
cancel_cmd = st.tuples(st.just("cancel"), st.integers(1, 60))
amend_cmd = st.tuples(st.just("amend"), st.integers(1, 60), st.integers(95, 105), st.integers(1, 12))
commands = st.lists(st.one_of(submit_cmd, submit_cmd, submit_cmd, cancel_cmd, amend_cmd), max_size=60)
OWNER = {"p1": "A", "p2": "A", "p3": "C", "p4": "D"}  # p1 and p2 share a beneficial owner


def apply(b: ContinuousBook, command, participants: dict[int, str]):
    if command[0] == "submit":
        _, who, side, price, qty, tif, kind = command
        price = None if kind is OrderType.MARKET else price
        events = b.submit(who, OWNER[who], side, price, qty, T0, order_type=kind, time_in_force=tif)
        participants[events[0].order_id] = who
        return events
    order_id = command[1]
    who = participants.get(order_id, "nobody")
    try:
        if command[0] == "cancel":
            return b.cancel(order_id, who, T0)
        return b.amend(order_id, who, command[2], command[3], T0)
    except (NotFound, ValidationError):
        return []


@settings(max_examples=200, deadline=None)
@given(commands)
def test_quantities_are_conserved_and_the_book_never_crosses(cmds):
    b = book()
    participants: dict[int, str] = {}
    total: dict[int, int] = {}
    filled: dict[int, int] = {}
    cancelled: dict[int, int] = {}
    owners: dict[int, str] = {}
    for command in cmds:
        for event in apply(b, command, participants):
            if isinstance(event, OrderAccepted):
                total[event.order_id] = event.quantity
                owners[event.order_id] = event.owner
            elif isinstance(event, OrderAmended):
                total[event.order_id] = event.quantity
            elif isinstance(event, Trade):
                assert owners[event.buy_order_id] != owners[event.sell_order_id]
                for order_id in (event.buy_order_id, event.sell_order_id):
                    filled[order_id] = filled.get(order_id, 0) + event.quantity
            elif isinstance(event, OrderCancelled):
                cancelled[event.order_id] = cancelled.get(event.order_id, 0) + event.quantity
        bid, ask = b.best_bid, b.best_ask
        assert bid is None or ask is None or bid < ask
        for order_id, quantity in total.items():
            assert quantity == filled.get(order_id, 0) + cancelled.get(order_id, 0) + b.resting(order_id)


def reference_match(orders):
    """A brute-force price-time matcher for DAY limit orders with self-match prevention."""
    resting: list[list] = []  # [sequence, side, price, remaining, owner, order_id]
    out = []
    for order_id, (owner, side, price, qty) in enumerate(orders, start=1):
        crossing = [r for r in resting if r[1] != side and (r[2] <= price if side is BUY else r[2] >= price)]
        crossing.sort(key=lambda r: (r[2] if side is BUY else -r[2], r[0]))
        for r in crossing:
            if r[4] == owner:
                qty = 0
                break
            traded = min(qty, r[3])
            r[3] -= traded
            qty -= traded
            buy, sell = (order_id, r[5]) if side is BUY else (r[5], order_id)
            out.append((r[2], traded, buy, sell))
            if not qty:
                break
        resting = [r for r in resting if r[3]]
        if qty:
            resting.append([order_id, side, price, qty, owner, order_id])
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from([BUY, SELL]),
                          st.integers(97, 103), st.integers(1, 8)), max_size=50))
def test_trades_match_a_brute_force_price_time_matcher(orders):
    b = book()
    events = []
    for owner, side, price, qty in orders:
        events += b.submit(owner, owner, side, price, qty, T0)
    assert trades(events) == reference_match(orders)


def test_replaying_the_same_commands_gives_the_same_events():
    cmds = [("submit", "p1", BUY, 100, 5, TimeInForce.DAY, OrderType.LIMIT),
            ("submit", "p3", SELL, 99, 3, TimeInForce.DAY, OrderType.LIMIT),
            ("amend", 1, 101, 4), ("submit", "p4", SELL, 101, 9, TimeInForce.IOC, OrderType.LIMIT)]

    def run():
        b, participants = book(), {}
        return [e.to_dict() for c in cmds for e in apply(b, c, participants)]

    assert run() == run()


def test_order_snapshot_follows_amendments():
    b = book()
    b.submit("a", "A", BUY, 90, 5, T0, client_order_id="c")
    b.amend(1, "a", 92, 7, T0)
    snapshot = b.order(1)
    assert (snapshot.price, snapshot.total, snapshot.remaining, snapshot.client_order_id) == (92, 7, 7, "c")
    assert [o.order_id for o in b.resting_orders()] == [1]
    b.cancel(1, "a", T0)
    with pytest.raises(NotFound):
        b.order(1)


def test_side_may_be_given_as_text_but_must_be_buy_or_sell():
    b = book()
    assert b.submit("a", "A", "buy", 90, 1, T0)[0].side is BUY
    with pytest.raises(ValidationError) as wrong:
        b.submit("a", "A", "bid", 90, 1, T0)
    assert wrong.value.field == "side"
