"""Scale benchmark of the greenium pipeline: bond-days per second and peak memory.

Generates a synthetic universe of about ``--bond-days`` priced bond-days (prices written straight to
Parquet, most bonds paired: 3-5 green and 1-2 conventional bonds per issuer), then runs
``greenmarket.bonds.pipeline.run`` on it **in a child process**, so that the peak resident memory it
reports (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` in the child) is the pipeline's alone. Screening
limits are lifted (every green bond is analysed) so that the paired bond-days approach the total.

    python benchmarks/greenium_scale.py                      # 2,000,000 bond-days, a few minutes
    python benchmarks/greenium_scale.py --bond-days 10000000 --work /tmp/greenium-10m

Prints generation time, pipeline time, rows read per second, paired bond-days (Z-spreads solved) per
second, and peak RSS; the extrapolation to 100 million bond-days is linear in time (the pipeline
streams) while memory is bounded by one partition plus one currency's pair-day values.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAYS_PER_BOND = 600  # average priced business days of a bond in the generated window (measured)


def generate(folder: Path, bond_days: int, seed: int) -> dict[str, object]:
    from greenmarket.bonds.synthetic import UniverseSpec, build_universe, write_universe

    bonds = max(12, bond_days // DAYS_PER_BOND)
    issuers = max(1, round(bonds / 3 / 5.5))
    spec = UniverseSpec(
        seed=seed,
        issuers_per_currency=issuers,
        greens_per_issuer=(3, 5),
        browns_per_issuer=(1, 2),
        distractors=False,
        missing_share=0.0,
    )
    universe = build_universe(spec)
    started = time.perf_counter()
    summary = write_universe(spec, folder, prices_format="parquet", universe=universe)
    summary["seconds"] = time.perf_counter() - started
    return summary


def run_pipeline(data: Path, out: Path, partition_rows: int) -> dict[str, object]:
    """Run in this (child) process and return timings and peak RSS."""
    from greenmarket.bonds.matching import MatchingRules
    from greenmarket.bonds.pipeline import PipelineOptions, run
    from greenmarket.bonds.report import write_report
    from greenmarket.bonds.screening import ScreeningCriteria

    options = PipelineOptions(
        screening=ScreeningCriteria(bonds_per_group=10**9, top_issuers=10**9),
        matching=MatchingRules(),
        bootstrap_resamples=999,
        partition_rows=partition_rows,
    )
    started = time.perf_counter()
    result = run(data, out, options, render=lambda res, folder: write_report(res, folder, options))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows_read": result.summary["price_rows_read"],
        "paired_bond_days": result.summary["paired_bond_days"],
        "pair_days": result.summary["pair_days"],
        "pairs": result.summary["pairs_after_cleansing"],
        "partitions": result.summary["partitions"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "mean_greenium_bp": result.currencies.set_index("currency")["mean_bp"].round(4).to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bond-days", type=int, default=2_000_000)
    parser.add_argument("--partition-rows", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None, help="folder for data and output (kept)")
    parser.add_argument("--child", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_pipeline(Path(args.child[0]), Path(args.child[1]), args.partition_rows)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="greenium-scale-"))
    data, out = work / "data", work / "out"
    shutil.rmtree(out, ignore_errors=True)
    generated = generate(data, args.bond_days, args.seed)
    print(f"generated {generated['bond_days']:,} bond-days in {generated['seconds']:.1f} s "
          f"({generated['bond_days'] / generated['seconds']:,.0f} bond-days/s priced)", flush=True)
    child = subprocess.run(
        [sys.executable, __file__, "--partition-rows", str(args.partition_rows), "--child", str(data), str(out)],
        check=True, stdout=subprocess.PIPE, text=True,
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    seconds = figures["seconds"]
    rate = figures["paired_bond_days"] / seconds
    print(f"pipeline: {figures['rows_read']:,} price rows read, {figures['paired_bond_days']:,} paired bond-days "
          f"(Z-spreads), {figures['pair_days']:,} pair-days, {figures['pairs']:,} pairs, "
          f"{figures['partitions']} partitions")
    print(f"time {seconds:.1f} s → {figures['rows_read'] / seconds:,.0f} rows/s read, {rate:,.0f} bond-days/s end to end")
    print(f"peak RSS of the pipeline process: {figures['peak_rss_mib']:,.0f} MiB")
    print(f"extrapolated to 100,000,000 bond-days: {1e8 / rate / 60:,.1f} min "
          f"(linear; memory bounded by --partition-rows {args.partition_rows:,})")
    print(f"mean greenium recovered (bp): {figures['mean_greenium_bp']}; injected: {generated['injected_mean_bp']}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
