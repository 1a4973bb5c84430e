"""Z-spreads agree with QuantLib's ``BondFunctions.zSpread`` on random bonds and curves (≤ 1e-6 bp)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bonds_testkit import random_universe

from greenmarket.bonds.schedule import accrued_interest, build_schedules
from greenmarket.bonds.zspread import z_spreads

ql = pytest.importorskip("QuantLib")

TOLERANCE_BP = 1e-6


def ql_date(timestamp: pd.Timestamp) -> "ql.Date":
    return ql.Date(timestamp.day, timestamp.month, timestamp.year)


def ql_day_counter(name: str) -> "ql.DayCounter":
    # ISMA without a schedule: each coupon carries its reference period (for a short first stub,
    # first coupon date minus one period), which is ICMA rule 251. QuantLib's schedule-based variant
    # gives another figure for one-period schedules (a short stub straight to maturity).
    return {
        "ACT/ACT-ICMA": lambda: ql.ActualActual(ql.ActualActual.ISMA),
        "ACT/365F": ql.Actual365Fixed,
        "ACT/360": ql.Actual360,
        "30/360": lambda: ql.Thirty360(ql.Thirty360.BondBasis),
        "30E/360": lambda: ql.Thirty360(ql.Thirty360.European),
    }[name]()


def ql_curve(settle: "ql.Date", pillars: pd.DataFrame) -> "ql.YieldTermStructureHandle":
    """Linear zero-rate interpolation, continuous, ACT/365F, flat outside the pillars (as FORMATS)."""
    days = pillars["days"].tolist()
    rates = (pillars["rate"] / 100).tolist()
    dates = [settle] + [settle + d for d in days] + [settle + 365 * 120]
    values = [rates[0]] + rates + [rates[-1]]
    curve = ql.ZeroCurve(dates, values, ql.Actual365Fixed(), ql.NullCalendar(), ql.Linear(), ql.Continuous)
    return ql.YieldTermStructureHandle(curve)


def ql_fixed_rate_bond(bond: pd.Series) -> "ql.Bond":
    issue, maturity = ql_date(bond["issue_date"]), ql_date(bond["maturity_date"])
    if bond["coupon_frequency"] == 0:
        return ql.ZeroCouponBond(0, ql.NullCalendar(), 100.0, maturity, ql.Unadjusted, 100.0, issue)
    schedule = ql.Schedule(
        issue, maturity, ql.Period(12 // int(bond["coupon_frequency"]), ql.Months), ql.NullCalendar(),
        ql.Unadjusted, ql.Unadjusted, ql.DateGeneration.Backward, False,
    )
    day_counter = ql_day_counter(bond["day_count"])
    return ql.FixedRateBond(0, 100.0, schedule, [bond["coupon_rate"] / 100], day_counter, ql.Unadjusted, 100.0, issue)


def ql_bond_from_our_cash_flows(bond: pd.Series) -> "ql.Bond":
    """A QuantLib bond paying exactly our cash flows (no accrual: priced dirty)."""
    schedules = build_schedules(
        bond["issue_date"], bond["maturity_date"], bond["coupon_rate"], bond["coupon_frequency"], bond["day_count"]
    )
    flows = [
        ql.SimpleCashFlow(float(amount), ql_date(pd.Timestamp(date)))
        for date, amount in zip(schedules.payment, schedules.amount)
    ]
    return ql.Bond(0, ql.NullCalendar(), 100.0, ql_date(bond["maturity_date"]), ql_date(bond["issue_date"]), flows)


def ql_z_spread(bond: "ql.Bond", price: float, curve, settle, compounding, frequency) -> float:
    return ql.BondFunctions.zSpread(
        bond, ql.BondPrice(price, ql.BondPrice.Clean), curve.currentLink(), ql.Actual365Fixed(),
        compounding, frequency, settle, 1e-14, 500, 0.0,
    )


def ql_clean_price(bond: "ql.Bond", curve, spread: float, settle, compounding, frequency) -> float:
    spreaded = ql.ZeroSpreadedTermStructure(curve, ql.QuoteHandle(ql.SimpleQuote(spread)), compounding, frequency, ql.Actual365Fixed())
    return ql.BondFunctions.cleanPrice(bond, spreaded, settle)


COMPOUNDINGS = {"continuous": (ql.Continuous, ql.NoFrequency), "annual": (ql.Compounded, ql.Annual),
                "semiannual": (ql.Compounded, ql.Semiannual)}


@pytest.mark.parametrize(("seed", "compounding"), [(1, "continuous"), (2, "continuous"), (3, "annual"), (4, "semiannual")])
def test_bonds_z_spread_matches_quantlib(seed: int, compounding: str) -> None:
    """A few hundred random bonds, curves and settlement dates; prices set by QuantLib at a random spread."""
    bonds, prices, curves = random_universe(seed, 120)
    ql_compounding, ql_frequency = COMPOUNDINGS[compounding]
    ours_equal_ql = bonds["day_count"].isin(["ACT/ACT-ICMA", "30/360", "30E/360"]) | (bonds["coupon_frequency"] == 0)
    expected = []
    for i, bond in bonds.iterrows():
        settle = ql_date(prices.loc[i, "date"])
        ql.Settings.instance().evaluationDate = settle
        curve = ql_curve(settle, curves[curves["currency"] == bond["currency"]])
        # Where QuantLib's coupons are ours (coupon/frequency), use its own bond: this checks the
        # schedule and the accrued interest too. Otherwise (ACT/365F, ACT/360 regular coupons are
        # coupon/frequency by market convention, QuantLib pays days/365) give it our cash flows.
        if ours_equal_ql[i]:
            ql_bond = ql_fixed_rate_bond(bond)
            clean = ql_clean_price(ql_bond, curve, prices.loc[i, "z_true"], settle, ql_compounding, ql_frequency)
        else:
            ql_bond = ql_bond_from_our_cash_flows(bond)
            dirty = ql_clean_price(ql_bond, curve, prices.loc[i, "z_true"], settle, ql_compounding, ql_frequency)
            clean = dirty - float(accrued_interest(bond["issue_date"], bond["maturity_date"], bond["coupon_rate"],
                                                   bond["coupon_frequency"], bond["day_count"], prices.loc[i, "date"])[0])
            ql_price = dirty
        prices.loc[i, "clean_price"] = clean
        ql_price = clean if ours_equal_ql[i] else ql_price
        expected.append(ql_z_spread(ql_bond, ql_price, curve, settle, ql_compounding, ql_frequency) * 1e4)
    ours = z_spreads(bonds, prices, curves, compounding=compounding)
    difference = np.abs(ours["z_spread_bp"].to_numpy() - np.array(expected))
    print(f"max |ours - QuantLib| = {difference.max():.3g} bp over {len(difference)} bonds")
    assert ours["z_spread_bp"].notna().all()
    assert difference.max() <= TOLERANCE_BP, ours.assign(ql=expected, diff=difference).sort_values("diff").tail()
    # and both recover the spread the prices were made with
    assert np.max(np.abs(ours["z_spread_bp"] - prices["z_true"] * 1e4)) <= TOLERANCE_BP


@pytest.mark.parametrize("seed", [5, 6])
def test_bonds_accrued_interest_matches_quantlib(seed: int) -> None:
    """Accrued interest equals QuantLib's for every convention, regular periods and short stubs."""
    bonds, prices, _ = random_universe(seed, 150)
    bonds = bonds[bonds["coupon_frequency"] > 0].reset_index(drop=True)
    prices = prices.set_index("isin").loc[bonds["isin"]].reset_index()
    ours = accrued_interest(
        bonds["issue_date"], bonds["maturity_date"], bonds["coupon_rate"], bonds["coupon_frequency"],
        bonds["day_count"], prices["date"],
    )
    expected = [ql_fixed_rate_bond(bond).accruedAmount(ql_date(prices.loc[i, "date"])) for i, bond in bonds.iterrows()]
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-10)
