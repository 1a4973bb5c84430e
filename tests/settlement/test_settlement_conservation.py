"""Hypothesis state machine: credits and cash are conserved through reservations and DvP.

After every step: credits free + held + delivered = issued; cash balances sum to zero (double
entry against the bank account) and the participants' money is what was deposited; reserved cash
equals what the active reservations still hold; held credits equal what the active holds hold.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from greenmarket.clock import FixedClock
from greenmarket.errors import DomainError
from greenmarket.registry import ledger, model
from greenmarket.registry.ledger import CreditSpec
from greenmarket.registry.service import RegistryService
from greenmarket.registry.tables import holds, serial_blocks
from greenmarket.settlement import cash, dvp
from greenmarket.settlement.tables import cash_accounts, cash_reservations
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

ISSUED = 500
DEPOSIT = 1_000_000
PRICE = 1_000


@cache
def _template() -> Path:
    """A migrated database with a seller (credits) and a buyer (cash), built once."""
    path = Path(tempfile.mkdtemp()) / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    run = RegistryService(db, FixedClock(datetime(2026, 1, 5, tzinfo=UTC))).execute
    admin = "admin:test"
    for program in model.known_programs():
        run(admin, lambda c, p=program: ledger.create_program(c, **p))
    run(admin, lambda c: ledger.register_project(
        c, id="P", program="JCREDIT", name="p", country="JP", category="forestry",
        methodology="FO-001", verifier="v", verifier_accreditation="none"))
    for pid in ("seller", "buyer"):
        run(admin, lambda c, p=pid: ledger.register_participant(c, id=p, name=p, type="corporate",
                                                                kyc_state="verified"))
        opened = run(admin, lambda c, p=pid: ledger.open_account(c, p, "holding"))
        run(admin, lambda c, a=opened["id"]: ledger.set_account_state(c, a, "open"))
        run(admin, lambda c, p=pid: cash.open_cash_account(c, participant_id=p, currency="JPY"))
    run(admin, lambda c: ledger.issue(c, project_id="P", vintage=2024, quantity=ISSUED,
                                      account_id=1))
    run(admin, lambda c: cash.deposit(c, account_id=2, amount=DEPOSIT, reference="wire"))
    db.dispose()
    return path


class Conservation(RuleBasedStateMachine):
    SELLER, BUYER, SELLER_CASH, BUYER_CASH = 1, 2, 1, 2

    def __init__(self) -> None:
        super().__init__()
        self.path = Path(tempfile.mkdtemp()) / "db.db"
        shutil.copyfile(_template(), self.path)
        self.db = Database(f"sqlite:///{self.path}")
        self.service = RegistryService(self.db, FixedClock(datetime(2026, 1, 6, tzinfo=UTC)))
        self.holds: list[int] = []
        self.reservations: list[int] = []
        self.trades = 0

    def run(self, operation):  # type: ignore[no-untyped-def]
        return self.service.execute("admin:test", operation)

    def attempt(self, operation) -> None:  # type: ignore[no-untyped-def]
        try:
            self.run(operation)
        except DomainError:
            pass  # a refusal must leave everything as it was; the invariants check that

    @rule(quantity=st.integers(1, 200))
    def hold_credits(self, quantity: int) -> None:
        try:
            hold = self.run(lambda c: ledger.place_hold(c, account_id=self.SELLER,
                                                        quantity=quantity, spec=CreditSpec()))
            self.holds.append(hold["id"])
        except DomainError:
            pass

    @rule(amount=st.integers(1, 400_000))
    def reserve_cash(self, amount: int) -> None:
        try:
            reservation = self.run(lambda c: cash.reserve(c, account_id=self.BUYER_CASH,
                                                          amount=amount, reference=None))
            self.reservations.append(reservation["id"])
        except DomainError:
            pass

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def release_credits(self, data: st.DataObject) -> None:
        hold = data.draw(st.sampled_from(self.holds))
        quantity = data.draw(st.none() | st.integers(1, 200))
        self.attempt(lambda c: ledger.release_hold(c, hold, quantity))

    @precondition(lambda self: self.reservations)
    @rule(data=st.data())
    def release_cash(self, data: st.DataObject) -> None:
        reservation = data.draw(st.sampled_from(self.reservations))
        amount = data.draw(st.none() | st.integers(1, 400_000))
        self.attempt(lambda c: cash.release(c, reservation, amount))

    @precondition(lambda self: self.holds and self.reservations)
    @rule(data=st.data(), fee=st.integers(0, 500))
    def trade_and_settle(self, data: st.DataObject, fee: int) -> None:
        hold = data.draw(st.sampled_from(self.holds))
        reservation = data.draw(st.sampled_from(self.reservations))
        quantity = data.draw(st.integers(1, 50))
        self.trades += 1
        reference = f"T{self.trades}"
        try:
            instruction = self.run(lambda c: dvp.instruct(
                c, trade_reference=reference, currency="JPY", quantity=quantity, price=PRICE,
                buyer_fee=fee, seller_fee=fee, seller_hold_id=hold, buyer_account_id=self.BUYER,
                buyer_reservation_id=reservation, seller_cash_account_id=self.SELLER_CASH,
                trade_date=date(2026, 1, 6), settlement_date=date(2026, 1, 6)))
        except DomainError:
            return
        dvp.settle_due(self.run, date(2026, 1, 6))
        assert instruction["amount"] == PRICE * quantity

    @invariant()
    def credits_are_conserved(self) -> None:
        with self.db.read() as session:
            size = serial_blocks.c.serial_end - serial_blocks.c.serial_start + 1
            by_state = dict(session.execute(
                select(serial_blocks.c.status, func.sum(size)).group_by(serial_blocks.c.status)
            ).all())
            held_by_holds = session.execute(select(func.coalesce(func.sum(holds.c.remaining), 0))
                                            .where(holds.c.state == "active")).scalar_one()
        assert sum(by_state.values()) == ISSUED
        assert by_state.get("held", 0) == held_by_holds

    @invariant()
    def cash_is_conserved(self) -> None:
        with self.db.read() as session:
            accounts = session.execute(select(cash_accounts)).all()
            reserved = dict(session.execute(
                select(cash_reservations.c.account_id, func.sum(cash_reservations.c.remaining))
                .where(cash_reservations.c.state == "active")
                .group_by(cash_reservations.c.account_id)).all())
        assert sum(a.balance for a in accounts) == 0
        assert sum(a.balance for a in accounts if a.kind != "bank") == DEPOSIT
        for account in accounts:
            assert account.reserved == reserved.get(account.id, 0)
            if account.kind != "bank":
                assert 0 <= account.reserved <= account.balance

    def teardown(self) -> None:
        self.db.dispose()
        shutil.rmtree(self.path.parent, ignore_errors=True)


Conservation.TestCase.settings = settings(max_examples=12, stateful_step_count=15, deadline=None)
TestConservation = Conservation.TestCase
