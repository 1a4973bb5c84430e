"""Depth rebuilt from the journal in another object equals the engine's own book, command by
command; the indicative auction price equals the engine's itayose."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from marketdata_kit import AUCTION, CONTRACTS, SPOT, TRADERS, Market, ny

from greenmarket.errors import DomainError
from greenmarket.marketdata.projector import Projector


@pytest.fixture
def market(sqlite_url: str):
    market = Market(sqlite_url)
    yield market
    market.db.dispose()


def random_command(market: Market, cid: str, rng: random.Random, resting: list[tuple[str, int]],
                   *, continuous: bool) -> None:
    """Submit, cancel or amend at random; refusals (a DomainError) change nothing."""
    trader = rng.choice(TRADERS)
    roll = rng.random()
    try:
        if roll < 0.6 or not resting:
            tif = rng.choice(["day", "day", "day", "ioc", "fok"]) if continuous else "day"
            result = market.exchange.submit(
                trader, cid, side=rng.choice(["buy", "sell"]), quantity=rng.randint(1, 40),
                price=Decimal(rng.randint(990, 1010)) / 100, time_in_force=tif)
            accepted = [e for e in result["events"] if e["type"] == "OrderAccepted"]
            resting.extend((trader, e["order_id"]) for e in accepted)
        elif roll < 0.8:
            owner, order_id = resting.pop(rng.randrange(len(resting)))
            market.exchange.cancel(owner, cid, order_id)
        else:
            owner, order_id = rng.choice(resting)
            market.exchange.amend(owner, cid, order_id, quantity=rng.randint(1, 40),
                                  price=Decimal(rng.randint(990, 1010)) / 100)
    except DomainError:
        pass


@pytest.mark.parametrize("seed", [1, 2])
def test_depth_equals_the_engine_after_every_command(market: Market, seed: int) -> None:
    rng = random.Random(seed)
    projector = Projector(market.db, CONTRACTS)
    cid = SPOT.contract_id
    market.at(ny(10)).exchange.open_session(cid)
    resting: list[tuple[str, int]] = []
    for step in range(60):
        market.at(ny(10) + timedelta(seconds=30 * step))
        random_command(market, cid, rng, resting, continuous=True)
        projector.run_once()
        engine = market.exchange.book(cid)
        view = projector.book(cid)
        assert view.depth() == engine.depth()
        assert view.best() == (engine.best_bid, engine.best_ask)
    # a second process that starts now rebuilds the same book from the journal alone
    fresh = Projector(market.db, CONTRACTS)
    fresh.run_once()
    assert fresh.book(cid).depth() == market.exchange.book(cid).depth()


def test_indicative_auction_price_volume_and_surplus_follow_the_window(market: Market) -> None:
    rng = random.Random(7)
    tokyo = ZoneInfo("Asia/Tokyo")
    cid = AUCTION.contract_id
    projector = Projector(market.db, CONTRACTS)
    market.at(datetime(2026, 4, 30, 8, 0, tzinfo=tokyo)).exchange.open_session(cid)
    resting: list[tuple[str, int]] = []
    seen = 0
    for step in range(40):
        market.at(datetime(2026, 4, 30, 8, 0, tzinfo=tokyo) + timedelta(minutes=3 * step))
        random_command(market, cid, rng, resting, continuous=False)
        projector.run_once()
        engine = market.exchange.book(cid).indicative()
        view = projector.book(cid).indicative()
        if engine is None:
            assert view is None
            continue
        seen += 1
        assert view == {"price_ticks": engine.price, "volume": engine.volume,
                        "surplus": engine.surplus,
                        "surplus_side": engine.surplus_side.value if engine.surplus_side else None}
    assert seen > 10  # the book did cross most of the window
    market.at(datetime(2026, 4, 30, 11, 30, tzinfo=tokyo)).exchange.uncross(cid)
    projector.run_once()
    assert projector.book(cid).indicative() is None and not projector.book(cid).is_open
