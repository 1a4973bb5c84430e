"""Z-spreads per second: greenmarket's vectorised solver against QuantLib, in one run.

Generates a seeded universe (default 4,000 bonds × 250 business days = 1,000,000 bond-days) in EUR,
USD and JPY with their conventions, one zero curve per currency and day, and clean prices set at
known Z-spreads. Times ``z_spreads`` on all bond-days (settlement dates, schedules, accrued interest,
curve interpolation and the solver), then QuantLib's ``BondFunctions.zSpread`` on a random sample of
the same bond-days (same cash flows, curve, settlement and dirty price; bonds and curves are built
before the clock starts, so QuantLib is timed on the solve alone). Prints ``name: value`` lines.

    .venv/bin/python benchmarks/zspread.py [--bonds 4000] [--days 250] [--sample 2000] [--seed 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from greenmarket.bonds.curves import zero_curves
from greenmarket.bonds.isin import isin_check_digit
from greenmarket.bonds.schedule import build_schedules
from greenmarket.bonds.zspread import CHUNK_TERMS, clean_prices_for_chunk, z_spreads

# currency: (coupon frequency, day count, settlement days, zero-curve level %)
CONVENTIONS = {"EUR": (1, "ACT/ACT-ICMA", 2, 2.5), "USD": (2, "30/360", 1, 4.5), "JPY": (2, "ACT/365F", 2, 0.5)}
PILLAR_DAYS = np.array([30, 91, 182, 365, 730, 1095, 1826, 2557, 3652, 5479, 7305, 10957])


def universe(bonds: int, days: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (bonds, prices, curves) with prices at known Z-spreads."""
    rng = np.random.default_rng(seed)
    currency = rng.choice(list(CONVENTIONS), size=bonds)
    issue = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 8 * 365, size=bonds), unit="D")
    years = np.maximum(rng.integers(2, 31, size=bonds), 2026 - issue.year.to_numpy())  # alive in 2024
    maturity = pd.to_datetime(
        [f"{i.year + y}-{m:02d}-{d:02d}" for i, y, m, d in
         zip(issue, years, rng.integers(1, 13, size=bonds), rng.integers(1, 29, size=bonds))]
    )
    bond_frame = pd.DataFrame({
        "isin": [f"XS{n:09d}" + str(isin_check_digit(f"XS{n:09d}")) for n in range(bonds)],
        "currency": currency,
        "issue_date": issue,
        "maturity_date": maturity,
        "coupon_type": "fixed",
        "coupon_rate": np.round(rng.uniform(0, 6, size=bonds), 3),
        "coupon_frequency": [CONVENTIONS[c][0] for c in currency],
        "day_count": [CONVENTIONS[c][1] for c in currency],
        "settlement_days": [CONVENTIONS[c][2] for c in currency],
        "perpetual": False,
    })
    dates = pd.bdate_range("2024-01-02", periods=days)
    curve_rows = []
    for code, (_, _, _, level) in CONVENTIONS.items():
        shift = np.cumsum(rng.normal(0, 0.03, size=days))
        slope = rng.normal(0.8, 0.1)
        for day, move in zip(dates, shift):
            rates = level + move + slope * (1 - np.exp(-PILLAR_DAYS / 3650))
            curve_rows.append(pd.DataFrame({"currency": code, "date": day, "tenor_years": PILLAR_DAYS / 365.0,
                                            "rate": rates, "kind": "zero"}))
    curves = pd.concat(curve_rows, ignore_index=True)
    prices = pd.DataFrame({"isin": np.repeat(bond_frame["isin"].to_numpy(), days), "date": np.tile(dates, bonds)})
    spread = rng.normal(60, 40, size=len(prices))
    joined = prices.merge(bond_frame[["isin", *CHUNK_TERMS]], on="isin", how="left")
    prices["clean_price"] = clean_prices_for_chunk(joined, zero_curves(curves), spread).to_numpy()
    prices["z_true_bp"] = spread
    return bond_frame, prices, curves


def quantlib_rate(bonds: pd.DataFrame, prices: pd.DataFrame, curves: pd.DataFrame, ours: pd.Series,
                  sample: int, seed: int) -> tuple[float, float, float, int]:
    """Time QuantLib's zSpread on a sample: (per wall second, per CPU second, max |difference| bp, count)."""
    import QuantLib as ql

    from greenmarket.bonds.calendar import calendar_codes, settlement_dates
    from greenmarket.bonds.schedule import accrued_at

    priced = np.flatnonzero(ours.notna().to_numpy())
    rows = np.random.default_rng(seed).choice(priced, size=min(sample, len(priced)), replace=False)
    picked = prices.iloc[rows].merge(bonds, on="isin", how="left")
    settle = settlement_dates(picked["date"], picked["settlement_days"],
                              calendar_codes(picked["currency"].to_numpy()))
    schedules = build_schedules(picked["issue_date"], picked["maturity_date"], picked["coupon_rate"],
                                picked["coupon_frequency"], picked["day_count"].to_numpy(dtype=object))
    dirty = picked["clean_price"].to_numpy() + accrued_at(schedules, np.arange(len(picked)), settle)
    curve_groups = {key: part for key, part in curves.groupby(["currency", "date"])}

    def qdate(value: object) -> ql.Date:
        stamp = pd.Timestamp(value)
        return ql.Date(stamp.day, stamp.month, stamp.year)

    cases = []
    for i, row in picked.iterrows():
        when = qdate(settle[i])
        pillars = curve_groups[(row["currency"], row["date"])]
        days = np.rint(pillars["tenor_years"].to_numpy() * 365).astype(int)
        rates = (pillars["rate"].to_numpy() / 100).tolist()
        curve = ql.ZeroCurve([when] + [when + int(d) for d in days] + [when + 365 * 100],
                             [rates[0]] + rates + [rates[-1]], ql.Actual365Fixed(), ql.NullCalendar(),
                             ql.Linear(), ql.Continuous)
        part = slice(schedules.offsets[i], schedules.offsets[i + 1])
        flows = [ql.SimpleCashFlow(float(a), qdate(d))
                 for d, a in zip(schedules.payment[part], schedules.amount[part])]
        bond = ql.Bond(0, ql.NullCalendar(), 100.0, qdate(row["maturity_date"]), qdate(row["issue_date"]), flows)
        cases.append((bond, ql.BondPrice(float(dirty[i]), ql.BondPrice.Clean), curve, when))
    results = np.empty(len(cases))
    clock = Clock()
    for k, (bond, price, curve, when) in enumerate(cases):
        ql.Settings.instance().evaluationDate = when
        results[k] = ql.BondFunctions.zSpread(bond, price, curve, ql.Actual365Fixed(), ql.Continuous,
                                              ql.NoFrequency, when, 1e-12, 100, 0.0)
    wall, cpu = clock.read()
    difference = np.abs(results * 1e4 - ours.to_numpy()[rows])
    return len(cases) / wall, len(cases) / cpu, float(difference.max()), len(cases)


class Clock:
    """Wall and CPU seconds since creation (the machine is shared: CPU time is the steadier one)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bonds", type=int, default=4000)
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    bonds, prices, curves = universe(args.bonds, args.days, args.seed)
    prepared = zero_curves(curves)
    clock = Clock()
    result = z_spreads(bonds, prices, prepared)
    wall, cpu = clock.read()
    ours = result["z_spread_bp"]
    ql_wall, ql_cpu, max_difference, sampled = quantlib_rate(bonds, prices, curves, ours, args.sample, args.seed)
    recovered = np.abs(ours.to_numpy() - prices["z_true_bp"].to_numpy())

    print(f"bond_days: {len(prices)}")
    print(f"priced: {int(ours.notna().sum())}")
    print(f"unpriced: {sum(result.attrs['unpriced'].values())}")
    print(f"greenmarket_wall_seconds: {wall:.3f}")
    print(f"greenmarket_cpu_seconds: {cpu:.3f}")
    print(f"greenmarket_zspreads_per_wall_second: {len(prices) / wall:,.0f}")
    print(f"greenmarket_zspreads_per_cpu_second: {len(prices) / cpu:,.0f}")
    print(f"quantlib_sample: {sampled}")
    print(f"quantlib_zspreads_per_wall_second: {ql_wall:,.0f}")
    print(f"quantlib_zspreads_per_cpu_second: {ql_cpu:,.0f}")
    print(f"ratio_wall: {len(prices) / wall / ql_wall:.1f}")
    print(f"ratio_cpu: {len(prices) / cpu / ql_cpu:.1f}")
    print(f"max_abs_difference_vs_quantlib_bp: {max_difference:.2e}")
    print(f"max_abs_error_vs_injected_bp: {np.nanmax(recovered):.2e}")


if __name__ == "__main__":
    main()
