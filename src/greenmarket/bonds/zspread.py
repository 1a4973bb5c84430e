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
bisection whenever Newton would leave it, so it cannot diverge. Newton runs on log(price), nearly
linear in ``z``, and converges in three price evaluations for ordinary bonds; a row stops when its
price error is below 1e-11 (percent of par) or its Newton step is below 1e-9 (see ``solve_z``).
Each row's arithmetic is independent of its batch, so results are bit-identical whatever the chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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
NEWTON_STEP = 1e-9  # in z (decimal): 1e-5 bp
MAX_ITERATIONS = 100
BRACKET = (-0.5, 10.0)
CELLS_PER_BATCH = 250_000  # rows × cash-flow columns per padded matrix: 2 MB arrays stay in cache


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
    out = prices[["isin", "date"]].reset_index(drop=True)
    out["z_spread_bp"] = result["z_spread_bp"].to_numpy()
    reasons = result["unpriced"]
    out.attrs["unpriced"] = reasons[reasons != ""].value_counts().to_dict()
    return out


def z_spreads_for_chunk(
    chunk: pd.DataFrame, curves: ZeroCurves, *, compounding: str = "continuous"
) -> pd.DataFrame:
    """Return ``z_spread_bp`` and ``unpriced`` for a chunk of bond-days joined with bond terms."""
    frequency = _compounding_frequency(compounding)
    terms = _BondDays.of(chunk, curves)
    z = np.full(len(chunk), np.nan)
    dirty = chunk["clean_price"].to_numpy(dtype=np.float64)[terms.rows] + terms.accrued
    priced = dirty > 0
    terms.reason[terms.rows[~priced]] = "no_price"
    spread = np.full(len(terms.rows), np.nan)
    for batch, pricer in terms.batches(curves, priced, frequency):
        spread[batch] = solve_z(pricer, dirty[batch])
    z[terms.rows[priced]] = spread[priced] * 1e4
    terms.reason[terms.rows[priced & np.isnan(spread)]] = "out_of_range"
    return pd.DataFrame({"z_spread_bp": z, "unpriced": terms.reason}, index=chunk.index)


def clean_prices_for_chunk(
    chunk: pd.DataFrame, curves: ZeroCurves, z_spread_bp: Any, *, compounding: str = "continuous"
) -> pd.Series:
    """Return the clean price (percent of par) at which each bond-day has the given Z-spread.

    The inverse of :func:`z_spreads_for_chunk` (same chunk columns except ``clean_price``): used to
    build test universes and benchmarks whose Z-spreads are known. NaN where a row cannot be priced.
    """
    frequency = _compounding_frequency(compounding)
    terms = _BondDays.of(chunk, curves)
    spread = np.asarray(z_spread_bp, dtype=np.float64)[terms.rows] / 1e4
    dirty = np.full(len(terms.rows), np.nan)
    for batch, pricer in terms.batches(curves, np.ones(len(terms.rows), dtype=bool), frequency):
        dirty[batch] = pricer.value(spread[batch])[0]
    out = np.full(len(chunk), np.nan)
    out[terms.rows] = dirty - terms.accrued
    return pd.Series(out, index=chunk.index, name="clean_price")


@dataclass
class _BondDays:
    """The rows of a chunk that can be priced, with their schedules, settlement and accrued interest."""

    rows: NDArray[np.int64]  # positions in the chunk
    reason: NDArray[np.object_]  # per chunk row: "" or why it cannot be priced
    schedules: Schedules
    bond: NDArray[np.int64]
    settle: NDArray[np.datetime64]
    curve: NDArray[np.int64]
    accrued: NDArray[np.float64]

    @classmethod
    def of(cls, chunk: pd.DataFrame, curves: ZeroCurves) -> _BondDays:
        reason = np.full(len(chunk), "", dtype=object)
        bond_of_row, first = _bonds_of(chunk)
        terms = chunk.iloc[first]  # one row per ISIN: bond-level work is done once per bond
        known = terms["currency"].notna().to_numpy()
        fixed = known & terms["coupon_type"].isin(PRICED_COUPON_TYPES).to_numpy() & ~_flag(terms["perpetual"])
        reason[~known[bond_of_row]] = "unknown_bond"
        reason[(known & ~fixed)[bond_of_row]] = "not_fixed_rate"

        terms = terms[fixed]
        number = np.cumsum(fixed) - 1  # bond number among the fixed-rate bonds
        rows = np.flatnonzero(fixed[bond_of_row])
        bond = number[bond_of_row[rows]]
        dates = chunk["date"].to_numpy().astype("datetime64[D]")[rows]
        currency = terms["currency"].to_numpy(dtype=object)
        curve = curves.curve_ids_by_code(curves.currency_codes(currency)[bond], dates)
        reason[rows[curve < 0]] = "no_curve"
        found = curve >= 0
        rows, bond, dates, curve = rows[found], bond[found], dates[found], curve[found]

        schedules = build_schedules(
            terms["issue_date"].to_numpy(),
            terms["maturity_date"].to_numpy(),
            terms["coupon_rate"].to_numpy(dtype=np.float64),
            terms["coupon_frequency"].to_numpy(dtype=np.int64),
            terms["day_count"].to_numpy(dtype=object),
        )
        calendars = calendar_codes(currency, terms["calendar"].to_numpy(dtype=object) if "calendar" in terms else None)
        settle = settlement_dates(dates, terms["settlement_days"].to_numpy(dtype=np.int64)[bond], calendars[bond])
        accrued = accrued_at(schedules, bond, settle)
        outstanding = ~np.isnan(accrued)
        reason[rows[~outstanding]] = "not_outstanding"
        keep = outstanding
        return cls(rows[keep], reason, schedules, bond[keep], settle[keep], curve[keep], accrued[keep])

    def batches(
        self, curves: ZeroCurves, wanted: NDArray[np.bool_], frequency: int
    ) -> Iterator[tuple[NDArray[np.int64], Pricer]]:
        """Yield (row numbers, pricer of their remaining cash flows) in padded batches.

        Rows are grouped by width class (their number of cash flows, rounded up to a multiple of 8
        above 8) so that padding stays small, and sorted by curve within a class so that each curve
        is interpolated once per batch on a contiguous slice; a batch holds at most
        ``CELLS_PER_BATCH`` cells (small enough to stay in cache).
        """
        position, remaining = locate(self.schedules, self.bond, self.settle)
        width = np.where(remaining <= 8, remaining, (remaining + 7) // 8 * 8)
        order = np.flatnonzero(wanted & (remaining > 0))
        order = order[np.lexsort((self.curve[order], width[order]))]
        runs = np.split(order, np.flatnonzero(np.diff(width[order])) + 1)
        for run in runs:
            if run.size == 0:
                continue
            step = max(1, CELLS_PER_BATCH // int(width[run[0]]))
            for start in range(0, run.size, step):
                batch = run[start : start + step]
                yield batch, self._pricer(batch, position, remaining, curves, frequency)

    def _pricer(
        self,
        batch: NDArray[np.int64],
        position: NDArray[np.int64],
        remaining: NDArray[np.int64],
        curves: ZeroCurves,
        frequency: int,
    ) -> Pricer:
        # built column-major (cash flows × rows, then transposed): see Pricer
        column = np.arange(int(remaining[batch].max()))[:, None]
        present = column < remaining[batch][None, :]
        flat = np.where(present, position[batch][None, :] + column, 0)
        cash = np.where(present, self.schedules.amount[flat], 0.0).T
        # padding cells have zero cash, so their (meaningless, finite) times add exactly zero
        days = (self.schedules.payment[flat] - self.settle[batch][None, :]).astype(np.int64)
        times = (days / 365.0).T
        return Pricer(cash, times, curves.zero_rates(self.curve[batch], times), frequency)


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


def solve_z(pricer: Pricer, dirty: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return z (decimal) per row such that the pricer's value at z equals ``dirty``.

    Newton on log(price) − log(dirty), which is almost linear in z (its slope is minus the
    Macaulay-like duration), started at z = 0 and safeguarded: every iterate narrows the row's
    bracket (the price falls as z rises) and a step that would leave it becomes a bisection. A row
    stops when its price error is below ``PRICE_TOLERANCE`` or when a Newton step is below
    ``NEWTON_STEP`` (the step is then taken: quadratic convergence leaves an error of order
    step² · T, below 1e-14). A root outside ``BRACKET`` leaves the row pinned to the edge: NaN.
    """
    rows = len(dirty)
    lower, upper = np.full(rows, BRACKET[0]), np.full(rows, BRACKET[1])
    tolerance = PRICE_TOLERANCE * np.maximum(1.0, np.abs(dirty) / 100.0)
    log_dirty = np.log(dirty)
    z = np.zeros(rows)
    solved = np.zeros(rows, dtype=bool)
    active = np.arange(rows)
    work, work_rows = pricer, active
    for _ in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        if active.size < 0.8 * work_rows.size:  # shrink the matrices to the rows still iterating
            work, work_rows = pricer.subset(active), active
        local = np.searchsorted(work_rows, active)
        price, slope = work.value(z[work_rows])
        price, slope = price[local], slope[local]
        error = price - dirty[active]
        current = z[active]
        lower[active] = np.where(error > 0, current, lower[active])
        upper[active] = np.where(error <= 0, current, upper[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = current - (np.log(price) - log_dirty[active]) * price / slope
        inside = (newton > lower[active]) & (newton < upper[active])
        candidate = np.where(inside, newton, 0.5 * (lower[active] + upper[active]))
        converged = np.abs(error) <= tolerance[active]
        small_step = ~converged & inside & (np.abs(newton - current) <= NEWTON_STEP)
        # bisection below float resolution: the root is outside the bracket (or the price cannot
        # be matched to 1e-8 relative, never seen near par)
        stalled = ~converged & ~small_step & (np.abs(candidate - current) <= STEP_TOLERANCE)
        z[active[small_step]] = newton[small_step]
        solved[active[converged | small_step]] = True
        solved[active[stalled]] = np.abs(error[stalled]) <= 1e-8 * np.abs(dirty[active[stalled]])
        moving = ~(converged | small_step | stalled)
        z[active[moving]] = candidate[moving]
        active = active[moving]
    return np.where(solved, z, np.nan)


class Pricer:
    """Price and its derivative in z for a matrix of cash flows (rows of one batch).

    ``cash``, ``times`` (years) and ``rates`` (continuously compounded, decimal) are (rows, columns)
    matrices padded with zero cash; ``frequency`` 0 = continuous spread, else compounding per year.
    """

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

    def _scratch(self) -> NDArray[np.float64]:
        if getattr(self, "scratch", None) is None or self.scratch.shape != self.times.shape:
            self.scratch = np.empty_like(self.times)
        return self.scratch

    def subset(self, rows: NDArray[np.int64]) -> Pricer:
        other = object.__new__(Pricer)
        other.times, other.frequency = np.asfortranarray(self.times[rows]), self.frequency
        other.weights = np.asfortranarray(self.weights[rows])
        if self.frequency:
            other.compounded = np.asfortranarray(self.compounded[rows])
        return other

    def value(self, z: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return (price, d price / d z) per row at spreads ``z``."""
        if self.frequency == 0:
            # in place in one scratch matrix: fewer passes over memory than temporaries
            discounted = np.multiply(self.times, -z[:, None], out=self._scratch())
            if z.any():  # the first Newton step starts at z = 0, where exp is 1
                np.exp(discounted, out=discounted)
                np.multiply(discounted, self.weights, out=discounted)
            else:
                discounted[...] = self.weights
            price = _row_sums(discounted)
            return price, -_row_sums(np.multiply(discounted, self.times, out=discounted))
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
