"""Readers of the impact inputs (FORMATS.md, "Impact"), with every file rule checked.

A file that breaks a rule raises :class:`~greenmarket.errors.FileFormatError` naming the file, the
line, the column and the rule; the pipeline reads every input before it writes anything.
bonds.csv is read by the bonds area's :func:`~greenmarket.bonds.reference.load_bonds` (every
FORMATS rule of the file); impact adds the optional ``amount_usd`` column and requires amount > 0.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path

import pandas as pd

from greenmarket.bonds.isin import is_valid_isin
from greenmarket.bonds.reference import load_bonds
from greenmarket.errors import FileFormatError, ValidationError
from greenmarket.impact.allocation import AllocationRow
from greenmarket.impact.catalogue import Category, Indicator
from greenmarket.impact.periods import parse_period
from greenmarket.impact.portfolio import Bond, FxRate, ImpactReport
from greenmarket.impact.status import REPORTING_UNTIL, STANDARDS, Commitment

LEVELS = ("bond", "project", "category", "geography", "pooled")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Cells:
    """The cells of one CSV row, parsed with errors that point at the file, line and column."""

    def __init__(self, source: str, line: int, row: Mapping[str, str | None]) -> None:
        self.source, self.line, self.row = source, line, row

    def fail(self, column: str, rule: str) -> FileFormatError:
        """Return the error for ``column`` breaking ``rule`` on this line."""
        return FileFormatError(rule, source=self.source, line=self.line, column=column)

    def optional(self, column: str) -> str:
        """Return the stripped cell, '' when empty or absent."""
        return (self.row.get(column) or "").strip()

    def text(self, column: str) -> str:
        """Return a cell that must not be empty."""
        value = self.optional(column)
        if not value:
            raise self.fail(column, "must not be empty")
        return value

    def date(self, column: str) -> date:
        """Return an ISO 8601 date."""
        value = self.text(column)
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise self.fail(column, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from error

    def number(self, column: str, *, minimum: float | None = None, positive: bool = False) -> float:
        """Return a finite decimal number, optionally bounded below."""
        value = self.text(column)
        try:
            number = float(value)
        except ValueError as error:
            raise self.fail(column, f"{value!r} is not a decimal number") from error
        if not math.isfinite(number):
            raise self.fail(column, f"{value!r} is not a finite number")
        if positive and number <= 0:
            raise self.fail(column, f"{value} must be greater than 0")
        if minimum is not None and number < minimum:
            raise self.fail(column, f"{value} must be at least {minimum:g}")
        return number

    def integer(self, column: str, *, minimum: int) -> int:
        """Return a whole number of at least ``minimum``."""
        value = self.text(column)
        if not re.fullmatch(r"[+-]?\d+", value) or int(value) < minimum:
            raise self.fail(column, f"{value!r} is not a whole number of at least {minimum}")
        return int(value)

    def choice(self, column: str, choices: Sequence[str]) -> str:
        """Return a cell that must be one of ``choices``."""
        value = self.text(column)
        if value not in choices:
            raise self.fail(column, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def currency(self, column: str) -> str:
        """Return an ISO 4217 code (three capital letters)."""
        value = self.text(column)
        if not _CURRENCY.match(value):
            raise self.fail(column, f"{value!r} is not an ISO 4217 currency code")
        return value

    def isin(self, column: str, known: Mapping[str, object] | None = None) -> str:
        """Return a valid ISIN; with ``known``, one that bonds.csv lists."""
        value = self.text(column)
        if not is_valid_isin(value):
            raise self.fail(column, f"{value!r} is not an ISIN with a valid check digit")
        if known is not None and value not in known:
            raise self.fail(column, f"{value} is not in bonds.csv")
        return value


def rows(path: Path, required: Sequence[str]) -> Iterator[Cells]:
    """Yield the data rows of a CSV file after checking that it exists and has ``required`` columns."""
    source = str(path)
    if not path.is_file():
        raise FileFormatError("file is missing", source=source)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for column in required:
            if column not in header:
                raise FileFormatError("required column is missing", source=source, line=1, column=column)
        for row in reader:
            if None in row:
                raise FileFormatError("row has more cells than the header", source=source,
                                      line=reader.line_num)
            yield Cells(source, reader.line_num, row)


def read_bonds(path: Path) -> list[Bond]:
    """Read bonds.csv with the bonds area's loader (every FORMATS rule), plus ``amount_usd``."""
    frame = load_bonds(path)
    amounts_usd = {cells.isin("isin"): cells.number("amount_usd", positive=True)
                   for cells in rows(path, ("isin",)) if cells.optional("amount_usd")}
    bonds = []
    for line, row in enumerate(frame.itertuples(index=False), start=2):
        if row.amount <= 0:
            raise FileFormatError("amount must be greater than 0 (impact is divided by it)",
                                  source=str(path), line=line, column="amount")
        bonds.append(Bond(isin=row.isin, issuer=row.issuer, currency=row.currency,
                          issue_date=row.issue_date.date(), amount=float(row.amount),
                          esg_type=row.esg_type, amount_usd=amounts_usd.get(row.isin)))
    return bonds


def read_fx(path: Path) -> list[FxRate]:
    """Read fx.csv; an absent file means no rates."""
    if not path.exists():
        return []
    rates: dict[tuple[str, date], FxRate] = {}
    for cells in rows(path, ("currency", "date", "usd_per_unit")):
        rate = FxRate(cells.currency("currency"), cells.date("date"),
                      cells.number("usd_per_unit", positive=True))
        if (rate.currency, rate.date) in rates:
            raise cells.fail("date", f"a second {rate.currency} rate on {rate.date}")
        rates[(rate.currency, rate.date)] = rate
    return list(rates.values())


def read_commitments(path: Path, bonds: Mapping[str, Bond]) -> dict[str, Commitment]:
    """Read commitments.csv: one row per bond at most."""
    commitments: dict[str, Commitment] = {}
    for cells in rows(path, ("isin", "reporting_frequency_months", "reporting_until", "standard")):
        isin = cells.isin("isin", bonds)
        if isin in commitments:
            raise cells.fail("isin", f"{isin} appears twice")
        frequency = cells.integer("reporting_frequency_months", minimum=1) \
            if cells.optional("reporting_frequency_months") else None
        commitments[isin] = Commitment(isin, frequency, cells.choice("reporting_until", REPORTING_UNTIL),
                                       cells.choice("standard", STANDARDS))
    return commitments


def read_impact_reports(path: Path, bonds: Mapping[str, Bond],
                        catalogue: Mapping[str, Indicator]) -> list[ImpactReport]:
    """Read impact_reports.csv. Units are checked later, per report, so that an unconvertible
    unit flags that report instead of rejecting the file."""
    reports = []
    for cells in rows(path, ("isin", "report_date", "indicator", "value", "unit", "period", "level", "share")):
        isin = cells.isin("isin", bonds)
        indicator = cells.choice("indicator", tuple(catalogue))
        try:
            period = parse_period(cells.text("period"))
        except ValidationError as error:
            raise cells.fail("period", error.message) from error
        level = cells.choice("level", LEVELS)
        share = cells.number("share", positive=True)
        if share > 1:
            raise cells.fail("share", f"{share} is above 1")
        if level == "bond" and share != 1:
            raise cells.fail("share", "must be 1 for a bond-level figure")
        reports.append(ImpactReport(isin, cells.date("report_date"), indicator, cells.number("value"),
                                    cells.optional("unit"), period, level, share))
    return reports


def read_allocations(path: Path, bonds: Mapping[str, Bond],
                     categories: Mapping[str, Category]) -> list[AllocationRow]:
    """Read allocations.csv; empty ``sdgs`` take the category's SDGs from the mapping."""
    allocations: list[AllocationRow] = []
    first_line: dict[str, Cells] = {}
    totals: dict[str, float] = {}
    for cells in rows(path, ("isin", "project", "category", "sdgs", "amount")):
        isin = cells.isin("isin", bonds)
        category = cells.choice("category", tuple(categories))
        sdgs = _sdgs(cells) or categories[category].sdgs
        amount = cells.number("amount", minimum=0)
        allocations.append(AllocationRow(isin, cells.text("project"), category, sdgs, amount))
        first_line.setdefault(isin, cells)
        totals[isin] = totals.get(isin, 0.0) + amount
    for isin, total in totals.items():
        if total <= 0:
            raise first_line[isin].fail("amount", f"the amounts of bond {isin} sum to 0")
    return allocations


def _sdgs(cells: Cells) -> tuple[int, ...]:
    text = cells.optional("sdgs")
    if not text:
        return ()
    parts = [part.strip() for part in text.split(";")]
    if not all(re.fullmatch(r"\d{1,2}", part) and 1 <= int(part) <= 17 for part in parts):
        raise cells.fail("sdgs", f"{text!r} is not a ';'-separated list of SDGs 1-17")
    goals = tuple(int(part) for part in parts)
    if len(set(goals)) != len(goals):
        raise cells.fail("sdgs", f"{text!r} names an SDG twice")
    return goals


def read_greenium(path: Path) -> pd.DataFrame:
    """Read greenium_by_bond.csv from the greenium pipeline's output directory."""
    records = []
    for cells in rows(path, ("currency", "issuer", "green_isin", "brown_isin", "days", "mean_greenium_bp")):
        records.append({"currency": cells.currency("currency"), "issuer": cells.text("issuer"),
                        "green_isin": cells.isin("green_isin"), "brown_isin": cells.isin("brown_isin"),
                        "days": cells.integer("days", minimum=1),
                        "mean_greenium_bp": cells.number("mean_greenium_bp")})
    return pd.DataFrame(records, columns=["currency", "issuer", "green_isin", "brown_isin", "days",
                                          "mean_greenium_bp"])
