"""32 concurrent writers on PostgreSQL: credits are conserved, never doubled, and no client ever
sees a deadlock or serialization failure (the service retries them)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from greenmarket.errors import InsufficientCredits
from greenmarket.registry import audit, ledger
from greenmarket.registry.ledger import CreditSpec

if TYPE_CHECKING:
    from conftest import Registry

WRITERS = 32
OPERATIONS_PER_WRITER = 100  # 3,200 operations, most of them transfers
HOLDERS = {f"p{n:02d}": "corporate" for n in range(16)}


def writer(registry: Registry, seed: int, outcomes: Counter[str], failures: list[BaseException],
           lock: threading.Lock, start: threading.Barrier) -> None:
    """One client: random transfers, and now and then a hold that is consumed or released, or a
    retirement."""
    rng = random.Random(seed)
    names = sorted(registry.holding)
    start.wait()
    for _ in range(OPERATIONS_PER_WRITER):
        frm, to = rng.sample(names, 2)
        kind = rng.choices(("transfer", "hold", "retire"), weights=(90, 7, 3))[0]
        try:
            if kind == "transfer":
                registry.transfer(frm, to, rng.randint(1, 30))
            elif kind == "retire":
                registry.retire(frm, rng.randint(1, 5), beneficiary=f"{frm} group")
            else:
                hold_and_settle(registry, rng, frm, to)
            outcome = kind
        except InsufficientCredits:
            outcome = f"{kind}: insufficient credits"
        except BaseException as error:  # noqa: BLE001 - every other failure is reported
            with lock:
                failures.append(error)
            outcome = f"{kind}: failed"
        with lock:
            outcomes[outcome] += 1


def hold_and_settle(registry: Registry, rng: random.Random, frm: str, to: str) -> None:
    hold = registry.run(lambda c: ledger.place_hold(
        c, account_id=registry.holding[frm], quantity=rng.randint(2, 20), spec=CreditSpec()))
    if rng.random() < 0.5:
        registry.run(lambda c: ledger.consume_hold(
            c, hold["id"], to_account_id=registry.holding[to], quantity=hold["quantity"] // 2))
    registry.run(lambda c: ledger.release_hold(c, hold["id"]))


@pytest.mark.postgres
def test_32_concurrent_writers_conserve_credits(postgres_url: str, build_registry: Any) -> None:
    registry = build_registry(postgres_url, pool_size=WRITERS + 4, participants=HOLDERS)
    try:
        for index, name in enumerate(sorted(registry.holding)):
            registry.issue(500, to=name, vintage=2022 + index % 3)
        issued = registry.balances()
        outcomes: Counter[str] = Counter()
        failures: list[BaseException] = []
        lock, start = threading.Lock(), threading.Barrier(WRITERS)
        threads = [threading.Thread(target=writer, args=(registry, seed, outcomes, failures, lock, start))
                   for seed in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == [], f"{len(failures)} clients saw errors, first: {failures[:3]!r}"
        assert sum(outcomes.values()) == WRITERS * OPERATIONS_PER_WRITER
        assert outcomes["transfer"] > 2000, outcomes  # most moves went through
        with registry.db.read() as session:
            overlaps = session.execute(text(
                "select count(*) from serial_blocks a join serial_blocks b on a.program = b.program"
                " and a.id < b.id and int8range(a.serial_start, a.serial_end, '[]')"
                " && int8range(b.serial_start, b.serial_end, '[]')")).scalar_one()
            unbalanced = session.execute(text(
                "select i.id from issuances i join serial_blocks b on b.issuance_id = i.id"
                " group by i.id, i.quantity"
                " having sum(b.serial_end - b.serial_start + 1) <> i.quantity")).all()
            assert overlaps == 0  # no serial is held twice
            assert unbalanced == []  # per issuance, every credit is somewhere, once
            assert audit.check_invariants(session) == []
            assert audit.verify_journal(session) > 0
            assert audit.compare_with_tables(session) == []
            held_now = session.execute(text(
                "select count(*) from serial_blocks where status = 'held'")).scalar_one()
        assert held_now == 0  # every hold was settled or released
        assert sum(issued.values()) == sum(registry.balances().values()) == 16 * 500
    finally:
        registry.db.dispose()
