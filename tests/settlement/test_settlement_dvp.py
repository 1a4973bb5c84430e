"""Delivery versus payment: credits and cash move together, or nothing moves."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from greenmarket.errors import InsufficientFunds, ValidationError
from greenmarket.exchange.calendar import BusinessCalendar
from greenmarket.journal import store as journal_store
from greenmarket.registry import ledger, queries
from greenmarket.registry.ledger import CreditSpec
from greenmarket.settlement import cash, dvp
from greenmarket.settlement.tables import cash_accounts, cash_postings, settlement_instructions

PRICE = 1_510  # JPY per t-CO2e
QUANTITY = 300
BUYER_FEE = SELLER_FEE = 450


def _trade(market, reference="T-1"):
    """Reserve both sides as the exchange does on order entry, then instruct settlement."""
    hold = market.run(lambda c: ledger.place_hold(c, account_id=market.seller_holding,
                                                  quantity=QUANTITY, spec=CreditSpec(vintage=2024),
                                                  reference=f"{reference}-sell"))
    reservation = market.run(lambda c: cash.reserve(
        c, account_id=market.buyer_cash, amount=PRICE * QUANTITY + BUYER_FEE,
        reference=f"{reference}-buy"))
    trade_date = date(2026, 4, 28)
    settlement_date = BusinessCalendar("XTKS").settlement_date(trade_date, 5)
    return market.run(lambda c: dvp.instruct(
        c, trade_reference=reference, currency="JPY", quantity=QUANTITY, price=PRICE,
        buyer_fee=BUYER_FEE, seller_fee=SELLER_FEE, seller_hold_id=hold["id"],
        buyer_account_id=market.buyer_holding, buyer_reservation_id=reservation["id"],
        seller_cash_account_id=market.seller_cash, trade_date=trade_date,
        settlement_date=settlement_date))


def _state(market):
    with market.db.read() as session:
        seller = queries.holdings(session, market.seller_holding)
        buyer = queries.holdings(session, market.buyer_holding)
        balances = dict(session.execute(select(cash_accounts.c.id, cash_accounts.c.balance)).all())
        reserved = dict(session.execute(select(cash_accounts.c.id, cash_accounts.c.reserved)).all())
        postings = session.execute(select(func.count()).select_from(cash_postings)).scalar_one()
        return seller, buyer, balances, reserved, postings


def _credits(rows, status):
    return sum(r["quantity"] for r in rows if r["status"] == status)


def test_instruction_is_due_after_golden_week(market):
    instruction = _trade(market)
    # Tuesday 2026-04-28 + 5 Tokyo business days: 4/30, 5/1, then Golden Week (5/2-5/6, with
    # the 5/6 substitute holiday) is skipped: 5/7, 5/8 and Monday 5/11.
    assert instruction["settlement_date"] == "2026-05-11"
    assert market.run(lambda c: dvp.due_instructions(c, date(2026, 5, 8))) == []


def test_settlement_moves_credits_and_cash_together(market):
    instruction = _trade(market)
    result = dvp.settle_due(market.run, date(2026, 5, 11))
    assert result == {"settled": 1, "failed": 0}
    seller, buyer, balances, reserved, _ = _state(market)
    assert _credits(buyer, "active") == QUANTITY
    assert _credits(seller, "held") == 0 and _credits(seller, "active") == 1_000 - QUANTITY
    assert balances[market.buyer_cash] == 5_000_000 - PRICE * QUANTITY - BUYER_FEE
    assert balances[market.seller_cash] == PRICE * QUANTITY - SELLER_FEE
    venue = instruction["venue_cash_account_id"]
    assert balances[venue] == BUYER_FEE + SELLER_FEE
    assert sum(balances.values()) == 0  # double entry: the bank account holds minus the deposits
    assert reserved[market.buyer_cash] == 0


def test_refused_delivery_moves_nothing_and_is_retried(market):
    _trade(market)
    market.run(lambda c: ledger.set_account_state(c, market.buyer_holding, "blocked"))
    before = _state(market)
    assert dvp.settle_due(market.run, date(2026, 5, 11)) == {"settled": 0, "failed": 1}
    assert _state(market)[:4] == before[:4]
    with market.db.read() as session:
        row = session.execute(select(settlement_instructions)).one()
    assert row.state == "failed" and "account_not_open" in row.last_error and row.attempts == 1
    market.run(lambda c: ledger.set_account_state(c, market.buyer_holding, "open"))
    assert dvp.settle_due(market.run, date(2026, 5, 12)) == {"settled": 1, "failed": 0}


def test_failure_injected_after_delivery_rolls_back_the_delivery(market, monkeypatch):
    _trade(market)
    before = _state(market)
    head_before = market.run(lambda c: journal_store.head(c.session))

    def cash_leg_fails(*args, **kwargs):
        raise InsufficientFunds("injected: the bank leg failed", field="amount")

    monkeypatch.setattr(cash, "pay_from_reservation", cash_leg_fails)
    assert dvp.settle_due(market.run, date(2026, 5, 11)) == {"settled": 0, "failed": 1}
    assert _state(market)[:4] == before[:4]  # credits still held by the seller, no cash moved
    with market.db.read() as session:
        types = [e.type for e in journal_store.read(session, after=head_before[0])]
    assert types == ["settlement_failed"]  # no hold_consumed entry survived


def test_reservation_refuses_more_than_free_cash(market):
    with pytest.raises(InsufficientFunds) as refused:
        market.run(lambda c: cash.reserve(c, account_id=market.buyer_cash, amount=5_000_001,
                                          reference="too-big"))
    assert refused.value.details["available"] == 5_000_000


def test_withdrawal_cannot_touch_reserved_cash(market):
    market.run(lambda c: cash.reserve(c, account_id=market.buyer_cash, amount=4_000_000,
                                      reference="order"))
    with pytest.raises(InsufficientFunds):
        market.run(lambda c: cash.withdraw(c, account_id=market.buyer_cash, amount=1_000_001,
                                           reference="out"))
    market.run(lambda c: cash.withdraw(c, account_id=market.buyer_cash, amount=1_000_000,
                                       reference="out"))


@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_amounts_are_refused(market, amount):
    with pytest.raises(ValidationError) as refused:
        market.run(lambda c: cash.deposit(c, account_id=market.buyer_cash, amount=amount,
                                          reference="x"))
    assert refused.value.field == "amount"
