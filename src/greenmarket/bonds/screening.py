"""Screening: choose the green bonds of the analysed portfolio (seed 003, section 3 and Figure 1).

The report selects, for each currency and issue year, 20 green bonds from the issuers that issued the
most green bonds, preferring large, liquid bonds with a recent evaluated price, and relaxes its
criteria when fewer than 20 qualify. This module encodes that procedure as a pure function over the
``bonds.csv`` columns (FORMATS.md, "Bonds") and one fact per bond from ``prices.csv``: the date of its
latest evaluated price.

Per currency and issue year the steps are:

1. **Eligible green bonds** — ``esg_type`` in ``esg_types`` (green, blue, sustainability; social,
   transition, sustainability-linked and conventional bonds are out), issued in that calendar year,
   in that currency; floating-rate (``coupon_type == floating``), perpetual and strip bonds are
   excluded, and so are duplicate issues (same issuer, maturity, coupon type and rate: the largest
   amount is kept, then the smallest ISIN). A bond without any price is never selected: relaxing
   the price criterion admits old or irregular prices, not none (it could have no Z-spread).
2. **Top issuers** — issuers ranked by the number of eligible green bonds (ties: larger total amount,
   then issuer name); the first ``top_issuers`` are taken.
3. **Strict tier** — their bonds with a recent evaluated price (latest price no more than
   ``price_recency_days`` before the as-of date) and at least ``min_pricing_sources`` dealers
   quoting. Ranked by pricing sources (the report's last re-sort, by market makers), then amount,
   then ISIN; the first ``bonds_per_group`` are selected.
4. **Relaxed tier** — when fewer than ``bonds_per_group`` qualify, the liquidity and price criteria
   are dropped and the remaining bonds of the same issuers fill the group in the same order.
5. **Expansion** — when the group is still short, the issuer list grows by ``issuer_step`` (top 40
   in the report) and steps 3-4 are repeated over the added issuers, up to ``max_expansions`` times.

Each selected bond carries the step that admitted it (``strict``, ``relaxed``, ``expanded_strict``,
``expanded_relaxed``) so that a reader sees how far the criteria had to bend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from greenmarket.errors import ValidationError

GREEN_ESG_TYPES: tuple[str, ...] = ("green", "blue", "sustainability")
CONVENTIONAL_ESG_TYPE = "none"
SCREENING_COLUMNS = [
    "currency",
    "issue_year",
    "rank",
    "isin",
    "issuer",
    "amount",
    "pricing_sources",
    "last_price_date",
    "step",
]


@dataclass(frozen=True)
class ScreeningCriteria:
    """The screening choices; the defaults are the report's (seed 003, Figure 1 and section 3)."""

    esg_types: tuple[str, ...] = GREEN_ESG_TYPES
    years: tuple[int, ...] = (2021, 2022, 2023)
    currencies: tuple[str, ...] = ("EUR", "JPY", "USD")
    bonds_per_group: int = 20
    top_issuers: int = 20
    issuer_step: int = 20
    max_expansions: int = 1
    min_pricing_sources: int = 2
    price_recency_days: int = 31
    as_of: date | None = None
    exclude_duplicates: bool = True

    def __post_init__(self) -> None:
        for name in ("bonds_per_group", "top_issuers", "issuer_step"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be at least 1", field=name)
        for name in ("max_expansions", "min_pricing_sources", "price_recency_days"):
            if getattr(self, name) < 0:
                raise ValidationError(f"{name} must not be negative", field=name)


def excluded_structure(bonds: pd.DataFrame) -> pd.Series:
    """Return True for bonds whose structure the analysis cannot use: floating, perpetual, strip."""
    return (bonds["coupon_type"] == "floating") | bonds["perpetual"].astype(bool) | bonds["strip"].astype(bool)


def screen(
    bonds: pd.DataFrame,
    last_price_date: pd.Series,
    criteria: ScreeningCriteria = ScreeningCriteria(),
) -> pd.DataFrame:
    """Select the green bonds of the analysed portfolio.

    ``last_price_date`` maps ISIN to the date of the bond's latest price (bonds without any price
    may be absent). Returns one row per selected bond with :data:`SCREENING_COLUMNS`, ordered by
    currency, issue year and rank.
    """
    candidates = _eligible_green(bonds, last_price_date, criteria)
    as_of = _as_of(last_price_date, criteria)
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=criteria.price_recency_days)
    candidates["strict"] = (candidates["last_price_date"] >= cutoff) & (
        candidates["pricing_sources"] >= criteria.min_pricing_sources
    )
    groups = []
    for (currency, year), group in candidates.groupby(["currency", "issue_year"], sort=True):
        chosen = _select_group(group, criteria)
        chosen.insert(0, "rank", range(1, len(chosen) + 1))
        groups.append(chosen)
    if not groups:
        return pd.DataFrame(columns=SCREENING_COLUMNS)
    selected = pd.concat(groups, ignore_index=True)
    return selected[SCREENING_COLUMNS].reset_index(drop=True)


def _as_of(last_price_date: pd.Series, criteria: ScreeningCriteria) -> date:
    if criteria.as_of is not None:
        return criteria.as_of
    if last_price_date.empty:
        raise ValidationError("no prices: cannot tell which evaluated prices are recent", field="prices")
    return pd.Timestamp(last_price_date.max()).date()


def _eligible_green(
    bonds: pd.DataFrame, last_price_date: pd.Series, criteria: ScreeningCriteria
) -> pd.DataFrame:
    frame = bonds.copy()
    frame["issue_year"] = pd.to_datetime(frame["issue_date"]).dt.year
    keep = (
        frame["esg_type"].isin(criteria.esg_types)
        & frame["issue_year"].isin(criteria.years)
        & frame["currency"].isin(criteria.currencies)
        & ~excluded_structure(frame)
    )
    frame = frame[keep].copy()
    if criteria.exclude_duplicates:
        frame = _drop_duplicate_issues(frame)
    dates = pd.to_datetime(last_price_date) if len(last_price_date) else pd.Series(dtype="datetime64[ns]")
    frame["last_price_date"] = frame["isin"].map(dates)
    frame["last_price_date"] = pd.to_datetime(frame["last_price_date"])
    return frame[frame["last_price_date"].notna()]


def _drop_duplicate_issues(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep one bond per (issuer, currency, maturity, coupon type, coupon rate): the largest."""
    ordered = frame.sort_values(["amount", "isin"], ascending=[False, True], kind="mergesort")
    key = ["issuer", "currency", "maturity_date", "coupon_type", "coupon_rate"]
    return ordered.drop_duplicates(subset=key, keep="first").sort_index()


def _issuer_order(group: pd.DataFrame) -> list[str]:
    stats = group.groupby("issuer").agg(count=("isin", "size"), total=("amount", "sum")).reset_index()
    stats = stats.sort_values(["count", "total", "issuer"], ascending=[False, False, True], kind="mergesort")
    return list(stats["issuer"])


def _rank_bonds(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(
        ["pricing_sources", "amount", "isin"], ascending=[False, False, True], kind="mergesort"
    )


def _select_group(group: pd.DataFrame, criteria: ScreeningCriteria) -> pd.DataFrame:
    issuers = _issuer_order(group)
    wanted = criteria.bonds_per_group
    chosen: list[pd.DataFrame] = []
    taken = 0
    start = 0
    for expansion in range(criteria.max_expansions + 1):
        stop = criteria.top_issuers + expansion * criteria.issuer_step
        pool = group[group["issuer"].isin(issuers[start:stop])]
        prefix = "expanded_" if expansion else ""
        for tier, mask in (("strict", pool["strict"]), ("relaxed", ~pool["strict"])):
            if taken >= wanted:
                break
            picked = _rank_bonds(pool[mask]).head(wanted - taken).assign(step=prefix + tier)
            chosen.append(picked)
            taken += len(picked)
        start = stop
        if taken >= wanted or stop >= len(issuers):
            break
    return pd.concat(chosen) if chosen else group.head(0).assign(step="")


def parse_years(text: str) -> tuple[int, ...]:
    """Parse ``2021-2023`` or ``2021,2023`` into a tuple of years."""
    years: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part:
                low, high = (int(value) for value in part.split("-", 1))
                years.extend(range(low, high + 1))
            elif part.strip():
                years.append(int(part))
    except ValueError as error:
        raise ValidationError(f"years must look like 2021-2023 or 2021,2022: {text!r}", field="years") from error
    if not years:
        raise ValidationError("no years given", field="years")
    return tuple(sorted(set(years)))


def parse_list(text: str | Sequence[str]) -> tuple[str, ...]:
    """Parse a comma-separated option (``EUR,JPY,USD``) into a tuple of trimmed values."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    values = tuple(part.strip() for part in parts if part.strip())
    if not values:
        raise ValidationError("an empty list was given", field="list")
    return values
