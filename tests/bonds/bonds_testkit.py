"""Builders shared by the bonds tests: random bonds, curves and their QuantLib twins."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from greenmarket.bonds.isin import isin_check_digit

DAY_COUNTS = ("ACT/ACT-ICMA", "ACT/365F", "ACT/360", "30/360", "30E/360")


def make_isin(number: int, country: str = "XS") -> str:
    """Return a valid ISIN for a serial number."""
    body = f"{country}{number:09d}"
    return body + str(isin_check_digit(body))


def bond_row(isin: str, **terms: object) -> dict[str, object]:
    """Return a bonds.csv-like row (already typed) with sensible defaults."""
    row: dict[str, object] = {
        "isin": isin,
        "issuer": "Issuer",
        "currency": "EUR",
        "issue_date": pd.Timestamp("2020-01-15"),
        "maturity_date": pd.Timestamp("2030-01-15"),
        "amount": 1e9,
        "issue_price": 100.0,
        "yield_at_issue": np.nan,
        "coupon_type": "fixed",
        "coupon_rate": 1.0,
        "coupon_frequency": 1,
        "day_count": "ACT/ACT-ICMA",
        "settlement_days": 0,
        "seniority": "",
        "subordination": "senior",
        "callable": False,
        "putable": False,
        "sinkable": False,
        "convertible": False,
        "collateral": "unsecured",
        "esg_type": "green",
        "perpetual": False,
        "strip": False,
        "pricing_sources": 5,
    }
    row.update(terms)
    return row


def random_universe(seed: int, count: int, *, max_day: int = 28) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (bonds, prices, curves) frames: one price row per bond on its own date and curve.

    Maturity days stay ≤ ``max_day`` so that every convention's regular coupon equals
    coupon / frequency in QuantLib too (end-of-month rolls differ between libraries).
    Prices are left to the caller (``clean_price`` NaN), who prices each bond at a known spread.
    """
    rng = np.random.default_rng(seed)
    bonds, prices, curves = [], [], []
    for i in range(count):
        frequency = int(rng.choice([0, 1, 2, 4, 12], p=[0.1, 0.3, 0.4, 0.1, 0.1]))
        issue = dt.date(2012, 1, 1) + dt.timedelta(days=int(rng.integers(0, 4000)))
        years = int(rng.integers(1, 31))
        maturity = dt.date(issue.year + years, int(rng.integers(1, 13)), int(rng.integers(1, max_day + 1)))
        if maturity <= issue + dt.timedelta(days=40):
            maturity = issue + dt.timedelta(days=400)
            maturity = maturity.replace(day=min(maturity.day, max_day))
        life = (maturity - issue).days
        settle = issue + dt.timedelta(days=int(rng.integers(0, life - 1)))
        isin = make_isin(i)
        bonds.append(
            bond_row(
                isin,
                issue_date=pd.Timestamp(issue),
                maturity_date=pd.Timestamp(maturity),
                coupon_type="zero" if frequency == 0 else "fixed",
                coupon_rate=0.0 if frequency == 0 else round(float(rng.uniform(0, 8)), 3),
                coupon_frequency=frequency,
                day_count=str(rng.choice(DAY_COUNTS)),
                currency=f"K{i}",  # one private curve per bond: the curve key is (currency, date)
            )
        )
        prices.append({"isin": isin, "date": pd.Timestamp(settle), "clean_price": np.nan, "z_true": rng.uniform(-0.02, 0.08)})
        pillar_days = np.unique(np.sort(rng.integers(20, 40 * 365, size=int(rng.integers(2, 12)))))
        level = rng.uniform(-0.5, 5.0)
        rates = level + np.cumsum(rng.normal(0.0, 0.4, size=len(pillar_days)))
        for days, rate in zip(pillar_days, rates):
            curves.append(
                {"currency": f"K{i}", "date": pd.Timestamp(settle), "tenor_years": days / 365.0, "rate": float(rate), "kind": "zero", "days": int(days)}
            )
    return pd.DataFrame(bonds), pd.DataFrame(prices), pd.DataFrame(curves)
