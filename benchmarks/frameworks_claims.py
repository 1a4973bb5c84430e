"""Benchmark: reconciling claimed retirements against a large participant's registry retirements.

Prints claims checked per second for growing ledgers, and the ratio between the largest and the
smallest run (indexing by project/vintage/year keeps the cost close to linear in the input).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from greenmarket.frameworks.credits import ClaimedRetirement, Retirement, reconcile_claims

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def ledger(size: int, rng: random.Random) -> list[Retirement]:
    return [Retirement(f"R{i}", "P1", rng.randint(1, 500), f"JCR-{rng.randint(1, 200):04d}", str(rng.randint(2018, 2024)),
                       "Issuer K.K.", "voluntary_offset", "claim", rng.randint(2022, 2025), T0 + timedelta(seconds=i))
            for i in range(size)]


def claims(size: int, rng: random.Random) -> list[ClaimedRetirement]:
    return [ClaimedRetirement(rng.randint(2022, 2025), rng.randint(1, 800), f"JCR-{rng.randint(1, 200):04d}",
                              str(rng.randint(2018, 2024)), "Issuer K.K.") for _ in range(size)]


def run(size: int) -> float:
    rng = random.Random(size)
    retirements, claimed = ledger(size, rng), claims(size // 10, rng)
    start = time.perf_counter()
    reconcile_claims(claimed, retirements)
    elapsed = time.perf_counter() - start
    rate = len(claimed) / elapsed
    print(f"retirements={size:>7} claims={len(claimed):>6} seconds={elapsed:.3f} claims_per_second={rate:,.0f}")
    return elapsed / size


if __name__ == "__main__":
    per_item = [run(size) for size in (10_000, 100_000, 300_000)]
    print(f"cost_per_retirement_ratio_largest_vs_smallest: {per_item[-1] / per_item[0]:.2f}")
