"""The portfolio tables on a small portfolio computed by hand (FORMATS.md "Impact")."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from impact_kit import bond_row, make_isin, write_inputs_to

from greenmarket.impact.pipeline import compute

A = make_isin("DE", 1)   # EUR green, converted with fx.csv
B = make_isin("US", 2)   # USD green
C = make_isin("JP", 3)   # JPY sustainability with amount_usd given
D = make_isin("US", 4)   # conventional: not in the portfolio, its report is ignored
E = make_isin("US", 5)   # USD green that has not reported yet
F = make_isin("CH", 6)   # CHF green without any FX rate
AS_OF = date(2024, 6, 30)
V = 1_000_000.0


def report(isin: str, day: str, indicator: str, value: float, unit: str, period: str = "year",
           level: str = "bond", share: float = 1.0) -> dict[str, object]:
    return {"isin": isin, "report_date": day, "indicator": indicator, "value": value, "unit": unit,
            "period": period, "level": level, "share": share}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    data = write_inputs_to(
        tmp_path_factory.mktemp("portfolio"),
        bonds=[bond_row(A, "EUR", 100e6), bond_row(B, "USD", 50e6), bond_row(C, "JPY", 10e9, "sustainability",
               amount_usd="70000000"), bond_row(D, "USD", 100e6, "none"),
               bond_row(E, "USD", 80e6, issue_date="2023-01-10"), bond_row(F, "CHF", 20e6)],
        # A uses the latest EUR rate on or before the date (1.08), not the later one (1.20)
        fx=[{"currency": "EUR", "date": "2024-01-31", "usd_per_unit": 1.10},
            {"currency": "EUR", "date": "2024-06-28", "usd_per_unit": 1.08},
            {"currency": "EUR", "date": "2024-07-31", "usd_per_unit": 1.20},
            {"currency": "JPY", "date": "2024-06-28", "usd_per_unit": 0.0062}],
        commitments=[
            {"isin": A, "reporting_frequency_months": 12, "reporting_until": "maturity", "standard": "ICMA"},
            {"isin": C, "reporting_frequency_months": 3, "reporting_until": "full_allocation",
             "standard": "EU-GBS"},
            {"isin": F, "reporting_frequency_months": "", "reporting_until": "project_end", "standard": "none"},
        ],
        impact_reports=[
            report(A, "2023-05-01", "ghg_reduced", 999, "tCO2e"),                     # superseded
            report(A, "2024-04-30", "ghg_reduced", 3, "ktCO2e", level="project"),     # two projects of
            report(A, "2024-04-30", "ghg_reduced", 1000, "tCO2e", level="project"),   # the latest report
            report(A, "2024-09-30", "ghg_reduced", 1e9, "tCO2e"),                     # after the date
            report(A, "2024-04-30", "energy_saved", 5000, "kWh", period="month"),
            report(B, "2024-03-31", "ghg_reduced", 20000, "tCO2e", "cumulative:2022-01-01/2023-12-31",
                   "pooled", 0.25),
            report(B, "2024-03-31", "water_saved", 100, "m3", period="day"),
            report(B, "2024-03-31", "renewable_generation", 10, "bananas"),           # unknown unit
            report(C, "2024-01-15", "ghg_reduced", 7000, "tCO2e", level="category", share=0.5),
            report(C, "2024-01-15", "people_benefited", 1400, "people", period="cumulative"),
            report(C, "2024-01-15", "energy_saved", 10, "GWh", period="cumulative"),  # not annualizable
            report(D, "2024-01-01", "ghg_reduced", 9999, "tCO2e"),
            report(F, "2024-02-01", "ghg_reduced", 100, "tCO2e"),                     # no USD amount
        ],
        allocations=[
            {"isin": A, "project": "P1", "category": "renewable_energy", "sdgs": "", "amount": 60},
            {"isin": A, "project": "P2", "category": "green_buildings", "sdgs": "7;11", "amount": 40},
            {"isin": B, "project": "P1", "category": "sustainable_water", "sdgs": "6", "amount": 10},
            {"isin": D, "project": "P1", "category": "affordable_housing", "sdgs": "", "amount": 10},
        ],
    )
    return compute(data, AS_OF, portfolio_usd=V)


def lookup(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


def test_bond_level_annual_impact_per_usd(result) -> None:
    impacts = result.tables["bond_impact.csv"]
    # A: 3 ktCO2e + 1000 tCO2e = 4000 t a year over EUR 100 mn × 1.08 = USD 108 mn
    a = lookup(impacts, isin=A, indicator="ghg_reduced")
    assert (a.annual_impact, a.amount_usd) == (pytest.approx(4000), pytest.approx(108e6))
    # A: 5000 kWh a month = 5 MWh × 12 = 60 MWh a year
    assert lookup(impacts, isin=A, indicator="energy_saved").annual_impact == pytest.approx(60)
    # B: 20 000 t over 730 days = 10 000 t a year, pooled with a 25 % share = 2500 t
    assert lookup(impacts, isin=B, indicator="ghg_reduced").annual_impact == pytest.approx(2500)
    # B: 100 m3 a day = 100 t × 365 = 36 500 t
    assert lookup(impacts, isin=B, indicator="water_saved").annual_impact == pytest.approx(36_500)
    # C: 7000 t at category level × 0.5 = 3500 t over the given USD 70 mn (not the JPY rate)
    c = lookup(impacts, isin=C, indicator="ghg_reduced")
    assert (c.annual_impact, c.impact_per_usd) == (pytest.approx(3500), pytest.approx(3500 / 70e6))
    # C: people is a stock, taken as reported even over an unknown period
    assert lookup(impacts, isin=C, indicator="people_benefited").annual_impact == pytest.approx(1400)
    assert set(impacts["isin"]) == {A, B, C}


def test_weighted_impact_by_hand(result) -> None:
    table = result.tables["portfolio_impact.csv"]
    # N(ALL) = 5 green bonds (A, B, C, E, F; D is conventional), so V / N = 200 000
    ghg = lookup(table, scope="ALL", indicator="ghg_reduced")
    # 200 000 × (4000 / 108e6 + 2500 / 50e6 + 3500 / 70e6) = 7.4074 + 10 + 10
    assert ghg.weighted_impact == pytest.approx(200_000 * 4000 / 108e6 + 10 + 10)
    assert ghg.bonds_reporting == 3 and ghg.unit == "tCO2e"
    assert lookup(table, scope="ALL", indicator="energy_saved").weighted_impact == pytest.approx(200_000 * 60 / 108e6)
    assert lookup(table, scope="ALL", indicator="water_saved").weighted_impact == pytest.approx(146.0)
    assert lookup(table, scope="ALL", indicator="people_benefited").weighted_impact == pytest.approx(4.0)
    # per currency: N(EUR) = 1, N(USD) = 2 (B and E), N(JPY) = 1
    assert lookup(table, scope="EUR", indicator="ghg_reduced").weighted_impact == pytest.approx(1e6 * 4000 / 108e6)
    assert lookup(table, scope="USD", indicator="ghg_reduced").weighted_impact == pytest.approx(25.0)
    assert lookup(table, scope="USD", indicator="water_saved").weighted_impact == pytest.approx(365.0)
    assert lookup(table, scope="JPY", indicator="ghg_reduced").weighted_impact == pytest.approx(50.0)
    assert lookup(table, scope="JPY", indicator="people_benefited").weighted_impact == pytest.approx(20.0)
    assert set(table["scope"]) == {"ALL", "EUR", "JPY", "USD"}   # CHF: no bond reporting
    assert list(table.columns) == ["scope", "indicator", "unit", "weighted_impact", "bonds_reporting"]


def test_flags_name_each_report_left_out(result) -> None:
    flags = result.tables["flags.csv"]
    got = {(row.isin, row.indicator, str(row.report_date), row.reason) for row in flags.itertuples()}
    assert got == {
        (B, "renewable_generation", "2024-03-31", "unknown unit"),
        (C, "energy_saved", "2024-01-15", "not annualizable"),
        (F, "ghg_reduced", "2024-02-01", "no USD amount"),
    }


def test_reporting_status_by_hand(result) -> None:
    table = result.tables["reporting_status.csv"].set_index("isin")
    assert table.loc[A, "status"] == "reported"       # 2024-04-30 + 12 months >= date
    assert table.loc[B, "status"] == "reported"       # no commitment: 2024-03-31 + 18 months
    assert table.loc[C, "status"] == "overdue"        # 2024-01-15 + 3 months = 2024-04-15 < date
    assert bool(table.loc[C, "standard_breach"]) and table.loc[C, "standard"] == "EU-GBS"
    assert table.loc[E, "status"] == "not_yet_due"    # issued 2023-01-10 + 18 months = 2024-07-10
    assert table.loc[F, "status"] == "not_scheduled"  # reports at project end only
    assert D not in table.index
    shares = result.tables["reporting_status_shares.csv"]
    assert lookup(shares, scope="ALL", status="reported").share == pytest.approx(2 / 5)
    assert lookup(shares, scope="USD", status="not_yet_due").share == pytest.approx(1 / 2)


def test_category_and_sdg_shares_by_hand(result) -> None:
    categories = result.tables["categories.csv"]
    # ALL: mean of A (RE 0.6, GB 0.4) and B (water 1.0); D is not green, the others have no rows
    assert lookup(categories, scope="ALL", category="renewable_energy").share == pytest.approx(0.3)
    assert lookup(categories, scope="ALL", category="green_buildings").share == pytest.approx(0.2)
    assert lookup(categories, scope="ALL", category="sustainable_water").share == pytest.approx(0.5)
    assert "affordable_housing" not in set(categories["category"])
    sdgs = result.tables["sdgs.csv"]
    # A: P1 (no SDGs given: renewable_energy maps to 7 and 13) 60 → 30 + 30; P2 (7;11) 40 → 20 + 20
    assert lookup(sdgs, scope="EUR", sdg=7).share == pytest.approx(0.5)
    assert lookup(sdgs, scope="EUR", sdg=13).share == pytest.approx(0.3)
    assert lookup(sdgs, scope="ALL", sdg=6).share == pytest.approx(0.5)
    for table in (categories, sdgs):
        assert table.groupby("scope")["share"].sum().to_numpy() == pytest.approx(1.0)
