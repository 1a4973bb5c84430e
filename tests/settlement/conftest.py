"""A registry with a seller holding credits and a buyer holding cash, ready to trade."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from greenmarket.clock import FixedClock
from greenmarket.registry import ledger, model
from greenmarket.registry.ledger import Context
from greenmarket.registry.service import RegistryService
from greenmarket.settlement import cash
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade


@dataclass
class Market:
    db: Database
    service: RegistryService
    seller_holding: int
    buyer_holding: int
    seller_cash: int
    buyer_cash: int

    def run(self, operation: Callable[[Context], Any]) -> Any:
        return self.service.execute("admin:test", operation)


@pytest.fixture
def market(database_url: str) -> Iterator[Market]:
    db = Database(database_url)
    upgrade(db.engine)
    service = RegistryService(db, FixedClock(datetime(2026, 4, 28, 6, 0, tzinfo=UTC)))
    run = lambda op: service.execute("admin:test", op)  # noqa: E731
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    run(lambda c: ledger.register_project(
        c, id="JCR-R001", program="JCREDIT", name="Solar", country="JP",
        category="renewable_power", methodology="EN-R-002", verifier="JQA",
        verifier_accreditation="iso14065"))
    accounts = {}
    for pid in ("seller", "buyer"):
        run(lambda c, p=pid: ledger.register_participant(c, id=p, name=p, type="corporate",
                                                         kyc_state="verified"))
        opened = run(lambda c, p=pid: ledger.open_account(c, p, "holding"))
        run(lambda c, a=opened["id"]: ledger.set_account_state(c, a, "open"))
        accounts[pid] = opened["id"]
    run(lambda c: ledger.issue(c, project_id="JCR-R001", vintage=2024, quantity=1_000,
                               account_id=accounts["seller"]))
    seller_cash = run(lambda c: cash.open_cash_account(c, participant_id="seller",
                                                       currency="JPY"))["id"]
    buyer_cash = run(lambda c: cash.open_cash_account(c, participant_id="buyer",
                                                      currency="JPY"))["id"]
    run(lambda c: cash.deposit(c, account_id=buyer_cash, amount=5_000_000, reference="wire-1"))
    yield Market(db, service, accounts["seller"], accounts["buyer"], seller_cash, buyer_cash)
    db.dispose()
