"""The exchange and settlement over HTTP, on the demo market with funded cash and open sessions.

Orders placed, listed and cancelled; refusals (credits, funds, bad input, other participants'
things) that change nothing; the public book and tape that never name a participant; an auction
run by the operator that creates settlement instructions, and the settlement run that moves credits
and cash.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from api_kit import added, bearer, snapshot
from fastapi.testclient import TestClient
from sqlalchemy import select

from greenmarket.api.app import create_app
from greenmarket.clock import FixedClock
from greenmarket.demo import PARTICIPANTS
from greenmarket.exchange.tables import exchange_orders
from greenmarket.settlement.money import from_minor
from greenmarket.settlement.tables import cash_accounts, settlement_instructions
from greenmarket.storage.db import Database

TOKYO = ZoneInfo("Asia/Tokyo")
MORNING = datetime(2026, 4, 28, 9, 0, tzinfo=TOKYO)  # a Tuesday before Golden Week
AUCTION = datetime(2026, 4, 28, 11, 30, tzinfo=TOKYO)
FORESTRY = "TSE-JCR-FORESTRY"
ADMIN, SAKURA, STEEL, MINATO = ("gm_demo_admin", "gm_demo_sakura", "gm_demo_nihonsteel",
                                "gm_demo_minato")
PARTICIPANT_IDS = [p[0] for p in PARTICIPANTS]


# --- the demo market (tests/api/conftest.py: registry and exchange, SQLite and PostgreSQL) ---


@pytest.fixture
def market_db(demo_db: Database) -> Database:
    return demo_db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MORNING)


@pytest.fixture
def http(market_db: Database, clock: FixedClock) -> TestClient:
    return TestClient(create_app(market_db, clock))


def market_snapshot(database: Database) -> tuple[object, ...]:
    """The registry snapshot plus every cash balance and every order's open quantity."""
    with database.read() as session:
        balances = session.execute(select(cash_accounts.c.id, cash_accounts.c.balance,
                                          cash_accounts.c.reserved)
                                   .order_by(cash_accounts.c.id)).all()
        orders = session.execute(select(exchange_orders.c.id, exchange_orders.c.open_quantity)
                                 .order_by(exchange_orders.c.id)).all()
        instructions = session.execute(select(settlement_instructions.c.id,
                                              settlement_instructions.c.state)
                                       .order_by(settlement_instructions.c.id)).all()
    return snapshot(database), tuple(balances), tuple(orders), tuple(instructions)


def order(http: TestClient, token: str, key: str, **body: object):  # type: ignore[no-untyped-def]
    body = {"contract_id": FORESTRY, "quantity": 100, **body}
    return http.post("/v1/orders", json=body, headers=bearer(token, **{"Idempotency-Key": key}))


def cash_of(http: TestClient, token: str, currency: str = "JPY") -> dict[str, str]:
    rows = [a for a in http.get("/v1/cash/accounts", headers=bearer(token)).json()
            if a["currency"] == currency]
    assert len(rows) == 1
    return rows[0]


def orders_of(http: TestClient, token: str, open_only: bool = False) -> list[dict[str, Any]]:
    """The caller's orders in the order they were placed (``open_only``: those still open)."""
    orders: list[dict[str, Any]] = http.get(f"/v1/orders?open={str(open_only).lower()}",
                                            headers=bearer(token)).json()
    return orders


def settlements_of(http: TestClient, token: str) -> list[dict[str, Any]]:
    """The caller's settlement instructions in the order they were made."""
    instructions: list[dict[str, Any]] = http.get("/v1/settlements", headers=bearer(token)).json()
    return instructions


def credits_of(http: TestClient, token: str) -> dict[str, int]:
    """Quantity per status in the caller's holding account."""
    account = next(a for a in http.get("/v1/accounts", headers=bearer(token)).json()
                   if a["kind"] == "holding")
    totals: dict[str, int] = {}
    for row in http.get(f"/v1/accounts/{account['id']}/holdings", headers=bearer(token)).json():
        totals[row["status"]] = totals.get(row["status"], 0) + row["quantity"]
    return totals


# --- orders ---------------------------------------------------------------------------------


def test_buy_order_reserves_cash_is_listed_and_cancel_releases_it(http):
    # the demo's last days of trading still owe cash until their settlement dates
    owed = Decimal(cash_of(http, SAKURA)["reserved"])
    resting = orders_of(http, SAKURA, open_only=True)
    placed = order(http, SAKURA, "b-1", side="buy", price="3200", client_order_id="s-1")
    assert placed.status_code == 201, placed.text
    accepted = placed.json()["events"][0]
    assert accepted["type"] == "OrderAccepted" and accepted["price"] == "3200"
    assert "participant" not in accepted and "owner" not in accepted
    # price × quantity + the venue's 5 bp buyer fee
    assert Decimal(cash_of(http, SAKURA)["reserved"]) == owed + 320_000 + 160
    mine = added(resting, orders_of(http, SAKURA, open_only=True))
    assert [(o["order_id"], o["limit_price"], o["open_quantity"]) for o in mine] == [
        (accepted["order_id"], "3200", 100)]
    book = http.get(f"/v1/contracts/{FORESTRY}/book").json()
    assert {"price": "3200", "quantity": 100, "orders": 1} in book["bids"]

    cancelled = http.delete(f"/v1/orders/{FORESTRY}/{accepted['order_id']}",
                            headers=bearer(SAKURA))
    assert cancelled.status_code == 200, cancelled.text
    assert [e["type"] for e in cancelled.json()["events"]] == ["OrderCancelled"]
    assert Decimal(cash_of(http, SAKURA)["reserved"]) == owed
    assert orders_of(http, SAKURA, open_only=True) == resting
    again = http.delete(f"/v1/orders/{FORESTRY}/{accepted['order_id']}", headers=bearer(SAKURA))
    assert again.status_code == 404


def test_sell_order_holds_credits_until_cancelled(http):
    before = credits_of(http, MINATO)
    placed = order(http, MINATO, "s-1", side="sell", price="3400", quantity=250)
    assert placed.status_code == 201, placed.text
    held = credits_of(http, MINATO)
    assert held.get("held", 0) == before.get("held", 0) + 250
    assert sum(held.values()) == sum(before.values())
    order_id = placed.json()["events"][0]["order_id"]
    assert http.delete(f"/v1/orders/{FORESTRY}/{order_id}",
                       headers=bearer(MINATO)).status_code == 200
    assert credits_of(http, MINATO) == before


def test_amend_resizes_the_reservation_and_only_a_smaller_same_price_keeps_priority(http):
    owed = Decimal(cash_of(http, SAKURA)["reserved"])  # the demo's trades not yet settled
    resting = orders_of(http, SAKURA, open_only=True)
    first = order(http, SAKURA, "a-1", side="buy", price="3200").json()["events"][0]["order_id"]
    second = order(http, STEEL, "a-2", side="buy", price="3200").json()["events"][0]["order_id"]
    path = f"/v1/orders/{FORESTRY}/{first}"

    smaller = http.patch(path, json={"price": "3200", "quantity": 60}, headers=bearer(SAKURA))
    assert smaller.status_code == 200, smaller.text
    assert Decimal(cash_of(http, SAKURA)["reserved"]) == owed + 192_000 + 96  # 60 × 3200 + 5 bp
    book = http.get(f"/v1/contracts/{FORESTRY}/book").json()
    assert {"price": "3200", "quantity": 160, "orders": 2} in book["bids"]

    repriced = http.patch(path, json={"price": "3210", "quantity": 80}, headers=bearer(SAKURA))
    assert repriced.status_code == 200, repriced.text
    assert Decimal(cash_of(http, SAKURA)["reserved"]) == owed + 256_800 + 128
    mine = added(resting, orders_of(http, SAKURA, open_only=True))
    assert [(o["order_id"], o["limit_price"], o["open_quantity"]) for o in mine] == [
        (first, "3210", 80)]
    assert second != first


def test_amend_refusals_change_nothing(http, market_db):
    placed = order(http, SAKURA, "r-1", side="buy", price="3200").json()["events"][0]["order_id"]
    before = market_snapshot(market_db)
    cases = [
        (SAKURA, placed, {"price": "3200", "quantity": 0}, 422, "quantity"),
        (SAKURA, placed, {"price": "abc", "quantity": 10}, 422, "price"),
        (SAKURA, placed, {"price": "3200", "quantity": 10, "owner": "x"}, 422, "owner"),
        (SAKURA, placed, {"price": "3200", "quantity": 10**9}, 409, "amount"),  # funds
        (STEEL, placed, {"price": "3200", "quantity": 10}, 404, "order_id"),
        (SAKURA, 999_999, {"price": "3200", "quantity": 10}, 404, "order_id"),
    ]
    for token, order_id, body, status, field in cases:
        response = http.patch(f"/v1/orders/{FORESTRY}/{order_id}", json=body, headers=bearer(token))
        assert response.status_code == status, (body, response.text)
        assert response.json().get("field") == field, (body, response.text)
        assert market_snapshot(market_db) == before, body
    assert http.patch(f"/v1/orders/{FORESTRY}/{placed}",
                      json={"price": "3200", "quantity": 10}).status_code == 401


def test_a_retried_order_is_placed_once(http, market_db):
    first = order(http, SAKURA, "retry-1", side="buy", price="3100")
    assert first.status_code == 201
    after_first = market_snapshot(market_db)
    again = order(http, SAKURA, "retry-1", side="buy", price="3100")
    assert again.status_code == 201 and again.json() == first.json()
    other = order(http, SAKURA, "retry-1", side="buy", price="3101")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    missing = http.post("/v1/orders", headers=bearer(SAKURA),
                        json={"contract_id": FORESTRY, "side": "buy", "price": "3100",
                              "quantity": 1})
    assert missing.status_code == 422 and missing.json()["code"] == "idempotency_key_required"
    assert market_snapshot(market_db) == after_first


def test_an_order_cut_off_after_it_committed_is_acknowledged_on_retry_not_placed_again(
        http, monkeypatch):
    service = http.app.state.exchange
    real_submit = service.submit
    committed = {}
    earlier = orders_of(http, SAKURA)  # the demo's days of trading

    def submit_then_crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        committed.update(real_submit(*args, **kwargs))
        raise RuntimeError("connection lost after the order committed")

    monkeypatch.setattr(service, "submit", submit_then_crash)
    with pytest.raises(RuntimeError):
        order(http, SAKURA, "cut-1", side="buy", price="3000")
    monkeypatch.undo()
    retry = order(http, SAKURA, "cut-1", side="buy", price="3000")
    assert retry.status_code == 201  # the acknowledgement stored with the order, not a new order
    assert retry.json()["sequence"] == committed["sequence"]
    placed = added(earlier, orders_of(http, SAKURA))
    assert [(o["limit_price"], o["open_quantity"]) for o in placed] == [("3000", 100)]


Refusal = tuple[str, dict[str, object], int, str, str | None]  # token, body, status, code, field


def refused_orders(http: TestClient) -> list[Refusal]:
    """Orders the market must refuse, sized and priced from the market as it stands.

    Sakura sells one lot more than it holds at all; Minato buys one lot more than its free cash
    pays for at the base price; twice the base price is above any band (bands are under 100 %).
    """
    forestry = http.get(f"/v1/contracts/{FORESTRY}").json()
    base, lot = Decimal(forestry["base_price"]), forestry["lot"]
    beyond_credits = (sum(credits_of(http, SAKURA).values()) // lot + 1) * lot
    beyond_funds = (int(Decimal(cash_of(http, MINATO)["free"]) / base) // lot + 1) * lot
    return [
        (SAKURA, {"side": "sell", "price": "3300", "quantity": beyond_credits}, 409,
         "insufficient_credits", "quantity"),
        (MINATO, {"side": "buy", "price": str(base), "quantity": beyond_funds}, 409,
         "insufficient_funds", "amount"),
        (SAKURA, {"side": "buy", "price": 3300}, 422, "validation_failed", "price"),
        (SAKURA, {"side": "buy", "price": "3300.5"}, 422, "off_tick", "price"),
        (SAKURA, {"side": "buy", "price": str(2 * base)}, 422, "price_outside_band", "price"),
        (SAKURA, {"side": "buy", "order_type": "market"}, 422, "validation_failed", "order_type"),
        (SAKURA, {"side": "buy", "price": "3300", "quantity": 0}, 422, "validation_failed",
         "quantity"),
        (SAKURA, {"side": "buy", "price": "3300", "participant_id": "nihon-steel"}, 404,
         "not_found", "participant_id"),
        (SAKURA, {"side": "buy", "price": "3300", "order_id": 7}, 422, "validation_failed",
         "order_id"),
        (SAKURA, {"side": "buy", "price": "3300", "contract_id": "NOPE"}, 404, "not_found",
         "contract_id"),
        (ADMIN, {"side": "buy", "price": "3300"}, 403, "forbidden", None),
    ]


def test_refused_orders_change_nothing(http, market_db):
    """One database for the whole table: every refusal must leave it exactly as it was."""
    before = market_snapshot(market_db)
    for index, (token, body, status, code, field) in enumerate(refused_orders(http)):
        response = order(http, token, f"refused-{index}", **body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert (problem["code"], problem.get("field")) == (code, field), body
        assert market_snapshot(market_db) == before, body


def test_participants_never_see_or_touch_each_others_orders(http, market_db):
    placed = order(http, STEEL, "n-1", side="buy", price="3000").json()
    order_id = placed["events"][0]["order_id"]
    before = market_snapshot(market_db)
    refused = http.delete(f"/v1/orders/{FORESTRY}/{order_id}", headers=bearer(SAKURA))
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert market_snapshot(market_db) == before
    assert all(o["participant_id"] == "sakura-solar"
               for o in http.get("/v1/orders", headers=bearer(SAKURA)).json())
    everyone = http.get("/v1/orders", headers=bearer("gm_demo_auditor")).json()
    assert {"nihon-steel", "hokuriku-forest"} <= {o["participant_id"] for o in everyone}
    assert http.get("/v1/orders").status_code == 401


# --- public data ----------------------------------------------------------------------------


def test_public_book_contracts_and_tape_never_name_participants(http, clock):
    contracts = http.get("/v1/contracts").json()
    assert {c["contract_id"] for c in contracts} == {
        "TSE-JCR-ENERGY-SAVING", FORESTRY, "CBL-GLOBAL-NATURE"}
    forestry = http.get(f"/v1/contracts/{FORESTRY}").json()
    assert forestry["delivery"]["programs"] == ["JCREDIT"]
    assert (forestry["currency"], forestry["tick"], forestry["settlement_cycle"]) == ("JPY", "1", 5)
    book = http.get(f"/v1/contracts/{FORESTRY}/book").json()
    # the demo's crossing call book: 300 can trade at 3,250 with 100 left on the sell side
    assert book["indicative"] == {"price": "3250", "volume": 300, "surplus": 100,
                                  "surplus_side": "sell"}
    clock.set(AUCTION)
    assert http.post(f"/v1/contracts/{FORESTRY}/auction",
                     headers=bearer(ADMIN)).status_code == 200
    public = [http.get(f"/v1/contracts/{c['contract_id']}/book").text for c in contracts]
    public += [http.get("/v1/trades").text, http.get("/v1/contracts").text]
    for text in public:
        for participant in PARTICIPANT_IDS:
            assert participant not in text
    tape = http.get("/v1/trades").json()
    assert tape and set(tape[0]) == {"sequence", "contract_id", "trade_id", "time", "price",
                                     "currency", "quantity"}


# --- auction, settlement and cash -----------------------------------------------------------


def test_auction_run_over_http_trades_and_settlement_run_moves_credits_and_cash(http, clock):
    # the demo's days of trading left instructions due before today: settle them first, so that
    # the runs below have this test's trades alone to settle
    left = http.post(f"/v1/settlements/run?date={MORNING.date()}", headers=bearer(ADMIN)).json()
    assert left["failed"] == 0
    sakura_reserved = cash_of(http, SAKURA)["reserved"]
    assert order(http, MINATO, "m-1", side="sell", price="3240").status_code == 201
    placed = order(http, SAKURA, "s-1", side="buy", price="3300", quantity=150)
    assert placed.status_code == 201
    sakura_credits = credits_of(http, SAKURA)
    minato_cash = int(cash_of(http, MINATO)["balance"])
    sakura_cash = int(cash_of(http, SAKURA)["balance"])
    earlier = {token: settlements_of(http, token) for token in (SAKURA, MINATO, STEEL)}
    assert http.post(f"/v1/contracts/{FORESTRY}/auction",
                     headers=bearer(SAKURA)).status_code == 403

    clock.set(AUCTION)
    run = http.post(f"/v1/contracts/{FORESTRY}/auction", headers=bearer(ADMIN))
    assert run.status_code == 200, run.text
    trades = [e for e in run.json()["events"] if e["type"] == "Trade"]
    assert {t["price"] for t in trades} == {"3250"}
    assert run.json()["traded"]["quantity"] == 450  # sakura 150 + kansai 300
    assert http.get(f"/v1/contracts/{FORESTRY}/book").json()["session"] is None
    mine = http.get(f"/v1/trades?mine=true&after={placed.json()['sequence']}",
                    headers=bearer(SAKURA)).json()
    assert {t["side"] for t in mine} == {"buy"} and sum(t["quantity"] for t in mine) == 150

    pending = added(earlier[SAKURA], settlements_of(http, SAKURA))
    assert {(s["role"], s["settlement_date"], s["state"]) for s in pending} == {
        ("buyer", "2026-05-11", "pending")}  # T+5 across Golden Week
    assert all("seller_cash_account_id" not in s for s in pending)
    minato_side = added(earlier[MINATO], settlements_of(http, MINATO))
    assert [s["quantity"] for s in minato_side] == [100]
    assert settlements_of(http, STEEL) == earlier[STEEL]

    early = http.post("/v1/settlements/run?date=2026-05-08", headers=bearer(ADMIN)).json()
    assert early == {"date": "2026-05-08", "settled": 0, "failed": 0}
    assert http.post("/v1/settlements/run?date=2026-05-11",
                     headers=bearer(SAKURA)).status_code == 403
    due = http.post("/v1/settlements/run?date=2026-05-11", headers=bearer(ADMIN)).json()
    assert due == {"date": "2026-05-11", "settled": 3, "failed": 0}
    assert credits_of(http, SAKURA)["active"] == sakura_credits["active"] + 150
    paid = 3250 * 150 + (3250 * 100 * 5 // 10_000) + (3250 * 50 * 5 // 10_000)
    assert cash_of(http, SAKURA) == {**cash_of(http, SAKURA), "balance": str(sakura_cash - paid),
                                     "reserved": sakura_reserved}
    assert int(cash_of(http, MINATO)["balance"]) == minato_cash + 325_000 - 162
    created = {s["id"] for s in pending}
    assert {s["state"] for s in settlements_of(http, SAKURA) if s["id"] in created} == {
        "settled"}


def test_closed_sessions_keep_the_server_working(http, clock):
    spot = "CBL-GLOBAL-NATURE"
    clock.set(datetime(2026, 4, 28, 16, 0, tzinfo=ZoneInfo("America/New_York")))
    closed = http.post(f"/v1/contracts/{spot}/close", headers=bearer(ADMIN))
    assert closed.status_code == 200
    assert {e["type"] for e in closed.json()["events"]} == {"OrderExpired"}
    assert http.get(f"/v1/contracts/{spot}/book").json() == {
        "contract_id": spot, "currency": "USD", "session": None, "bids": [], "asks": [],
        "indicative": None}
    refused = order(http, STEEL, "late-1", contract_id=spot, side="sell", price="1.50")
    assert refused.status_code == 409 and refused.json()["code"] == "session_not_open"
    clock.set(datetime(2026, 5, 2, 10, 0, tzinfo=ZoneInfo("America/New_York")))  # a Saturday
    weekend = http.post(f"/v1/contracts/{spot}/session", headers=bearer(ADMIN))
    assert weekend.status_code == 409 and weekend.json()["code"] == "market_closed"
    clock.set(datetime(2026, 5, 4, 10, 0, tzinfo=ZoneInfo("America/New_York")))
    assert http.post(f"/v1/contracts/{spot}/session", headers=bearer(ADMIN)).status_code == 200
    placed = order(http, STEEL, "early-1", contract_id=spot, side="sell", price="1.52")
    assert placed.status_code == 201, placed.text


def test_cash_deposits_and_withdrawals_are_operator_actions_done_once(http, market_db):
    account = cash_of(http, SAKURA, "USD")
    balance = Decimal(account["balance"])  # the demo's days of trading moved it
    body = {"account_id": account["id"], "amount": "1250.50", "reference": "bank-ref-77"}
    refused = http.post("/v1/cash/deposits", json=body,
                        headers=bearer(SAKURA, **{"Idempotency-Key": "d-1"}))
    assert refused.status_code == 403
    headers = bearer(ADMIN, **{"Idempotency-Key": "d-1"})
    first = http.post("/v1/cash/deposits", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert Decimal(first.json()["account"]["balance"]) == balance + Decimal("1250.50")
    assert http.post("/v1/cash/deposits", json=body, headers=headers).json() == first.json()
    assert cash_of(http, SAKURA, "USD")["balance"] == first.json()["account"]["balance"]
    before = market_snapshot(market_db)
    beyond_free = str(Decimal(cash_of(http, SAKURA, "USD")["free"]) + Decimal("0.01"))  # a cent
    for path, amount, status, code in (
        ("/v1/cash/withdrawals", beyond_free, 409, "insufficient_funds"),
        ("/v1/cash/deposits", "1.005", 422, "validation_failed"),
        ("/v1/cash/deposits", "-5", 422, "validation_failed"),
    ):
        response = http.post(path, json={**body, "amount": amount},
                             headers=bearer(ADMIN, **{"Idempotency-Key": f"x-{amount}"}))
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
        assert response.json()["field"] == "amount"
    assert market_snapshot(market_db) == before
    out = http.post("/v1/cash/withdrawals", json={**body, "amount": "250.50"},
                    headers=bearer(ADMIN, **{"Idempotency-Key": "w-1"}))
    assert out.status_code == 201
    assert Decimal(out.json()["account"]["balance"]) == balance + Decimal("1000.00")


def test_cash_accounts_are_private(http):
    own = http.get("/v1/cash/accounts", headers=bearer(SAKURA)).json()
    assert {a["participant_id"] for a in own} == {"sakura-solar"}
    every = http.get("/v1/cash/accounts", headers=bearer("gm_demo_auditor")).json()
    assert {"bank", "participant"} <= {a["kind"] for a in every}
    assert http.get("/v1/cash/accounts").status_code == 401
    opened = http.post("/v1/cash/accounts", json={"participant_id": "umi-shipping",
                                                  "currency": "EUR"}, headers=bearer(ADMIN))
    assert opened.status_code == 201 and opened.json()["currency"] == "EUR"
    refused = http.post("/v1/cash/accounts", json={"participant_id": "sakura-solar",
                                                   "currency": "EUR"}, headers=bearer(SAKURA))
    assert refused.status_code == 403


# --- the operator's CLI (SQLite) ------------------------------------------------------------


@pytest.fixture
def cli(sqlite_demo_template, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from greenmarket.exchange import ops_cli

    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_demo_template, path)
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", f"sqlite:///{path}")
    clock = FixedClock(AUCTION)
    monkeypatch.setattr(ops_cli.config, "clock", lambda: clock)
    runner = CliRunner()
    return lambda *args: runner.invoke(ops_cli.app, list(args), catch_exceptions=False)


def test_cli_shows_contracts_and_books_runs_the_auction_and_settles(cli):
    listed = json.loads(cli("contracts", "--json").stdout)
    assert [c["contract_id"] for c in listed] == ["TSE-JCR-ENERGY-SAVING", FORESTRY,
                                                  "CBL-GLOBAL-NATURE"]
    book = json.loads(cli("book", FORESTRY, "--json").stdout)
    assert book["indicative"]["price"] == "3250"
    assert "3250" in cli("book", FORESTRY).stdout
    # the demo's days of trading left instructions due before today: settle them first
    left = json.loads(cli("settle", "--date", AUCTION.date().isoformat(), "--json").stdout)
    assert left["failed"] == 0
    run = json.loads(cli("uncross", FORESTRY, "--json").stdout)
    assert sum(e["quantity"] for e in run["events"] if e["type"] == "Trade") == 300
    assert "no session open" in cli("book", FORESTRY).stdout
    assert json.loads(cli("settle", "--date", "2026-05-11", "--json").stdout) == {
        "date": "2026-05-11", "settled": 1, "failed": 0}
    assert cli("settle", "--date", "11/05/2026").exit_code == 2


def cli_balance(account_id: int) -> Decimal:
    """A cash account's balance in the database the CLI works on (``GREENMARKET_DATABASE_URL``)."""
    database = Database()
    try:
        with database.read() as session:
            row = session.execute(select(cash_accounts.c.balance, cash_accounts.c.currency)
                                  .where(cash_accounts.c.id == account_id)).one()
    finally:
        database.dispose()
    return from_minor(row.balance, row.currency)


def test_cli_records_a_bank_movement_once_per_reference(cli):
    balance = cli_balance(1)  # the demo's days of trading moved it
    first = json.loads(cli("cash", "deposit", "1", "2500", "--reference", "B-1", "--json").stdout)
    again = json.loads(cli("cash", "deposit", "1", "2500", "--reference", "B-1", "--json").stdout)
    assert first == again and Decimal(first["account"]["balance"]) == balance + 2500
    out = json.loads(cli("cash", "withdraw", "1", "500", "--reference", "B-2", "--json").stdout)
    assert Decimal(out["account"]["balance"]) == balance + 2000
    assert cli_balance(1) == balance + 2000
