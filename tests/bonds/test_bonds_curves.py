"""Zero curves: interpolation as FORMATS says, and par curves bootstrapped so par bonds reprice to par."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.bonds.curves import bootstrap, coupon_times, zero_curves
from greenmarket.errors import ValidationError


def curve_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["currency", "date", "tenor_years", "rate", "kind", "frequency"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_bonds_zero_curve_is_linear_inside_and_flat_outside() -> None:
    curves = zero_curves(curve_frame([("EUR", "2024-05-31", 1.0, 3.0, "zero", np.nan),
                                      ("EUR", "2024-05-31", 5.0, 2.0, "zero", np.nan)]))
    curve = curves.curve_ids(["EUR"], ["2024-05-31"])
    rates = curves.zero_rates(np.repeat(curve, 4), np.array([0.1, 1.0, 3.0, 30.0]))
    np.testing.assert_allclose(rates, [0.03, 0.03, 0.025, 0.02])
    assert list(curves.curve_ids(["EUR", "USD"], ["2024-06-03", "2024-05-31"])) == [-1, -1]


def test_bonds_flat_par_curve_is_the_continuous_equivalent() -> None:
    zero = bootstrap(np.array([0.5, 1, 2, 10, 30]), np.full((1, 5), 0.03), 2)
    np.testing.assert_allclose(zero, 2 * np.log(1.015), rtol=0, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-1.0, 7.0),
    st.lists(st.floats(-0.75, 0.75), min_size=2, max_size=9),
    st.sampled_from([1, 2, 4, 12]),
)
def test_bonds_par_bonds_reprice_to_par(first: float, moves: list[float], frequency: int) -> None:
    """Par yields that move at most 75 bp from one pillar to the next (tenors are not all whole periods)."""
    par_percent = np.cumsum([first, *moves])
    tenors = np.array([0.25, 0.5, 1, 2, 3, 5, 7, 10, 20, 30][: len(par_percent)], dtype=float)
    par = par_percent / 100
    zero = bootstrap(tenors, par[None, :], frequency)[0]
    for tenor, coupon in zip(tenors, par):
        times = coupon_times(tenor, frequency)
        discount = np.exp(-np.interp(times, tenors, zero) * times)
        dirty = (coupon / frequency * discount).sum() + discount[-1]
        accrued = coupon * (1 / frequency - times[0])  # zero when the tenor is whole periods
        assert dirty - accrued == pytest.approx(1.0, abs=1e-13)


def test_bonds_par_rows_become_zero_pillars_per_curve() -> None:
    frame = curve_frame([
        ("USD", "2024-05-31", 1.0, 5.0, "par", 2),
        ("USD", "2024-05-31", 10.0, 4.5, "par", 2),
        ("USD", "2024-06-03", 1.0, 5.1, "par", 2),
        ("USD", "2024-06-03", 10.0, 4.6, "par", 2),
        ("JPY", "2024-05-31", 2.0, 0.3, "zero", np.nan),
    ])
    curves = zero_curves(frame)
    assert len(curves) == 3
    times, rates = curves.pillars(int(curves.curve_ids(["USD"], ["2024-06-03"])[0]))
    np.testing.assert_allclose(times, [1.0, 10.0])
    np.testing.assert_allclose(rates, bootstrap(np.array([1.0, 10.0]), np.array([[0.051, 0.046]]), 2)[0])


def test_bonds_an_impossible_par_curve_is_refused() -> None:
    # 0 % out to 20 years, then 6 %: twenty 6 % coupons discounted at 0 % already exceed par
    with pytest.raises(ValidationError, match="cannot be bootstrapped at tenor 30"):
        bootstrap(np.array([1.0, 20.0, 30.0]), np.array([[0.0, 0.0, 0.06]]), 1)


def test_bonds_a_curve_mixing_kinds_is_refused() -> None:
    with pytest.raises(ValidationError, match="mixes kinds"):
        zero_curves(curve_frame([("EUR", "2024-05-31", 1.0, 3.0, "zero", np.nan),
                                 ("EUR", "2024-05-31", 5.0, 2.0, "par", 1)]))
