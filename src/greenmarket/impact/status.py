"""Reporting status of a green bond on an evaluation date (seed 003 5.2.3-5.2.4, FORMATS.md).

With L the latest impact report on or before the date and F the committed reporting frequency in
months (18 when none is stated):

- ``not_scheduled`` when the issuer committed to report only at project end;
- ``reported`` when L + F months >= the date;
- ``not_yet_due`` when there is no report and issue date + F months >= the date;
- ``overdue`` otherwise; an overdue bond that claims a reporting standard is a standard breach.

Months are calendar months with end-of-month clamping (2023-08-31 + 6 months = 2024-02-29).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

DEFAULT_FREQUENCY_MONTHS = 18
REPORTING_UNTIL = ("maturity", "full_allocation", "project_end")
STANDARDS = ("ICMA", "ICMA+MDB", "MDB", "EU-GBS", "NPSI", "none")
STATUSES = ("reported", "not_yet_due", "overdue", "not_scheduled")


@dataclass(frozen=True)
class Commitment:
    """What the issuer promised before issuance about impact reporting."""

    isin: str
    frequency_months: int | None = None
    reporting_until: str = "maturity"
    standard: str = "none"

    @property
    def months(self) -> int:
        """The frequency the status is measured against: the stated one, else 18 months."""
        return self.frequency_months if self.frequency_months is not None else DEFAULT_FREQUENCY_MONTHS


def add_months(day: date, months: int) -> date:
    """Add calendar months, clamping to the month's last day (pandas DateOffset semantics)."""
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def reporting_status(
    commitment: Commitment, *, issue_date: date, latest_report: date | None, as_of: date
) -> str:
    """Return the bond's status on ``as_of``; ``latest_report`` must be on or before ``as_of``."""
    if commitment.reporting_until == "project_end":
        return "not_scheduled"
    if latest_report is not None:
        return "reported" if add_months(latest_report, commitment.months) >= as_of else "overdue"
    return "not_yet_due" if add_months(issue_date, commitment.months) >= as_of else "overdue"


def standard_breach(status: str, standard: str) -> bool:
    """An overdue bond whose issuer claims a reporting standard breaches it."""
    return status == "overdue" and standard != "none"
