"""Day-count conventions: the one place where a period between two dates becomes a year fraction.

Every function takes dates as anything numpy turns into ``datetime64[D]`` (a ``datetime.date``,
an ISO string, a ``pandas.Timestamp`` or arrays of them) and works element-wise on arrays, so
that a million accrual periods cost a handful of numpy operations.

Conventions (names as in ``bonds.csv``):

``ACT/365F``  actual days / 365.
``ACT/360``   actual days / 360.
``30/360``    the bond basis (ISDA 2006 4.16(f), QuantLib ``Thirty360.BondBasis``): D1 = 31 becomes
              30; D2 = 31 becomes 30 only when D1 (after that change) is 30.
``30E/360``   the Eurobond basis (ISDA 2006 4.16(g), ``Thirty360.European``): any 31 becomes 30.
``ACT/ACT-ICMA``  ICMA rule 251: actual days / (frequency × actual days of the reference
              (quasi-coupon) period). It needs the reference period and the coupon frequency.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from greenmarket.errors import ValidationError

DAY_COUNTS: tuple[str, ...] = ("ACT/ACT-ICMA", "ACT/365F", "ACT/360", "30/360", "30E/360")

Dates = Any  # anything np.asarray(..., dtype="datetime64[D]") accepts


def as_days(dates: Dates) -> NDArray[np.datetime64]:
    """Return ``dates`` as a ``datetime64[D]`` array."""
    return np.asarray(dates, dtype="datetime64[D]")


def actual_days(start: Dates, end: Dates) -> NDArray[np.int64]:
    """Return the actual number of days from ``start`` to ``end``."""
    return (as_days(end) - as_days(start)).astype(np.int64)


def _year_month_day(dates: NDArray[np.datetime64]) -> tuple[NDArray[np.int64], ...]:
    months = dates.astype("datetime64[M]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (months - dates.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (dates - months).astype(np.int64) + 1
    return year, month, day


def thirty_360_days(start: Dates, end: Dates, *, european: bool) -> NDArray[np.int64]:
    """Return the 30/360 day count between two dates (bond basis, or Eurobond basis)."""
    y1, m1, d1 = _year_month_day(as_days(start))
    y2, m2, d2 = _year_month_day(as_days(end))
    d1 = np.where(d1 == 31, 30, d1)
    if european:
        d2 = np.where(d2 == 31, 30, d2)
    else:
        d2 = np.where((d2 == 31) & (d1 == 30), 30, d2)
    return 360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1)


def year_fraction(
    day_count: str,
    start: Dates,
    end: Dates,
    *,
    ref_start: Dates | None = None,
    ref_end: Dates | None = None,
    frequency: int | NDArray[np.int64] | None = None,
) -> NDArray[np.float64]:
    """Return the year fraction from ``start`` to ``end`` under ``day_count``.

    ``ACT/ACT-ICMA`` needs the reference period (``ref_start``, ``ref_end``) that contains the
    accrual and the coupon ``frequency``; the other conventions ignore them.
    """
    if day_count == "ACT/365F":
        return actual_days(start, end) / 365.0
    if day_count == "ACT/360":
        return actual_days(start, end) / 360.0
    if day_count == "30/360":
        return thirty_360_days(start, end, european=False) / 360.0
    if day_count == "30E/360":
        return thirty_360_days(start, end, european=True) / 360.0
    if day_count == "ACT/ACT-ICMA":
        if ref_start is None or ref_end is None or frequency is None:
            raise TypeError("ACT/ACT-ICMA needs ref_start, ref_end and frequency")
        reference_days = actual_days(ref_start, ref_end)
        return actual_days(start, end) / (np.asarray(frequency) * reference_days)
    raise ValidationError(
        f"unknown day count {day_count!r}; expected one of {', '.join(DAY_COUNTS)}", field="day_count"
    )


def year_fractions(
    day_counts: Any,
    start: Dates,
    end: Dates,
    *,
    ref_start: Dates,
    ref_end: Dates,
    frequency: Any,
) -> NDArray[np.float64]:
    """Return element-wise year fractions when each element has its own convention."""
    codes, conventions = pd.factorize(np.asarray(day_counts, dtype=object).ravel())
    start, end = as_days(start), as_days(end)
    ref_start, ref_end = as_days(ref_start), as_days(ref_end)
    frequency = np.asarray(frequency, dtype=np.int64)
    out = np.full(codes.shape, np.nan)
    for code, convention in enumerate(conventions):
        rows = codes == code
        out[rows] = year_fraction(
            str(convention),
            start[rows],
            end[rows],
            ref_start=ref_start[rows],
            ref_end=ref_end[rows],
            frequency=frequency[rows],
        )
    return out
