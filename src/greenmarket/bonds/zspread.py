"""Z-spreads of many bond-days at once.

Definition (FORMATS.md, "Z-spread"): the constant ``z`` such that the dirty price (clean + accrued
interest at settlement) equals ``Σ CF · exp(−(r(t) + z)·t)``, ``t`` = ACT/365F years from settlement
to payment, ``r`` the continuously compounded zero rate of the bond's currency on the **price date**,
interpolated at ``t`` (:mod:`greenmarket.bonds.curves`). Cash flows paid on or before settlement are
excluded. Results are in basis points.

The compounding of the spread is configurable: ``continuous`` (FORMATS, the default) or a
compounding frequency (``annual``, ``semiannual``, ``quarterly``, ``monthly``), in which case the zero
rate is first converted to that compounding (``r_n = n·(exp(r/n) − 1)``), the spread is added and
``DF = (1 + (r_n + z)/n)^(−n·t)`` — QuantLib's ``ZeroSpreadedTermStructure`` convention.

Public functions:

``z_spreads(bonds, prices, curves, *, compounding="continuous") -> DataFrame``
    ``bonds``/``prices``/``curves`` as returned by :mod:`greenmarket.bonds.reference` loaders
    (``curves`` may also be a prepared :class:`~greenmarket.bonds.curves.ZeroCurves`). One row per
    price row, same order: ``isin, date, z_spread_bp``. ``result.attrs["unpriced"]`` counts the rows
    left NaN by reason (see ``UNPRICED_REASONS``).

``z_spreads_for_chunk(chunk, curves, *, compounding="continuous") -> DataFrame``
    The streaming entry point (one Dask partition, one file chunk). ``chunk`` holds price rows
    already joined with their bond's terms — columns ``isin, date, clean_price`` and the ``bonds.csv``
    columns in ``CHUNK_TERMS`` (``calendar`` optional) — and ``curves`` is a ``ZeroCurves`` built once
    with :func:`~greenmarket.bonds.curves.zero_curves` (picklable, so it ships to Dask workers).
    Returns a frame with the chunk's index and columns ``z_spread_bp`` (float, NaN when not priced)
    and ``unpriced`` (empty string when priced, else the reason).

The solver: per batch of rows, the remaining cash flows are gathered into a padded matrix (rows
sorted by their number of cash flows to keep the padding small); a Newton iteration runs on all rows
together, safeguarded by a bracket [−5,000 bp, +100,000 bp] that every iterate updates and a
bisection whenever Newton would leave it, so it cannot diverge. The price function is decreasing and
convex in ``z``, so Newton converges in a few steps; it stops when the price error is below 1e-11
(percent of par) or the step is below 1e-15.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from greenmarket.bonds.calendar import calendar_codes, settlement_dates
from greenmarket.bonds.curves import ZeroCurves, zero_curves
from greenmarket.bonds.schedule import Schedules, accrued_at, build_schedules, locate
from greenmarket.errors import ValidationError

COMPOUNDING: dict[str, int] = {"continuous": 0, "annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}
CHUNK_TERMS: tuple[str, ...] = (
    "currency",
    "issue_date",
    "maturity_date",
    "coupon_type",
    "coupon_rate",
    "coupon_frequency",
    "day_count",
    "settlement_days",
    "perpetual",
)
PRICED_COUPON_TYPES = ("fixed", "zero")
UNPRICED_REASONS: dict[str, str] = {
    "unknown_bond": "the ISIN is not in bonds.csv",
    "not_fixed_rate": "perpetual, or coupon type floating/step/variable (cash flows unknown)",
    "no_curve": "no curve for the bond's currency on the price date",
    "not_outstanding": "settlement before the issue date or on/after maturity",
    "no_price": "clean price missing or dirty price not positive",
    "out_of_range": "the Z-spread lies outside [−5,000 bp, +100,000 bp]",
}

PRICE_TOLERANCE = 1e-11  # percent of par
STEP_TOLERANCE = 1e-15
MAX_ITERATIONS = 100
BRACKET = (-0.5, 10.0)
CELLS_PER_BATCH = 4_000_000  # rows × cash-flow columns per padded matrix (32 MB per float array)


def z_spreads(
    bonds: pd.DataFrame,
    prices: pd.DataFrame,
    curves: pd.DataFrame | ZeroCurves,
    *,
    compounding: str = "continuous",
) -> pd.DataFrame:
    """Return ``isin, date, z_spread_bp`` for every price row (same order)."""
    if not isinstance(curves, ZeroCurves):
        curves = zero_curves(curves)
    terms = [c for c in (*CHUNK_TERMS, "calendar") if c in bonds.columns]
    chunk = prices[["isin", "date", "clean_price"]].merge(
        bonds[["isin", *terms]], on="isin", how="left", validate="many_to_one"
    )
    result = z_spreads_for_chunk(chunk, curves, compounding=compounding)
    out = pd.DataFrame(
        {"isin": prices["isin"].to_numpy(), "date": prices["date"].to_numpy(), "z_spread_bp": result["z_spread_bp"].to_numpy()}
    )
    reasons = result["unpriced"]
    out.attrs["unpriced"] = reasons[reasons != ""].value_counts().to_dict()
    return out


def z_spreads_for_chunk(
    chunk: pd.DataFrame, curves: ZeroCurves, *, compounding: str = "continuous"
) -> pd.DataFrame:
    """Return ``z_spread_bp`` and ``unpriced`` for a chunk of bond-days joined with bond terms."""
    frequency = _compounding_frequency(compounding)
    n = len(chunk)
    reason = np.full(n, "", dtype=object)
    z = np.full(n, np.nan)
    if n == 0:
        return pd.DataFrame({"z_spread_bp": z, "unpriced": reason}, index=chunk.index)

    known = chunk["currency"].notna().to_numpy()
    reason[~known] = "unknown_bond"
    fixed = known & chunk["coupon_type"].isin(PRICED_COUPON_TYPES).to_numpy() & ~_flag(chunk["perpetual"])
    reason[known & ~fixed] = "not_fixed_rate"

    rows = np.flatnonzero(fixed)
    part = chunk.iloc[rows]
    curve = curves.curve_ids(part["currency"].to_numpy(), part["date"].to_numpy())
    reason[rows[curve < 0]] = "no_curve"
    rows, part, curve = rows[curve >= 0], part[curve >= 0], curve[curve >= 0]
    if len(rows) == 0:
        return pd.DataFrame({"z_spread_bp": z, "unpriced": reason}, index=chunk.index)

    bond_codes, first = _bonds_of(part)
    terms = part.iloc[first]
    schedules = build_schedules(
        terms["issue_date"].to_numpy(),
        terms["maturity_date"].to_numpy(),
        terms["coupon_rate"].to_numpy(dtype=np.float64),
        terms["coupon_frequency"].to_numpy(dtype=np.int64),
        terms["day_count"].to_numpy(dtype=object),
    )
    settle = settlement_dates(
        part["date"].to_numpy(),
        part["settlement_days"].to_numpy(dtype=np.int64),
        calendar_codes(part["currency"].to_numpy(), part["calendar"].to_numpy() if "calendar" in part else None),
    )
    accrued = accrued_at(schedules, bond_codes, settle)
    outstanding = ~np.isnan(accrued)
    reason[rows[~outstanding]] = "not_outstanding"
    dirty = part["clean_price"].to_numpy(dtype=np.float64) + accrued
    priced = outstanding & (dirty > 0)
    reason[rows[outstanding & ~priced]] = "no_price"

    spread = _solve_rows(schedules, curves, bond_codes[priced], settle[priced], curve[priced], dirty[priced], frequency)
    z[rows[priced]] = spread * 1e4
    reason[rows[priced][np.isnan(spread)]] = "out_of_range"
    return pd.DataFrame({"z_spread_bp": z, "unpriced": reason}, index=chunk.index)


def _compounding_frequency(compounding: str) -> int:
    if compounding not in COMPOUNDING:
        raise ValidationError(
            f"unknown compounding {compounding!r}; expected one of {', '.join(COMPOUNDING)}", field="compounding"
        )
    return COMPOUNDING[compounding]


def _flag(column: pd.Series) -> NDArray[np.bool_]:
    return column.fillna(False).to_numpy(dtype=bool)


def _bonds_of(part: pd.DataFrame) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return each row's bond number within the chunk and the first row of each bond."""
    codes, uniques = pd.factorize(part["isin"], sort=False)
    first = np.full(len(uniques), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return codes.astype(np.int64), first


def _solve_rows(
    schedules: Schedules,
    curves: ZeroCurves,
    bond: NDArray[np.int64],
    settle: NDArray[np.datetime64],
    curve: NDArray[np.int64],
    dirty: NDArray[np.float64],
    frequency: int,
) -> NDArray[np.float64]:
    """Gather each row's remaining cash flows in padded batches and solve for z (decimal)."""
    position, remaining = locate(schedules, bond, settle)
    out = np.full(len(bond), np.nan)
    order = np.argsort(remaining, kind="stable")
    sorted_remaining = np.maximum(remaining[order], 1)
    start = 0
    while start < len(order):
        # the widest row of a batch is its last (rows are sorted): rows × width ≤ CELLS_PER_BATCH
        cells = np.arange(1, len(order) - start + 1) * sorted_remaining[start:]
        stop = start + max(1, int(np.searchsorted(cells, CELLS_PER_BATCH, side="right")))
        batch = order[start:stop]
        width = int(remaining[batch].max())
        column = np.arange(width)
        present = column[None, :] < remaining[batch, None]
        flat = np.where(present, position[batch, None] + column[None, :], 0)
        cash = np.where(present, schedules.amount[flat], 0.0)
        days = (schedules.payment[flat] - settle[batch, None]).astype(np.int64)
        times = np.where(present, days / 365.0, 0.0)
        rates = curves.zero_rates(curve[batch], times)
        out[batch] = solve_z(cash, times, rates, dirty[batch], frequency)
        start = stop
    return out


def solve_z(
    cash: NDArray[np.float64],
    times: NDArray[np.float64],
    rates: NDArray[np.float64],
    dirty: NDArray[np.float64],
    frequency: int = 0,
) -> NDArray[np.float64]:
    """Return z (decimal) per row such that Σ cash·DF(rates + z, times) = dirty (NaN if out of range).

    ``cash``, ``times`` (years) and ``rates`` (continuously compounded, decimal) are (rows, columns)
    matrices padded with zero cash; ``frequency`` 0 = continuous spread, else compounding per year.
    """
    rows = len(dirty)
    lower = np.full(rows, BRACKET[0])
    upper = np.full(rows, BRACKET[1])
    pricer = _Pricer(cash, times, rates, frequency)
    in_range = (pricer.value(lower)[0] >= dirty) & (pricer.value(upper)[0] <= dirty)
    z = np.where(in_range, 0.0, np.nan)
    active = np.flatnonzero(in_range)
    work = pricer
    work_rows = np.arange(rows)
    for _ in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        if active.size < 0.8 * work_rows.size:  # shrink the matrices to the rows still iterating
            work, work_rows = pricer.subset(active), active
        local = np.searchsorted(work_rows, active)
        price, slope = work.value(z[work_rows])
        error = price[local] - dirty[active]
        z_active = z[active]
        lower[active] = np.where(error > 0, z_active, lower[active])
        upper[active] = np.where(error <= 0, z_active, upper[active])
        newton = z_active - error / slope[local]
        inside = (newton > lower[active]) & (newton < upper[active])
        candidate = np.where(inside, newton, 0.5 * (lower[active] + upper[active]))
        done = (np.abs(error) <= PRICE_TOLERANCE) | (np.abs(candidate - z_active) <= STEP_TOLERANCE)
        z[active] = np.where(done & (np.abs(error) <= PRICE_TOLERANCE), z_active, candidate)
        active = active[~done]
    return z


class _Pricer:
    """Price and its derivative in z for a matrix of cash flows (rows of one batch)."""

    def __init__(self, cash: Any, times: Any, rates: Any, frequency: int) -> None:
        # column-major, so that each row sums its cash flows left to right (see _row_sums)
        self.times = np.asfortranarray(times)
        self.frequency = frequency
        if frequency == 0:
            # Σ CF·exp(−r t)·exp(−z t): the curve part is computed once
            self.weights = np.asfortranarray(cash * np.exp(-rates * times))
        else:
            self.weights = np.asfortranarray(cash)
            self.compounded = np.asfortranarray(frequency * np.expm1(rates / frequency))

    def subset(self, rows: NDArray[np.int64]) -> _Pricer:
        other = object.__new__(_Pricer)
        other.times, other.frequency = np.asfortranarray(self.times[rows]), self.frequency
        other.weights = np.asfortranarray(self.weights[rows])
        if self.frequency:
            other.compounded = np.asfortranarray(self.compounded[rows])
        return other

    def value(self, z: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if self.frequency == 0:
            discounted = self.weights * np.exp(-z[:, None] * self.times)
            return _row_sums(discounted), -_row_sums(discounted * self.times)
        n = self.frequency
        base = 1.0 + (self.compounded + z[:, None]) / n
        discounted = self.weights * np.exp(-n * self.times * np.log(base))
        return _row_sums(discounted), -_row_sums(discounted * self.times / base)


def _row_sums(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum each row left to right, one column at a time.

    Unlike ``matrix.sum(axis=1)`` (pairwise summation, whose grouping depends on the padded width),
    the result does not depend on how many padding columns the batch has, so a bond-day gets
    bit-for-bit the same Z-spread whatever chunk or Dask partition it is computed in.
    """
    total = matrix[:, 0].copy()
    for column in range(1, matrix.shape[1]):
        total += matrix[:, column]
    return total
