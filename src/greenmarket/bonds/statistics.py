"""Disclosure effects on the greenium (seed 003, 4.4.4, Figures 18-19) and the tests the report lacks.

The report compares the mean greenium of green bonds with and without each disclosure (second-party
opinion, allocation report, impact report, third-party assurance) but tests nothing. Here, per
currency and disclosure:

* a bond's greenium is its mean over its days; a group's mean is the mean of its bonds (FORMATS.md);
* ``welch_p``: Welch's two-sided t-test (``scipy.stats.ttest_ind(equal_var=False)``), needs ≥ 2
  bonds in each group;
* ``mannwhitney_p``: two-sided Mann-Whitney U test (``scipy.stats.mannwhitneyu``), needs ≥ 1 bond in
  each group;
* ``diff_ci_low_bp``, ``diff_ci_high_bp``: the 95 % percentile bootstrap interval of
  mean(with) − mean(without), bonds resampled within each group (``scipy.stats.bootstrap``,
  ``n_resamples`` draws, seeded per currency and disclosure so runs repeat exactly), ≥ 2 bonds each.

A bond "has" a disclosure when ``disclosures.csv`` gives a date for it (on or before ``as_of`` when
one is given); a green bond absent from the file has none.

**Panel regression.** Daily greenium of pair *i* (issuer *g*) on day *t* is regressed on the four
disclosure dummies with issuer fixed effects, standard errors clustered by issuer:
``greenium_it = Σ_k β_k·D_ik + α_g + ε_it``. The dummies are constant per bond, so the pooled daily
regression is computed exactly from each bond's mean greenium weighted by its number of days (same
normal equations, and the per-issuer score sums Σ_t x·e equal n_i·x_i·ē_i). statsmodels' ``WLS`` on
the issuer-demeaned bond means (Frisch-Waugh-Lovell) gives the coefficients and the clustered
sandwich; the small-sample factor is rescaled to that of the daily regression with issuer dummies,
(G/(G−1))·((N−1)/(N−K)) with N bond-days and K dummies plus fixed effects, and inference uses a t
distribution with G − 1 degrees of freedom. Tests check this against ``statsmodels.OLS`` on the full
daily panel. A dummy that never varies within an issuer is not identified and is reported so.
"""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import WLS

DISCLOSURES: tuple[str, ...] = ("second_opinion", "allocation_report", "impact_report", "third_party_assurance")
DISCLOSURE_TITLES = {
    "second_opinion": "second-party opinion / セカンドオピニオン",
    "allocation_report": "allocation report / アロケーションレポート",
    "impact_report": "impact report / インパクトレポート",
    "third_party_assurance": "third-party assurance / 第三者認証",
}
EFFECT_COLUMNS = [
    "currency",
    "disclosure",
    "n_with",
    "mean_with_bp",
    "n_without",
    "mean_without_bp",
    "welch_p",
    "mannwhitney_p",
    "diff_ci_low_bp",
    "diff_ci_high_bp",
]
PANEL_COLUMNS = [
    "scope",
    "term",
    "identified",
    "coef_bp",
    "std_err_bp",
    "t",
    "p_value",
    "ci_low_bp",
    "ci_high_bp",
    "n_obs",
    "n_bonds",
    "n_issuers",
]
CONFIDENCE = 0.95
SUMMARY_COLUMNS = ["currency", "pairs", "mean_bp", "median_bp", "std_bp", "share_positive", "t_p"]


def currency_summary(by_bond: pd.DataFrame) -> pd.DataFrame:
    """Per currency: pairs, mean, median and standard deviation of the bonds' mean greenium, the
    share of bonds with a positive greenium, and the two-sided one-sample t-test p-value of
    "mean greenium = 0" (``scipy.stats.ttest_1samp``; needs ≥ 2 bonds)."""
    rows = []
    for currency, group in by_bond.groupby("currency", sort=True):
        values = group["mean_greenium_bp"].to_numpy(dtype=float)
        rows.append(
            {
                "currency": currency,
                "pairs": len(values),
                "mean_bp": float(values.mean()),
                "median_bp": float(np.median(values)),
                "std_bp": float(values.std(ddof=1)) if len(values) > 1 else np.nan,
                "share_positive": float((values > 0).mean()),
                "t_p": float(stats.ttest_1samp(values, 0.0).pvalue) if len(values) > 1 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def disclosure_flags(isins: pd.Series, disclosures: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """Return one boolean column per disclosure for ``isins`` (index = ISIN)."""
    table = disclosures.drop_duplicates(subset="isin", keep="last").set_index("isin")
    flags = pd.DataFrame(index=pd.Index(isins, name="isin"))
    for name in DISCLOSURES:
        dates = pd.to_datetime(table[name], errors="coerce") if name in table else pd.Series(dtype="datetime64[ns]")
        present = dates.notna()
        if as_of is not None:
            present &= dates <= pd.Timestamp(as_of)
        flags[name] = present.reindex(flags.index, fill_value=False).astype(bool).to_numpy()
    return flags


def disclosure_effects(
    by_bond: pd.DataFrame,
    disclosures: pd.DataFrame,
    *,
    seed: int = 0,
    n_resamples: int = 9999,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Return ``disclosure_effects.csv``: per currency and disclosure, group means and tests."""
    flags = disclosure_flags(by_bond["green_isin"], disclosures, as_of)
    rows = []
    for currency, group in by_bond.groupby("currency", sort=True):
        greenium = group.set_index("green_isin")["mean_greenium_bp"]
        for name in DISCLOSURES:
            has = flags.loc[greenium.index, name].to_numpy()
            with_values = greenium.to_numpy(dtype=float)[has]
            without_values = greenium.to_numpy(dtype=float)[~has]
            rows.append(
                {
                    "currency": currency,
                    "disclosure": name,
                    **compare_groups(with_values, without_values, seed=_stream_seed(seed, currency, name), n_resamples=n_resamples),
                }
            )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _stream_seed(seed: int, *labels: str) -> list[int]:
    """A reproducible random stream per (seed, labels), independent of iteration order."""
    return [seed, *(zlib.crc32(label.encode()) for label in labels)]


def compare_groups(
    with_values: np.ndarray, without_values: np.ndarray, *, seed: int | list[int], n_resamples: int
) -> dict[str, float | int]:
    """Means, Welch and Mann-Whitney p-values and bootstrap CI of mean(with) − mean(without)."""
    n_with, n_without = len(with_values), len(without_values)
    result: dict[str, float | int] = {
        "n_with": n_with,
        "mean_with_bp": float(with_values.mean()) if n_with else np.nan,
        "n_without": n_without,
        "mean_without_bp": float(without_values.mean()) if n_without else np.nan,
        "welch_p": np.nan,
        "mannwhitney_p": np.nan,
        "diff_ci_low_bp": np.nan,
        "diff_ci_high_bp": np.nan,
    }
    if n_with and n_without:
        result["mannwhitney_p"] = float(stats.mannwhitneyu(with_values, without_values, alternative="two-sided").pvalue)
    if n_with >= 2 and n_without >= 2:
        result["welch_p"] = float(stats.ttest_ind(with_values, without_values, equal_var=False).pvalue)
        low, high = bootstrap_difference(with_values, without_values, seed=seed, n_resamples=n_resamples)
        result["diff_ci_low_bp"], result["diff_ci_high_bp"] = low, high
    return result


def _difference_of_means(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def bootstrap_difference(
    with_values: np.ndarray, without_values: np.ndarray, *, seed: int | list[int], n_resamples: int
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(with) − mean(without), groups resampled independently."""
    if np.ptp(with_values) == 0 and np.ptp(without_values) == 0:
        difference = float(with_values[0] - without_values[0])
        return difference, difference
    result = stats.bootstrap(
        (with_values, without_values),
        _difference_of_means,
        n_resamples=n_resamples,
        confidence_level=CONFIDENCE,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def panel_regression(by_bond: pd.DataFrame, disclosures: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """Return the panel regression table, one block of rows per currency and one for all (``ALL``).

    ``by_bond`` is ``greenium_by_bond.csv`` (days and mean greenium per pair). In ``ALL`` the fixed
    effects are issuer × currency and clusters are issuers.
    """
    flags = disclosure_flags(by_bond["green_isin"], disclosures, as_of)
    frame = by_bond.join(flags, on="green_isin")
    blocks = [
        _panel_block(str(currency), group, group["issuer"]) for currency, group in frame.groupby("currency", sort=True)
    ]
    blocks.append(_panel_block("ALL", frame, frame["issuer"] + "|" + frame["currency"]))
    return pd.concat(blocks, ignore_index=True)[PANEL_COLUMNS]


def _weighted_demean(values: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    totals = np.zeros((groups.max() + 1,) + values.shape[1:])
    np.add.at(totals, groups, values * weights.reshape(-1, *([1] * (values.ndim - 1))))
    weight_totals = np.bincount(groups, weights=weights)
    means = totals / weight_totals.reshape(-1, *([1] * (values.ndim - 1)))
    return values - means[groups]


def _independent_columns(x: np.ndarray) -> list[int]:
    """Indices of the columns that vary within issuers and are not combinations of earlier ones."""
    kept: list[int] = []
    for index in range(x.shape[1]):
        trial = kept + [index]
        if np.linalg.matrix_rank(x[:, trial], tol=1e-9) == len(trial):
            kept.append(index)
    return kept


def _panel_block(scope: str, frame: pd.DataFrame, fixed_effect: pd.Series) -> pd.DataFrame:
    weights = frame["days"].to_numpy(dtype=float)
    fe_codes = pd.factorize(fixed_effect)[0]
    clusters = pd.factorize(frame["issuer"])[0]
    n_obs, n_bonds, n_clusters = int(weights.sum()), len(frame), int(clusters.max() + 1) if len(frame) else 0
    base = {"scope": scope, "n_obs": n_obs, "n_bonds": n_bonds, "n_issuers": n_clusters}
    empty = {key: np.nan for key in ("coef_bp", "std_err_bp", "t", "p_value", "ci_low_bp", "ci_high_bp")}
    if n_bonds == 0:
        return pd.DataFrame([{**base, "term": term, "identified": False, **empty} for term in DISCLOSURES])
    y = _weighted_demean(frame["mean_greenium_bp"].to_numpy(dtype=float), fe_codes, weights)
    x = _weighted_demean(frame[list(DISCLOSURES)].to_numpy(dtype=float), fe_codes, weights)
    columns = _independent_columns(x)
    identified = [DISCLOSURES[index] for index in columns]
    n_fixed = int(fe_codes.max() + 1)
    k_daily = len(identified) + n_fixed
    rows = [{**base, "term": term, "identified": False, **empty} for term in DISCLOSURES if term not in identified]
    if identified and n_clusters >= 2 and n_obs > k_daily:
        fit = WLS(y, x[:, columns], weights=weights).fit(
            cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True
        )
        factor = ((n_obs - 1) / (n_obs - k_daily)) / ((n_bonds - 1) / (n_bonds - len(identified)))
        std_err = np.sqrt(np.diag(fit.cov_params()) * factor)
        coef = np.asarray(fit.params)
        t_value = coef / std_err
        dof = n_clusters - 1
        critical = stats.t.ppf(0.5 + CONFIDENCE / 2, dof)
        for index, term in enumerate(identified):
            rows.append(
                {
                    **base,
                    "term": term,
                    "identified": True,
                    "coef_bp": coef[index],
                    "std_err_bp": std_err[index],
                    "t": t_value[index],
                    "p_value": 2 * stats.t.sf(abs(t_value[index]), dof),
                    "ci_low_bp": coef[index] - critical * std_err[index],
                    "ci_high_bp": coef[index] + critical * std_err[index],
                }
            )
    else:
        rows.extend({**base, "term": term, "identified": False, **empty} for term in identified)
    order = {term: index for index, term in enumerate(DISCLOSURES)}
    return pd.DataFrame(sorted(rows, key=lambda row: order[row["term"]]))
