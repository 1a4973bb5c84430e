"""``greenmarket impact run``: read the inputs, compute the tables, write them and the report.

Everything is read and computed before the first file is written, so a bad input leaves the
output directory untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from greenmarket.errors import FileFormatError
from greenmarket.impact import allocation, catalogue, files, greenium, portfolio
from greenmarket.impact.portfolio import Bond

GREENIUM_FILE = "greenium_by_bond.csv"


@dataclass
class ImpactResult:
    """The tables of one run, keyed by output file name."""

    as_of: date
    portfolio_usd: float
    bonds: list[Bond]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def compute(data_dir: Path, as_of: date, *, portfolio_usd: float = portfolio.DEFAULT_PORTFOLIO_USD,
            greenium_dir: Path | None = None, seed: int = 0) -> ImpactResult:
    """Read the inputs of ``data_dir`` (and the greenium output) and compute every table."""
    indicators, categories = catalogue.indicators(), catalogue.categories()
    bonds = files.read_bonds(data_dir / "bonds.csv")
    by_isin = {bond.isin: bond for bond in bonds}
    if not any(bond.green for bond in bonds):
        raise FileFormatError("no green, blue or sustainability bond: the portfolio is empty",
                                    source=str(data_dir / "bonds.csv"), column="esg_type")
    fx = files.read_fx(data_dir / "fx.csv")
    commitments = files.read_commitments(data_dir / "commitments.csv", by_isin)
    reports = files.read_impact_reports(data_dir / "impact_reports.csv", by_isin, indicators)
    allocations = files.read_allocations(data_dir / "allocations.csv", by_isin, categories)
    greenium_input = files.read_greenium(greenium_dir / GREENIUM_FILE) if greenium_dir else None

    impacts, flags = portfolio.bond_impacts(bonds, reports, indicators, fx, as_of)
    statuses = portfolio.status_table(bonds, commitments, reports, as_of)
    result = ImpactResult(as_of, portfolio_usd, bonds)
    result.tables = {
        "portfolio_impact.csv": portfolio.portfolio_impact(bonds, impacts, indicators, portfolio_usd),
        "reporting_status.csv": statuses,
        "flags.csv": portfolio.flags_table(flags),
        "categories.csv": _shares(bonds, allocations, "category", allocation.category_shares),
        "sdgs.csv": _shares(bonds, allocations, "sdg", allocation.sdg_shares),
        "bond_impact.csv": impacts,
        "reporting_status_shares.csv": portfolio.status_shares(statuses),
    }
    if greenium_input is not None:
        ranked = greenium.ranking(greenium.bond_greenium(greenium_input), impacts)
        result.tables["greenium_impact.csv"] = ranked
        result.tables["greenium_correlation.csv"] = greenium.correlations(ranked, seed=seed)
    return result


def _shares(bonds: list[Bond], rows: list[allocation.AllocationRow], key: str,
            per_bond_rule: Callable[[list[allocation.AllocationRow]], Mapping[Any, float]]) -> pd.DataFrame:
    grouped: dict[str, list[allocation.AllocationRow]] = {}
    for row in rows:
        grouped.setdefault(row.isin, []).append(row)
    per_bond = {isin: per_bond_rule(bond_rows) for isin, bond_rows in grouped.items()}
    records = []
    for scope, shares in portfolio.allocation_scopes(bonds, per_bond).items():
        for name, share in sorted(allocation.mean_shares(shares).items(), key=lambda item: -item[1]):
            records.append({"scope": scope, key: name, "share": share, "bonds": len(shares)})
    return pd.DataFrame(records, columns=["scope", key, "share", "bonds"])


def write(result: ImpactResult, out_dir: Path) -> list[Path]:
    """Write every table as CSV (booleans ``true``/``false``, dates ISO) and ``report.html``."""
    from greenmarket.impact.report import render_html  # matplotlib is loaded only when writing

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in result.tables.items():
        path = out_dir / name
        _csv_ready(table).to_csv(path, index=False)
        written.append(path)
    report = out_dir / "report.html"
    report.write_text(render_html(result), encoding="utf-8")
    written.append(report)
    return written


def _csv_ready(table: pd.DataFrame) -> pd.DataFrame:
    frame = table.copy()
    for column in frame.columns:
        if frame[column].dtype == bool:
            frame[column] = frame[column].map({True: "true", False: "false"})
    return frame
