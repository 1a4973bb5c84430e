"""Events per second through the surveillance rule engine, on a generated day of ~1,000,000 order
events (orders, cancels, amends) plus its trades, auctions, transfers and injected abuse.

Generation and the JSON round trip are not timed; the figure is the engine alone (all seven rules),
then the reader (parse and check FORMATS.md lines) on a 100,000-line sample, as a ratio.

    .venv/bin/python benchmarks/surveillance.py [--orders 1000000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter

from greenmarket.surveillance.engine import Engine
from greenmarket.surveillance.events import Amend, Cancel, EventReader, Order, to_record
from greenmarket.surveillance.scenarios import ScenarioConfig, generate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000, help="order events in the day")
    args = parser.parse_args()
    contracts = ScenarioConfig().contracts
    # Each continuous arrival is an order, a cancel or an amend; scheduled cancels add ~half again.
    per_contract = int(args.orders / len(contracts) / 1.25)
    started = time.perf_counter()
    scenario = generate(ScenarioConfig(days=1, seed=7, orders_per_contract=per_contract, auction_orders=2000))
    generated = time.perf_counter() - started
    order_events = sum(1 for e in scenario.events if type(e) in (Order, Cancel, Amend))
    records = list(scenario.records())
    engine = Engine()
    started = time.perf_counter()
    alerts = engine.run(records)
    elapsed = time.perf_counter() - started
    sample = [json.dumps(to_record(r)) for r in records[:100_000]]
    started = time.perf_counter()
    parsed = sum(1 for _ in EventReader("sample").read(sample))
    reading = time.perf_counter() - started
    print(f"generated_seconds: {generated:.1f}")
    print(f"order_events: {order_events}")
    print(f"events: {engine.events}")
    counts = Counter(alert.rule for alert in alerts)
    print(f"alerts: {len(alerts)} ({', '.join(f'{r} {n}' for r, n in sorted(counts.items()))})")
    print(f"engine_seconds: {elapsed:.2f}")
    print(f"events_per_second: {engine.events / elapsed:.0f}")
    print(f"reader_lines_per_second: {parsed / reading:.0f}")


if __name__ == "__main__":
    main()
