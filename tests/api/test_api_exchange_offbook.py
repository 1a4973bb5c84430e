"""Block trades and supply auctions over HTTP, on the demo market (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from api_kit import added, bearer, snapshot
from fastapi.testclient import TestClient

from greenmarket.api.app import create_app
from greenmarket.clock import FixedClock

CONTRACT = "TSE-JCR-ENERGY-SAVING"
MORNING = datetime(2026, 4, 28, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
def market(demo_db):  # type: ignore[no-untyped-def]
    clock = FixedClock(MORNING)
    return TestClient(create_app(demo_db, clock)), clock


def test_block_trade_reported_confirmed_and_instructed(market, demo_db):
    http, _ = market
    # the demo's days of trading left Sakura instructions of its own
    earlier = http.get("/v1/settlements", headers=bearer("gm_demo_sakura")).json()
    report = http.post("/v1/blocks", headers=bearer("gm_demo_sakura"), json={
        "contract_id": CONTRACT, "buyer": "sakura-solar", "seller": "nihon-steel",
        "price": "1800", "quantity": 100})
    assert report.status_code == 201, report.text
    path = f"/v1/blocks/{CONTRACT}/{report.json()['trading_day']}/{report.json()['report_id']}"
    own = http.post(f"{path}/confirm", headers=bearer("gm_demo_sakura", **{"Idempotency-Key": "c1"}))
    assert own.status_code == 403  # the reporter cannot confirm its own report
    confirmed = http.post(f"{path}/confirm",
                          headers=bearer("gm_demo_nihonsteel", **{"Idempotency-Key": "c1"}))
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["trade_reference"].startswith(f"{CONTRACT}:B2026-04-28:")
    again = http.post(f"{path}/confirm",
                      headers=bearer("gm_demo_nihonsteel", **{"Idempotency-Key": "c1"}))
    assert again.json() == confirmed.json()  # a retry returns the first answer
    settlements = added(earlier,
                        http.get("/v1/settlements", headers=bearer("gm_demo_sakura")).json())
    assert [(s["trade_reference"], s["quantity"]) for s in settlements] == [
        (confirmed.json()["trade_reference"], 100)]


def test_block_for_someone_else_changes_nothing(market, demo_db):
    http, _ = market
    before = snapshot(demo_db)
    refused = http.post("/v1/blocks", headers=bearer("gm_demo_sakura"), json={
        "contract_id": CONTRACT, "buyer": "kansai-logistics", "seller": "nihon-steel",
        "price": "1800", "quantity": 100})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert snapshot(demo_db) == before


def test_supply_auction_hides_bidders_and_clears_at_one_price(market, demo_db):
    http, clock = market
    opened = http.post("/v1/supply-auctions",
                       headers=bearer("gm_demo_nihonsteel", **{"Idempotency-Key": "a1"}),
                       json={"contract_id": CONTRACT, "quantity": 1000, "reserve_price": "1500",
                             "closes_at": (MORNING + timedelta(hours=1)).isoformat()})
    assert opened.status_code == 201, opened.text
    auction = opened.json()["auction_id"]
    for token, price, quantity in (("gm_demo_sakura", "1600", 600),
                                   ("gm_demo_minato", "1550", 600)):
        bid = http.post(f"/v1/supply-auctions/{auction}/bids",
                        headers=bearer(token, **{"Idempotency-Key": f"bid-{token}"}),
                        json={"price": price, "quantity": quantity})
        assert bid.status_code == 201, bid.text
    low = http.post(f"/v1/supply-auctions/{auction}/bids",
                    headers=bearer("gm_demo_sakura", **{"Idempotency-Key": "low"}),
                    json={"price": "1400", "quantity": 10})
    assert low.status_code == 422 and low.json()["code"] == "below_reserve"
    assert http.post(f"/v1/supply-auctions/{auction}/close",
                     headers=bearer("gm_demo_sakura")).status_code == 403
    clock.set(MORNING + timedelta(hours=1))
    closed = http.post(f"/v1/supply-auctions/{auction}/close", headers=bearer("gm_demo_admin"))
    assert closed.status_code == 200, closed.text
    view = http.get(f"/v1/supply-auctions/{auction}").json()
    assert (view["clearing_price"], view["sold"], view["unsold"]) == ("1550", 1000, 0)
    assert view["demand_curve"] == [{"price": "1600", "quantity": 600},
                                    {"price": "1550", "quantity": 1200}]
    assert "sakura" not in str(view) and "minato" not in str(view)
