"""The projector is idempotent, resumable and atomic; a replay from sequence 0 gives the same tables;
registry statistics add up by program, category, vintage and period."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from marketdata_kit import AUCTION, CONTRACTS, SPOT, Market, hand_made_day, ny
from sqlalchemy import select

from greenmarket.marketdata import projector as projector_module
from greenmarket.marketdata import queries
from greenmarket.marketdata.projector import Projector
from greenmarket.marketdata.tables import PROJECTED
from greenmarket.registry import ledger
from greenmarket.registry.ledger import CreditSpec, Selection
from greenmarket.settlement import dvp


@pytest.fixture
def market(sqlite_url: str):
    market = Market(sqlite_url)
    yield market
    market.db.dispose()


@pytest.fixture
def any_market(database_url: str):
    """The same market on SQLite and on PostgreSQL (cursor locking, upserts)."""
    market = Market(database_url)
    yield market
    market.db.dispose()


def tables(market: Market) -> dict[str, list[tuple]]:
    """Every projected row, sorted: what two projections must agree on."""
    with market.db.read() as session:
        return {t.name: sorted(map(tuple, session.execute(select(t))), key=repr)
                for t in PROJECTED}


def auction_session(market: Market) -> None:
    """A TSE-style morning call session on 2026-04-30 (Tokyo) with one uncross."""
    tokyo = ZoneInfo("Asia/Tokyo")
    cid = AUCTION.contract_id
    market.at(datetime(2026, 4, 30, 9, 0, tzinfo=tokyo)).exchange.open_session(cid)
    market.exchange.submit("alpha", cid, side="sell", quantity=30, price=Decimal("9.90"))
    market.exchange.submit("beta", cid, side="buy", quantity=20, price=Decimal("10.10"))
    market.at(datetime(2026, 4, 30, 11, 30, tzinfo=tokyo)).exchange.uncross(cid)


def test_running_again_changes_nothing(market: Market) -> None:
    hand_made_day(market)
    projector = Projector(market.db, CONTRACTS)
    assert projector.run_once() > 0
    before = tables(market)
    assert projector.run_once() == 0
    assert Projector(market.db, CONTRACTS).run_once() == 0  # another process, same cursor
    assert tables(market) == before


def test_small_batches_resumed_by_new_processes_equal_a_replay_from_zero(
        any_market: Market) -> None:
    market = any_market
    market.at(ny(10)).exchange.open_session(SPOT.contract_id)
    market.exchange.submit("alpha", SPOT.contract_id, side="sell", quantity=10,
                           price=Decimal("10.30"))
    Projector(market.db, CONTRACTS, batch_size=7).run_once()  # mid-session: books in memory
    # the rest of the day after a "restart": a new projector rebuilds its books from the journal
    market.at(ny(10, 5)).exchange.submit("beta", SPOT.contract_id, side="buy", quantity=4,
                                         price=Decimal("10.20"))
    Projector(market.db, CONTRACTS, batch_size=3).run_once()
    market.at(ny(10, 10)).exchange.cancel("alpha", SPOT.contract_id, 1)
    market.at(ny(11)).exchange.close_session(SPOT.contract_id)
    auction_session(market)
    market.at(ny(17, 30))
    dvp.settle_due(market.run, date(2026, 4, 30))
    Projector(market.db, CONTRACTS, batch_size=2).run_once()
    incremental = tables(market)

    replayed = Projector(market.db, CONTRACTS)
    assert replayed.rebuild() > 0
    assert tables(market) == incremental
    with market.db.read() as session:
        [bar] = queries.daily(session, contract_id=SPOT.contract_id)
        [auction_trade] = queries.tape(session, contract_id=AUCTION.contract_id)
    # 10:05-10:10 quoted 10.20 / 10.30: a spread of 0.10 for 300 s
    assert (bar["spread"], bar["quoted_seconds"]) == ("0.100000", 300)
    assert auction_trade["auction"] and not auction_trade["block"]
    assert auction_trade["quantity"] == 20


def test_a_failed_batch_leaves_nothing_and_the_next_run_recovers(
        any_market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    market = any_market
    hand_made_day(market)
    expected = Projector(market.db, CONTRACTS)
    expected.rebuild()
    wanted = tables(market)
    Projector(market.db, CONTRACTS).rebuild()
    market.at(ny(17, 30))
    dvp.settle_due(market.run, date(2026, 4, 28))  # new entries after the cursor

    projector = Projector(market.db, CONTRACTS, batch_size=2)
    original = projector_module._Batch.flush

    def failing(self):  # type: ignore[no-untyped-def]
        original(self)
        raise RuntimeError("disk full")

    monkeypatch.setattr(projector_module._Batch, "flush", failing)
    cursor = projector.cursor()
    with pytest.raises(RuntimeError):
        projector.run_once()
    assert projector.cursor() == cursor and tables(market) == wanted  # rolled back whole
    monkeypatch.setattr(projector_module._Batch, "flush", original)
    projector.run_once()
    with market.db.read() as session:
        [bar] = queries.daily(session, contract_id=SPOT.contract_id)
    assert bar["deliveries"] == 3
    settled = tables(market)
    Projector(market.db, CONTRACTS).rebuild()
    assert tables(market) == settled


def test_registry_statistics_by_program_category_vintage_and_period(market: Market) -> None:
    # build_market issued 4 × 100,000 JCREDIT forestry 2024 at 2026-04-28 09:00 New York
    # (22:00 in Tokyo, the registry's time zone: still the 28th there).
    market.run(lambda c: ledger.register_project(
        c, id="JCR-E001", program="JCREDIT", name="Boiler", country="JP",
        category="energy_saving", methodology="EN-S-001", verifier="JQA",
        verifier_accreditation="iso14065"))
    market.at(datetime(2026, 5, 1, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    market.run(lambda c: ledger.issue(c, project_id="JCR-E001", vintage=2025, quantity=500,
                                      account_id=1))
    retirement = market.run(lambda c: ledger.open_account(c, "alpha", "retirement"))
    market.run(lambda c: ledger.set_account_state(c, retirement["id"], "open"))
    market.run(lambda c: ledger.retire(
        c, account_id=1, selection=Selection(quantity=120, spec=CreditSpec(project_id="JCR-E001")),
        beneficiary="Alpha KK", purpose="voluntary_offset", claim="FY2025 offset"))
    market.run(lambda c: ledger.retire(
        c, account_id=1, selection=Selection(quantity=7, spec=CreditSpec(project_id="JCR-F001")),
        beneficiary="Alpha KK", purpose="voluntary_offset", claim="FY2025 offset"))
    market.run(lambda c: ledger.cancel(
        c, account_id=1, selection=Selection(quantity=30, spec=CreditSpec(project_id="JCR-E001")),
        reason="issued in error"))
    Projector(market.db, CONTRACTS).run_once()
    with market.db.read() as session:
        by_category = queries.registry_stats(session, by="category", period="month")
        by_vintage = queries.registry_stats(session, by="vintage", period="year")
        by_program = queries.registry_stats(session, by="program", period="day")
    assert by_category == [
        {"period": "2026-04", "category": "forestry", "issued": 400_000, "retired": 0,
         "cancelled": 0},
        {"period": "2026-05", "category": "energy_saving", "issued": 500, "retired": 120,
         "cancelled": 30},
        {"period": "2026-05", "category": "forestry", "issued": 0, "retired": 7, "cancelled": 0},
    ]
    assert by_vintage == [
        {"period": "2026", "vintage": 2024, "issued": 400_000, "retired": 7, "cancelled": 0},
        {"period": "2026", "vintage": 2025, "issued": 500, "retired": 120, "cancelled": 30},
    ]
    assert [(r["period"], r["program"], r["issued"]) for r in by_program] == [
        ("2026-04-28", "JCREDIT", 400_000), ("2026-05-01", "JCREDIT", 500)]
