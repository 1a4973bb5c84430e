"""Public REST endpoints need no token and never name a participant; the SSE stream delivers a
trade that was journaled after the client subscribed."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from marketdata_kit import AUCTION, CONTRACTS, NY, SPOT, TRADERS, Market, hand_made_day, ny

from greenmarket.api.app import create_app
from greenmarket.marketdata.service import MarketDataService
from greenmarket.settlement import dvp


@pytest.fixture
def market(sqlite_url: str):
    market = Market(sqlite_url)
    yield market
    market.db.dispose()


@pytest.fixture
def client(market: Market):
    app = create_app(market.db, market.clock)
    app.state.marketdata = MarketDataService(market.db, CONTRACTS, interval=0.05, nats=False)
    with TestClient(app) as client:
        yield client
    app.state.marketdata.close()


def test_public_data_never_names_a_participant(market: Market, client: TestClient) -> None:
    hand_made_day(market)
    market.at(ny(17, 30))
    dvp.settle_due(market.run, date(2026, 4, 28))
    market.at(datetime(2026, 4, 29, 10, tzinfo=NY)).exchange.open_session(SPOT.contract_id)
    market.exchange.submit("alpha", SPOT.contract_id, side="sell", quantity=3,
                           price=Decimal("10.40"))
    bodies = []
    for path in ("/v1/marketdata/tape", "/v1/marketdata/tape?format=csv",
                 "/v1/marketdata/daily", f"/v1/marketdata/daily?contract={SPOT.contract_id}",
                 "/v1/marketdata/daily?format=csv", f"/v1/marketdata/depth/{SPOT.contract_id}",
                 f"/v1/marketdata/depth/{AUCTION.contract_id}",
                 "/v1/marketdata/registry-stats?by=category&period=day",
                 "/v1/marketdata/registry-stats?format=csv"):
        response = client.get(path)  # no Authorization header anywhere
        assert response.status_code == 200, (path, response.text)
        bodies.append(response.text)
    tape = client.get("/v1/marketdata/tape").json()
    assert len(tape) == 3 and tape[0]["price"] == "10.10"
    depth = client.get(f"/v1/marketdata/depth/{SPOT.contract_id}").json()
    assert depth["asks"] == [{"price": "10.40", "price_ticks": 1040, "quantity": 3, "orders": 1}]
    assert "10.10" in bodies[1] and "trading_day" in bodies[4]
    for body in bodies:
        for participant in TRADERS:
            assert participant not in body.lower()


def test_the_tape_keeps_the_first_or_the_newest_trades_oldest_first(market: Market,
                                                                      client: TestClient) -> None:
    hand_made_day(market)
    everything = client.get("/v1/marketdata/tape").json()
    assert len(everything) == 3
    assert client.get("/v1/marketdata/tape?limit=2").json() == everything[:2]
    assert client.get("/v1/marketdata/tape?limit=2&newest=true").json() == everything[1:]
    assert client.get("/v1/marketdata/tape?limit=9&newest=true").json() == everything


def test_unknown_contract_and_bad_parameters_are_problems(client: TestClient) -> None:
    missing = client.get("/v1/marketdata/depth/NOPE")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/marketdata/registry-stats?by=owner").status_code == 422
    assert client.get("/v1/marketdata/stream?kinds=gossip").status_code == 422


def test_sse_delivers_a_trade_journaled_after_subscribing(market: Market,
                                                          client: TestClient) -> None:
    cid = SPOT.contract_id
    market.at(ny(10)).exchange.open_session(cid)
    market.exchange.submit("alpha", cid, side="sell", quantity=5, price=Decimal("10.20"))
    hub = client.app.state.marketdata.hub

    def trade_once_subscribed() -> None:
        deadline = time.monotonic() + 10
        while hub.subscribers == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        market.at(ny(10, 1)).exchange.submit("beta", cid, side="buy", quantity=2,
                                             price=Decimal("10.20"))

    trader = threading.Thread(target=trade_once_subscribed)
    trader.start()
    response = client.get(f"/v1/marketdata/stream?kinds=tape&contract={cid}&limit=1"
                          "&max_seconds=20")
    trader.join()
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block.startswith("event:")]
    assert len(events) == 1
    lines = dict(line.split(": ", 1) for line in events[0].splitlines())
    assert lines["event"] == "tape" and lines["id"] == f"tape:{cid}:T1"
    trade = json.loads(lines["data"])
    assert (trade["price"], trade["quantity"], trade["block"]) == ("10.20", 2, False)
    assert "beta" not in lines["data"] and "alpha" not in lines["data"]
