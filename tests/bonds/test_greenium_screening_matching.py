"""Screening (Figure 1) and green/brown matching (Figures 3, 4, 6) on hand-made universes."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from greenmarket.bonds.matching import (
    MAX_SCORE,
    MatchingRules,
    match,
    score_candidates,
    validation_table,
)
from greenmarket.bonds.screening import ScreeningCriteria, parse_years, screen
from greenmarket.errors import ValidationError

BASE: dict[str, Any] = {
    "issuer": "Issuer A",
    "currency": "EUR",
    "issue_date": "2022-03-01",
    "maturity_date": "2032-03-01",
    "amount": 1_000_000_000,
    "issue_price": 100.0,
    "yield_at_issue": 1.0,
    "coupon_type": "fixed",
    "coupon_rate": 1.0,
    "coupon_frequency": 1,
    "day_count": "ACT/ACT-ICMA",
    "settlement_days": 2,
    "seniority": "senior unsecured",
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


def bond(isin: str, **changes: Any) -> dict[str, Any]:
    return {**BASE, "isin": isin, **changes}


def universe(*rows: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("issue_date", "maturity_date"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


RECENT = pd.Timestamp("2024-05-31")


def prices_for(frame: pd.DataFrame, stale: tuple[str, ...] = ()) -> pd.Series:
    return pd.Series(
        [pd.Timestamp("2023-01-31") if isin in stale else RECENT for isin in frame["isin"]], index=frame["isin"]
    )


def test_screening_keeps_only_green_blue_sustainability_in_window_and_plain_structures() -> None:
    bonds = universe(
        bond("G1"),
        bond("B1", esg_type="blue", coupon_rate=1.5),
        bond("S1", esg_type="sustainability", coupon_rate=2.5),
        bond("X1", esg_type="social"),
        bond("X2", esg_type="transition"),
        bond("X3", esg_type="sustainability_linked"),
        bond("X4", esg_type="none"),
        bond("X5", issue_date="2020-12-31"),
        bond("X6", issue_date="2024-01-02"),
        bond("X7", currency="GBP"),
        bond("X8", coupon_type="floating"),
        bond("X9", perpetual=True, maturity_date=None),
        bond("X10", strip=True),
    )
    selected = screen(bonds, prices_for(bonds))
    assert sorted(selected["isin"]) == ["B1", "G1", "S1"]
    assert set(selected["step"]) == {"strict"}


def test_screening_drops_duplicate_issues_keeping_the_largest() -> None:
    bonds = universe(bond("G1", amount=500), bond("G2", amount=900), bond("G3", coupon_rate=2.0))
    selected = screen(bonds, prices_for(bonds))
    assert sorted(selected["isin"]) == ["G2", "G3"]


def _issuer_bonds(issuer: str, count: int, start: int, **changes: Any) -> list[dict[str, Any]]:
    return [
        bond(f"{issuer}{i}", issuer=issuer, maturity_date=f"{2025 + start + i}-03-01", **changes)
        for i in range(count)
    ]


def test_screening_ranks_issuers_by_green_bond_count_and_bonds_by_pricing_sources() -> None:
    rows = _issuer_bonds("Big", 3, 0, pricing_sources=4) + _issuer_bonds("Mid", 2, 10) + _issuer_bonds("Low", 1, 20)
    rows[0]["pricing_sources"] = 9
    bonds = universe(*rows)
    criteria = ScreeningCriteria(top_issuers=2, bonds_per_group=4)
    selected = screen(bonds, prices_for(bonds), criteria)
    assert set(selected["issuer"]) == {"Big", "Mid"}
    assert selected["isin"].iloc[0] == "Big0"  # most pricing sources first
    assert list(selected["rank"]) == [1, 2, 3, 4]


def test_screening_relaxes_liquidity_and_price_then_expands_issuers() -> None:
    rows = (
        _issuer_bonds("A", 2, 0)
        + _issuer_bonds("B", 1, 5, pricing_sources=1)  # illiquid
        + _issuer_bonds("C", 1, 10)
    )
    bonds = universe(*rows)
    last = prices_for(bonds, stale=("A1",))
    criteria = ScreeningCriteria(top_issuers=2, issuer_step=1, bonds_per_group=4, min_pricing_sources=2)
    selected = screen(bonds, last, criteria).set_index("isin")
    assert selected.loc["A0", "step"] == "strict"
    assert selected.loc["A1", "step"] == "relaxed"  # stale price
    assert selected.loc["B0", "step"] == "relaxed"  # too few pricing sources
    assert selected.loc["C0", "step"] == "expanded_strict"
    assert len(selected) == 4

    no_expansion = screen(bonds, last, ScreeningCriteria(top_issuers=2, bonds_per_group=4, max_expansions=0))
    assert "C0" not in set(no_expansion["isin"])
    unpriced = screen(bonds, last.drop("A0"), criteria)
    assert "A0" not in set(unpriced["isin"])  # no price at all: never selected, even relaxed


def test_screening_caps_each_currency_and_year_group() -> None:
    rows = _issuer_bonds("A", 5, 0) + _issuer_bonds("A", 5, 0, currency="JPY", issue_date="2021-06-01")
    bonds = universe(*[dict(row, isin=f"{row['currency']}{row['isin']}") for row in rows])
    selected = screen(bonds, prices_for(bonds), ScreeningCriteria(bonds_per_group=3))
    assert selected.groupby(["currency", "issue_year"]).size().to_dict() == {("EUR", 2022): 3, ("JPY", 2021): 3}


def test_screening_options_are_validated() -> None:
    with pytest.raises(ValidationError):
        ScreeningCriteria(bonds_per_group=0)
    assert parse_years("2021-2023") == (2021, 2022, 2023)
    assert parse_years("2023,2021") == (2021, 2023)
    with pytest.raises(ValidationError):
        parse_years("twenty")


def test_figure_4_german_twin_scores_nine() -> None:
    green = bond("DE0001030740", issuer="Germany", maturity_date="2027-10-15", issue_date="2022-09-02",
                 seniority=None, collateral="none")
    brown = bond("DE0001141869", issuer="Germany", maturity_date="2027-10-15", issue_date="2022-07-01",
                 esg_type="none", seniority=None, collateral="none", coupon_rate=1.3)
    bonds = universe(green, brown)
    pairs = match(bonds.iloc[[0]], bonds)
    assert pairs[["green_isin", "brown_isin", "match_score"]].values.tolist() == [
        ["DE0001030740", "DE0001141869", MAX_SCORE]
    ]


def test_matching_scores_each_criterion_one_point() -> None:
    green = bond("G")
    browns = [
        bond("M7", esg_type="none", maturity_date="2032-09-01"),  # exactly 6 months: in
        bond("M8", esg_type="none", maturity_date="2032-09-02"),  # one day more: out
        bond("SEN", esg_type="none", seniority="secured"),
        bond("CALL", esg_type="none", callable=True, putable=True),
        bond("COLL", esg_type="none", collateral="covered", coupon_type="step", sinkable=True, convertible=True),
        bond("SUB", esg_type="none", subordination="subordinated"),
    ]
    bonds = universe(green, *browns)
    scored = score_candidates(bonds.iloc[[0]], bonds.iloc[1:], MatchingRules()).set_index("brown_isin")
    assert scored["match_score"].to_dict() == {"M7": 9, "M8": 8, "SEN": 8, "CALL": 7, "COLL": 5, "SUB": 8}


def test_matching_requires_same_issuer_currency_and_a_priceable_conventional_bond() -> None:
    bonds = universe(
        bond("G"),
        bond("OTHER", esg_type="none", issuer="Issuer B"),
        bond("USD", esg_type="none", currency="USD"),
        bond("SOC", esg_type="social"),
        bond("FRN", esg_type="none", coupon_type="floating"),
        bond("PERP", esg_type="none", perpetual=True),
    )
    assert match(bonds.iloc[[0]], bonds).empty


def test_ties_break_on_closest_maturity_then_issue_date_then_isin() -> None:
    bonds = universe(
        bond("G", maturity_date="2032-03-16", issue_date="2022-03-01"),
        bond("FAR", esg_type="none", maturity_date="2032-06-01"),
        bond("NEAR2", esg_type="none", maturity_date="2032-03-01", issue_date="2019-01-01"),
        bond("NEAR1", esg_type="none", maturity_date="2032-03-31", issue_date="2020-01-01"),
    )
    # both 15 days from the green's maturity: the closer issue date wins
    assert match(bonds.iloc[[0]], bonds)["brown_isin"].tolist() == ["NEAR1"]
    twins = universe(
        bond("G"), bond("ZZ", esg_type="none", maturity_date="2032-04-01"), bond("AA", esg_type="none", maturity_date="2032-02-01")
    )
    # 2032-02-01 is 29 days before, 2032-04-01 is 31 days after: AA is closer
    assert match(twins.iloc[[0]], twins)["brown_isin"].tolist() == ["AA"]
    exact = universe(bond("G"), bond("ZZ", esg_type="none"), bond("AA", esg_type="none"))
    assert match(exact.iloc[[0]], exact)["brown_isin"].tolist() == ["AA"]


def test_higher_score_beats_closer_maturity() -> None:
    bonds = universe(
        bond("G"),
        bond("CLOSE", esg_type="none", callable=True),
        bond("BEST", esg_type="none", maturity_date="2032-07-01"),
    )
    assert match(bonds.iloc[[0]], bonds)["brown_isin"].tolist() == ["BEST"]


def test_one_brown_serves_two_greens() -> None:
    bonds = universe(
        bond("G1", maturity_date="2032-03-01"),
        bond("G2", maturity_date="2032-05-01", issue_date="2023-01-10"),
        bond("B", esg_type="none", maturity_date="2032-04-01"),
        bond("B_OLD", esg_type="none", maturity_date="2040-04-01"),
    )
    pairs = match(bonds.iloc[[0, 1]], bonds)
    assert pairs["brown_isin"].tolist() == ["B", "B"]
    assert pairs["green_isin"].tolist() == ["G1", "G2"]
    table = validation_table(pairs, bonds).set_index(["measure", "label"])
    assert table.loc[("coupon_rate", "green"), "bonds"] == 2
    assert table.loc[("coupon_rate", "brown"), "bonds"] == 1


def test_min_score_option_drops_weak_matches() -> None:
    bonds = universe(bond("G"), bond("B", esg_type="none", callable=True, seniority="x"))
    assert len(match(bonds.iloc[[0]], bonds, MatchingRules(min_score=7))) == 1
    assert match(bonds.iloc[[0]], bonds, MatchingRules(min_score=8)).empty


def test_validation_table_percentiles_mean_and_std() -> None:
    greens = [bond(f"G{i}", coupon_rate=rate, maturity_date=f"{2030 + i}-01-01") for i, rate in enumerate([0.0, 1.0, 2.0, 5.0])]
    browns = [bond(f"B{i}", esg_type="none", coupon_rate=rate, maturity_date=f"{2030 + i}-01-01", yield_at_issue=None)
              for i, rate in enumerate([0.5, 1.5, 2.5, 3.5])]
    bonds = universe(*greens, *browns)
    pairs = match(bonds.iloc[:4], bonds)
    table = validation_table(pairs, bonds).set_index(["measure", "label"])
    green = table.loc[("coupon_rate", "green")]
    values = np.array([0.0, 1.0, 2.0, 5.0])
    assert green["p25"] == pytest.approx(np.percentile(values, 25))
    assert green["p95"] == pytest.approx(np.percentile(values, 95))
    assert green["mean"] == pytest.approx(2.0) and green["std"] == pytest.approx(values.std(ddof=1))
    assert table.loc[("yield_at_issue", "brown"), "bonds"] == 0
    assert table.loc[("yield_at_issue", "green"), "bonds"] == 4


def test_screening_uses_as_of_for_recency() -> None:
    bonds = universe(bond("G1"), bond("G2", coupon_rate=3.0))
    last = pd.Series([pd.Timestamp("2024-01-01"), pd.Timestamp("2024-05-31")], index=["G1", "G2"])
    steps = screen(bonds, last, ScreeningCriteria(as_of=date(2024, 1, 15))).set_index("isin")["step"]
    assert steps.to_dict() == {"G1": "strict", "G2": "strict"}
    steps = screen(bonds, last, ScreeningCriteria(price_recency_days=10)).set_index("isin")["step"]
    assert steps.to_dict() == {"G1": "relaxed", "G2": "strict"}
