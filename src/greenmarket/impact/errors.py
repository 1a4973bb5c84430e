"""Refusals of the impact rules.

Each names the bond (ISIN), the indicator and what was refused. The pipeline edge decides what to
do with them: ``greenmarket impact run`` writes one ``flags.csv`` row per refused report (with the
error's ``reason``, the wording fixed in FORMATS.md) instead of aborting.
"""

from __future__ import annotations

from greenmarket.errors import ValidationError


class ImpactRefusal(ValidationError):
    """A report that cannot enter the weighted impact; ``reason`` is its flags.csv wording."""

    reason: str = ""

    def __init__(self, message: str, *, isin: str, indicator: str | None = None) -> None:
        where = f"bond {isin}" + (f", indicator {indicator}" if indicator else "")
        super().__init__(f"{where}: {message}", isin=isin, indicator=indicator)
        self.isin = isin
        self.indicator = indicator


class UnknownUnit(ImpactRefusal):
    """The reported unit is not defined or cannot be converted to the indicator's unit."""

    code = "unknown_unit"
    reason = "unknown unit"

    def __init__(self, message: str, *, isin: str, indicator: str, unit: str) -> None:
        super().__init__(message, isin=isin, indicator=indicator)
        self.unit = unit
        self.details["unit"] = unit


class NotAnnualizable(ImpactRefusal):
    """A flow reported over an unknown period: never guessed."""

    code = "not_annualizable"
    reason = "not annualizable"


class NoUsdAmount(ImpactRefusal):
    """The bond has no amount_usd and no FX rate on or before the evaluation date."""

    code = "no_usd_amount"
    reason = "no USD amount"
