"""The demo market's trading history (``greenmarket.demo_history``), as loaded by ``demo load``.

It goes through the real exchange and settlement services, so it must leave the market as live
trading would: trades only in the venues' sessions on their business days, DvP instructions
settled exactly when due, cash and credits conserved, and a journal whose clock never runs back.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from greenmarket.demo import DEMO_SESSION_TIMES
from greenmarket.demo_history import FLOWS
from greenmarket.exchange.venue import CONTRACTS
from greenmarket.marketdata import queries
from greenmarket.marketdata.service import MarketDataService
from greenmarket.registry.audit import audit
from greenmarket.settlement.tables import cash_accounts, settlement_instructions
from greenmarket.storage.db import Database
from greenmarket.storage.schema import journal

DEMO_DAY = DEMO_SESSION_TIMES["Asia/Tokyo"].date()
BY_ID = {contract.contract_id: contract for contract in CONTRACTS}


@pytest.fixture(scope="module")
def demo(sqlite_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("history") / "demo.db"
    shutil.copyfile(sqlite_demo_template, path)
    database = Database(f"sqlite:///{path}")
    MarketDataService(database, CONTRACTS).catch_up()
    yield database
    database.dispose()


def test_every_contract_trades_only_on_its_venues_business_days(demo: Database) -> None:
    with demo.read() as session:
        rows = queries.daily(session, until=DEMO_DAY)
    for contract_id in FLOWS:
        calendar = BY_ID[contract_id].venue.calendar
        traded = {date.fromisoformat(str(r["trading_day"])) for r in rows
                  if r["contract_id"] == contract_id and r["volume"]}
        assert traded, contract_id
        assert all(day < DEMO_DAY and calendar.is_business_day(day) for day in traded), traded
    # 26 May 2025 was Memorial Day in New York and a business day in Tokyo
    assert {(r["contract_id"], str(r["trading_day"])) for r in rows if r["volume"]} >= {
        ("TSE-JCR-FORESTRY", "2025-05-26")}
    assert ("CBL-GLOBAL-NATURE", "2025-05-26") not in {
        (r["contract_id"], str(r["trading_day"])) for r in rows}


def test_instructions_are_settled_exactly_when_due(demo: Database) -> None:
    with demo.read() as session:
        instructions = session.execute(select(settlement_instructions)).all()
    assert instructions
    for row in instructions:
        contract = BY_ID[row.trade_reference.split(":")[0]]
        trade_date = date.fromisoformat(str(row.trade_date))
        assert str(row.settlement_date) == str(contract.settlement_date(trade_date))
        due = date.fromisoformat(str(row.settlement_date)) < DEMO_DAY
        assert row.state == ("settled" if due else "pending"), row
    assert any(row.state == "pending" for row in instructions)  # T+5: the last days are owed


def test_cash_and_credits_are_conserved_and_the_journal_replays(demo: Database) -> None:
    with demo.read() as session:
        totals = session.execute(select(cash_accounts.c.currency, func.sum(cash_accounts.c.balance))
                                 .group_by(cash_accounts.c.currency)).all()
        report = audit(session)
    assert {currency: int(total) for currency, total in totals} == {"JPY": 0, "USD": 0}
    assert report.ok, report


def test_the_journal_clock_never_runs_back(demo: Database) -> None:
    with demo.read() as session:
        times = [datetime.fromisoformat(t) for t in session.execute(
            select(journal.c.time).order_by(journal.c.sequence)).scalars()]
    assert times == sorted(times)
