"""Green/brown matching (seed 003, 4.2.1-4.2.2, Figures 3, 4 and 6).

Each selected green bond is paired with the most similar conventional ("brown") bond of the same
issuer and currency. Every criterion of Figure 3 is worth one point, equally weighted:

=================  =========================================================================
maturity           brown maturity within ``maturity_window_months`` (6) of the green's, inclusive
seniority          equal (free text compared as given; two empty values are equal)
subordination      equal
callable, putable,  equal flags
sinkable,
convertible
collateral         equal (free text compared as given)
coupon_type        equal
=================  =========================================================================

The maximum is 9. The best score wins; ties are broken deterministically by the closest maturity,
then the closest issue date, then the smaller brown ISIN. A brown bond may serve several green bonds
(the report pairs one brown with two greens when it is the best match for both). Brown candidates
are bonds with ``esg_type`` ``none`` whose cash flows a Z-spread can price: floating-rate, perpetual
and strip bonds are excluded, as for the greens. Amount, issue date and coupon rate are not scored:
the Z-spread already reflects them (4.2.1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from greenmarket.bonds.screening import CONVENTIONAL_ESG_TYPE, excluded_structure
from greenmarket.errors import ValidationError

EQUAL_CRITERIA: tuple[str, ...] = (
    "seniority",
    "subordination",
    "callable",
    "putable",
    "sinkable",
    "convertible",
    "collateral",
    "coupon_type",
)
MAX_SCORE = 1 + len(EQUAL_CRITERIA)
PAIR_COLUMNS = ["currency", "issuer", "green_isin", "brown_isin", "match_score"]
VALIDATION_MEASURES = {
    "coupon_rate": "coupon rate (%) / クーポンレート",
    "issue_price": "issue price (%) / 発行価格",
    "yield_at_issue": "yield at issue (%) / 最終利回り（発行日時点）",
}
VALIDATION_PERCENTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class MatchingRules:
    """The matching choices; the defaults are the report's (Figure 3)."""

    maturity_window_months: int = 6
    min_score: int = 0

    def __post_init__(self) -> None:
        if self.maturity_window_months < 0:
            raise ValidationError("maturity_window_months must not be negative", field="maturity_window_months")
        if not 0 <= self.min_score <= MAX_SCORE:
            raise ValidationError(f"min_score must be between 0 and {MAX_SCORE}", field="min_score")


def brown_candidates(bonds: pd.DataFrame) -> pd.DataFrame:
    """Return the conventional bonds that may be matched, whatever their issue date."""
    return bonds[(bonds["esg_type"] == CONVENTIONAL_ESG_TYPE) & ~excluded_structure(bonds)]


def score_candidates(greens: pd.DataFrame, browns: pd.DataFrame, rules: MatchingRules) -> pd.DataFrame:
    """Return every same-issuer, same-currency (green, brown) combination with its points.

    Columns: ``green_isin``, ``brown_isin``, ``currency``, ``issuer``, one ``points_<criterion>``
    column per criterion, ``match_score``, ``maturity_gap_days`` and ``issue_gap_days`` (absolute).
    """
    left = greens.add_prefix("g_").rename(columns={"g_issuer": "issuer", "g_currency": "currency"})
    right = browns.add_prefix("b_").rename(columns={"b_issuer": "issuer", "b_currency": "currency"})
    combos = left.merge(right, on=["issuer", "currency"], how="inner")
    green_maturity = pd.to_datetime(combos["g_maturity_date"])
    brown_maturity = pd.to_datetime(combos["b_maturity_date"])
    window = pd.DateOffset(months=rules.maturity_window_months)
    low = green_maturity.map(lambda day: day - window)
    high = green_maturity.map(lambda day: day + window)
    points = {"points_maturity": ((brown_maturity >= low) & (brown_maturity <= high)).astype(int)}
    for name in EQUAL_CRITERIA:
        points[f"points_{name}"] = _equal(combos[f"g_{name}"], combos[f"b_{name}"]).astype(int)
    scored = pd.DataFrame(
        {
            "currency": combos["currency"],
            "issuer": combos["issuer"],
            "green_isin": combos["g_isin"],
            "brown_isin": combos["b_isin"],
            **points,
        }
    )
    scored["match_score"] = scored[list(points)].sum(axis=1).astype(int)
    scored["maturity_gap_days"] = (green_maturity - brown_maturity).abs().dt.days
    issue_gap = pd.to_datetime(combos["g_issue_date"]) - pd.to_datetime(combos["b_issue_date"])
    scored["issue_gap_days"] = issue_gap.abs().dt.days
    return scored


def _equal(left: pd.Series, right: pd.Series) -> pd.Series:
    both_missing = left.isna() & right.isna()
    return both_missing | (left.astype(object) == right.astype(object))


def match(greens: pd.DataFrame, bonds: pd.DataFrame, rules: MatchingRules = MatchingRules()) -> pd.DataFrame:
    """Pair each green bond with its best brown bond; greens without a candidate are left out.

    ``greens`` and ``bonds`` have the ``bonds.csv`` columns. Returns :data:`PAIR_COLUMNS` plus the
    per-criterion points and the tie-break gaps, ordered by currency, issuer and green ISIN.
    """
    scored = score_candidates(greens, brown_candidates(bonds), rules)
    scored = scored[scored["match_score"] >= rules.min_score]
    ordered = scored.sort_values(
        ["green_isin", "match_score", "maturity_gap_days", "issue_gap_days", "brown_isin"],
        ascending=[True, False, True, True, True],
        kind="mergesort",
    )
    best = ordered.drop_duplicates(subset="green_isin", keep="first")
    best = best.sort_values(["currency", "issuer", "green_isin"], kind="mergesort")
    return best.reset_index(drop=True)


def validation_table(pairs: pd.DataFrame, bonds: pd.DataFrame) -> pd.DataFrame:
    """Figure 6: distribution of coupon, issue price and yield at issue, green vs brown.

    Green bonds are counted once per pair, brown bonds once each even when they serve two greens;
    ``bonds`` counts the bonds with a value (yield at issue is optional). Standard deviations are
    sample (n − 1) deviations.
    """
    by_isin = bonds.set_index("isin")
    rows = []
    labels = (("green", pairs["green_isin"].drop_duplicates()), ("brown", pairs["brown_isin"].drop_duplicates()))
    for measure, title in VALIDATION_MEASURES.items():
        for label, isins in labels:
            column = by_isin[measure] if measure in by_isin else pd.Series(dtype=float)
            values = pd.to_numeric(column.reindex(isins), errors="coerce").dropna().to_numpy(dtype=float)
            row: dict[str, object] = {"measure": measure, "title": title, "label": label}
            for percentile in VALIDATION_PERCENTILES:
                row[f"p{percentile}"] = float(np.percentile(values, percentile)) if len(values) else np.nan
            row["mean"] = float(values.mean()) if len(values) else np.nan
            row["std"] = float(values.std(ddof=1)) if len(values) > 1 else np.nan
            row["bonds"] = len(values)
            rows.append(row)
    return pd.DataFrame(rows)
