"""Call-auction uncross benchmark: 1,000,000 resting orders over 1,000 price levels.

    python benchmarks/uncross.py [--orders 1000000] [--levels 1000] [--seed 42] [--repeat 3]

Builds a seeded random book (half buys, half sells, prices uniform over the levels around the
reference price so that the book crosses, quantities 1-10, distinct priorities), then times
:func:`greenmarket.exchange.auction.uncross`: the price rule and every order's fill. Building the
arrays is not timed. The last line is ``uncross_seconds: S``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from greenmarket.exchange.auction import uncross


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--levels", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    reference = 10_000
    low = reference - args.levels // 2
    half = args.orders // 2
    buy_prices = rng.integers(low, low + args.levels, half, dtype=np.int64)
    sell_prices = rng.integers(low, low + args.levels, args.orders - half, dtype=np.int64)
    buy_quantities = rng.integers(1, 11, half, dtype=np.int64)
    sell_quantities = rng.integers(1, 11, args.orders - half, dtype=np.int64)
    priorities = rng.permutation(args.orders).astype(np.int64)
    best = float("inf")
    for _ in range(max(args.repeat, 1)):
        start = time.perf_counter()
        result = uncross(
            buy_prices, buy_quantities, priorities[:half],
            sell_prices, sell_quantities, priorities[half:], reference,
        )
        best = min(best, time.perf_counter() - start)
    assert result.price is not None
    filled = int(result.buy_fills.sum())
    assert filled == int(result.sell_fills.sum()) == result.price.volume
    print(f"orders: {args.orders}  levels: {args.levels}  price: {result.price.price}  "
          f"volume: {result.price.volume}  surplus: {result.price.surplus}  "
          f"decided by: {result.price.condition}")
    print(f"uncross_seconds: {best:.3f}")


if __name__ == "__main__":
    main()
