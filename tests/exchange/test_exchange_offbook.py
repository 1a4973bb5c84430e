"""Block trades and sealed-bid supply auctions: reserved at the right moment, settled like trades."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from exchange_kit import SPOT, build_market
from sqlalchemy import select

from greenmarket.clock import FixedClock
from greenmarket.errors import DomainError, InsufficientCredits, NotFound
from greenmarket.exchange.offbook import OffBookService
from greenmarket.exchange.service import FeeSchedule
from greenmarket.registry.service import RegistryService
from greenmarket.registry.tables import holds, serial_blocks
from greenmarket.settlement import dvp
from greenmarket.settlement.tables import cash_accounts, settlement_instructions
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

MORNING = datetime(2026, 4, 28, 10, 0, tzinfo=SPOT.venue.zone)
DAY = date(2026, 4, 28)


@pytest.fixture
def desk(database_url: str):
    db = Database(database_url)
    upgrade(db.engine)
    clock = FixedClock(MORNING)
    registry = RegistryService(db, clock)
    build_market(registry)
    service = OffBookService(db, clock, [SPOT], base_prices={SPOT.contract_id: Decimal("10.00")},
                             fees=FeeSchedule(buyer_bps=Decimal("5"), seller_bps=Decimal("5")))
    yield service, clock, lambda op: registry.execute("admin:test", op)
    db.dispose()


def _reserved(run, participant):
    return run(lambda c: c.session.execute(select(cash_accounts.c.reserved).where(
        cash_accounts.c.participant_id == participant)).scalar_one())


def _held(run, participant_account):
    size = serial_blocks.c.serial_end - serial_blocks.c.serial_start + 1
    return run(lambda c: sum(c.session.execute(select(size).where(
        serial_blocks.c.account_id == participant_account,
        serial_blocks.c.status == "held")).scalars()))


def test_block_trade_reserves_on_confirmation_and_settles(desk):
    service, _, run = desk
    report = service.report_block("alpha", SPOT.contract_id, buyer="alpha", seller="beta",
                                  price=Decimal("10.20"), quantity=5_000)
    report_id = report["outcome"]["report_id"]
    assert report["outcome"]["trading_day"] == "2026-04-28"
    assert _reserved(run, "alpha") == 0 and _held(run, 2) == 0  # nothing until confirmed
    with pytest.raises(DomainError) as wrong_side:
        service.confirm_block("alpha", SPOT.contract_id, DAY, report_id)  # the reporter
    assert wrong_side.value.status == 403
    confirmed = service.confirm_block("beta", SPOT.contract_id, DAY, report_id)
    reference = confirmed["outcome"]["trade_reference"]
    assert reference.startswith("CBL-GEO:B2026-04-28:")  # a block on the tape
    assert _held(run, 2) == 5_000
    assert _reserved(run, "alpha") == 1020 * 5_000 + 1020 * 5_000 * 5 // 10_000
    assert dvp.settle_due(run, DAY) == {"settled": 1, "failed": 0}
    assert _reserved(run, "alpha") == 0 and _held(run, 2) == 0


def test_refused_block_confirmation_changes_nothing(desk):
    service, _, run = desk
    with pytest.raises(DomainError) as band:
        service.report_block("alpha", SPOT.contract_id, buyer="alpha", seller="beta",
                             price=Decimal("99.00"), quantity=10)
    assert band.value.code == "price_outside_band"
    too_big = service.report_block("alpha", SPOT.contract_id, buyer="alpha", seller="beta",
                                   price=Decimal("10.00"), quantity=200_000)["outcome"]
    with pytest.raises(InsufficientCredits):  # beta holds 100,000
        service.confirm_block("beta", SPOT.contract_id, DAY, too_big["report_id"])
    assert _held(run, 2) == 0 and _reserved(run, "alpha") == 0
    # the desk was rebuilt from the journal: the report is still pending and can be withdrawn
    service.withdraw_block("alpha", SPOT.contract_id, DAY, too_big["report_id"])
    with pytest.raises(DomainError) as gone:
        service.confirm_block("beta", SPOT.contract_id, DAY, too_big["report_id"])
    assert gone.value.code == "report_not_pending"
    assert run(lambda c: c.session.execute(select(settlement_instructions)).all()) == []


def test_supply_auction_clears_at_one_price_and_releases_the_rest(desk):
    service, clock, run = desk
    auction = service.open_supply_auction(
        "delta", SPOT.contract_id, quantity=1_000, reserve_price=Decimal("9.00"),
        closes_at=MORNING + timedelta(hours=2))["outcome"]["auction_id"]
    assert _held(run, 4) == 1_000
    service.bid("alpha", auction, price=Decimal("9.80"), quantity=600)
    service.bid("beta", auction, price=Decimal("9.40"), quantity=600)
    service.bid("gamma", auction, price=Decimal("9.10"), quantity=500)
    with pytest.raises(DomainError) as below:
        service.bid("gamma", auction, price=Decimal("8.50"), quantity=10)
    assert below.value.code == "below_reserve"
    clock.set(MORNING + timedelta(hours=2))
    result = service.close_supply_auction(auction)["outcome"]
    # 600 at 9.80 and 600 at 9.40 cover 1,000: everyone pays 9.40; beta gets the last 400
    assert result["clearing_price"] == 940 and result["sold"] == 1_000
    assert [(t["buyer"], t["quantity"]) for t in result["trades"]] == [("alpha", 600),
                                                                       ("beta", 400)]
    assert result["demand_curve"] == [[980, 600], [940, 1_200], [910, 1_700]]
    # each winner keeps reserved exactly what it owes at the clearing price; gamma nothing
    assert _reserved(run, "alpha") == 940 * 600 + 940 * 600 * 5 // 10_000
    assert _reserved(run, "beta") == 940 * 400 + 940 * 400 * 5 // 10_000
    assert _reserved(run, "gamma") == 0
    assert dvp.settle_due(run, DAY) == {"settled": 2, "failed": 0}
    assert _held(run, 4) == 0
    assert run(lambda c: c.session.execute(select(holds.c.state)).scalars().all()) == ["consumed"]


def test_restart_replays_auctions_and_desks(desk):
    service, clock, run = desk
    auction = service.open_supply_auction(
        "delta", SPOT.contract_id, quantity=100, reserve_price=Decimal("9.00"),
        closes_at=MORNING + timedelta(hours=1))["outcome"]["auction_id"]
    service.bid("alpha", auction, price=Decimal("9.50"), quantity=100)
    service.report_block("alpha", SPOT.contract_id, buyer="alpha", seller="beta",
                         price=Decimal("10.00"), quantity=10)
    restarted = OffBookService(service.db, clock, [SPOT],
                               base_prices={SPOT.contract_id: Decimal("10.00")}, fees=service.fees)
    restarted.confirm_block("beta", SPOT.contract_id, DAY, 1)
    clock.set(MORNING + timedelta(hours=1))
    assert restarted.close_supply_auction(auction)["outcome"]["sold"] == 100
    with pytest.raises(NotFound):
        restarted.bid("alpha", 99, price=Decimal("9.50"), quantity=1)
