"""Annualization of reported flows (FORMATS.md, "Impact": `period`).

A flow reported per day is multiplied by 365, per month by 12, per year by 1; a flow reported as
cumulative over START/END (both inclusive) is divided by its length in years, its days / 365. A
cumulative figure with no stated period cannot be annualized and is refused, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from greenmarket.errors import ValidationError
from greenmarket.impact.catalogue import Indicator
from greenmarket.impact.errors import NotAnnualizable

DAYS_PER_YEAR = 365
_PER_YEAR = {"year": 1, "month": 12, "day": DAYS_PER_YEAR}


@dataclass(frozen=True)
class Period:
    """The period a reported value covers: ``year``, ``month``, ``day`` or ``cumulative``."""

    kind: str
    start: date | None = None
    end: date | None = None

    @property
    def days(self) -> int | None:
        """Days of an explicit cumulative period, both ends included."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1


def parse_period(text: str) -> Period:
    """Parse a `period` cell; a malformed one raises :class:`ValidationError` (code invalid_period)."""
    value = text.strip()
    if value in _PER_YEAR or value == "cumulative":
        return Period(value)
    kind, sep, span = value.partition(":")
    start_text, dash, end_text = span.partition("/")
    if kind != "cumulative" or not sep or not dash:
        raise ValidationError(
            f"period {text!r} is not year, month, day, cumulative or cumulative:START/END",
            code="invalid_period",
        )
    try:
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError as error:
        raise ValidationError(f"period {text!r}: {error}", code="invalid_period") from error
    if end < start:
        raise ValidationError(f"period {text!r} ends before it starts", code="invalid_period")
    return Period("cumulative", start, end)


def annual_factor(period: Period, *, isin: str, indicator: str) -> float:
    """Return the factor that turns a value over ``period`` into a value per year."""
    if period.kind in _PER_YEAR:
        return float(_PER_YEAR[period.kind])
    days = period.days
    if days is None:
        raise NotAnnualizable(
            "reported as cumulative over an unknown period", isin=isin, indicator=indicator
        )
    return DAYS_PER_YEAR / days


def annualize(value: float, period: Period, indicator: Indicator, *, isin: str) -> float:
    """Return the yearly value of a flow; stocks and one-off counts are taken as reported."""
    if not indicator.annualized:
        return value
    return value * annual_factor(period, isin=isin, indicator=indicator.id)
