"""Currencies and exact amounts: integer minor units inside, ``Decimal`` at the edges."""

from __future__ import annotations

from decimal import Decimal

from greenmarket.errors import ValidationError

# ISO 4217 minor units of the currencies greenmarket settles in.
MINOR_UNITS = {"JPY": 0, "USD": 2, "EUR": 2, "GBP": 2, "SGD": 2, "AUD": 2}


def ensure_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValidationError(f"currency must be one of {', '.join(MINOR_UNITS)}", field="currency")
    return code


def to_minor(amount: Decimal | int | str, currency: str, *, field: str = "amount") -> int:
    """Exact conversion to minor units; refuses fractions of the minor unit."""
    scaled = Decimal(str(amount)).scaleb(MINOR_UNITS[ensure_currency(currency)])
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            f"{amount} {currency} is not a whole number of minor units", field=field
        )
    return int(scaled)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-MINOR_UNITS[ensure_currency(currency)])
