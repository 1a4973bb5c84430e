"""Matching benchmark (FORMATS.md "Matching benchmark"): orders per second of the continuous book.

    python benchmarks/matching.py --orders FILE       # CSV side,price,quantity in arrival order
    python benchmarks/matching.py --generate 200000 --seed 42 --out orders.csv
    python benchmarks/matching.py                      # generate the standard workload, then run it

The standard workload is 200,000 seeded random limit orders, 50/50 buy and sell, prices uniform over
90-110 ticks, quantities 1-10, one contract. The file is loaded first; only the engine matching the
orders in order is timed (the same ``ContinuousBook.submit`` the exchange runs, events included,
no persistence). Each order has its own participant, so self-match prevention never triggers. The
last line printed is ``orders_per_second: N``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from greenmarket.errors import FileFormatError
from greenmarket.exchange.continuous import ContinuousBook
from greenmarket.exchange.contracts import CBL_STYLE, Contract, DeliverySpecification
from greenmarket.exchange.orders import Side

#: One contract whose band (base 100 ticks, ±90 %) holds every price of the workload.
BENCH_CONTRACT = Contract(
    contract_id="BENCH",
    name="benchmark contract",
    venue=CBL_STYLE,
    specification=DeliverySpecification(programs=frozenset()),
    currency="USD",
    tick=Decimal("0.01"),
    lot=1,
    price_band=Decimal("0.9"),
    settlement_cycle=0,
)
BASE_PRICE = 100


def generate(path: Path, count: int, seed: int) -> None:
    """Write the standard workload: ``count`` seeded random limit orders."""
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["side", "price", "quantity"])
        for _ in range(count):
            side = "buy" if rng.random() < 0.5 else "sell"
            writer.writerow([side, rng.randint(90, 110), rng.randint(1, 10)])


def load(path: Path) -> list[tuple[Side, int, int]]:
    """Read ``side,price,quantity`` rows (extra columns ignored); a bad row names its line."""
    orders = []
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"side", "price", "quantity"} - set(reader.fieldnames or ())
        if missing:
            raise FileFormatError(f"missing columns {sorted(missing)}", source=str(path), line=1)
        for row in reader:
            column = "side"
            try:
                side = Side(row["side"])
                column = "price"
                price = int(row["price"])
                column = "quantity"
                quantity = int(row["quantity"])
            except (TypeError, ValueError):
                raise FileFormatError(
                    f"{column} {row[column]!r} is not valid", source=str(path),
                    line=reader.line_num, column=column,
                ) from None
            orders.append((side, price, quantity))
    return orders


def run(orders: list[tuple[Side, int, int]]) -> tuple[float, float, int, int]:
    """Match ``orders`` in one fresh book; return (seconds, CPU seconds, trades, events)."""
    book = ContinuousBook(BENCH_CONTRACT, BASE_PRICE)
    owners = [f"t{index}" for index in range(len(orders))]
    moment = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
    submit = book.submit
    events = 0
    start, start_cpu = time.perf_counter(), time.process_time()
    for owner, (side, price, quantity) in zip(owners, orders):
        result = submit(owner, owner, side, price, quantity, moment)
        events += len(result)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    trades = book.next_trade_id - 1  # trade ids are assigned in sequence from 1
    return elapsed, cpu, trades, events


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=Path, help="CSV side,price,quantity to match")
    parser.add_argument("--generate", type=int, metavar="N", help="write N standard orders")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="where --generate writes")
    parser.add_argument("--repeat", type=int, default=1, help="runs; the best is reported")
    args = parser.parse_args(argv)
    if args.generate is not None:
        if args.out is None:
            parser.error("--generate needs --out")
        generate(args.out, args.generate, args.seed)
        print(f"wrote {args.generate} orders to {args.out}")
        if args.orders is None:
            return
    path = args.orders
    if path is None:
        path = Path(tempfile.mkdtemp()) / "orders.csv"
        generate(path, 200_000, args.seed)
        print(f"standard workload: 200000 orders, seed {args.seed}")
    orders = load(path)
    best = best_cpu = float("inf")
    for _ in range(max(args.repeat, 1)):
        elapsed, cpu, trades, events = run(orders)
        best, best_cpu = min(best, elapsed), min(best_cpu, cpu)
    print(f"orders: {len(orders)}  trades: {trades}  events: {events}  seconds: {best:.3f}")
    # CPU time is steadier than wall time on a shared machine; the last line uses wall time
    print(f"orders_per_cpu_second: {round(len(orders) / best_cpu)}")
    print(f"python: {sys.version.split()[0]}")
    print(f"orders_per_second: {round(len(orders) / best)}")


if __name__ == "__main__":
    main()
