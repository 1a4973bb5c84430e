"""Loading bonds.csv / prices.csv / curves.csv / disclosures.csv: every rule, with line and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from greenmarket.bonds.reference import (
    load_bonds,
    load_curves,
    load_disclosures,
    load_german_green_twins,
    load_prices,
)
from greenmarket.errors import FileFormatError

BONDS_HEADER = (
    "isin,issuer,currency,issue_date,maturity_date,amount,issue_price,yield_at_issue,coupon_type,coupon_rate,"
    "coupon_frequency,day_count,settlement_days,seniority,subordination,callable,putable,sinkable,convertible,"
    "collateral,esg_type,perpetual,strip,pricing_sources"
)
GOOD_BOND = (
    "DE0001030740,Federal Republic of Germany,EUR,2022-08-31,2027-10-15,5000000000,99.675,1.3654,fixed,1.30,1,"
    "ACT/ACT-ICMA,2,,senior,false,false,false,false,unsecured,green,false,false,12"
)
TWIN_BOND = GOOD_BOND.replace("DE0001030740", "DE0001141869").replace(",green,", ",none,")


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bond_with(**changes: str) -> str:
    cells = dict(zip(BONDS_HEADER.split(","), GOOD_BOND.split(",")))
    cells.update(changes)
    return ",".join(cells.values())


def test_bonds_a_good_file_loads_with_typed_columns(tmp_path: Path) -> None:
    bonds = load_bonds(write(tmp_path, "bonds.csv", BONDS_HEADER, GOOD_BOND, TWIN_BOND))
    assert list(bonds["isin"]) == ["DE0001030740", "DE0001141869"]
    assert bonds["maturity_date"].iloc[0] == pd.Timestamp("2027-10-15")
    assert bonds["callable"].dtype == bool and not bonds["callable"].any()
    assert bonds["coupon_frequency"].dtype == "int64"
    assert bonds["coupon_rate"].iloc[0] == 1.3
    assert bonds["seniority"].iloc[0] == ""


def test_bonds_column_order_is_free_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    header = BONDS_HEADER.split(",")
    order = list(reversed(range(len(header))))
    row = GOOD_BOND.split(",")
    path = write(tmp_path, "bonds.csv", ",".join([header[i] for i in order] + ["note"]),
                 ",".join([row[i] for i in order] + ["anything"]))
    bonds = load_bonds(path)
    assert "note" not in bonds.columns
    assert bonds["isin"].iloc[0] == "DE0001030740"


CELL_RULES = [
    ({"isin": "DE0001030741"}, "isin", "check digit"),
    ({"currency": "eur"}, "currency", "ISO 4217"),
    ({"issue_date": "2022-02-30"}, "issue_date", "exist"),
    ({"issue_date": "31/08/2022"}, "issue_date", "YYYY-MM-DD"),
    ({"coupon_type": "fix"}, "coupon_type", "one of fixed"),
    ({"coupon_frequency": "3"}, "coupon_frequency", "one of 0, 1, 2, 4, 12"),
    ({"day_count": "ACT/ACT"}, "day_count", "one of ACT/ACT-ICMA"),
    ({"callable": "False"}, "callable", "true or false"),
    ({"settlement_days": "-1"}, "settlement_days", "≥ 0"),
    ({"settlement_days": "1.5"}, "settlement_days", "whole number"),
    ({"coupon_rate": "1.3%"}, "coupon_rate", "decimal number"),
    ({"issue_price": "0"}, "issue_price", "> 0"),
    ({"esg_type": "Green"}, "esg_type", "one of green"),
    ({"pricing_sources": ""}, "pricing_sources", "required"),
    ({"issuer": ""}, "issuer", "required"),
]


@pytest.mark.parametrize(("changes", "column", "rule"), CELL_RULES)
def test_bonds_a_bad_cell_names_file_line_column_and_rule(tmp_path: Path, changes, column, rule) -> None:
    path = write(tmp_path, "bonds.csv", BONDS_HEADER, TWIN_BOND, bond_with(**changes))
    with pytest.raises(FileFormatError) as caught:
        load_bonds(path)
    error = caught.value
    assert (error.source, error.line, error.column) == (str(path), 3, column)
    assert rule in error.message


ROW_RULES = [
    ({"maturity_date": ""}, "maturity_date", "perpetual"),
    ({"maturity_date": "2022-08-31"}, "maturity_date", "after issue_date"),
    ({"coupon_frequency": "0"}, "coupon_frequency", "zero"),
    ({"coupon_type": "zero"}, "coupon_frequency", "zero"),
    ({"coupon_rate": ""}, "coupon_rate", "floating"),
    ({"isin": "DE0001141869"}, "isin", "duplicate"),
]


@pytest.mark.parametrize(("changes", "column", "rule"), ROW_RULES)
def test_bonds_row_rules(tmp_path: Path, changes, column, rule) -> None:
    path = write(tmp_path, "bonds.csv", BONDS_HEADER, TWIN_BOND, bond_with(**changes))
    with pytest.raises(FileFormatError) as caught:
        load_bonds(path)
    assert (caught.value.line, caught.value.column) == (3, column)
    assert rule in caught.value.message


def test_bonds_perpetual_and_floating_exceptions_are_allowed(tmp_path: Path) -> None:
    perpetual = bond_with(maturity_date="", perpetual="true")
    floating = bond_with(isin="DE0001141869", coupon_type="floating", coupon_rate="")
    bonds = load_bonds(write(tmp_path, "bonds.csv", BONDS_HEADER, perpetual, floating))
    assert bonds["maturity_date"].isna().iloc[0] and bonds["coupon_rate"].isna().iloc[1]


def test_bonds_the_earliest_bad_line_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "bonds.csv", BONDS_HEADER, TWIN_BOND, bond_with(strip="no"), bond_with(currency="x"))
    with pytest.raises(FileFormatError) as caught:
        load_bonds(path)
    assert (caught.value.line, caught.value.column) == (3, "strip")


def test_bonds_missing_column_and_missing_file(tmp_path: Path) -> None:
    header = BONDS_HEADER.replace(",strip", "")
    row = ",".join(c for c, name in zip(GOOD_BOND.split(","), BONDS_HEADER.split(",")) if name != "strip")
    with pytest.raises(FileFormatError, match="missing column 'strip'") as caught:
        load_bonds(write(tmp_path, "bonds.csv", header, row))
    assert caught.value.line == 1
    with pytest.raises(FileFormatError, match="not found"):
        load_bonds(tmp_path / "absent.csv")


def test_bonds_parquet_uses_row_index_plus_two_as_line(tmp_path: Path) -> None:
    bonds = load_bonds(write(tmp_path, "bonds.csv", BONDS_HEADER, GOOD_BOND, TWIN_BOND))
    bonds.to_parquet(tmp_path / "bonds.parquet")
    pd.testing.assert_frame_equal(load_bonds(tmp_path / "bonds.parquet"), bonds, check_dtype=False)
    bonds.loc[1, "coupon_frequency"] = 3
    bonds.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(FileFormatError) as caught:
        load_bonds(tmp_path / "bad.parquet")
    assert (caught.value.line, caught.value.column) == (3, "coupon_frequency")


def test_bonds_prices_rules(tmp_path: Path) -> None:
    prices = load_prices(write(tmp_path, "prices.csv", "isin,date,clean_price,z_spread_bp",
                               "DE0001030740,2024-05-31,96.5,", "DE0001030740,2024-06-03,96.4,-1.5"))
    assert prices["z_spread_bp"].isna().iloc[0] and prices["z_spread_bp"].iloc[1] == -1.5
    with pytest.raises(FileFormatError, match="duplicate") as caught:
        load_prices(write(tmp_path, "p2.csv", "isin,date,clean_price", "DE0001030740,2024-05-31,96.5",
                          "DE0001030740,2024-05-31,96.4"))
    assert caught.value.line == 3
    with pytest.raises(FileFormatError, match="> 0"):
        load_prices(write(tmp_path, "p3.csv", "date,isin,clean_price", "2024-05-31,DE0001030740,-1"))


def test_bonds_curves_rules(tmp_path: Path) -> None:
    curves = load_curves(write(tmp_path, "curves.csv", "currency,date,tenor_years,rate,kind",
                               "EUR,2024-05-31,1,3.4,zero", "EUR,2024-05-31,10,2.6,zero"))
    assert list(curves["tenor_years"]) == [1.0, 10.0]
    with pytest.raises(FileFormatError, match="frequency") as caught:
        load_curves(write(tmp_path, "c2.csv", "currency,date,tenor_years,rate,kind,frequency",
                          "USD,2024-05-31,1,5,par,2", "USD,2024-05-31,2,5,par,"))
    assert (caught.value.line, caught.value.column) == (3, "frequency")
    with pytest.raises(FileFormatError, match="frequency"):
        load_curves(write(tmp_path, "c3.csv", "currency,date,tenor_years,rate,kind", "USD,2024-05-31,1,5,par"))
    with pytest.raises(FileFormatError) as caught:
        load_curves(write(tmp_path, "c4.csv", "currency,date,tenor_years,rate,kind", "USD,2024-05-31,0,5,zero"))
    assert caught.value.column == "tenor_years"
    with pytest.raises(FileFormatError) as caught:
        load_curves(write(tmp_path, "c5.csv", "currency,date,tenor_years,rate,kind", "USD,2024-05-31,1,5,spot"))
    assert caught.value.column == "kind"


def test_bonds_disclosures(tmp_path: Path) -> None:
    header = "isin,second_opinion,allocation_report,impact_report,third_party_assurance"
    disclosures = load_disclosures(write(tmp_path, "d.csv", header, "DE0001030740,2020-08-24,2023-06-30,,"))
    assert disclosures["impact_report"].isna().iloc[0]
    assert disclosures["allocation_report"].iloc[0] == pd.Timestamp("2023-06-30")
    with pytest.raises(FileFormatError) as caught:
        load_disclosures(write(tmp_path, "d2.csv", header, "DE0001030740,2020-08-24,yes,,"))
    assert (caught.value.line, caught.value.column) == (2, "allocation_report")


def test_bonds_german_green_twins_share_coupon_and_maturity() -> None:
    """The bundled reference set: each green Bund and its conventional twin (public facts)."""
    twins = load_german_green_twins().set_index("isin")
    greens = twins[twins["esg_type"] == "green"]
    assert len(greens) == 5 and (twins["esg_type"] == "none").sum() == 5
    for isin, green in greens.iterrows():
        twin = twins.loc[green["twin_isin"]]
        assert twin["twin_isin"] == isin
        assert twin["maturity_date"] == green["maturity_date"]
        assert twin["coupon_rate"] == green["coupon_rate"]
    # the pair that seed 003 shows in its matching example (Figure 4)
    assert greens.loc["DE0001030740", "twin_isin"] == "DE0001141869"
    assert greens.loc["DE0001030740", "maturity_date"] == pd.Timestamp("2027-10-15")
