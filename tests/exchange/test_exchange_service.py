"""The exchange service: pre-trade reservation, matching, DvP instructions, journal and replay."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from greenmarket.clock import FixedClock
from greenmarket.errors import DomainError, InsufficientCredits, InsufficientFunds
from greenmarket.exchange.contracts import (
    CBL_STYLE,
    TSE_STYLE,
    Contract,
    DeliverySpecification,
)
from greenmarket.exchange.service import ExchangeService, FeeSchedule
from greenmarket.registry import ledger, model, queries
from greenmarket.registry.service import RegistryService
from greenmarket.settlement import cash, dvp
from greenmarket.settlement.tables import cash_accounts, settlement_instructions
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

FORESTRY = Contract(
    contract_id="TSE-JCR-FORESTRY", name="J-Credit forestry", venue=TSE_STYLE,
    specification=DeliverySpecification(programs=frozenset({"JCREDIT"}),
                                        categories=frozenset({"forestry"})),
    currency="JPY", tick=Decimal("1"), lot=1, price_band=Decimal("0.9"), settlement_cycle=5)
SPOT = Contract(
    contract_id="CBL-GEO", name="Global emissions offset", venue=CBL_STYLE,
    specification=DeliverySpecification(programs=frozenset({"JCREDIT"})),
    currency="USD", tick=Decimal("0.01"), lot=1, price_band=Decimal("0.5"), settlement_cycle=0)
TOKYO_MORNING = datetime(2026, 4, 28, 9, 0, tzinfo=TSE_STYLE.zone)
NEW_YORK_MORNING = datetime(2026, 4, 28, 10, 0, tzinfo=CBL_STYLE.zone)
FEES = FeeSchedule(buyer_bps=Decimal("10"), seller_bps=Decimal("10"))


@pytest.fixture
def venue(database_url: str):
    db = Database(database_url)
    upgrade(db.engine)
    clock = FixedClock(TOKYO_MORNING)
    registry = RegistryService(db, clock)
    run = lambda op: registry.execute("admin:test", op)  # noqa: E731
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    run(lambda c: ledger.register_project(
        c, id="JCR-F001", program="JCREDIT", name="Forest", country="JP", category="forestry",
        methodology="FO-001", verifier="JQA", verifier_accreditation="iso14065"))
    for pid in ("seller", "buyer", "other"):
        run(lambda c, p=pid: ledger.register_participant(c, id=p, name=p, type="corporate",
                                                         kyc_state="verified"))
        account = run(lambda c, p=pid: ledger.open_account(c, p, "holding"))
        run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
        for currency in ("JPY", "USD"):
            cash_account = run(lambda c, p=pid, cur=currency: cash.open_cash_account(
                c, participant_id=p, currency=cur))
            run(lambda c, a=cash_account["id"]: cash.deposit(c, account_id=a, amount=10_000_000,
                                                             reference="wire"))
    run(lambda c: ledger.issue(c, project_id="JCR-F001", vintage=2024, quantity=1_000,
                               account_id=1))
    service = ExchangeService(db, clock, [FORESTRY, SPOT],
                              base_prices={FORESTRY.contract_id: Decimal(1500),
                                           SPOT.contract_id: Decimal("10.00")}, fees=FEES)
    yield service, clock, run
    db.dispose()


def _free(run, account_id):
    with_rows = run(lambda c: queries.holdings(c.session, account_id))
    return {r["status"]: r["quantity"] for r in with_rows}


def _cash(run, participant, currency="JPY"):
    row = run(lambda c: c.session.execute(select(cash_accounts).where(
        cash_accounts.c.participant_id == participant,
        cash_accounts.c.currency == currency)).one())
    return row.balance, row.reserved


def test_sell_order_holds_credits_and_buy_order_reserves_cash(venue):
    service, _, run = venue
    service.open_session(FORESTRY.contract_id)
    service.submit("seller", FORESTRY.contract_id, side="sell", quantity=300, price=Decimal(1520))
    service.submit("buyer", FORESTRY.contract_id, side="buy", quantity=200, price=Decimal(1510))
    assert _free(run, 1) == {"active": 700, "held": 300}
    notional = 1510 * 200
    assert _cash(run, "buyer") == (10_000_000, notional + notional * 10 // 10_000)


def test_refused_reservations_change_nothing(venue):
    service, _, run = venue
    service.open_session(FORESTRY.contract_id)
    with pytest.raises(InsufficientCredits):
        service.submit("seller", FORESTRY.contract_id, side="sell", quantity=1_001,
                       price=Decimal(1500))
    with pytest.raises(InsufficientFunds):
        service.submit("buyer", FORESTRY.contract_id, side="buy", quantity=7_000,
                       price=Decimal(1500))
    assert _free(run, 1) == {"active": 1_000}
    assert _cash(run, "buyer") == (10_000_000, 0)
    assert list(service.book(FORESTRY.contract_id).orders()) == []


def test_call_auction_trades_settle_versus_payment_on_t_plus_5(venue):
    service, clock, run = venue
    service.open_session(FORESTRY.contract_id)
    service.submit("seller", FORESTRY.contract_id, side="sell", quantity=300, price=Decimal(1490))
    service.submit("buyer", FORESTRY.contract_id, side="buy", quantity=200, price=Decimal(1510))
    clock.set(datetime.combine(date(2026, 4, 28), time(11, 30), tzinfo=TSE_STYLE.zone))
    result = service.uncross(FORESTRY.contract_id)
    trades = [e for e in result["events"] if e["type"] == "Trade"]
    # every price from 1490 to 1510 executes 200 and leaves 100 surplus on the sell side:
    # condition (3) picks the lowest
    assert [(t["price"], t["quantity"]) for t in trades] == [(1490, 200)]
    # the seller's unfilled 100 expired and went back to free; 200 stay held for delivery
    assert _free(run, 1) == {"active": 800, "held": 200}
    notional, fee = 1490 * 200, 1490 * 200 * 10 // 10_000
    assert _cash(run, "buyer") == (10_000_000, notional + fee)  # owed to settlement, no more
    instruction = run(lambda c: c.session.execute(select(settlement_instructions)).one())
    assert instruction.settlement_date == date(2026, 5, 11)  # T+5 across Golden Week
    assert dvp.settle_due(run, date(2026, 5, 11)) == {"settled": 1, "failed": 0}
    assert _free(run, 2) == {"active": 200}
    assert _cash(run, "buyer") == (10_000_000 - notional - fee, 0)
    assert _cash(run, "seller") == (10_000_000 + notional - fee, 0)


def test_continuous_fill_at_better_price_releases_the_difference(venue):
    service, clock, run = venue
    clock.set(NEW_YORK_MORNING)
    service.open_session(SPOT.contract_id)
    service.submit("seller", SPOT.contract_id, side="sell", quantity=100, price=Decimal("9.50"))
    result = service.submit("buyer", SPOT.contract_id, side="buy", quantity=150,
                            price=Decimal("10.00"))
    assert [e["type"] for e in result["events"]] == ["OrderAccepted", "Trade"]
    # 100 filled at 9.50 (950 cents): owed 95,000 + fee 95; 50 still rest at 10.00 + its fee
    owed = 950 * 100 + 95
    resting = 1000 * 50 + (1000 * 50 * 10 // 10_000)
    assert _cash(run, "buyer", "USD") == (10_000_000, owed + resting)
    service.cancel("buyer", SPOT.contract_id, result["events"][0]["order_id"])
    assert _cash(run, "buyer", "USD") == (10_000_000, owed)
    assert dvp.settle_due(run, date(2026, 4, 28)) == {"settled": 1, "failed": 0}  # T+0
    assert _cash(run, "buyer", "USD") == (10_000_000 - owed, 0)


def test_restart_rebuilds_the_books_from_the_journal(venue):
    service, clock, run = venue
    clock.set(NEW_YORK_MORNING)
    service.open_session(SPOT.contract_id)
    for index, price in enumerate(("9.90", "9.95", "10.05", "10.10")):
        side = "buy" if index < 2 else "sell"
        who = "buyer" if side == "buy" else "seller"
        service.submit(who, SPOT.contract_id, side=side, quantity=10 + index,
                       price=Decimal(price), client_order_id=f"c{index}")
    service.submit("buyer", SPOT.contract_id, side="buy", quantity=5, price=Decimal("10.05"))
    before = service.book(SPOT.contract_id).depth()
    restarted = ExchangeService(service.db, clock, [FORESTRY, SPOT],
                                base_prices={FORESTRY.contract_id: Decimal(1500),
                                             SPOT.contract_id: Decimal("10.00")}, fees=FEES)
    assert restarted.book(SPOT.contract_id).depth() == before
    with pytest.raises(DomainError) as duplicate:
        restarted.submit("buyer", SPOT.contract_id, side="buy", quantity=1,
                         price=Decimal("9.00"), client_order_id="c0")
    assert duplicate.value.code == "duplicate_client_order_id"


def test_amend_resizes_the_reservation_and_follows_the_priority_rule(venue):
    service, clock, run = venue
    clock.set(NEW_YORK_MORNING)
    service.open_session(SPOT.contract_id)
    sell = service.submit("seller", SPOT.contract_id, side="sell", quantity=100,
                          price=Decimal("10.50"))["events"][0]["order_id"]
    first = service.submit("buyer", SPOT.contract_id, side="buy", quantity=100,
                           price=Decimal("9.50"))["events"][0]["order_id"]
    service.submit("other", SPOT.contract_id, side="buy", quantity=10, price=Decimal("9.50"))
    # a smaller sell keeps its place and gives back 40 credits
    kept = service.amend("seller", SPOT.contract_id, sell, price=Decimal("10.50"), quantity=60)
    assert kept["events"][0]["kept_priority"] is True
    assert _free(run, 1) == {"active": 940, "held": 60}
    # a higher bid loses priority and needs more cash: 100 × 9.80 + fee
    moved = service.amend("buyer", SPOT.contract_id, first, price=Decimal("9.80"), quantity=100)
    assert moved["events"][0]["kept_priority"] is False
    assert _cash(run, "buyer", "USD") == (10_000_000, 98_000 + 98)


def test_refused_amendment_changes_nothing(venue):
    service, clock, run = venue
    clock.set(NEW_YORK_MORNING)
    service.open_session(SPOT.contract_id)
    order = service.submit("buyer", SPOT.contract_id, side="buy", quantity=100,
                           price=Decimal("9.50"))["events"][0]["order_id"]
    before = (_cash(run, "buyer", "USD"), service.book(SPOT.contract_id).depth())
    with pytest.raises(InsufficientFunds):
        service.amend("buyer", SPOT.contract_id, order, price=Decimal("9.50"),
                      quantity=2_000_000)
    with pytest.raises(DomainError) as foreign:
        service.amend("other", SPOT.contract_id, order, price=Decimal("9.40"), quantity=50)
    assert foreign.value.status == 404
    assert (_cash(run, "buyer", "USD"), service.book(SPOT.contract_id).depth()) == before


def test_a_financial_institution_buys_only_what_it_may_hold(venue):
    service, clock, run = venue
    run(lambda c: ledger.register_participant(c, id="bank", name="bank",
                                              type="financial_institution", kyc_state="verified"))
    account = run(lambda c: ledger.open_account(c, "bank", "holding"))
    run(lambda c: ledger.set_account_state(c, account["id"], "open"))
    cash_account = run(lambda c: cash.open_cash_account(c, participant_id="bank", currency="USD"))
    run(lambda c: cash.deposit(c, account_id=cash_account["id"], amount=10_000_000,
                               reference="wire"))
    voluntary = Contract(
        contract_id="CBL-VCS", name="VCS nature", venue=CBL_STYLE,
        specification=DeliverySpecification(programs=frozenset({"VCS"})), currency="USD",
        tick=Decimal("0.01"), lot=1, price_band=Decimal("0.5"), settlement_cycle=0)
    eligible_only = Contract(
        contract_id="CBL-VCS-FI", name="VCS nature, FI-eligible", venue=CBL_STYLE,
        specification=DeliverySpecification(programs=frozenset({"VCS"}),
                                            eligibility=frozenset({"fi_eligible"})),
        currency="USD", tick=Decimal("0.01"), lot=1, price_band=Decimal("0.5"),
        settlement_cycle=0)
    clock.set(NEW_YORK_MORNING)
    market = ExchangeService(service.db, clock, [SPOT, voluntary, eligible_only],
                             base_prices={c: Decimal("10.00") for c in
                                          ("CBL-GEO", "CBL-VCS", "CBL-VCS-FI")})
    for contract_id in ("CBL-GEO", "CBL-VCS", "CBL-VCS-FI"):
        market.open_session(contract_id)
    with pytest.raises(DomainError) as refused:
        market.submit("bank", "CBL-VCS", side="buy", quantity=10, price=Decimal("10.00"))
    assert refused.value.code == "not_eligible_for_holder"
    assert _cash(run, "bank", "USD") == (10_000_000, 0)
    market.submit("bank", "CBL-VCS-FI", side="buy", quantity=10, price=Decimal("10.00"))
    market.submit("bank", "CBL-GEO", side="buy", quantity=10, price=Decimal("10.00"))  # J-Credit
