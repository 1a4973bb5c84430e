"""Greenium beside impact (seed 003 section 6).

The green bonds of each currency are ranked by their mean greenium (highest first) and set beside
their impact per USD; per currency and indicator, the Spearman rank correlation between the two
with a seeded percentile-bootstrap confidence interval over bonds.

A green bond matched to several conventional bonds has one greenium: the days-weighted mean of its
pairs' means, i.e. its mean over all its pair-days.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

MIN_BONDS = 3
CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 2000


def bond_greenium(greenium_by_bond: pd.DataFrame) -> pd.DataFrame:
    """Return `currency, green_isin, issuer, days, mean_greenium_bp`, one row per green bond."""
    frame = greenium_by_bond.assign(weighted=greenium_by_bond["mean_greenium_bp"] * greenium_by_bond["days"])
    grouped = frame.groupby(["currency", "green_isin"], as_index=False).agg(
        issuer=("issuer", "first"), days=("days", "sum"), weighted=("weighted", "sum"))
    grouped["mean_greenium_bp"] = grouped["weighted"] / grouped["days"]
    return grouped.drop(columns="weighted")


def ranking(greenium: pd.DataFrame, impacts: pd.DataFrame) -> pd.DataFrame:
    """Return each green bond's greenium rank in its currency beside its impact per USD.

    One row per bond and reported indicator; a bond with no usable impact report keeps one row
    with an empty indicator (seed 003 Figure 28 shows such bonds as 報告なし / not reported).
    """
    ranked = greenium.copy()
    ranked["greenium_rank"] = ranked.groupby("currency")["mean_greenium_bp"].rank(
        ascending=False, method="min").astype(int)
    merged = ranked.merge(
        impacts[["isin", "indicator", "unit", "annual_impact", "impact_per_usd"]],
        how="left", left_on="green_isin", right_on="isin").drop(columns="isin")
    columns = ["currency", "greenium_rank", "green_isin", "issuer", "days", "mean_greenium_bp",
               "indicator", "unit", "annual_impact", "impact_per_usd"]
    return merged[columns].sort_values(["currency", "greenium_rank", "indicator"], na_position="last",
                                       ignore_index=True)


def bootstrap_interval(x: np.ndarray, y: np.ndarray, *, seed: int,
                       resamples: int = DEFAULT_RESAMPLES) -> tuple[float, float]:
    """Percentile interval of Spearman's rho over bonds resampled with replacement.

    Rho of each resample is the Pearson correlation of its average ranks (Spearman's definition),
    computed for all resamples at once. Resamples in which either series is constant have no rho
    and are left out (scipy's ``bootstrap`` would make the whole interval nan for small samples).
    """
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(x), size=(resamples, len(x)))
    ranks_x = stats.rankdata(x[picks], axis=1)
    ranks_y = stats.rankdata(y[picks], axis=1)
    ranks_x -= ranks_x.mean(axis=1, keepdims=True)
    ranks_y -= ranks_y.mean(axis=1, keepdims=True)
    spread = np.sqrt((ranks_x**2).sum(axis=1) * (ranks_y**2).sum(axis=1))
    defined = spread > 0
    rhos = (ranks_x * ranks_y).sum(axis=1)[defined] / spread[defined]
    if rhos.size == 0:
        return float("nan"), float("nan")
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(rhos, [tail, 100 - tail])
    return float(low), float(high)


def correlations(ranked: pd.DataFrame, *, seed: int, resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """Return `currency, indicator, bonds, spearman_rho, p_value, ci_low, ci_high`.

    Only currency/indicator pairs with at least three bonds reporting get a row.
    """
    rows = []
    usable = ranked.dropna(subset=["indicator", "impact_per_usd"])
    for (currency, indicator), group in usable.groupby(["currency", "indicator"], sort=True):
        if len(group) < MIN_BONDS:
            continue
        x = group["mean_greenium_bp"].to_numpy(dtype=float)
        y = group["impact_per_usd"].to_numpy(dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.spearmanr(x, y)
        low, high = bootstrap_interval(x, y, seed=seed, resamples=resamples)
        rows.append({"currency": currency, "indicator": indicator, "bonds": len(group),
                     "spearman_rho": float(result.statistic), "p_value": float(result.pvalue),
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["currency", "indicator", "bonds", "spearman_rho", "p_value",
                                       "ci_low", "ci_high"])
