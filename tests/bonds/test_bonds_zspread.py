"""Z-spreads: the FORMATS definition on hand-made cases, unpriced rows, streaming, settlement, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bonds_testkit import bond_row, make_isin
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from greenmarket.bonds.calendar import calendar_codes, settlement_dates
from greenmarket.bonds.curves import zero_curves
from greenmarket.bonds.schedule import accrued_interest
from greenmarket.bonds.zspread import (
    CHUNK_TERMS,
    Pricer,
    clean_prices_for_chunk,
    solve_z,
    z_spreads,
    z_spreads_for_chunk,
)
from greenmarket.cli import app
from greenmarket.errors import ValidationError


def flat_curve(currency: str, dates: list[str], rate: float) -> pd.DataFrame:
    return pd.DataFrame(
        [{"currency": currency, "date": pd.Timestamp(d), "tenor_years": t, "rate": rate, "kind": "zero"}
         for d in dates for t in (1.0, 30.0)]
    )


def test_bonds_z_spread_of_a_bond_priced_by_hand() -> None:
    """Annual 2 % bond, flat 3 % curve, priced at 3 % + 50 bp by the FORMATS formula."""
    bond = bond_row(make_isin(1), issue_date=pd.Timestamp("2020-03-01"), maturity_date=pd.Timestamp("2029-03-01"),
                    coupon_rate=2.0, coupon_frequency=1, day_count="30E/360")
    settle = pd.Timestamp("2024-06-11")
    pay = pd.to_datetime([f"{y}-03-01" for y in range(2025, 2030)])
    t = (pay - settle).days.to_numpy() / 365
    dirty = (np.array([2, 2, 2, 2, 102]) * np.exp(-(0.03 + 0.005) * t)).sum()
    accrued = 2.0 * (3 * 30 + 10) / 360  # 1 Mar -> 11 Jun under 30E/360: 100 days
    prices = pd.DataFrame({"isin": [bond["isin"]], "date": [settle], "clean_price": [dirty - accrued]})
    result = z_spreads(pd.DataFrame([bond]), prices, flat_curve("EUR", ["2024-06-11"], 3.0))
    assert result["z_spread_bp"].iloc[0] == pytest.approx(50.0, abs=1e-7)


def test_bonds_solver_converges_from_far_away_and_refuses_the_impossible() -> None:
    times = np.array([[0.5, 1.0, 30.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    cash = np.array([[5.0, 5.0, 105.0], [101.0, 0.0, 0.0], [101.0, 0.0, 0.0]])
    rates = np.full_like(times, 0.02)
    target_z = np.array([0.25, -0.3, 0.0])
    dirty = (cash * np.exp(-(rates + target_z[:, None]) * times)).sum(axis=1)
    dirty[2] = 1e-9  # would need a spread of some 2,000 % on a one-year bond
    z = solve_z(Pricer(cash, times, rates, 0), dirty)
    np.testing.assert_allclose(z[:2], target_z[:2], atol=1e-13)
    assert np.isnan(z[2])


def universe() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rows = [
        bond_row(make_isin(10), currency="EUR"),
        bond_row(make_isin(11), currency="EUR", coupon_type="floating"),
        bond_row(make_isin(12), currency="EUR", perpetual=True, maturity_date=pd.NaT),
        bond_row(make_isin(13), currency="USD"),  # no USD curve
        bond_row(make_isin(14), currency="EUR", issue_date=pd.Timestamp("2025-01-15"),
                 maturity_date=pd.Timestamp("2035-01-15")),  # not issued yet
    ]
    dates = ["2024-05-30", "2024-05-31"]
    prices = pd.DataFrame(
        [{"isin": row["isin"], "date": pd.Timestamp(d), "clean_price": 95.0} for row in rows for d in dates]
        + [{"isin": make_isin(99), "date": pd.Timestamp(dates[0]), "clean_price": 95.0}]  # unknown bond
    )
    return pd.DataFrame(rows), prices, flat_curve("EUR", dates, 2.5)


def test_bonds_unpriceable_rows_are_nan_and_counted() -> None:
    bonds, prices, curves = universe()
    result = z_spreads(bonds, prices, curves)
    assert len(result) == len(prices) and list(result["isin"]) == list(prices["isin"])
    assert result["z_spread_bp"].notna().sum() == 2
    assert result.attrs["unpriced"] == {"not_fixed_rate": 4, "no_curve": 2, "not_outstanding": 2, "unknown_bond": 1}


def test_bonds_chunks_give_the_same_answer_as_the_whole() -> None:
    """Streaming: any partition of the joined rows gives the same Z-spreads (Dask map_partitions)."""
    rng = np.random.default_rng(7)
    rows = [bond_row(make_isin(i), coupon_rate=float(rng.uniform(0, 6)),
                     coupon_frequency=int(rng.choice([1, 2, 4])), settlement_days=2,
                     day_count=str(rng.choice(["ACT/ACT-ICMA", "30/360", "ACT/365F"])),
                     maturity_date=pd.Timestamp("2026-01-15") + pd.DateOffset(months=int(rng.integers(0, 240))))
            for i in range(40)]
    bonds = pd.DataFrame(rows)
    dates = pd.bdate_range("2024-01-02", periods=30)
    prices = pd.DataFrame([{"isin": r["isin"], "date": d, "clean_price": float(rng.uniform(80, 110))}
                           for r in rows for d in dates]).sample(frac=1.0, random_state=1, ignore_index=True)
    curves = pd.concat([flat_curve("EUR", [str(d.date())], 2.0 + 0.01 * i) for i, d in enumerate(dates)])
    whole = z_spreads(bonds, prices, curves)["z_spread_bp"].to_numpy()
    joined = prices.merge(bonds[["isin", *CHUNK_TERMS]], on="isin", how="left")
    prepared = zero_curves(curves)
    bounds = np.linspace(0, len(joined), 8).astype(int)
    parts = [z_spreads_for_chunk(joined.iloc[a:b], prepared) for a, b in zip(bounds[:-1], bounds[1:])]
    streamed = pd.concat(parts)
    assert list(streamed.index) == list(joined.index)
    np.testing.assert_array_equal(streamed["z_spread_bp"].to_numpy(), whole)
    assert np.isfinite(whole).all()


def test_bonds_settlement_uses_the_currency_calendar() -> None:
    codes = calendar_codes(["JPY", "USD", "EUR", "GBP", "JPY"], ["", "", "", "", "XNYS"])
    assert list(codes) == ["XTKS", "XNYS", "XFRA", "", "XNYS"]
    settle = settlement_dates(
        ["2024-04-26", "2024-07-03", "2024-06-08", "2024-06-08", "2024-04-26", "2024-12-24"],
        [2, 1, 2, 0, 2, 1],
        ["XTKS", "XNYS", "", "", "XNYS", "XFRA"],
    )
    expected = ["2024-05-01",  # Tokyo: Monday 29 April is Showa Day
                "2024-07-05",  # New York: 4 July
                "2024-06-11",  # a Saturday price settles T+2 on Tuesday
                "2024-06-08",  # T+0 settles on the price date
                "2024-04-30",  # New York works on 29 April
                "2024-12-27"]  # Frankfurt closes 24-26 December
    assert [str(d) for d in settle] == expected


def test_bonds_settlement_days_change_the_accrued_interest() -> None:
    bond = bond_row(make_isin(20), currency="JPY", coupon_rate=3.65, coupon_frequency=2, day_count="ACT/365F",
                    issue_date=pd.Timestamp("2020-03-20"), maturity_date=pd.Timestamp("2030-03-20"))
    late = dict(bond, isin=make_isin(21), settlement_days=2)
    prices = pd.DataFrame({"isin": [bond["isin"], late["isin"]], "date": [pd.Timestamp("2024-04-26")] * 2,
                           "clean_price": [100.0, 100.0]})
    result = z_spreads(pd.DataFrame([bond, late]), prices, flat_curve("JPY", ["2024-04-26"], 1.0))
    # same clean price, five more days of accrued (26 Apr -> 1 May) and a shorter discounting time
    extra = accrued_interest("2020-03-20", "2030-03-20", 3.65, 2, "ACT/365F", "2024-05-01")[0] - \
        accrued_interest("2020-03-20", "2030-03-20", 3.65, 2, "ACT/365F", "2024-04-26")[0]
    assert extra == pytest.approx(3.65 * 5 / 365)
    assert result["z_spread_bp"].iloc[1] != pytest.approx(result["z_spread_bp"].iloc[0], abs=1e-3)


def test_bonds_compounding_changes_the_number_not_the_price() -> None:
    bond = bond_row(make_isin(30))
    prices = pd.DataFrame({"isin": [bond["isin"]], "date": [pd.Timestamp("2024-05-31")], "clean_price": [90.0]})
    curves = flat_curve("EUR", ["2024-05-31"], 2.0)
    continuous = z_spreads(pd.DataFrame([bond]), prices, curves)["z_spread_bp"].iloc[0]
    annual = z_spreads(pd.DataFrame([bond]), prices, curves, compounding="annual")["z_spread_bp"].iloc[0]
    # r + z continuous equals the annual rate (e^r − 1) + z_a: z_a = e^(r+z) − e^r
    assert annual / 1e4 == pytest.approx(np.exp(0.02 + continuous / 1e4) - np.exp(0.02), abs=1e-13)


CLI_BONDS = """isin,issuer,currency,issue_date,maturity_date,amount,issue_price,yield_at_issue,coupon_type,coupon_rate,coupon_frequency,day_count,settlement_days,seniority,subordination,callable,putable,sinkable,convertible,collateral,esg_type,perpetual,strip,pricing_sources
DE0001030740,Federal Republic of Germany,EUR,2022-08-31,2027-10-15,5000000000,99.675,1.3654,fixed,1.30,1,ACT/ACT-ICMA,2,,senior,false,false,false,false,unsecured,green,false,false,12
DE0001141869,Federal Republic of Germany,EUR,2022-06-21,2027-10-15,28500000000,100,,fixed,1.30,1,ACT/ACT-ICMA,2,,senior,false,false,false,false,unsecured,none,false,false,20
"""


def test_bonds_cli_writes_z_spreads_and_refuses_bad_files(tmp_path: Path) -> None:
    (tmp_path / "bonds.csv").write_text(CLI_BONDS)
    (tmp_path / "prices.csv").write_text("isin,date,clean_price\nDE0001030740,2024-05-31,96.52\n"
                                         "DE0001141869,2024-05-31,96.45\nDE0001141869,2024-06-03,96.50\n")
    (tmp_path / "curves.csv").write_text("currency,date,tenor_years,rate,kind\nEUR,2024-05-31,1,3.4,zero\n"
                                         "EUR,2024-05-31,5,2.6,zero\n")
    out = tmp_path / "out" / "z.csv"
    args = ["bonds", "zspread", "--bonds", str(tmp_path / "bonds.csv"), "--prices", str(tmp_path / "prices.csv"),
            "--curves", str(tmp_path / "curves.csv"), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["isin", "date", "z_spread_bp"]
    assert table["date"].tolist() == ["2024-05-31", "2024-05-31", "2024-06-03"]
    assert table["z_spread_bp"].iloc[:2].notna().all() and np.isnan(table["z_spread_bp"].iloc[2])
    assert "unpriced no_curve: 1" in result.output
    # the green twin is dearer: lower Z-spread
    assert table["z_spread_bp"].iloc[0] < table["z_spread_bp"].iloc[1]

    (tmp_path / "prices.csv").write_text("isin,date,clean_price\nDE0001030741,2024-05-31,96.45\n")
    fresh = tmp_path / "fresh.csv"
    result = CliRunner().invoke(app, [*args[:-1], str(fresh)])
    assert result.exit_code != 0 and not fresh.exists()


def test_bonds_clean_prices_for_chunk_inverts_the_z_spread() -> None:
    bonds, prices, curves = universe()
    joined = prices.merge(bonds[["isin", *CHUNK_TERMS]], on="isin", how="left")
    prepared = zero_curves(curves)
    target = np.linspace(-50, 400, len(joined))
    for compounding in ("continuous", "quarterly"):
        joined["clean_price"] = clean_prices_for_chunk(joined, prepared, target, compounding=compounding)
        back = z_spreads_for_chunk(joined, prepared, compounding=compounding)
        priced = back["unpriced"] == ""
        assert priced.sum() == 2
        np.testing.assert_allclose(back.loc[priced, "z_spread_bp"], target[priced], atol=1e-8)
        assert joined.loc[~priced, "clean_price"].isna().all()


@settings(max_examples=25, deadline=None)
@given(
    st.floats(0, 9), st.sampled_from([0, 1, 2, 4, 12]), st.integers(1, 40),
    st.lists(st.floats(40, 160), min_size=2, max_size=6, unique=True),
)
def test_bonds_z_spread_falls_as_the_price_rises(coupon, frequency, years, clean) -> None:
    bond = bond_row(make_isin(40), coupon_rate=0.0 if frequency == 0 else coupon, coupon_frequency=frequency,
                    coupon_type="zero" if frequency == 0 else "fixed",
                    maturity_date=pd.Timestamp("2020-01-15") + pd.DateOffset(years=years + 4))
    day = pd.Timestamp("2024-05-31")
    prices = pd.DataFrame({"isin": bond["isin"], "date": day, "clean_price": sorted(clean)})
    z = z_spreads(pd.DataFrame([bond]), prices, flat_curve("EUR", ["2024-05-31"], 2.0))["z_spread_bp"].to_numpy()
    finite = z[np.isfinite(z)]
    assert np.all(np.diff(finite) < 0)


def test_bonds_unknown_compounding_is_refused() -> None:
    bonds, prices, curves = universe()
    with pytest.raises(ValidationError, match="compounding"):
        z_spreads(bonds, prices, curves, compounding="daily")
