"""kill -9 under load: every acknowledged order, trade and reservation survives the restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

from exchange_kit import SPOT, build_market, spot_service
from sqlalchemy import func, select

from greenmarket.clock import FixedClock
from greenmarket.exchange.tables import exchange_orders
from greenmarket.journal import store as journal_store
from greenmarket.registry.service import RegistryService
from greenmarket.registry.tables import serial_blocks
from greenmarket.settlement.tables import cash_accounts, cash_reservations, settlement_instructions
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

START = datetime(2026, 4, 28, 10, 0, tzinfo=SPOT.venue.zone)

CHILD = textwrap.dedent("""
    import random, sys
    from datetime import datetime, timedelta
    from decimal import Decimal
    sys.path.insert(0, sys.argv[2])
    from exchange_kit import SPOT, TRADERS, spot_service
    from greenmarket.clock import FixedClock
    from greenmarket.storage.db import Database
    from greenmarket.errors import DomainError
    clock = FixedClock(datetime.fromisoformat(sys.argv[3]))
    service = spot_service(Database(sys.argv[1]), clock)
    rng = random.Random(7)
    while True:
        clock.advance(timedelta(milliseconds=1))
        side = rng.choice(("buy", "sell"))
        price = Decimal(rng.randint(990, 1010)) / 100
        try:
            result = service.submit(rng.choice(TRADERS), SPOT.contract_id, side=side,
                                    quantity=rng.randint(1, 20), price=price)
        except DomainError:
            continue
        print("ack", result["sequence"], flush=True)
""")


def _held_total(session) -> int:  # type: ignore[no-untyped-def]
    size = serial_blocks.c.serial_end - serial_blocks.c.serial_start + 1
    return int(session.execute(select(func.coalesce(func.sum(size), 0))
                               .where(serial_blocks.c.status == "held")).scalar_one())


def test_acknowledged_orders_survive_sigkill(database_url: str) -> None:
    db = Database(database_url)
    upgrade(db.engine)
    clock = FixedClock(START)
    build_market(RegistryService(db, clock))
    spot_service(db, clock).open_session(SPOT.contract_id)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, str(Path(__file__).parent), START.isoformat()],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    acknowledged = []
    assert child.stdout is not None
    for line in child.stdout:
        acknowledged.append(int(line.split()[1]))
        if len(acknowledged) == 150:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()

    clock.set(START + timedelta(minutes=5))
    restarted = spot_service(db, clock)  # replays the journal; raises if the engine disagrees
    with db.read() as session:
        journaled = {e.sequence for e in journal_store.read(session, area="exchange")}
        assert set(acknowledged) <= journaled  # nothing acknowledged was lost
        open_sells = session.execute(
            select(func.coalesce(func.sum(exchange_orders.c.open_quantity), 0))
            .where(exchange_orders.c.side == "sell")).scalar_one()
        undelivered = session.execute(
            select(func.coalesce(func.sum(settlement_instructions.c.quantity), 0))
            .where(settlement_instructions.c.state != "settled")).scalar_one()
        assert _held_total(session) == int(open_sells) + int(undelivered)
        reserved = dict(session.execute(
            select(cash_reservations.c.account_id, func.sum(cash_reservations.c.remaining))
            .where(cash_reservations.c.state == "active")
            .group_by(cash_reservations.c.account_id)).all())
        for account in session.execute(select(cash_accounts)).all():
            assert account.reserved == int(reserved.get(account.id, 0))
        resting = {row.order_id: row.open_quantity for row in session.execute(
            select(exchange_orders).where(exchange_orders.c.open_quantity > 0))}
    book = restarted.book(SPOT.contract_id)
    assert {o.order_id: o.remaining for o in book.resting_orders()} == resting
    db.dispose()
