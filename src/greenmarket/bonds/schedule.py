"""Coupon schedules, accrued interest and clean/dirty prices for many fixed-rate bonds at once.

Conventions (FORMATS.md, "Bonds"):

* Coupon dates run **backward from maturity** on nominal, unadjusted dates: maturity minus k times
  12/``coupon_frequency`` months, keeping the maturity's day of month (clamped to the month's
  length: a 31 August maturity pays on 28/29 February). When the issue date is not on that grid the
  **first period is a short stub** from the issue date to the first coupon date; its reference
  (quasi-coupon) period is the regular grid period that contains it.
* A regular coupon pays ``coupon_rate / coupon_frequency`` percent of par (the market convention for
  fixed-rate bonds); the stub pays ``coupon_rate × year fraction(issue, first coupon)`` under the
  bond's ``day_count`` (for ACT/ACT-ICMA: the regular coupon × actual days / reference-period days).
  Redemption is 100 at maturity. Zero-coupon bonds (frequency 0) pay 100 at maturity only.
* **Accrued interest** at a settlement date is ``coupon_rate × year fraction(period start,
  settlement)`` under ``day_count`` (ACT/ACT-ICMA: regular coupon × actual days / reference-period
  days). On a coupon date it is zero and that coupon belongs to the seller; zero-coupon bonds
  accrue nothing. Before the issue date or on/after maturity a bond has no accrued interest (NaN).
* Prices are percent of par: dirty = clean + accrued.

All amounts are per 100 of par. Schedules are built for a whole batch of bonds with numpy and kept
flat (:class:`Schedules`), so that a million bond-days find their coupon period with one
``searchsorted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from greenmarket.bonds.daycount import Dates, as_days, year_fractions

REDEMPTION = 100.0
_DAY_BITS = 21  # dates are packed as bond << 21 | (days since 1970 + 2**20): ±2,870 years
_DAY_OFFSET = 1 << 20


@dataclass(frozen=True)
class Schedules:
    """The cash flows of ``n`` bonds, flattened in bond order then payment-date order.

    Bond ``i`` owns the rows ``offsets[i]:offsets[i + 1]``. Each row is one coupon period:
    ``payment`` (= accrual end = reference end, unadjusted), ``accrual_start``, ``ref_start``,
    ``amount`` (coupon plus, on the last row, the redemption), per 100 of par.
    """

    offsets: NDArray[np.int64]
    payment: NDArray[np.datetime64]
    accrual_start: NDArray[np.datetime64]
    ref_start: NDArray[np.datetime64]
    amount: NDArray[np.float64]
    # per-bond terms, kept for accrued interest
    coupon_rate: NDArray[np.float64]
    frequency: NDArray[np.int64]
    day_count: NDArray[np.object_]
    issue_date: NDArray[np.datetime64]

    @property
    def bonds(self) -> int:
        """Return the number of bonds."""
        return len(self.offsets) - 1

    def _keys(self) -> NDArray[np.int64]:
        owner = np.repeat(np.arange(self.bonds, dtype=np.int64), np.diff(self.offsets))
        return _pack(owner, self.payment)


def _pack(bond: NDArray[np.int64], dates: NDArray[np.datetime64]) -> NDArray[np.int64]:
    return (bond << _DAY_BITS) | (dates.astype(np.int64) + _DAY_OFFSET)


def _shift_months(
    months: NDArray[np.datetime64], day: NDArray[np.int64]
) -> NDArray[np.datetime64]:
    """Return the given day of each month, clamped to the month's last day."""
    length = ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64)
    return months.astype("datetime64[D]") + (np.minimum(day, length) - 1)


def build_schedules(
    issue_date: Dates,
    maturity_date: Dates,
    coupon_rate: Any,
    coupon_frequency: Any,
    day_count: Any,
) -> Schedules:
    """Build the coupon schedules of many fixed-rate or zero-coupon bonds (arrays of equal length).

    ``coupon_rate`` is in percent per year; ``coupon_frequency`` in {0, 1, 2, 4, 12}; maturity must
    be after issue (the loader checks this).
    """
    issue = np.atleast_1d(as_days(issue_date))
    maturity = np.atleast_1d(as_days(maturity_date))
    rate = np.atleast_1d(np.asarray(coupon_rate, dtype=np.float64))
    frequency = np.atleast_1d(np.asarray(coupon_frequency, dtype=np.int64))
    day_count = np.atleast_1d(np.asarray(day_count, dtype=object))
    step = np.where(frequency > 0, 12 // np.maximum(frequency, 1), 0)

    maturity_month = maturity.astype("datetime64[M]")
    maturity_day = (maturity - maturity_month.astype("datetime64[D]")).astype(np.int64) + 1
    span = (maturity_month - issue.astype("datetime64[M]")).astype(np.int64)
    periods_max = int(np.max(np.where(step > 0, span // np.maximum(step, 1) + 2, 1), initial=1))
    k = np.arange(periods_max + 1, dtype=np.int64)
    # grid[i, k] = maturity_i - k * step_i months (descending dates); zero-coupon bonds get one date.
    grid = _shift_months(
        maturity_month[:, None] - (k[None, :] * step[:, None]).astype("timedelta64[M]"),
        maturity_day[:, None],
    )
    grid[:, 0] = maturity
    in_life = grid > issue[:, None]
    in_life[step == 0, 1:] = False
    counts = in_life.sum(axis=1)

    # Period k pays grid[k]; its reference period starts at grid[k + 1].
    pay = grid[:, :-1]
    ref = grid[:, 1:]
    ref = np.where((step == 0)[:, None], issue[:, None], ref)
    mask = in_life[:, :-1]
    # flatten in ascending payment order: reverse the k axis
    pay, ref, mask = pay[:, ::-1], ref[:, ::-1], mask[:, ::-1]
    owner = np.broadcast_to(np.arange(len(issue))[:, None], pay.shape)[mask]
    pay, ref = pay[mask], ref[mask]
    start = np.maximum(ref, issue[owner])

    rate_f, freq_f, dc_f = rate[owner], frequency[owner], day_count[owner]
    regular = rate_f / np.maximum(freq_f, 1)
    stub = ref < issue[owner]
    amount = np.where(freq_f > 0, regular, 0.0)
    if stub.any():
        amount[stub] = rate_f[stub] * year_fractions(
            dc_f[stub], start[stub], pay[stub], ref_start=ref[stub], ref_end=pay[stub], frequency=freq_f[stub]
        )
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    amount[offsets[1:] - 1] += REDEMPTION
    return Schedules(
        offsets=offsets,
        payment=pay,
        accrual_start=start,
        ref_start=ref,
        amount=amount,
        coupon_rate=rate,
        frequency=frequency,
        day_count=day_count,
        issue_date=issue,
    )


def locate(
    schedules: Schedules, bond: NDArray[np.int64], settlement: Dates
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return, per (bond, settlement), the flat row of the current coupon period and the number of
    cash flows still to be paid (payment date strictly after settlement)."""
    bond = np.asarray(bond, dtype=np.int64)
    settle = as_days(settlement)
    position = np.searchsorted(schedules._keys(), _pack(bond, settle), side="right")
    remaining = schedules.offsets[bond + 1] - position
    return position, remaining


def accrued_at(
    schedules: Schedules, bond: NDArray[np.int64], settlement: Dates
) -> NDArray[np.float64]:
    """Return accrued interest (percent of par) for each (bond index, settlement date) pair."""
    bond = np.asarray(bond, dtype=np.int64)
    settle = as_days(settlement)
    position, remaining = locate(schedules, bond, settle)
    live = (remaining > 0) & (settle >= schedules.issue_date[bond])
    row = np.where(live, position, 0)
    start, end, ref = schedules.accrual_start[row], schedules.payment[row], schedules.ref_start[row]
    frequency = schedules.frequency[bond]
    fraction = year_fractions(
        schedules.day_count[bond], start, settle, ref_start=ref, ref_end=end, frequency=np.maximum(frequency, 1)
    )
    accrued = np.where(frequency > 0, schedules.coupon_rate[bond] * fraction, 0.0)
    return np.where(live, accrued, np.nan)


def accrued_interest(
    issue_date: Dates,
    maturity_date: Dates,
    coupon_rate: Any,
    coupon_frequency: Any,
    day_count: Any,
    settlement: Dates,
) -> NDArray[np.float64]:
    """Return accrued interest in percent of par; every argument is a scalar or an array of one
    length (one element per bond-day). NaN before issue and on/after maturity."""
    settle = np.atleast_1d(as_days(settlement))
    size = max(settle.size, np.atleast_1d(as_days(issue_date)).size)
    terms = [np.broadcast_to(np.atleast_1d(np.asarray(x)), (size,)) for x in
             (issue_date, maturity_date, coupon_rate, coupon_frequency, day_count)]
    schedules = build_schedules(*terms)
    return accrued_at(schedules, np.arange(size), np.broadcast_to(settle, (size,)))


def dirty_price(
    clean_price: Any,
    issue_date: Dates,
    maturity_date: Dates,
    coupon_rate: Any,
    coupon_frequency: Any,
    day_count: Any,
    settlement: Dates,
) -> NDArray[np.float64]:
    """Return the dirty price (clean + accrued interest), percent of par."""
    accrued = accrued_interest(issue_date, maturity_date, coupon_rate, coupon_frequency, day_count, settlement)
    return np.asarray(clean_price, dtype=np.float64) + accrued


def clean_price(
    dirty: Any,
    issue_date: Dates,
    maturity_date: Dates,
    coupon_rate: Any,
    coupon_frequency: Any,
    day_count: Any,
    settlement: Dates,
) -> NDArray[np.float64]:
    """Return the clean price (dirty − accrued interest), percent of par."""
    accrued = accrued_interest(issue_date, maturity_date, coupon_rate, coupon_frequency, day_count, settlement)
    return np.asarray(dirty, dtype=np.float64) - accrued

