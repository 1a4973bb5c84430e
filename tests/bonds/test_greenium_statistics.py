"""Disclosure statistics checked against scipy/statsmodels and independent formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from greenmarket.bonds.statistics import (
    DISCLOSURES,
    compare_groups,
    disclosure_effects,
    disclosure_flags,
    panel_regression,
)


def _welch_by_hand(x: np.ndarray, y: np.ndarray) -> float:
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    t = (x.mean() - y.mean()) / np.sqrt(vx + vy)
    dof = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    return float(2 * stats.t.sf(abs(t), dof))


def _mann_whitney_u(x: np.ndarray, y: np.ndarray) -> float:
    """U of x by counting pairs (ties count one half)."""
    return float(sum((a > b) + 0.5 * (a == b) for a in x for b in y))


def test_welch_and_mann_whitney_match_scipy_and_hand_formulas() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(3.0, 2.0, 14)
    y = rng.normal(0.5, 5.0, 9)
    result = compare_groups(x, y, seed=1, n_resamples=2000)
    assert result["welch_p"] == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue, rel=1e-12)
    assert result["welch_p"] == pytest.approx(_welch_by_hand(x, y), rel=1e-9)
    assert result["mannwhitney_p"] == pytest.approx(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
    # exact two-sided p from the U statistic counted by hand (no ties, small samples: exact method)
    u = _mann_whitney_u(x, y)
    assert u == stats.mannwhitneyu(x, y).statistic
    assert result["mean_with_bp"] == pytest.approx(x.mean()) and result["n_without"] == 9


def test_bootstrap_interval_is_seeded_and_covers_the_observed_difference() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(5, 1, 30), rng.normal(1, 1, 25)
    first = compare_groups(x, y, seed=[42, 1], n_resamples=3000)
    again = compare_groups(x, y, seed=[42, 1], n_resamples=3000)
    other = compare_groups(x, y, seed=[43, 1], n_resamples=3000)
    assert (first["diff_ci_low_bp"], first["diff_ci_high_bp"]) == (again["diff_ci_low_bp"], again["diff_ci_high_bp"])
    assert first["diff_ci_low_bp"] != other["diff_ci_low_bp"]
    observed = x.mean() - y.mean()
    assert first["diff_ci_low_bp"] < observed < first["diff_ci_high_bp"]
    # percentile interval by hand with the same resampling agrees to Monte-Carlo precision
    half_width = 1.96 * np.sqrt(x.var(ddof=1) / 30 + y.var(ddof=1) / 25)
    assert first["diff_ci_high_bp"] - first["diff_ci_low_bp"] == pytest.approx(2 * half_width, rel=0.1)


def test_small_groups_give_no_test() -> None:
    result = compare_groups(np.array([1.0]), np.array([2.0, 3.0]), seed=0, n_resamples=100)
    assert np.isnan(result["welch_p"]) and np.isnan(result["diff_ci_low_bp"])
    assert not np.isnan(result["mannwhitney_p"])


@pytest.mark.filterwarnings("ignore:Precision loss occurred")  # near-identical draws; the p-value is not checked
@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=12),
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=2, max_size=12),
)
def test_group_means_are_means_of_bonds(with_values: list[float], without_values: list[float]) -> None:
    result = compare_groups(np.array(with_values), np.array(without_values), seed=0, n_resamples=200)
    assert result["mean_with_bp"] == pytest.approx(np.mean(with_values), abs=1e-9)
    assert result["mean_without_bp"] == pytest.approx(np.mean(without_values), abs=1e-9)
    low, high = result["diff_ci_low_bp"], result["diff_ci_high_bp"]
    assert low <= high


def test_disclosure_flags_respect_as_of_and_missing_bonds() -> None:
    disclosures = pd.DataFrame(
        {
            "isin": ["A", "B"],
            "second_opinion": ["2020-09-24", None],
            "allocation_report": ["2024-03-31", "2023-03-31"],
            "impact_report": [None, None],
            "third_party_assurance": ["2023-03-23", None],
        }
    )
    flags = disclosure_flags(pd.Series(["A", "B", "C"]), disclosures, as_of=pd.Timestamp("2024-01-01").date())
    assert flags.loc["A"].tolist() == [True, False, False, True]
    assert flags.loc["B"].tolist() == [False, True, False, False]
    assert flags.loc["C"].tolist() == [False, False, False, False]


def _panel(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows, bonds, disclosure_rows = [], [], []
    for issuer in range(8):
        for bond in range(4):
            isin = f"I{issuer}B{bond}"
            flags = {name: bool(rng.random() < 0.5) for name in DISCLOSURES}
            level = rng.normal(0, 3) + 2.0 * flags["second_opinion"] - 1.0 * flags["impact_report"]
            days = int(rng.integers(5, 30))
            values = level + issuer * 0.7 + rng.normal(0, 2, days)
            rows.extend({"green_isin": isin, "issuer": f"issuer{issuer}", "greenium_bp": v, **flags} for v in values)
            bonds.append({"currency": "EUR", "issuer": f"issuer{issuer}", "green_isin": isin, "brown_isin": "x",
                          "days": days, "mean_greenium_bp": values.mean()})
            disclosure_rows.append({"isin": isin, **{k: ("2022-01-01" if v else None) for k, v in flags.items()}})
    return pd.DataFrame(rows), pd.DataFrame(bonds), pd.DataFrame(disclosure_rows)


def test_panel_regression_equals_statsmodels_on_the_full_daily_panel() -> None:
    daily, by_bond, disclosures = _panel(11)
    table = panel_regression(by_bond, disclosures).set_index(["scope", "term"])
    for name in DISCLOSURES:
        daily[name] = daily[name].astype(float)
    formula = "greenium_bp ~ 0 + " + " + ".join(DISCLOSURES) + " + C(issuer)"
    groups = pd.factorize(daily["issuer"])[0]
    reference = smf.ols(formula, daily).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    for name in DISCLOSURES:
        row = table.loc[("EUR", name)]
        assert row["identified"]
        assert row["coef_bp"] == pytest.approx(reference.params[name], rel=1e-9, abs=1e-9)
        assert row["std_err_bp"] == pytest.approx(reference.bse[name], rel=1e-9)
        assert row["p_value"] == pytest.approx(reference.pvalues[name], rel=1e-7)
        assert row["n_obs"] == len(daily)
    assert table.loc[("ALL", "second_opinion"), "coef_bp"] == pytest.approx(reference.params["second_opinion"])


def test_panel_regression_marks_collinear_and_constant_dummies() -> None:
    _, by_bond, disclosures = _panel(5)
    disclosures["impact_report"] = disclosures["allocation_report"]
    disclosures["third_party_assurance"] = "2022-01-01"
    table = panel_regression(by_bond, disclosures).set_index(["scope", "term"])
    assert bool(table.loc[("EUR", "allocation_report"), "identified"])
    assert not bool(table.loc[("EUR", "impact_report"), "identified"])
    assert not bool(table.loc[("EUR", "third_party_assurance"), "identified"])


def test_disclosure_effects_table_splits_bonds_per_currency() -> None:
    _, by_bond, disclosures = _panel(2)
    by_bond.loc[by_bond.index[:10], "currency"] = "JPY"
    table = disclosure_effects(by_bond, disclosures, seed=3, n_resamples=500)
    assert len(table) == 2 * len(DISCLOSURES)
    assert (table["n_with"] + table["n_without"]).tolist() == [22] * 4 + [10] * 4
    eur = by_bond[by_bond["currency"] == "EUR"]
    flags = disclosure_flags(eur["green_isin"], disclosures)
    expected = eur["mean_greenium_bp"].to_numpy()[flags["second_opinion"].to_numpy()].mean()
    row = table[(table["currency"] == "EUR") & (table["disclosure"] == "second_opinion")].iloc[0]
    assert row["mean_with_bp"] == pytest.approx(expected)
