"""Day counts and accrued interest on textbook cases (ISDA 2006 4.16, ICMA rule 251)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenmarket.bonds.daycount import thirty_360_days, year_fraction
from greenmarket.bonds.isin import is_valid_isin, isin_check_digit
from greenmarket.bonds.schedule import accrued_interest, build_schedules, clean_price, dirty_price
from greenmarket.errors import ValidationError

# (start, end, 30/360 bond basis days, 30E/360 days): end-of-month cases where the two differ or not
THIRTY_CASES = [
    ("2007-01-31", "2007-02-28", 28, 28),
    ("2007-02-28", "2007-03-31", 33, 32),  # D1 is not 30/31: bond basis keeps D2 = 31
    ("2007-08-31", "2008-02-29", 179, 179),
    ("2008-02-29", "2008-08-31", 182, 181),
    ("2007-01-30", "2007-03-31", 60, 60),  # D1 = 30: both turn D2 = 31 into 30
    ("2007-03-31", "2007-04-30", 30, 30),
    ("2007-01-15", "2007-07-15", 180, 180),
]


@pytest.mark.parametrize(("start", "end", "bond_basis", "eurobond"), THIRTY_CASES)
def test_bonds_thirty_360_end_of_month(start: str, end: str, bond_basis: int, eurobond: int) -> None:
    assert thirty_360_days(start, end, european=False) == bond_basis
    assert thirty_360_days(start, end, european=True) == eurobond
    assert year_fraction("30/360", start, end) == pytest.approx(bond_basis / 360)
    assert year_fraction("30E/360", start, end) == pytest.approx(eurobond / 360)


def test_bonds_actual_conventions() -> None:
    assert year_fraction("ACT/365F", "2020-01-01", "2020-07-01") == pytest.approx(182 / 365)
    assert year_fraction("ACT/360", "2020-01-01", "2020-07-01") == pytest.approx(182 / 360)
    assert year_fraction("ACT/365F", "2019-01-01", "2021-01-01") == pytest.approx(731 / 365)


def test_bonds_act_act_icma_regular_and_short_first_period() -> None:
    # ISDA's 1998 Actual/Actual paper: a regular half-year is 0.5 whatever its days.
    assert year_fraction("ACT/ACT-ICMA", "2003-11-01", "2004-05-01", ref_start="2003-11-01",
                         ref_end="2004-05-01", frequency=2) == pytest.approx(0.5)
    # Short first period 1 Feb 1999 - 1 Jul 1999 of an annual bond: 150 / 365 = 0.41096.
    assert year_fraction("ACT/ACT-ICMA", "1999-02-01", "1999-07-01", ref_start="1998-07-01",
                         ref_end="1999-07-01", frequency=1) == pytest.approx(150 / 365)


def test_bonds_unknown_day_count_is_refused() -> None:
    with pytest.raises(ValidationError):
        year_fraction("ACT/ACT-ISDA", "2020-01-01", "2021-01-01")


def test_bonds_short_first_coupon_icma() -> None:
    """The ISDA short-first-period bond: coupon 10 %, issue 1 Feb 1999, annual on 1 July."""
    schedules = build_schedules("1999-02-01", "2004-07-01", 10.0, 1, "ACT/ACT-ICMA")
    assert schedules.payment[0] == np.datetime64("1999-07-01")
    assert schedules.amount[0] == pytest.approx(10 * 150 / 365)
    assert schedules.amount[1] == pytest.approx(10.0)
    assert schedules.amount[-1] == pytest.approx(110.0)


def test_bonds_schedule_runs_backward_from_an_end_of_month_maturity() -> None:
    schedules = build_schedules("2023-03-10", "2025-08-31", 5.0, 2, "30/360")
    dates = [str(d) for d in schedules.payment]
    assert dates == ["2023-08-31", "2024-02-29", "2024-08-31", "2025-02-28", "2025-08-31"]
    # stub 2023-03-10 -> 2023-08-31 under 30/360 bond basis: 5 months and 21 days = 171 days (D2 = 31 kept)
    assert schedules.amount[0] == pytest.approx(5.0 * 171 / 360)
    assert list(schedules.amount[1:-1]) == [2.5, 2.5, 2.5]


def test_bonds_accrued_interest_textbook() -> None:
    # 5 % semiannual 30/360, last coupon 15 Mar 2024, settlement 20 May 2024: 65 days.
    assert accrued_interest("2020-03-15", "2030-03-15", 5.0, 2, "30/360", "2024-05-20")[0] == pytest.approx(5 * 65 / 360)
    # 1.3 % annual ACT/ACT-ICMA (the 2027 Bobl twins), 15 Oct 2023 -> 31 May 2024: 229 of 366 days.
    assert accrued_interest("2022-08-31", "2027-10-15", 1.3, 1, "ACT/ACT-ICMA", "2024-05-31")[0] == pytest.approx(1.3 * 229 / 366)
    # ACT/365F (JGB-like) 0.5 % semiannual, 20 Mar 2024 -> 1 Apr 2024: 12 days.
    assert accrued_interest("2021-03-20", "2031-03-20", 0.5, 2, "ACT/365F", "2024-04-01")[0] == pytest.approx(0.5 * 12 / 365)


def test_bonds_accrued_is_zero_on_a_coupon_date_and_nan_outside_the_life() -> None:
    accrued = accrued_interest("2020-01-15", "2025-01-15", 4.0, 2, "30E/360",
                               ["2022-07-15", "2020-01-15", "2019-12-31", "2025-01-15"])
    assert accrued[0] == 0.0 and accrued[1] == 0.0
    assert np.isnan(accrued[2]) and np.isnan(accrued[3])


def test_bonds_zero_coupon_accrues_nothing() -> None:
    assert accrued_interest("2020-01-15", "2025-01-15", 0.0, 0, "ACT/365F", "2022-05-05")[0] == 0.0
    schedules = build_schedules("2020-01-15", "2025-01-15", 0.0, 0, "ACT/365F")
    assert list(schedules.amount) == [100.0]


@given(
    st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)),
    st.integers(60, 15000),
    st.integers(0, 20000),
    st.floats(0, 12),
    st.sampled_from([1, 2, 4, 12]),
    st.sampled_from(["ACT/ACT-ICMA", "ACT/365F", "ACT/360", "30/360", "30E/360"]),
    st.floats(50, 150),
)
def test_bonds_clean_dirty_round_trip(issue, life, offset, coupon, frequency, day_count, clean) -> None:
    maturity = issue + dt.timedelta(days=life)
    settlement = issue + dt.timedelta(days=offset % life)
    dirty = dirty_price(clean, issue, maturity, coupon, frequency, day_count, settlement)
    accrued = accrued_interest(issue, maturity, coupon, frequency, day_count, settlement)
    assert 0 <= accrued[0] <= coupon * 1.05  # at most about one year of coupon (stub < a period)
    assert clean_price(dirty, issue, maturity, coupon, frequency, day_count, settlement)[0] == pytest.approx(clean)


def test_bonds_isin_check_digit() -> None:
    assert is_valid_isin("US0378331005")  # Apple
    assert is_valid_isin("DE0001030708")  # Green Bund 2030
    assert not is_valid_isin("US0378331006")
    assert not is_valid_isin("us0378331005")
    assert not is_valid_isin("US037833100")
    assert isin_check_digit("JP110351AK1") in range(10)
