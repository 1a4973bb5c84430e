"""ISIN (ISO 6166) syntax and check digit.

The check digit is the Luhn checksum of the code with letters replaced by two digits (A=10 … Z=35).
"""

from __future__ import annotations

import re

_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")


def isin_check_digit(body: str) -> int:
    """Return the check digit for the first 11 characters of an ISIN."""
    digits = "".join(str(int(char, 36)) for char in body.upper())
    total = 0
    # Luhn: double every second digit starting from the rightmost digit of the body.
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def is_valid_isin(code: str) -> bool:
    """Tell whether ``code`` is a syntactically valid ISIN with a correct check digit."""
    if not isinstance(code, str) or not _ISIN.match(code):
        return False
    return isin_check_digit(code[:11]) == int(code[11])
