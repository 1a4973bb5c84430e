"""Greenium series: daily pairs, per-bond means, portfolio quantiles and quarterly box plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import cbook

from greenmarket.bonds.greenium import (
    box_statistics,
    by_bond,
    by_issuer,
    daily_greenium,
    enough_history,
    pair_quarter_means,
    portfolio_daily,
    quarterly,
)

PAIRS = pd.DataFrame(
    {
        "currency": ["EUR", "EUR"],
        "issuer": ["A", "A"],
        "green_isin": ["G1", "G2"],
        "brown_isin": ["B", "B"],
        "match_score": [9, 8],
    }
)


def _z(isin: str, dates: list[str], values: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame({"isin": isin, "date": pd.to_datetime(dates), "z_spread_bp": values})


def test_daily_greenium_is_brown_minus_green_on_common_days_only() -> None:
    z = pd.concat(
        [
            _z("G1", ["2022-01-03", "2022-01-04", "2022-01-05"], [10.0, 11.0, None]),
            _z("G2", ["2022-01-04"], [20.0]),
            _z("B", ["2022-01-03", "2022-01-04", "2022-01-05", "2022-01-06"], [13.0, 12.5, 14.0, 15.0]),
        ]
    )
    daily = daily_greenium(PAIRS, z)
    assert daily[["green_isin", "greenium_bp"]].values.tolist() == [["G1", 3.0], ["G1", 1.5], ["G2", -7.5]]
    assert daily.loc[0, "brown_z_bp"] == 13.0 and daily.loc[0, "green_z_bp"] == 10.0
    table = by_bond(PAIRS, daily).set_index("green_isin")
    assert table.loc["G1", "days"] == 2 and table.loc["G1", "mean_greenium_bp"] == pytest.approx(2.25)
    issuers = by_issuer(table.reset_index())
    assert issuers[["issuer", "pairs", "pair_days"]].values.tolist() == [["A", 2, 3]]
    assert issuers.loc[0, "mean_greenium_bp"] == pytest.approx((2.25 - 7.5) / 2)
    assert (issuers.loc[0, "min_pair_bp"], issuers.loc[0, "max_pair_bp"]) == (-7.5, 2.25)
    kept = enough_history(PAIRS, daily, min_days=2)
    assert kept["green_isin"].tolist() == ["G1"]
    assert enough_history(PAIRS, daily.iloc[:0], min_days=1).empty


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["EUR", "JPY"]), st.floats(-80, 80)), min_size=1, max_size=60))
def test_portfolio_daily_matches_pandas_groupby(rows: list[tuple[int, str, float]]) -> None:
    daily = pd.DataFrame(
        {
            "date": pd.Timestamp("2023-01-02") + pd.to_timedelta([day for day, _, _ in rows], unit="D"),
            "currency": [currency for _, currency, _ in rows],
            "greenium_bp": [value for _, _, value in rows],
        }
    )
    result = portfolio_daily(daily).set_index(["currency", "date"])
    grouped = daily.groupby(["currency", "date"])["greenium_bp"]
    assert result["pairs"].to_dict() == grouped.size().to_dict()
    for column, expected in (
        ("mean_bp", grouped.mean()),
        ("median_bp", grouped.median()),
        ("q25_bp", grouped.quantile(0.25)),
        ("q75_bp", grouped.quantile(0.75)),
    ):
        np.testing.assert_allclose(result[column].to_numpy(), expected.reindex(result.index).to_numpy(), atol=1e-9)


def test_box_statistics_whiskers_are_the_furthest_points_within_one_and_a_half_iqr() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 40.0, -30.0])
    stats = box_statistics(values)
    q1, q3 = np.percentile(values, [25, 75])
    iqr = q3 - q1
    assert stats["q25_bp"] == q1 and stats["q75_bp"] == q3
    inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
    assert stats["whisker_low_bp"] == inside.min() == 1.0
    assert stats["whisker_high_bp"] == inside.max() == 8.0
    assert stats["mean_bp"] == pytest.approx(values.mean())
    reference = cbook.boxplot_stats(values)[0]
    assert stats["median_bp"] == reference["med"]


def test_quarterly_distribution_is_over_pair_means() -> None:
    dates = pd.to_datetime(["2022-03-30", "2022-03-31", "2022-04-01", "2022-03-31"])
    daily = pd.DataFrame(
        {
            "date": dates,
            "currency": "EUR",
            "green_isin": ["G1", "G1", "G1", "G2"],
            "greenium_bp": [1.0, 3.0, 10.0, -4.0],
        }
    )
    pair_quarters = pair_quarter_means(daily)
    assert pair_quarters[["green_isin", "quarter", "days", "mean_greenium_bp"]].values.tolist() == [
        ["G1", "2022Q1", 2, 2.0],
        ["G1", "2022Q2", 1, 10.0],
        ["G2", "2022Q1", 1, -4.0],
    ]
    table = quarterly(pair_quarters).set_index("quarter")
    assert table.loc["2022Q1", "pairs"] == 2
    assert table.loc["2022Q1", "mean_bp"] == pytest.approx(-1.0)
    assert table.loc["2022Q2", "whisker_high_bp"] == 10.0
