"""Market-data projection throughput: journal entries folded per second.

Builds a market on the server's contracts (``greenmarket.exchange.venue``: the TSE-style forestry
call auctions and the CBL-style continuous contract), trades ``--days`` business days of random
orders through the real exchange service, settles them DvP, then times:

- a replay from sequence 0 (tables emptied first) in batches of 500 journal entries, in entries
  per second: what a new installation or a rebuild costs, and the ceiling of live projection;
- the same in batches of 20 (25 times as many transactions): the ratio shows what a transaction
  costs; both replays must give the same rows.

Figures depend on the machine and its load: compare the ratios within one run. The database is
kept, so the CLI can be pointed at it afterwards (``GREENMARKET_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from greenmarket.clock import FixedClock
from greenmarket.errors import DomainError
from greenmarket.exchange.venue import CONTRACTS, build_exchange
from greenmarket.marketdata.projector import Projector
from greenmarket.marketdata.tables import PROJECTED
from greenmarket.registry import ledger, model
from greenmarket.registry.service import RegistryService
from greenmarket.settlement import cash, dvp
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade
from greenmarket.storage.schema import journal

TOKYO, NEW_YORK = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")
FORESTRY, NATURE = "TSE-JCR-FORESTRY", "CBL-GLOBAL-NATURE"
TRADERS = [f"trader-{n:02d}" for n in range(1, 9)]


def build(db: Database, clock: FixedClock) -> None:
    """Eight verified traders, each with forestry credits of both programs and cash."""
    registry = RegistryService(db, clock)
    run = lambda op: registry.execute("admin:bench", op)
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    for project, program, category in (("JCR-F100", "JCREDIT", "forestry"),
                                       ("VCS-F100", "VCS", "forestry_land_use")):
        run(lambda c, i=project, p=program, k=category: ledger.register_project(
            c, id=i, program=p, name=i, country="JP", category=k, methodology="FO-001",
            verifier="JQA", verifier_accreditation="iso14065"))
    for trader in TRADERS:
        run(lambda c, p=trader: ledger.register_participant(c, id=p, name=p, type="corporate",
                                                            kyc_state="verified"))
        account = run(lambda c, p=trader: ledger.open_account(c, p, "holding"))
        run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
        for project in ("JCR-F100", "VCS-F100"):
            run(lambda c, a=account["id"], p=project: ledger.issue(
                c, project_id=p, vintage=2023, quantity=10_000_000, account_id=a))
        for currency in ("JPY", "USD"):
            cash_account = run(lambda c, p=trader, k=currency: cash.open_cash_account(
                c, participant_id=p, currency=k))
            run(lambda c, a=cash_account["id"]: cash.deposit(c, account_id=a, amount=10**15,
                                                             reference="wire"))


def trade_day(exchange, clock: FixedClock, day: date, orders: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """A morning call auction on forestry and a continuous day on the nature contract."""
    def attempt(command) -> None:  # type: ignore[no-untyped-def]
        try:
            command()
        except DomainError:
            pass  # e.g. a price outside the band after a big move: refused, nothing changes

    clock.set(datetime.combine(day, datetime.min.time(), TOKYO).replace(hour=9))
    exchange.open_session(FORESTRY)
    base = exchange.base_prices[FORESTRY]
    for _ in range(orders // 4):
        clock.advance(timedelta(seconds=30))
        attempt(lambda: exchange.submit(
            rng.choice(TRADERS), FORESTRY, side=rng.choice(["buy", "sell"]),
            quantity=rng.randint(1, 50) * 10, price=Decimal(base + rng.randint(-60, 60))))
    clock.set(datetime.combine(day, datetime.min.time(), TOKYO).replace(hour=11, minute=30))
    exchange.uncross(FORESTRY)

    clock.set(datetime.combine(day, datetime.min.time(), NEW_YORK).replace(hour=9, minute=30))
    exchange.open_session(NATURE)
    mid = exchange.base_prices[NATURE]
    resting: list[tuple[str, int]] = []
    for _ in range(orders - orders // 4):
        clock.advance(timedelta(seconds=rng.randint(5, 60)))
        trader = rng.choice(TRADERS)
        if resting and rng.random() < 0.25:
            owner, order_id = resting.pop(rng.randrange(len(resting)))
            attempt(lambda o=owner, i=order_id: exchange.cancel(o, NATURE, i))
            continue
        side = rng.choice(["buy", "sell"])
        offset = rng.randint(-3, 5) * (1 if side == "buy" else -1)
        try:
            result = exchange.submit(trader, NATURE, side=side, quantity=rng.randint(1, 20) * 100,
                                     price=Decimal(mid + offset) / 100)
        except DomainError:
            continue
        resting.append((trader, result["events"][0]["order_id"]))
    clock.set(datetime.combine(day, datetime.min.time(), NEW_YORK).replace(hour=17))
    exchange.close_session(NATURE)


def business_days(start: date, count: int) -> list[date]:
    tse, nyse = (c.venue.calendar for c in CONTRACTS if c.contract_id in (FORESTRY, NATURE))
    days, day = [], start
    while len(days) < count:
        if tse.is_business_day(day) and nyse.is_business_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def rows(db: Database) -> dict[str, list[tuple]]:
    with db.read() as session:
        return {t.name: sorted(map(tuple, session.execute(select(t))), key=repr) for t in PROJECTED}


def timed(label: str, entries: int, action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    rate = entries / seconds
    print(f"{label}: {entries} entries in {seconds:.2f} s = {rate:,.0f} entries/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite:///var/marketdata-bench.db")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--orders", type=int, default=400, help="orders per day")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    db = Database(args.database)
    upgrade(db.engine)
    clock = FixedClock(datetime(2025, 6, 2, 8, tzinfo=TOKYO))
    rng = random.Random(args.seed)
    start = time.perf_counter()
    build(db, clock)
    exchange = build_exchange(db, clock)
    registry = RegistryService(db, clock)
    for day in business_days(date(2025, 6, 2), args.days):
        trade_day(exchange, clock, day, args.orders, rng)
        dvp.settle_due(lambda op: registry.execute("admin:bench", op), day)
    with db.read() as session:
        entries = session.execute(select(func.count()).select_from(journal)).scalar_one()
    print(f"generated {args.days} days, {entries} journal entries "
          f"in {time.perf_counter() - start:.1f} s")

    Projector(db, CONTRACTS).rebuild()  # warm up (imports, table creation)
    Projector(db, CONTRACTS, batch_size=500).rebuild()
    projected = rows(db)
    big = timed("rebuild (batches of 500)", entries,
                lambda: Projector(db, CONTRACTS, batch_size=500).rebuild())
    small = timed("rebuild (batches of 20)", entries,
                  lambda: Projector(db, CONTRACTS, batch_size=20).rebuild())
    assert rows(db) == projected, "a replay must give the same tables"
    print(f"ratio batches of 500 / batches of 20: {big / small:.2f}")
    print(f"tape rows: {len(projected['marketdata_trades'])}; "
          f"daily rows: {len(projected['marketdata_daily'])}")
    print(f"entries_per_second: {big:.0f}")


if __name__ == "__main__":
    main()
