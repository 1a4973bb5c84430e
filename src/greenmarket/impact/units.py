"""Unit standardization with pint and the project registry in ``data/units.txt``."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from tokenize import TokenError

import pint

from greenmarket.impact.catalogue import Indicator
from greenmarket.impact.errors import UnknownUnit

_NOT_AN_EXPRESSION = (pint.PintError, TokenError, SyntaxError, ValueError, TypeError, AttributeError,
                      KeyError, IndexError, AssertionError, ArithmeticError)


@lru_cache(maxsize=1)
def unit_registry() -> pint.UnitRegistry:
    """Return pint's default registry extended with the project's definitions (built once)."""
    registry = pint.UnitRegistry()
    path = resources.files("greenmarket.impact").joinpath("data", "units.txt")
    with resources.as_file(path) as file:
        registry.load_definitions(str(file))
    return registry


def to_canonical(value: float, unit: str, indicator: Indicator, *, isin: str) -> float:
    """Convert ``value`` in ``unit`` to the indicator's canonical unit.

    Raises :class:`UnknownUnit` (naming the bond, the indicator and the unit) when the unit is not
    defined or has another dimension; the indicator's pint context (water: 1 m3 = 1 t) is the only
    bridge between dimensions.
    """
    registry = unit_registry()
    try:
        quantity = registry.Quantity(value, unit.strip())
        contexts = (indicator.context,) if indicator.context else ()
        return float(quantity.to(indicator.unit, *contexts).magnitude)
    except (pint.UndefinedUnitError, pint.DimensionalityError) as error:
        raise UnknownUnit(
            f"unit {unit!r} cannot be converted to {indicator.unit} ({error})",
            isin=isin,
            indicator=indicator.id,
            unit=unit,
        ) from error
    except _NOT_AN_EXPRESSION as error:
        # pint's parser raises these for strings that are not unit expressions at all (")", "t/")
        raise UnknownUnit(
            f"unit {unit!r} is not a unit expression", isin=isin, indicator=indicator.id, unit=unit
        ) from error
