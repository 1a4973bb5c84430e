"""Greenium series and distributions (seed 003, 4.2.3, 4.3, 4.4; FORMATS.md "Greenium").

Greenium of a pair on a day = brown Z-spread − green Z-spread, in basis points, on the days when both
bonds have a Z-spread. Positive greenium means the green bond trades richer (lower spread) than its
brown twin.

The statistics, each a pure function over data frames:

* per pair (``greenium_by_bond.csv``): number of days and mean greenium over those days;
* per issuer (``greenium_by_issuer.csv``): the mean of its pairs' means (Figure 10's overall delta);
* per currency and day (``portfolio_daily.csv``, Figures 12, 14, 16): number of pairs, mean, median
  and quartiles across the pairs priced that day;
* per currency and quarter (``quarterly.csv``, Figures 13, 15, 17): the distribution across pairs of
  each pair's mean greenium over its days in the quarter — ``pairs`` is how many pairs; quartiles,
  median and mean of those pair means; whiskers at 1.5 IQR drawn as matplotlib draws them: the most
  extreme pair means that lie within [Q1 − 1.5·IQR, Q3 + 1.5·IQR] (``matplotlib.cbook.boxplot_stats``
  computes them, so the table and the chart agree by construction).

Quantiles are linear interpolation between order statistics (NumPy's default, as matplotlib uses).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import cbook

DAILY_COLUMNS = ["date", "currency", "green_isin", "brown_isin", "green_z_bp", "brown_z_bp", "greenium_bp"]
BY_BOND_COLUMNS = ["currency", "issuer", "green_isin", "brown_isin", "days", "mean_greenium_bp"]
BY_ISSUER_COLUMNS = ["currency", "issuer", "pairs", "pair_days", "mean_greenium_bp", "min_pair_bp", "max_pair_bp"]
PORTFOLIO_COLUMNS = ["currency", "date", "pairs", "mean_bp", "median_bp", "q25_bp", "q75_bp"]
PAIR_QUARTER_COLUMNS = ["currency", "green_isin", "quarter", "days", "mean_greenium_bp"]
QUARTERLY_COLUMNS = [
    "currency",
    "quarter",
    "pairs",
    "mean_bp",
    "median_bp",
    "q25_bp",
    "q75_bp",
    "whisker_low_bp",
    "whisker_high_bp",
]
WHISKER_IQR = 1.5


def daily_greenium(pairs: pd.DataFrame, z_spreads: pd.DataFrame) -> pd.DataFrame:
    """Return the daily greenium of each pair on the days both of its bonds have a Z-spread.

    ``z_spreads`` has ``isin, date, z_spread_bp``; rows with a missing Z-spread are ignored. The
    result has :data:`DAILY_COLUMNS`, ordered by currency, issuer, green ISIN and date.
    """
    z = z_spreads.loc[z_spreads["z_spread_bp"].notna(), ["isin", "date", "z_spread_bp"]]
    base = pairs[["currency", "issuer", "green_isin", "brown_isin"]]
    green = base.merge(z, left_on="green_isin", right_on="isin").rename(columns={"z_spread_bp": "green_z_bp"})
    both = green.drop(columns="isin").merge(
        z.rename(columns={"isin": "brown_isin", "z_spread_bp": "brown_z_bp"}), on=["brown_isin", "date"]
    )
    both["greenium_bp"] = both["brown_z_bp"] - both["green_z_bp"]
    both = both.sort_values(["currency", "issuer", "green_isin", "date"], kind="mergesort")
    return both[DAILY_COLUMNS].reset_index(drop=True)


def pair_days(daily: pd.DataFrame) -> pd.Series:
    """Return the number of days with a greenium, per green ISIN."""
    return daily.groupby("green_isin").size()


def enough_history(pairs: pd.DataFrame, daily: pd.DataFrame, min_days: int) -> pd.DataFrame:
    """Keep the pairs with at least ``min_days`` days on which both bonds have a Z-spread.

    This is the report's data cleansing (4.2.1): pairs whose Z-spread history is too thin to be
    consistent (bonds not regularly evaluated) are dropped.
    """
    days = pairs["green_isin"].map(pair_days(daily)).fillna(0)
    return pairs[days >= min_days].reset_index(drop=True)


def by_bond(pairs: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Return ``greenium_by_bond.csv``: each pair's number of days and mean greenium."""
    stats = daily.groupby("green_isin")["greenium_bp"].agg(days="size", mean_greenium_bp="mean").reset_index()
    merged = pairs[["currency", "issuer", "green_isin", "brown_isin"]].merge(stats, on="green_isin")
    merged["days"] = merged["days"].astype(int)
    return merged[BY_BOND_COLUMNS].reset_index(drop=True)


def by_issuer(by_bond_table: pd.DataFrame) -> pd.DataFrame:
    """Return each issuer's pairs, pair-days and mean greenium (the mean of its pairs' means, as the
    report's per-issuer "overall delta", Figure 10), with the lowest and highest pair mean."""
    grouped = by_bond_table.groupby(["currency", "issuer"], sort=True)
    result = grouped.agg(
        pairs=("green_isin", "size"),
        pair_days=("days", "sum"),
        mean_greenium_bp=("mean_greenium_bp", "mean"),
        min_pair_bp=("mean_greenium_bp", "min"),
        max_pair_bp=("mean_greenium_bp", "max"),
    ).reset_index()
    return result[BY_ISSUER_COLUMNS]


def quarter_labels(dates: pd.Series) -> pd.Series:
    """Return ``2021Q1``-style labels for a series of dates."""
    return pd.to_datetime(dates).dt.to_period("Q").astype(str)


def pair_quarter_means(daily: pd.DataFrame) -> pd.DataFrame:
    """Return each pair's number of days and mean greenium per calendar quarter."""
    frame = daily[["currency", "green_isin", "greenium_bp"]].assign(quarter=quarter_labels(daily["date"]))
    stats = frame.groupby(["currency", "green_isin", "quarter"], sort=True)["greenium_bp"]
    result = stats.agg(days="size", mean_greenium_bp="mean").reset_index()
    result["days"] = result["days"].astype(int)
    return result[PAIR_QUARTER_COLUMNS]


def quarterly(pair_quarters: pd.DataFrame) -> pd.DataFrame:
    """Return ``quarterly.csv``: box-plot statistics of the pair means per currency and quarter."""
    rows = []
    for (currency, quarter), group in pair_quarters.groupby(["currency", "quarter"], sort=True):
        stats = box_statistics(group["mean_greenium_bp"].to_numpy(dtype=float))
        rows.append({"currency": currency, "quarter": quarter, "pairs": len(group), **stats})
    return pd.DataFrame(rows, columns=QUARTERLY_COLUMNS)


def box_statistics(values: np.ndarray) -> dict[str, float]:
    """Return mean, median, quartiles and 1.5-IQR whiskers of ``values`` as matplotlib draws them."""
    stats = cbook.boxplot_stats(values, whis=WHISKER_IQR)[0]
    return {
        "mean_bp": float(stats["mean"]),
        "median_bp": float(stats["med"]),
        "q25_bp": float(stats["q1"]),
        "q75_bp": float(stats["q3"]),
        "whisker_low_bp": float(stats["whislo"]),
        "whisker_high_bp": float(stats["whishi"]),
    }


def portfolio_daily(daily: pd.DataFrame) -> pd.DataFrame:
    """Return ``portfolio_daily.csv``: per currency and day, pairs, mean, median and quartiles."""
    frames = [
        day_statistics(str(currency), group["date"].to_numpy(), group["greenium_bp"].to_numpy(dtype=float))
        for currency, group in daily.groupby("currency", sort=True)
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PORTFOLIO_COLUMNS)


def day_statistics(currency: str, dates: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Pairs, mean, median and quartiles per day of one currency's pair-day greenium values.

    Vectorized (one sort, no Python loop over days), so that a currency's whole history of pair-days
    is summarised in one pass of about 24 bytes a pair-day.
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    order = np.lexsort((values, days))
    days, values = days[order], np.asarray(values, dtype=float)[order]
    new_group = np.ones(len(values), dtype=bool)
    new_group[1:] = days[1:] != days[:-1]
    starts = np.flatnonzero(new_group)
    counts = np.diff(np.append(starts, len(values)))
    sums = np.add.reduceat(values, starts) if len(values) else np.zeros(0)
    return pd.DataFrame(
        {
            "currency": currency,
            "date": days[starts],
            "pairs": counts,
            "mean_bp": sums / np.maximum(counts, 1),
            "median_bp": _sorted_group_quantile(values, starts, counts, 0.5),
            "q25_bp": _sorted_group_quantile(values, starts, counts, 0.25),
            "q75_bp": _sorted_group_quantile(values, starts, counts, 0.75),
        },
        columns=PORTFOLIO_COLUMNS,
    )


def _sorted_group_quantile(values: np.ndarray, starts: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """Linear-interpolation quantile of each sorted group (NumPy's default method)."""
    position = q * (counts - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, counts - 1)
    fraction = position - below
    low = values[starts + below]
    high = values[starts + above]
    return low + (high - low) * fraction
