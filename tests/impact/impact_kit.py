"""Builders for impact test inputs: valid ISINs, bonds.csv rows with every FORMATS column, CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

from greenmarket.bonds.isin import isin_check_digit


def make_isin(prefix: str, number: int) -> str:
    """Return a valid ISIN ``prefix`` + 9 digits + check digit."""
    body = f"{prefix}{number:09d}"
    return body + str(isin_check_digit(body))


def bond_row(isin: str, currency: str, amount: float, esg_type: str = "green",
             issue_date: str = "2022-01-10", amount_usd: str = "") -> dict[str, object]:
    """A bonds.csv row that passes the bonds area's loader."""
    return {
        "isin": isin, "issuer": f"Issuer {isin[:2]}", "currency": currency, "issue_date": issue_date,
        "maturity_date": "2032-01-10", "amount": f"{amount:.0f}", "issue_price": "99.5",
        "yield_at_issue": "1.2", "coupon_type": "fixed", "coupon_rate": "1.0", "coupon_frequency": 1,
        "day_count": "ACT/ACT-ICMA", "settlement_days": 2, "seniority": "senior unsecured",
        "subordination": "senior", "callable": "false", "putable": "false", "sinkable": "false",
        "convertible": "false", "collateral": "unsecured", "esg_type": esg_type, "perpetual": "false",
        "strip": "false", "pricing_sources": 3, "amount_usd": amount_usd,
    }


def write_csv(path: Path, rows: list[dict[str, object]], columns: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


HEADERS = {
    "commitments": ["isin", "reporting_frequency_months", "reporting_until", "standard"],
    "allocations": ["isin", "project", "category", "sdgs", "amount"],
    "impact_reports": ["isin", "report_date", "indicator", "value", "unit", "period", "level", "share"],
    "fx": ["currency", "date", "usd_per_unit"],
}


def write_inputs_to(root: Path, **files: list[dict[str, object]]) -> Path:
    """Write the named input files (lists of row dicts) into ``root / "data"``; return that folder."""
    data = root / "data"
    for name, rows in files.items():
        write_csv(data / f"{name}.csv", rows, HEADERS.get(name))
    return data
