"""Registry benchmark: credit transfers per second on SQLite and PostgreSQL, against the server's
ceiling measured in the same run.

    python benchmarks/registry.py                       # defaults below
    python benchmarks/registry.py --transfers 3000 --postgres-clients 16 --sqlite-clients 1

Each backend gets a fresh database (created, migrated, seeded and dropped by this script): the six
shipped programs, one J-Credit project, ``--accounts`` verified corporates with an open holding
account each, 100,000 credits issued to each. Clients then run ``RegistryService.execute(transfer)``
between random accounts (1-10 credits by quantity, seeded), each a full registry transaction: KYC
and account checks, row locks, block splits, the journal entry in the same transaction, commit.

The ceiling is what the same PostgreSQL server does with the same number of clients when each
transaction is one single-row UPDATE of a small table and a commit (psycopg directly, no ORM).
``hot_row`` is the same with every client updating one shared row: the bound for any design that
serializes its commits on one row, as the journal's single hash chain does (see
docs/registry-invariants.md, "Throughput"). The PostgreSQL URL is ``GREENMARKET_TEST_DATABASE_URL``
(default ``postgresql://postgres@127.0.0.1:5432/test``); only databases this script creates are
written to. Lines are ``name: value``; the last is the ratio (target ≥ 0.3).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from greenmarket.clock import FixedClock
from greenmarket.errors import InsufficientCredits
from greenmarket.registry import ledger, model
from greenmarket.registry.ledger import Selection
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database, make_engine, normalize_url
from greenmarket.storage.migrate import upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CREDITS_PER_ACCOUNT = 100_000
TARGET_RATIO = 0.3


def seed(service: RegistryService, accounts: int) -> list[int]:
    """Programs, one project, ``accounts`` verified corporates with funded holding accounts."""
    run = lambda operation: service.execute("bench", operation)  # noqa: E731
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    run(lambda c: ledger.register_project(
        c, id="JCR-BENCH", program="JCREDIT", name="Benchmark solar", country="JP",
        category="renewable_power", methodology="EN-R-002", verifier="Bench verifier",
        verifier_accreditation="iso14065"))
    holding = []
    for n in range(accounts):
        pid = f"bench-{n:03d}"
        run(lambda c, pid=pid: ledger.register_participant(
            c, id=pid, name=pid, type="corporate", kyc_state="verified"))
        account = run(lambda c, pid=pid: ledger.open_account(c, pid, "holding"))
        run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
        run(lambda c, a=account["id"]: ledger.issue(
            c, project_id="JCR-BENCH", vintage=2024, quantity=CREDITS_PER_ACCOUNT, account_id=a))
        holding.append(account["id"])
    return holding


def run_clients(clients: int, total: int, work: Callable[[random.Random], None]) -> float:
    """Start ``clients`` threads doing ``total`` units of ``work`` between them; units per second."""
    per_client = total // clients
    barrier = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def client(index: int) -> None:
        rng = random.Random(index)
        barrier.wait()
        try:
            for _ in range(per_client):
                work(rng)
        except BaseException as error:  # noqa: BLE001 - reported after the run
            errors.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed; first: {errors[0]!r}")
    return per_client * clients / elapsed


def transfers_per_second(url: str, clients: int, transfers: int, accounts: int) -> float:
    db = Database(engine=make_engine(url, pool_size=clients + 2))
    try:
        upgrade(db.engine)
        service = RegistryService(db, FixedClock(datetime(2026, 1, 5, tzinfo=UTC)))
        holding = seed(service, accounts)

        def transfer(rng: random.Random) -> None:
            frm, to = rng.sample(holding, 2)
            selection = Selection(quantity=rng.randint(1, 10))
            try:
                service.execute("bench", lambda c: ledger.transfer(
                    c, from_account_id=frm, to_account_id=to, selection=selection))
            except InsufficientCredits:  # cannot happen with 100,000 credits each; counted anyway
                pass

        run_clients(clients, max(clients, transfers // 10), transfer)  # warm-up
        return run_clients(clients, transfers, transfer)
    finally:
        db.dispose()


def update_ceiling(url: str, clients: int, transactions: int, rows: int) -> float:
    """Single-row UPDATE transactions per second, each client on its own connection."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("create table ceiling (id int primary key, value bigint not null)")
        connection.execute("insert into ceiling select g, 0 from generate_series(1, %s) g", (rows,))
    local = threading.local()

    def update(rng: random.Random) -> None:
        if not hasattr(local, "connection"):
            local.connection = psycopg.connect(conninfo)
        local.connection.execute("update ceiling set value = value + 1 where id = %s",
                                 (rng.randint(1, rows),))
        local.connection.commit()

    run_clients(clients, max(clients, transactions // 10), update)
    return run_clients(clients, transactions, update)


class ScratchDatabase:
    """A PostgreSQL database created for this run and dropped afterwards."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
        self.name = f"gm_bench_{uuid.uuid4().hex[:12]}"
        self.url = make_url(normalize_url(admin_url)).set(database=self.name) \
            .render_as_string(hide_password=False)

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *_: object) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=2000, help="timed transfers per backend")
    parser.add_argument("--sqlite-clients", type=int, default=1)
    parser.add_argument("--postgres-clients", type=int, default=16)
    parser.add_argument("--accounts", type=int, default=32)
    parser.add_argument("--ceiling-rows", type=int, default=100)
    args = parser.parse_args()
    admin_url = os.environ.get("GREENMARKET_TEST_DATABASE_URL", DEFAULT_PG_URL)
    clients = args.postgres_clients

    with tempfile.TemporaryDirectory() as directory:
        sqlite = transfers_per_second(f"sqlite:///{directory}/bench.db", args.sqlite_clients,
                                      args.transfers, args.accounts)
    print(f"sqlite_clients: {args.sqlite_clients}")
    print(f"sqlite_transfers_per_second: {sqlite:.1f}")
    with ScratchDatabase(admin_url) as url:
        postgres = transfers_per_second(url, clients, args.transfers, args.accounts)
    print(f"postgres_clients: {clients}")
    print(f"postgres_transfers_per_second: {postgres:.1f}")
    with ScratchDatabase(admin_url) as url:
        ceiling = update_ceiling(url, clients, args.transfers * 2, args.ceiling_rows)
    with ScratchDatabase(admin_url) as url:
        hot_row = update_ceiling(url, clients, args.transfers, 1)
    print(f"postgres_update_ceiling_per_second: {ceiling:.1f}")
    print(f"postgres_hot_row_update_per_second: {hot_row:.1f}")
    print(f"target_ratio: {TARGET_RATIO}")
    print(f"ratio_transfers_to_ceiling: {postgres / ceiling:.3f}")


if __name__ == "__main__":
    main()
