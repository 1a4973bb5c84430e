"""Greenium beside impact: per-bond greenium, ranking and the rank correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from greenmarket.impact.greenium import bond_greenium, bootstrap_interval, correlations, ranking


def test_a_bonds_greenium_is_its_mean_over_all_pair_days() -> None:
    pairs = pd.DataFrame({"currency": ["EUR", "EUR"], "issuer": ["X", "X"], "green_isin": ["G1", "G1"],
                          "brown_isin": ["B1", "B2"], "days": [100, 300], "mean_greenium_bp": [4.0, 8.0]})
    row = bond_greenium(pairs).iloc[0]
    assert row.days == 400 and row.mean_greenium_bp == pytest.approx((4 * 100 + 8 * 300) / 400)


def frame(greenium: list[float], impact: list[float | None]) -> tuple[pd.DataFrame, pd.DataFrame]:
    isins = [f"G{i}" for i in range(len(greenium))]
    bonds = pd.DataFrame({"currency": "EUR", "green_isin": isins, "issuer": "X", "days": 250,
                          "mean_greenium_bp": greenium})
    impacts = pd.DataFrame([{"isin": isin, "indicator": "ghg_reduced", "unit": "tCO2e",
                             "annual_impact": value, "impact_per_usd": value}
                            for isin, value in zip(isins, impact, strict=True) if value is not None])
    return bonds, impacts


def test_ranking_puts_the_largest_greenium_first_and_keeps_bonds_without_impact() -> None:
    bonds, impacts = frame([1.0, 9.0, 5.0], [0.1, None, 0.3])
    ranked = ranking(bonds, impacts)
    assert list(ranked["green_isin"]) == ["G1", "G2", "G0"]
    assert list(ranked["greenium_rank"]) == [1, 2, 3]
    assert pd.isna(ranked.loc[0, "indicator"])        # not reported (報告なし)


def test_monotone_data_has_rank_correlation_one() -> None:
    bonds, impacts = frame([1.0, 2.0, 3.0, 4.0, 5.0], [10.0, 20.0, 25.0, 90.0, 100.0])
    table = correlations(ranking(bonds, impacts), seed=1, resamples=500)
    row = table.iloc[0]
    assert (row.bonds, row.spearman_rho) == (5, pytest.approx(1.0))
    assert (row.ci_low, row.ci_high) == (pytest.approx(1.0), pytest.approx(1.0))


def test_reversed_data_has_rank_correlation_minus_one_and_too_few_bonds_get_no_row() -> None:
    bonds, impacts = frame([1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0])
    assert correlations(ranking(bonds, impacts), seed=1).iloc[0].spearman_rho == pytest.approx(-1.0)
    bonds, impacts = frame([1.0, 2.0], [4.0, 3.0])
    assert correlations(ranking(bonds, impacts), seed=1).empty


def test_bootstrap_is_seeded_and_matches_scipy_spearman_on_each_resample() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=12), rng.normal(size=12)
    first = bootstrap_interval(x, y, seed=42, resamples=300)
    assert first == bootstrap_interval(x, y, seed=42, resamples=300)
    assert first != bootstrap_interval(x, y, seed=43, resamples=300)
    assert -1 <= first[0] <= first[1] <= 1
