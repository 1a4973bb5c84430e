"""Unit standardization: every conversion rule of data/units.txt and the refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.impact.catalogue import indicators
from greenmarket.impact.errors import UnknownUnit
from greenmarket.impact.units import to_canonical

CATALOGUE = indicators()


@pytest.mark.parametrize(
    ("indicator", "value", "unit", "expected"),
    [
        ("renewable_generation", 2500.0, "kWh", 2.5),
        ("renewable_generation", 1.5, "GWh", 1500.0),
        ("renewable_generation", 7.0, "MWh", 7.0),
        ("energy_saved", 3600.0, "GJ", 1000.0),
        ("ghg_reduced", 3.0, "ktCO2e", 3000.0),
        ("ghg_reduced", 2.0, "MtCO2e", 2_000_000.0),
        ("ghg_reduced", 500.0, "kgCO2e", 0.5),
        ("ghg_reduced", 12.0, "t CO2e", 12.0),
        ("ghg_reduced", 12.0, "tCO2eq", 12.0),
        ("habitat_area", 250.0, "ha", 2.5),
        ("habitat_area", 3.0, "km²", 3.0),
        ("renewable_capacity", 1500.0, "kW", 1.5),
        ("clean_transport_distance", 10.0, "mile", 16.09344),
        ("transport_infrastructure", 1200.0, "m", 1.2),
        # water: 1 m3 = 1 t, written in any of the ways issuers write a volume
        ("water_saved", 2500.0, "m3", 2500.0),
        ("water_saved", 2500.0, "m³", 2500.0),
        ("water_saved", 2500.0, "m**3", 2500.0),
        ("water_saved", 2.0, "ML", 2000.0),
        ("water_saved", 500.0, "L", 0.5),
        ("water_saved", 4.0, "kilotonne", 4000.0),
        # counts are dimensionless; an empty unit is a plain count
        ("people_benefited", 120.0, "", 120.0),
        ("people_benefited", 120.0, "people", 120.0),
        ("jobs_created", 8.0, "jobs", 8.0),
        ("farmers_benefited", 3.0, "farms", 3.0),
    ],
)
def test_converts_to_the_canonical_unit(indicator: str, value: float, unit: str, expected: float) -> None:
    assert to_canonical(value, unit, CATALOGUE[indicator], isin="XS0000000000") == pytest.approx(expected)


@pytest.mark.parametrize(
    ("indicator", "unit"),
    [
        ("ghg_reduced", "tCO2"),          # not defined: CO2 without "e" is not CO2-equivalent
        ("ghg_reduced", "t"),             # a mass is not CO2e
        ("ghg_reduced", "MWh"),
        ("energy_saved", "MWh/yr"),       # a rate: the period column says per year, not the unit
        ("people_benefited", "households"),
        ("habitat_area", "m3"),           # the water density rule is for water_saved only
        ("water_saved", "m3/day"),
        ("renewable_capacity", "MWh"),
        ("jobs_created", "km"),
        ("water_saved", "kt"),            # pint reads "kt" as knot, a speed: refused, not guessed
    ],
)
def test_refuses_a_unit_that_cannot_be_converted(indicator: str, unit: str) -> None:
    with pytest.raises(UnknownUnit) as caught:
        to_canonical(1.0, unit, CATALOGUE[indicator], isin="JP1234567890")
    error = caught.value
    assert error.code == "unknown_unit" and error.reason == "unknown unit"
    assert (error.isin, error.indicator, error.unit) == ("JP1234567890", indicator, unit)
    assert "JP1234567890" in error.message and indicator in error.message and repr(unit) in error.message


@settings(max_examples=150, deadline=None)
@given(unit=st.text(max_size=12))
def test_any_string_either_converts_or_is_refused_as_unknown(unit: str) -> None:
    try:
        result = to_canonical(1.0, unit, CATALOGUE["energy_saved"], isin="XS0000000000")
    except UnknownUnit:
        return
    assert isinstance(result, float)


def test_catalogue_keeps_the_formats_ids_and_units() -> None:
    expected = {
        "ghg_reduced": "tCO2e", "renewable_generation": "MWh", "energy_saved": "MWh",
        "renewable_capacity": "MW", "clean_transport_distance": "km", "habitat_area": "km**2",
        "transport_infrastructure": "km", "water_saved": "t",
    }
    for key, unit in expected.items():
        assert CATALOGUE[key].unit == unit
    for key in ("people_benefited", "jobs_created", "green_building_certificates", "students_benefited",
                "farmers_benefited", "loans_approved"):
        assert to_canonical(1.0, "", CATALOGUE[key], isin="XS0000000000") == 1.0
    flows = {key for key, item in CATALOGUE.items() if item.annualized}
    assert flows == {"ghg_reduced", "renewable_generation", "energy_saved", "clean_transport_distance",
                     "water_saved"}
