"""Annualization rules (FORMATS.md "Impact": period) and their refusals."""

from __future__ import annotations

from datetime import date

import pytest

from greenmarket.errors import ValidationError
from greenmarket.impact.catalogue import indicators
from greenmarket.impact.errors import NotAnnualizable
from greenmarket.impact.periods import Period, annualize, parse_period

CATALOGUE = indicators()
GHG = CATALOGUE["ghg_reduced"]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("year", 1000.0),
        ("month", 12_000.0),                                 # × 12
        ("day", 365_000.0),                                  # × 365 (seed 003 5.2.2: 1 year = 365 days)
        ("cumulative:2023-01-01/2023-12-31", 1000.0),        # 365 days inclusive: one year
        ("cumulative:2022-01-01/2023-12-31", 500.0),         # 730 days: two years
        ("cumulative:2024-01-01/2024-12-31", 1000 * 365 / 366),  # a leap year is 366/365 years
        ("cumulative:2024-03-01/2024-03-01", 365_000.0),     # a single day, both ends included
        ("cumulative:2023-07-01/2023-09-30", 1000 * 365 / 92),
    ],
)
def test_flows_are_annualized_from_their_period(period: str, expected: float) -> None:
    assert annualize(1000.0, parse_period(period), GHG, isin="XS0000000000") == pytest.approx(expected)


def test_cumulative_without_dates_is_refused_for_a_flow() -> None:
    with pytest.raises(NotAnnualizable) as caught:
        annualize(1000.0, parse_period("cumulative"), CATALOGUE["water_saved"], isin="FR0000000000")
    assert caught.value.reason == "not annualizable"
    assert "FR0000000000" in caught.value.message and "water_saved" in caught.value.message


@pytest.mark.parametrize("indicator", ["people_benefited", "renewable_capacity", "jobs_created",
                                       "habitat_area", "loans_approved"])
@pytest.mark.parametrize("period", ["cumulative", "day", "month", "cumulative:2022-01-01/2023-12-31"])
def test_stocks_and_one_offs_are_taken_as_reported(indicator: str, period: str) -> None:
    assert annualize(42.0, parse_period(period), CATALOGUE[indicator], isin="XS0000000000") == 42.0


def test_parse_period_reads_each_form() -> None:
    assert parse_period(" month ") == Period("month")
    assert parse_period("cumulative") == Period("cumulative")
    span = parse_period("cumulative:2022-04-01/2023-03-31")
    assert (span.start, span.end, span.days) == (date(2022, 4, 1), date(2023, 3, 31), 365)


@pytest.mark.parametrize("text", ["weekly", "years", "", "cumulative:2023-01-01",
                                  "cumulative:2023-12-31/2023-01-01", "cumulative:x/y",
                                  "total:2023-01-01/2023-12-31", "cumulative:2023-02-30/2023-12-31"])
def test_malformed_periods_are_rejected(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_period(text)
    assert caught.value.code == "invalid_period"
