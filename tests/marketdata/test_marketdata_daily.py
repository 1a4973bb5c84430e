"""The daily report against values computed by hand on a small hand-made day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from marketdata_kit import CONTRACTS, SPOT, Market, hand_made_day, ny

from greenmarket.exchange.offbook import OffBookService
from greenmarket.exchange.service import FeeSchedule
from greenmarket.marketdata import queries
from greenmarket.marketdata.projector import Projector
from greenmarket.settlement import dvp

DAY = date(2026, 4, 28)


@pytest.fixture
def market(sqlite_url: str):
    market = Market(sqlite_url)
    yield market
    market.db.dispose()


def test_daily_report_matches_the_hand_computation(market: Market) -> None:
    hand_made_day(market)
    market.at(ny(17, 30))
    assert dvp.settle_due(market.run, DAY) == {"settled": 3, "failed": 0}  # T+0
    projector = Projector(market.db, CONTRACTS)
    projector.run_once()
    with market.db.read() as session:
        [report] = queries.daily(session, contract_id=SPOT.contract_id)
        tape = queries.tape(session, contract_id=SPOT.contract_id)

    # Trades: 40 @ 10.10 (10:30), 30 @ 10.00 (11:00), 20 @ 10.05 (12:00).
    assert [(t["price"], t["quantity"]) for t in tape] == [
        ("10.10", 40), ("10.00", 30), ("10.05", 20)]
    assert report["trading_day"] == "2026-04-28"
    assert (report["open"], report["high"], report["low"], report["close"]) == (
        "10.10", "10.10", "10.00", "10.05")
    assert report["volume"] == 90 and report["trades"] == 3
    # VWAP = (40 × 10.10 + 30 × 10.00 + 20 × 10.05) / 90 = 905 / 90 = 10.05555… -> 10.055556
    # (rounded half-even to 1/10,000 of the 0.01 tick)
    assert report["vwap"] == "10.055556"
    # Closing quote: what rested just before the 17:00 close expired it.
    assert (report["closing_bid"], report["closing_ask"]) == ("10.08", "10.10")
    # Time-weighted spread, in minutes × ticks over the quoted intervals:
    #   10:10-10:30 20 × 10 | 10:30-11:00 30 × 10 | 11:00-11:30 30 × 10 | 11:30-12:00 30 × 5
    #   12:00-13:00 60 × 10 | 13:00-14:00 one-sided: no weight | 14:00-17:00 180 × 2
    #   = (200 + 300 + 300 + 150 + 600 + 360) / (20 + 30 + 30 + 30 + 60 + 180)
    #   = 1910 / 350 = 5.457142857… ticks = 0.05457142857… USD -> 0.054571
    assert report["spread"] == "0.054571"
    assert report["quoted_seconds"] == 350 * 60
    # DvP at T+0: the three trades delivered 90 credits the same day.
    assert (report["deliveries"], report["delivered_quantity"]) == (3, 90)
    assert report["block_volume"] == 0


def test_a_day_without_trades_has_no_prices(market: Market) -> None:
    market.at(ny(10)).exchange.open_session(SPOT.contract_id)
    market.exchange.submit("alpha", SPOT.contract_id, side="sell", quantity=5,
                           price=Decimal("10.20"))
    projector = Projector(market.db, CONTRACTS)
    projector.run_once()
    with market.db.read() as session:
        [report] = queries.daily(session, contract_id=SPOT.contract_id)
    assert report["open"] is None and report["vwap"] is None and report["volume"] == 0
    assert (report["closing_bid"], report["closing_ask"]) == (None, "10.20")
    assert report["spread"] is None


def test_a_confirmed_block_trade_prints_with_the_block_flag(market: Market) -> None:
    desk = OffBookService(market.db, market.clock, [SPOT],
                          base_prices={SPOT.contract_id: Decimal("10.00")},
                          fees=FeeSchedule(buyer_bps=Decimal(5), seller_bps=Decimal(5)))
    hand_made_day(market)  # the book's trades T1-T3 the same day
    market.at(ny(15))
    report = desk.report_block("alpha", SPOT.contract_id, buyer="gamma", seller="alpha",
                               price=Decimal("9.80"), quantity=500)
    withdrawn = desk.report_block("alpha", SPOT.contract_id, buyer="delta", seller="alpha",
                                  price=Decimal("9.90"), quantity=100)
    desk.withdraw_block("alpha", SPOT.contract_id, DAY, withdrawn["outcome"]["report_id"])
    market.at(ny(15, 5))
    desk.confirm_block("gamma", SPOT.contract_id, DAY, report["outcome"]["report_id"])
    Projector(market.db, CONTRACTS).run_once()
    with market.db.read() as session:
        tape = queries.tape(session, contract_id=SPOT.contract_id)
        [report_row] = queries.daily(session, contract_id=SPOT.contract_id)
    block = tape[-1]
    assert (block["trade_id"], block["price"], block["quantity"], block["block"]) == (
        "B2026-04-28:1", "9.80", 500, True)
    assert len(tape) == 4  # the withdrawn report never printed
    # 15:05 is after 12:00, so the block sets the close and the low; it counts in the VWAP:
    # (905 + 500 × 9.80) / 590 = 5805 / 590 = 9.838983…
    assert (report_row["low"], report_row["close"], report_row["volume"]) == ("9.80", "9.80", 590)
    assert report_row["vwap"] == "9.838983" and report_row["block_volume"] == 500
