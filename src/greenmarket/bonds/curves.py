"""Zero curves per currency and date: the risk-free curve that Z-spreads are measured against.

A curve is a set of pillars (time in years, continuously compounded zero rate). FORMATS.md,
"Curves": rates in ``curves.csv`` are **percent** (like ``coupon_rate``: 2.5 means 2.5 %); ``kind``
``zero`` rows are the pillars themselves (time = ``tenor_years``, measured ACT/365F from the curve
date); ``kind`` ``par`` rows are par yields of bullet bonds paying ``frequency`` coupons a year and
are bootstrapped into zero pillars at the same tenors.

**Interpolation:** linear in the continuously compounded zero rate against time; flat before the
first pillar and after the last one (``numpy.interp`` does exactly this).

**Bootstrap** of a par pillar of tenor T: the bond pays ``rate/frequency`` at T, T − 1/f, T − 2/f, …
(> 0) and 1 at T; being at par means its *clean* price is 1, so
``Σ c/f · DF(tᵢ) + DF(T) = 1 + accrued`` with accrued = c · (1/f − t₁) when T is not a whole number
of periods (t₁ is the first coupon time), zero otherwise. DF(t) = exp(−r(t)·t) with r interpolated
between the pillars already solved and the unknown rate at T; the unknown is found by a Newton
iteration vectorised over every curve that shares the same pillar grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from greenmarket.errors import ValidationError

_NEWTON_TOLERANCE = 1e-15
_NEWTON_MAX_ITERATIONS = 50


@dataclass(frozen=True)
class ZeroCurves:
    """Many zero curves, keyed by (currency, date); pillars flattened (decimal rates)."""

    index: pd.MultiIndex  # (currency, date) → curve number = position, sorted
    keys: NDArray[np.int64]  # the index packed by _pack, for fast look-ups
    offsets: NDArray[np.int64]
    times: NDArray[np.float64]
    rates: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.index)

    def curve_ids(self, currency: object, date: object) -> NDArray[np.int64]:
        """Return the curve number for each (currency, date), −1 where there is none."""
        return self.curve_ids_by_code(self.currency_codes(currency), date)

    def currency_codes(self, currency: object) -> NDArray[np.int64]:
        """Return each currency's position among the curves' currencies, −1 when it has none."""
        return self.index.levels[0].get_indexer(np.asarray(currency, dtype=object)).astype(np.int64)

    def curve_ids_by_code(self, code: NDArray[np.int64], date: object) -> NDArray[np.int64]:
        """Return the curve number for each (currency code, date), −1 where there is none."""
        wanted = _pack(code, np.asarray(date, dtype="datetime64[D]"))
        if len(self.keys) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        position = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[position] == wanted, position, -1).astype(np.int64)

    def pillars(self, curve: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return (times, decimal zero rates) of one curve."""
        part = slice(self.offsets[curve], self.offsets[curve + 1])
        return self.times[part], self.rates[part]

    def zero_rates(self, curve: NDArray[np.int64], times: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return interpolated decimal zero rates; row i of ``times`` is read on curve ``curve[i]``.

        ``times`` is (rows,) or (rows, columns); rows whose curve is −1 get NaN.
        """
        curve = np.asarray(curve, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        out = np.full_like(times, np.nan)  # keeps the memory layout of ``times``
        ordered = bool(np.all(curve[:-1] <= curve[1:]))
        order = np.arange(len(curve)) if ordered else np.argsort(curve, kind="stable")
        starts = np.concatenate([[0], np.flatnonzero(np.diff(curve[order])) + 1])
        for start, stop in zip(starts, [*starts[1:], len(order)]):
            number = int(curve[order[start]])
            if number < 0:
                continue
            pillar_times, pillar_rates = self.pillars(number)
            # rows sorted by curve come as slices (no copies); otherwise as index arrays
            rows = slice(start, stop) if ordered else order[start:stop]
            out[rows] = np.interp(times[rows], pillar_times, pillar_rates)
        return out


def _pack(currency_code: NDArray[np.integer], date: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """One sortable integer per (currency, date): the curve index is sorted by both."""
    code = np.asarray(currency_code, dtype=np.int64)
    packed = (code << 32) | (date.astype(np.int64) + (1 << 30))
    return np.where(code < 0, -1, packed)


def zero_curves(curves: pd.DataFrame) -> ZeroCurves:
    """Build the zero curves of a ``curves.csv`` frame (as returned by ``load_curves``)."""
    _check_one_kind_per_curve(curves)
    zero = curves.loc[curves["kind"] == "zero", ["currency", "date", "tenor_years", "rate"]]
    par = curves.loc[curves["kind"] == "par"]
    pillars = pd.concat([zero, _bootstrap_par(par)], ignore_index=True) if len(par) else zero
    pillars = pillars.sort_values(["currency", "date", "tenor_years"], kind="stable")
    counts = pillars.groupby(["currency", "date"], sort=True).size()
    index = counts.index
    return ZeroCurves(
        index=index,
        keys=_pack(index.codes[0], index.get_level_values(1).to_numpy().astype("datetime64[D]")),
        offsets=np.concatenate([[0], np.cumsum(counts.to_numpy())]).astype(np.int64),
        times=pillars["tenor_years"].to_numpy(dtype=np.float64),
        rates=pillars["rate"].to_numpy(dtype=np.float64) / 100.0,
    )


def _check_one_kind_per_curve(curves: pd.DataFrame) -> None:
    columns = ["kind"] + (["frequency"] if "frequency" in curves else [])
    mixed = curves.groupby(["currency", "date"])[columns].nunique(dropna=False).max(axis=1) > 1
    if mixed.any():
        currency, date = mixed[mixed].index[0]
        raise ValidationError(
            f"curve {currency} {pd.Timestamp(date).date()} mixes kinds or par frequencies; "
            "give one kind (and one frequency) per currency and date",
            field="kind",
        )


def _bootstrap_par(par: pd.DataFrame) -> pd.DataFrame:
    """Turn par-yield rows into zero pillars; curves sharing a frequency and tenors are solved together."""
    wide = par.pivot(index=["currency", "date", "frequency"], columns="tenor_years", values="rate")
    present = wide.notna().to_numpy()
    frequency = wide.index.get_level_values("frequency").to_numpy(dtype=np.int64)
    signature = pd.Series([f"{f}:{row.tobytes().hex()}" for f, row in zip(frequency, present)])
    out = []
    for rows in signature.groupby(signature).indices.values():
        columns = present[rows[0]]
        tenors = wide.columns.to_numpy(dtype=np.float64)[columns]
        zero = bootstrap(tenors, wide.to_numpy()[rows][:, columns] / 100.0, int(frequency[rows[0]]))
        keys = wide.index[rows]
        out.append(
            pd.DataFrame(
                {
                    "currency": np.repeat(keys.get_level_values("currency"), len(tenors)),
                    "date": np.repeat(keys.get_level_values("date"), len(tenors)),
                    "tenor_years": np.tile(tenors, len(rows)),
                    "rate": zero.ravel() * 100.0,
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def bootstrap(tenors: NDArray[np.float64], par_rates: NDArray[np.float64], frequency: int) -> NDArray[np.float64]:
    """Return continuously compounded zero rates (decimal) at ``tenors`` for rows of decimal par
    yields ``par_rates`` (curves × tenors), bullet bonds paying ``frequency`` coupons a year."""
    if frequency not in (1, 2, 4, 12):
        raise ValidationError(f"par curve frequency must be 1, 2, 4 or 12, not {frequency}", field="frequency")
    tenors = np.asarray(tenors, dtype=np.float64)
    par_rates = np.atleast_2d(np.asarray(par_rates, dtype=np.float64))
    zero = np.zeros_like(par_rates)
    period = 1.0 / frequency
    for j, maturity in enumerate(tenors):
        times = coupon_times(maturity, frequency)
        coupon = par_rates[:, j]
        accrued = coupon * (period - times[0]) if times[0] < period - 1e-12 else np.zeros_like(coupon)
        cash = np.outer(coupon * period, np.ones_like(times))
        cash[:, -1] += 1.0
        # r(t) = base + guess · slope: known pillars up to the previous tenor, the unknown after it
        if j == 0:
            base, slope = np.zeros((len(coupon), len(times))), np.ones((len(coupon), len(times)))
        else:
            previous = tenors[j - 1]
            unknown = times > previous
            weight = np.where(unknown, (times - previous) / (maturity - previous), 0.0)
            known = _interp_known(times, tenors[:j], zero[:, :j])
            base = np.where(unknown, zero[:, j - 1 : j] * (1.0 - weight), known)
            slope = np.broadcast_to(weight, base.shape)
        zero[:, j] = _solve_pillar(cash, times, base, slope, 1.0 + accrued, coupon.copy(), maturity)
    return zero


def _solve_pillar(
    cash: NDArray[np.float64],
    times: NDArray[np.float64],
    base: NDArray[np.float64],
    slope: NDArray[np.float64],
    target: NDArray[np.float64],
    guess: NDArray[np.float64],
    maturity: float,
) -> NDArray[np.float64]:
    """Newton on the unknown pillar rate; the bond value is convex and decreasing in it."""
    with np.errstate(all="ignore"):
        for _ in range(_NEWTON_MAX_ITERATIONS):
            discounted = cash * np.exp(-(base + guess[:, None] * slope) * times)
            step = (discounted.sum(axis=1) - target) / -(discounted * slope * times).sum(axis=1)
            guess = guess - step
            if np.all(np.abs(step) < _NEWTON_TOLERANCE):
                return guess
    raise ValidationError(
        f"par curve cannot be bootstrapped at tenor {maturity:g}: its par yield is inconsistent with "
        "the shorter tenors (no zero rate reprices the bond to par)",
        field="rate",
    )


def coupon_times(maturity: float, frequency: int) -> NDArray[np.float64]:
    """Return the coupon times (years, ascending) of a bullet bond: T, T − 1/f, … > 0."""
    period = 1.0 / frequency
    whole = int(np.floor(maturity * frequency + 1e-9))
    times = maturity - period * np.arange(whole + 1)
    return times[times > 1e-9][::-1]


def _interp_known(
    times: NDArray[np.float64], tenors: NDArray[np.float64], rates: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Interpolate already-solved pillars at ``times`` for every curve (rows); zeros when none."""
    if len(tenors) == 0:
        return np.zeros((rates.shape[0], len(times)))
    return np.vstack([np.interp(times, tenors, row) for row in rates])
