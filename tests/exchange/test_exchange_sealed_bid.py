"""Sealed-bid uniform-price auctions of new supply, and block trade reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.errors import Conflict, Forbidden, NotFound, ValidationError
from greenmarket.exchange.block import BlockTradeDesk, ReportState
from greenmarket.exchange.contracts import TSE_ENERGY_SAVING
from greenmarket.exchange.orders import BlockTrade, Trade
from greenmarket.exchange.sealed_bid import SealedBidAuction

OPEN = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CLOSE = OPEN + timedelta(days=2)


def auction(quantity=100, reserve=2000, lot=1):
    return SealedBidAuction(offer_id=1, seller="project-dev", quantity=quantity,
                            reserve_price=reserve, closes_at=CLOSE, lot=lot, first_bid_id=10)


def test_oversubscribed_auction_clears_at_the_marginal_bid_with_pro_rata_ties():
    a = auction()
    a.bid("b1", 2800, 50, OPEN)            # 10
    a.bid("b2", 2500, 40, OPEN)            # 11
    a.bid("b3", 2200, 20, OPEN)            # 12: marginal, shares 10 with b4
    a.bid("b4", 2200, 30, OPEN)            # 13
    a.bid("b5", 2000, 60, OPEN)            # 14: below the clearing price, loses
    result = a.close(CLOSE)
    # cumulative demand: 2800 -> 50, 2500 -> 90, 2200 -> 140 >= 100: clears at 2200
    assert result.clearing_price == 2200
    assert result.demand_curve == ((2800, 50), (2500, 90), (2200, 140), (2000, 200))
    fills = {t.buyer: t.quantity for t in result.trades}
    # 10 left for 50 wanted at 2200: floors 4 and 6, nothing left over
    assert fills == {"b1": 50, "b2": 40, "b3": 4, "b4": 6}
    assert {t.price for t in result.trades} == {2200}  # uniform price
    assert (result.sold, result.unsold) == (100, 0)
    assert all(t.seller == "project-dev" and t.sell_order_id == 1 for t in result.trades)


def test_undersubscribed_auction_sells_what_was_bid_at_the_lowest_bid():
    a = auction()
    a.bid("b1", 2600, 30, OPEN)
    a.bid("b2", 2100, 20, OPEN)
    result = a.close(CLOSE)
    assert (result.clearing_price, result.sold, result.unsold) == (2100, 50, 50)


def test_no_bids_no_sale_and_bid_rules():
    a = auction(lot=10)
    with pytest.raises(ValidationError) as below:
        a.bid("b1", 1999, 10, OPEN)
    assert below.value.code == "below_reserve"
    with pytest.raises(ValidationError):
        a.bid("b1", 2000, 15, OPEN)  # not a lot multiple
    with pytest.raises(ValidationError):
        a.bid("project-dev", 2500, 10, OPEN)
    bid = a.bid("b1", 2500, 10, OPEN)
    with pytest.raises(NotFound):
        a.withdraw(bid.bid_id, "b2", OPEN)
    a.withdraw(bid.bid_id, "b1", OPEN)
    with pytest.raises(Conflict):
        a.close(CLOSE - timedelta(seconds=1))
    with pytest.raises(Conflict):
        a.bid("b1", 2500, 10, CLOSE)  # bids close at closes_at
    result = a.close(CLOSE)
    assert (result.clearing_price, result.sold, result.demand_curve, result.trades) == (None, 0, (), ())
    with pytest.raises(Conflict):
        a.close(CLOSE)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(2000, 2010), st.integers(1, 40)), max_size=15),
       st.integers(1, 200))
def test_sealed_bid_invariants(bids, offered):
    a = auction(quantity=offered)
    for index, (price, quantity) in enumerate(bids):
        a.bid(f"b{index}", price, quantity, OPEN)
    result = a.close(CLOSE)
    assert result.sold == sum(t.quantity for t in result.trades) == min(offered, sum(q for _, q in bids))
    for trade in result.trades:
        bid_price, bid_quantity = bids[int(trade.buyer[1:])]
        assert trade.price == result.clearing_price <= bid_price and trade.quantity <= bid_quantity
    if result.clearing_price is not None:
        assert result.clearing_price >= 2000
        winners = {t.buyer for t in result.trades}
        # every bid strictly above the clearing price fills completely
        for index, (price, quantity) in enumerate(bids):
            if price > result.clearing_price:
                assert any(t.buyer == f"b{index}" and t.quantity == quantity for t in result.trades)
            if price < result.clearing_price:
                assert f"b{index}" not in winners


# --- block trades ----------------------------------------------------------------------------

def desk():
    return BlockTradeDesk(TSE_ENERGY_SAVING, 1500, minimum_quantity=1000)


def test_block_trade_needs_the_counterpartys_confirmation():
    d = desk()
    report = d.report(reporter="bank-a", buyer="bank-a", buyer_owner="A", seller="corp-b",
                      seller_owner="B", price=1620, quantity=5000, time=OPEN)
    assert report.state is ReportState.PENDING and report.counterparty == "corp-b"
    with pytest.raises(Forbidden):
        d.confirm(report.report_id, "bank-a", OPEN)  # the reporter cannot confirm its own report
    trade = d.confirm(report.report_id, "corp-b", OPEN)
    assert isinstance(trade, BlockTrade) and isinstance(trade, Trade)
    assert (trade.buyer, trade.seller, trade.price, trade.quantity) == ("bank-a", "corp-b", 1620, 5000)
    assert trade.to_dict()["type"] == "BlockTrade"
    with pytest.raises(Conflict):
        d.confirm(report.report_id, "corp-b", OPEN)


def test_block_trade_checks_band_size_and_parties():
    d = desk()
    base = dict(reporter="bank-a", buyer="bank-a", buyer_owner="A", seller="corp-b",
                seller_owner="B", price=1500, quantity=1000, time=OPEN)
    with pytest.raises(ValidationError) as band:
        d.report(**(base | {"price": 2851}))
    assert band.value.code == "price_outside_band"
    with pytest.raises(ValidationError):
        d.report(**(base | {"quantity": 999}))
    with pytest.raises(ValidationError):
        d.report(**(base | {"seller_owner": "A"}))
    with pytest.raises(Forbidden):
        d.report(**(base | {"reporter": "broker-x"}))
    first = d.report(**base)
    second = d.report(**base)
    assert d.reject(first.report_id, "corp-b", OPEN).state is ReportState.REJECTED
    with pytest.raises(Forbidden):
        d.withdraw(second.report_id, "corp-b", OPEN)
    third = d.report(**base)
    assert d.withdraw(second.report_id, "bank-a", OPEN).state is ReportState.WITHDRAWN
    assert [r.report_id for r in d.expire(CLOSE)] == [third.report_id]
