"""Registry benchmark: credit transfers per second on SQLite and PostgreSQL, against the server's
ceiling measured in the same run.

    python benchmarks/registry.py                       # defaults below
    python benchmarks/registry.py --transfers 3000 --postgres-clients 16 --sqlite-clients 1

Each backend gets a fresh database (created, migrated, seeded and dropped by this script): the six
shipped programs, one J-Credit project, ``--accounts`` verified corporates with an open holding
account each, 100,000 credits issued to each. Clients then run ``RegistryService.execute(transfer)``
between random accounts (1-10 credits by quantity, seeded), each a full registry transaction: KYC
and account checks, row locks, block splits, the journal entry in the same transaction, commit.
On PostgreSQL that transfer runs as one server-side function (``registry/in_database.py``); the
Python path is measured too, in the same run (``postgres_python_path_transfers_per_second``).
PostgreSQL clients are threads spread over ``--processes`` forked processes, so that their own CPU
does not queue on one interpreter lock; the ceiling and the hot row use the same clients.

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
import multiprocessing
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from greenmarket.clock import FixedClock
from greenmarket.errors import InsufficientCredits
from greenmarket.registry import in_database, ledger, model
from greenmarket.registry.ledger import Selection
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database, make_engine
from greenmarket.storage.migrate import upgrade
from greenmarket.storage.scratch import scratch_postgres_database

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CREDITS_PER_ACCOUNT = 100_000
TARGET_RATIO = 0.3
CLOCK = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))


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


Work = Callable[[random.Random], None]
FORK = multiprocessing.get_context("fork")  # children inherit the work's closures


def run_clients(
    clients: int, processes: int, total: int, make_work: Callable[[], Work]
) -> float:
    """``clients`` threads spread over ``processes`` forked processes do ``total`` units of work
    between them (after a warm-up of a tenth as many); returns units per second.

    Several processes keep the clients' own CPU from queueing on one interpreter lock. Each
    process calls ``make_work`` once (its own engine or connections) and every thread then calls
    the work it returned with its own seeded random generator.
    """
    if clients % processes:
        raise SystemExit(f"{clients} clients do not divide among {processes} processes")
    per_client = total // clients
    warm_up = max(1, per_client // 10)
    start = FORK.Barrier(clients + 1)
    children = [
        FORK.Process(target=_client_process,
                     args=(make_work, clients // processes, index, warm_up, per_client, start))
        for index in range(processes)
    ]
    for child in children:
        child.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:  # a client failed while warming up
        pass
    started = time.perf_counter()
    for child in children:
        child.join()
    elapsed = time.perf_counter() - started
    failed = [child.exitcode for child in children if child.exitcode]
    if failed:
        raise RuntimeError(f"{len(failed)} client processes failed (see their output above)")
    return per_client * clients / elapsed


def _client_process(
    make_work: Callable[[], Work], threads: int, index: int, warm_up: int, per_client: int,
    start: Any,
) -> None:
    """One client process: ``threads`` threads warm up, meet at ``start``, then run."""
    work = make_work()
    errors: list[BaseException] = []

    def client(number: int) -> None:
        rng = random.Random(index * 1000 + number)
        try:
            for _ in range(warm_up):
                work(rng)
            start.wait()
            for _ in range(per_client):
                work(rng)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
            start.abort()

    pool = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        print(f"client process {index}: {len(errors)} clients failed; first: {errors[0]!r}")
        os._exit(1)


def transfers_per_second(
    url: str, clients: int, processes: int, transfers: int, accounts: int, *,
    server_side: bool = True,
) -> float:
    """Transfers per second through ``RegistryService``; ``server_side`` False keeps
    PostgreSQL on the Python path (``registry/in_database.py``)."""
    db = Database(engine=make_engine(url))
    try:
        upgrade(db.engine)
        holding = seed(RegistryService(db, CLOCK), accounts)
    finally:
        db.dispose()

    def make_work() -> Work:
        in_database.ENABLED = server_side  # in this client process only
        service = RegistryService(
            Database(engine=make_engine(url, pool_size=clients // processes + 2)), CLOCK)

        def transfer(rng: random.Random) -> None:
            frm, to = rng.sample(holding, 2)
            selection = Selection(quantity=rng.randint(1, 10))
            try:
                service.execute("bench", lambda c: ledger.transfer(
                    c, from_account_id=frm, to_account_id=to, selection=selection))
            except InsufficientCredits:  # cannot happen with 100,000 credits each; counted anyway
                pass

        return transfer

    return run_clients(clients, processes, transfers, make_work)


def update_ceiling(url: str, clients: int, processes: int, transactions: int, rows: int) -> float:
    """Single-row UPDATE transactions per second, each client on its own connection."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("create table ceiling (id int primary key, value bigint not null)")
        connection.execute("insert into ceiling select g, 0 from generate_series(1, %s) g", (rows,))

    def make_work() -> Work:
        local = threading.local()

        def update(rng: random.Random) -> None:
            if not hasattr(local, "connection"):
                local.connection = psycopg.connect(conninfo)
            local.connection.execute("update ceiling set value = value + 1 where id = %s",
                                     (rng.randint(1, rows),))
            local.connection.commit()

        return update

    return run_clients(clients, processes, transactions, make_work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transfers", type=int, default=2000, help="timed transfers per backend")
    parser.add_argument("--sqlite-clients", type=int, default=1)
    parser.add_argument("--postgres-clients", type=int, default=16)
    parser.add_argument("--processes", type=int, default=4,
                        help="client processes the PostgreSQL clients are spread over")
    parser.add_argument("--accounts", type=int, default=32)
    parser.add_argument("--ceiling-rows", type=int, default=100)
    args = parser.parse_args()
    admin_url = os.environ.get("GREENMARKET_TEST_DATABASE_URL", DEFAULT_PG_URL)
    clients, processes = args.postgres_clients, args.processes

    with tempfile.TemporaryDirectory() as directory:
        sqlite = transfers_per_second(f"sqlite:///{directory}/bench.db", args.sqlite_clients, 1,
                                      args.transfers, args.accounts)
    print(f"sqlite_clients: {args.sqlite_clients}")
    print(f"sqlite_transfers_per_second: {sqlite:.1f}")
    print(f"postgres_clients: {clients}")
    print(f"client_processes: {processes}")
    with scratch_postgres_database(admin_url) as url:
        python_path = transfers_per_second(url, clients, processes, args.transfers, args.accounts,
                                           server_side=False)
    print(f"postgres_python_path_transfers_per_second: {python_path:.1f}")
    with scratch_postgres_database(admin_url) as url:
        postgres = transfers_per_second(url, clients, processes, args.transfers, args.accounts)
    print(f"postgres_transfers_per_second: {postgres:.1f}")
    with scratch_postgres_database(admin_url) as url:
        ceiling = update_ceiling(url, clients, processes, args.transfers * 2, args.ceiling_rows)
    with scratch_postgres_database(admin_url) as url:
        hot_row = update_ceiling(url, clients, processes, args.transfers, 1)
    print(f"postgres_update_ceiling_per_second: {ceiling:.1f}")
    print(f"postgres_hot_row_update_per_second: {hot_row:.1f}")
    print(f"target_ratio: {TARGET_RATIO}")
    print(f"ratio_transfers_to_ceiling: {postgres / ceiling:.3f}")


if __name__ == "__main__":
    main()
