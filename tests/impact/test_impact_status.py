"""Reporting status at its boundaries (FORMATS.md "Impact": reporting_status.csv)."""

from __future__ import annotations

from datetime import date

import pytest

from greenmarket.impact.status import Commitment, add_months, reporting_status, standard_breach

NONE_STATED = Commitment("XS0000000000")                 # no frequency stated: 18 months
ANNUAL = Commitment("XS0000000000", frequency_months=12, standard="ICMA")
ISSUED = date(2020, 1, 15)


def status(commitment: Commitment, latest: date | None, as_of: date, issued: date = ISSUED) -> str:
    return reporting_status(commitment, issue_date=issued, latest_report=latest, as_of=as_of)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 7, 14), "reported"),   # one day before 18 months
        (date(2024, 7, 15), "reported"),   # exactly 18 months after 2023-01-15: L + F >= date
        (date(2024, 7, 16), "overdue"),    # one day after
    ],
)
def test_eighteen_months_when_no_frequency_is_stated(as_of: date, expected: str) -> None:
    assert status(NONE_STATED, date(2023, 1, 15), as_of) == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(date(2024, 2, 28), "reported"), (date(2024, 2, 29), "reported"), (date(2024, 3, 1), "overdue")],
)
def test_month_end_clamps_to_the_last_day(as_of: date, expected: str) -> None:
    # 2023-08-31 + 6 months is 2024-02-29 (leap year), not 2024-03-02
    assert status(Commitment("XS0000000000", frequency_months=6), date(2023, 8, 31), as_of) == expected


def test_add_months_clamps() -> None:
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2022, 7, 31), 18) == date(2024, 1, 31)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [(date(2021, 7, 15), "not_yet_due"), (date(2021, 7, 16), "overdue")],
)
def test_without_a_report_the_clock_starts_at_issue(as_of: date, expected: str) -> None:
    assert status(NONE_STATED, None, as_of) == expected


def test_committed_frequency_replaces_the_default() -> None:
    assert status(ANNUAL, date(2023, 3, 1), date(2024, 3, 1)) == "reported"
    assert status(ANNUAL, date(2023, 3, 1), date(2024, 3, 2)) == "overdue"


def test_project_end_commitment_is_never_due() -> None:
    only_at_end = Commitment("XS0000000000", frequency_months=12, reporting_until="project_end",
                             standard="ICMA")
    assert status(only_at_end, None, date(2030, 1, 1)) == "not_scheduled"
    assert status(only_at_end, date(2021, 1, 1), date(2030, 1, 1)) == "not_scheduled"


@pytest.mark.parametrize(
    ("state", "standard", "breach"),
    [("overdue", "ICMA", True), ("overdue", "EU-GBS", True), ("overdue", "none", False),
     ("reported", "ICMA", False), ("not_scheduled", "MDB", False), ("not_yet_due", "NPSI", False)],
)
def test_standard_breach_is_an_overdue_bond_claiming_a_standard(state: str, standard: str, breach: bool) -> None:
    assert standard_breach(state, standard) is breach
