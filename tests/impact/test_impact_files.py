"""Bad inputs are rejected with file, line, column and rule, and nothing is written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from impact_kit import bond_row, make_isin, write_csv
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.errors import FileFormatError
from greenmarket.impact.pipeline import compute

A = make_isin("DE", 11)
B = make_isin("JP", 12)
GOOD_REPORT = {"isin": A, "report_date": "2024-01-31", "indicator": "ghg_reduced", "value": 10,
               "unit": "tCO2e", "period": "year", "level": "bond", "share": 1}


def inputs(**overrides):
    files = {
        "bonds": [bond_row(A, "EUR", 100e6), bond_row(B, "JPY", 10e9)],
        "fx": [{"currency": "EUR", "date": "2024-01-02", "usd_per_unit": 1.1}],
        "commitments": [{"isin": A, "reporting_frequency_months": 12, "reporting_until": "maturity",
                         "standard": "ICMA"}],
        "impact_reports": [GOOD_REPORT],
        "allocations": [{"isin": A, "project": "P1", "category": "renewable_energy", "sdgs": "",
                         "amount": 100}],
    }
    files.update(overrides)
    return files


@pytest.mark.parametrize(
    ("file", "rows", "line", "column", "rule"),
    [
        ("impact_reports", [GOOD_REPORT, {**GOOD_REPORT, "indicator": "trees_planted"}], 3, "indicator",
         "is not one of"),
        ("impact_reports", [{**GOOD_REPORT, "period": "weekly"}], 2, "period", "is not year, month"),
        ("impact_reports", [{**GOOD_REPORT, "level": "bond", "share": 0.5}], 2, "share", "must be 1"),
        ("impact_reports", [{**GOOD_REPORT, "level": "pooled", "share": 1.5}], 2, "share", "above 1"),
        ("impact_reports", [{**GOOD_REPORT, "isin": make_isin("FR", 99)}], 2, "isin", "not in bonds.csv"),
        ("impact_reports", [{**GOOD_REPORT, "isin": A[:-1] + str((int(A[-1]) + 1) % 10)}], 2, "isin",
         "check digit"),
        ("impact_reports", [{**GOOD_REPORT, "report_date": "31/01/2024"}], 2, "report_date", "ISO 8601"),
        ("impact_reports", [{**GOOD_REPORT, "value": "n/a"}], 2, "value", "not a decimal number"),
        ("commitments", [{"isin": A, "reporting_frequency_months": "0", "reporting_until": "maturity",
                          "standard": "ICMA"}], 2, "reporting_frequency_months", "whole number"),
        ("commitments", [{"isin": A, "reporting_frequency_months": "", "reporting_until": "forever",
                          "standard": "ICMA"}], 2, "reporting_until", "is not one of"),
        ("commitments", [{"isin": A, "reporting_frequency_months": "", "reporting_until": "maturity",
                          "standard": "GBP"}], 2, "standard", "is not one of"),
        ("allocations", [{"isin": A, "project": "P1", "category": "space_mining", "sdgs": "",
                          "amount": 1}], 2, "category", "is not one of"),
        ("allocations", [{"isin": A, "project": "P1", "category": "renewable_energy", "sdgs": "7;18",
                          "amount": 1}], 2, "sdgs", "SDGs 1-17"),
        ("allocations", [{"isin": A, "project": "P1", "category": "renewable_energy", "sdgs": "",
                          "amount": 0}], 2, "amount", "sum to 0"),
        ("fx", [{"currency": "EUR", "date": "2024-01-02", "usd_per_unit": -1}], 2, "usd_per_unit",
         "greater than 0"),
        ("bonds", [bond_row(A, "EUR", 100e6), bond_row(B, "JPY", 10e9, esg_type="greenish")], 3,
         "esg_type", ""),
        ("bonds", [bond_row(A, "EUR", 100e6, amount_usd="-5"), bond_row(B, "JPY", 10e9)], 2,
         "amount_usd", "greater than 0"),
    ],
)
def test_a_broken_rule_names_file_line_and_column(write_inputs, file, rows, line, column, rule) -> None:
    data = write_inputs(**inputs(**{file: rows}))
    with pytest.raises(FileFormatError) as caught:
        compute(data, date(2024, 6, 30))
    error = caught.value
    assert Path(error.source).name == f"{file}.csv"
    assert (error.line, error.column) == (line, column)
    assert rule in error.message


def test_a_missing_file_or_column_is_named(write_inputs) -> None:
    data = write_inputs(**inputs())
    (data / "allocations.csv").unlink()
    with pytest.raises(FileFormatError, match="allocations.csv: file is missing"):
        compute(data, date(2024, 6, 30))
    data = write_inputs(**inputs())
    write_csv(data / "impact_reports.csv", [{k: v for k, v in GOOD_REPORT.items() if k != "share"}])
    with pytest.raises(FileFormatError) as caught:
        compute(data, date(2024, 6, 30))
    assert (caught.value.line, caught.value.column) == (1, "share")


def test_cli_writes_nothing_when_an_input_is_bad(write_inputs, tmp_path: Path) -> None:
    data = write_inputs(**inputs(impact_reports=[{**GOOD_REPORT, "period": "fortnight"}]))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["impact", "run", "--data", str(data), "--out", str(out),
                                      "--as-of", "2024-06-30"])
    assert isinstance(result.exception, FileFormatError)
    assert result.exception.column == "period"
    assert not out.exists()


def test_no_reports_and_no_allocations_still_give_every_table(write_inputs, tmp_path: Path) -> None:
    data = write_inputs(**inputs(impact_reports=[], allocations=[]))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["impact", "run", "--data", str(data), "--out", str(out),
                                      "--as-of", "2024-06-30"])
    assert result.exit_code == 0, result.output
    assert (out / "portfolio_impact.csv").read_text().strip() == \
        "scope,indicator,unit,weighted_impact,bonds_reporting"
    assert "overdue" in (out / "reporting_status.csv").read_text()   # A: issued 2022, never reported
    assert "配分データなし" in (out / "report.html").read_text(encoding="utf-8")
