"""A synthetic green-bond universe with a known greenium, to test the pipeline on a known truth.

The generator writes the four input files of ``greenmarket greenium run`` (FORMATS.md: ``bonds.csv``,
``prices.csv``, ``curves.csv``, ``disclosures.csv``) and the truth it injected:

* **Curves** — one zero curve per currency and business day, continuously compounded, percent, at the
  pillars of :data:`PILLARS`: a Nelson-Siegel level and slope that move from 2021 levels to
  2023-2024 levels (the hiking cycle) plus a random walk.
* **Bonds** — per currency, issuers with green (green, blue, sustainability) and conventional bonds,
  each currency with its market conventions (:data:`CONVENTIONS`); plus the bonds screening must
  refuse (social, transition, sustainability-linked, floating, perpetual, strip, issued outside
  2021-2023, GBP) and a few bonds that test the relaxation and the data cleansing (stale prices, a
  thin price history).
* **Z-spreads** — every bond of an issuer follows the issuer's spread path (a random walk around a
  level drawn per issuer) plus independent daily noise (``noise_bp``); a green bond's spread is
  lowered by its **injected greenium**: a per-currency mean plus a per-bond dispersion plus the
  chosen disclosure effects. So brown Z − green Z = injected greenium + noise, whatever brown bond
  the matching picks.
* **Prices** — the clean price that makes the bond's Z-spread exactly the generated one under the
  FORMATS Z-spread definition: cash flows from the pricing engine's schedules
  (:mod:`greenmarket.bonds.schedule`), settlement on the bond's calendar
  (:mod:`greenmarket.bonds.calendar`), discounting on the zero curves
  (:mod:`greenmarket.bonds.curves`) at r(t) + z, minus accrued interest at settlement.
* **Truth** — ``truth_bonds.csv`` (injected greenium per green bond) and ``truth.json`` (the
  parameters, and the mean injected greenium per currency).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from greenmarket.bonds.calendar import calendar_codes, settlement_dates
from greenmarket.bonds.curves import ZeroCurves, zero_curves
from greenmarket.bonds.isin import isin_check_digit
from greenmarket.bonds.schedule import Schedules, accrued_at, build_schedules, locate
from greenmarket.bonds.statistics import DISCLOSURES
from greenmarket.errors import ValidationError

PILLARS = np.array([0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0])
# currency: (coupon frequency, day count, settlement days, ISIN prefixes, amount unit)
CONVENTIONS: dict[str, tuple[int, str, int, tuple[str, ...], float]] = {
    "EUR": (1, "ACT/ACT-ICMA", 2, ("DE", "FR", "NL", "XS"), 1e6),
    "JPY": (2, "ACT/365F", 2, ("JP",), 1e8),
    "USD": (2, "30/360", 1, ("US", "XS"), 1e6),
}
# currency: (long level 2021, long level 2024, slope 2021, slope 2024), percent (Nelson-Siegel)
CURVE_SHAPES: dict[str, tuple[float, float, float, float]] = {
    "EUR": (0.0, 2.6, -0.6, 1.2),
    "JPY": (0.3, 1.1, -0.4, -0.9),
    "USD": (1.8, 4.3, -1.7, 1.0),
}
# Figure 18 shares of green bonds with each document (second opinion, allocation, impact, assurance)
DISCLOSURE_SHARES: dict[str, tuple[float, float, float, float]] = {
    "EUR": (0.81, 0.81, 0.66, 0.59),
    "JPY": (0.97, 0.83, 0.78, 0.28),
    "USD": (0.18, 0.27, 0.27, 0.27),
}
GREEN_TYPES = ("green", "green", "green", "blue", "sustainability")
PRICE_CHUNK = 100_000


@dataclass(frozen=True)
class UniverseSpec:
    """What to generate. Defaults: a small universe (a few seconds) spanning 3.5 years."""

    seed: int = 0
    issuers_per_currency: int = 6
    greens_per_issuer: tuple[int, int] = (1, 4)
    browns_per_issuer: tuple[int, int] = (2, 5)
    start: date = date(2021, 1, 1)
    end: date = date(2024, 6, 28)
    greenium_mean_bp: dict[str, float] = field(default_factory=lambda: {"EUR": 3.0, "JPY": 0.5, "USD": -2.0})
    greenium_dispersion_bp: float = 2.0
    noise_bp: float = 0.5
    issuer_spread_vol_bp: float = 0.8
    disclosure_effect_bp: dict[str, float] = field(default_factory=lambda: {"second_opinion": 1.5})
    missing_share: float = 0.02
    distractors: bool = True

    def __post_init__(self) -> None:
        if self.issuers_per_currency < 1:
            raise ValidationError("issuers_per_currency must be at least 1", field="issuers_per_currency")
        if self.end <= self.start:
            raise ValidationError("end must be after start", field="end")
        for name in self.disclosure_effect_bp:
            if name not in DISCLOSURES:
                raise ValidationError(f"unknown disclosure {name!r}", field="disclosure_effect_bp")

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(self.greenium_mean_bp)


@dataclass
class Universe:
    """The generated tables (prices are produced separately, as a stream)."""

    bonds: pd.DataFrame
    curves: pd.DataFrame
    disclosures: pd.DataFrame
    truth: pd.DataFrame
    business_days: pd.DatetimeIndex
    issuer_paths: dict[str, np.ndarray]
    price_plan: pd.DataFrame  # isin, first, last (dates), missing share, spread offset
    spec: UniverseSpec


def _isin(prefix: str, number: int) -> str:
    body = f"{prefix}{number:09d}"
    return body + str(isin_check_digit(body))


def build_universe(spec: UniverseSpec) -> Universe:
    """Draw the bonds, curves, disclosures, spread paths and truth (no prices yet)."""
    rng = np.random.default_rng(spec.seed)
    days = pd.bdate_range(spec.start, spec.end)
    curves = _curves(spec, days, rng)
    rows: list[dict[str, object]] = []
    paths: dict[str, np.ndarray] = {}
    counter = iter(range(1, 10**8))
    for currency in spec.currencies:
        for number in range(spec.issuers_per_currency):
            issuer = f"{currency} Issuer {number + 1:02d}"
            level = rng.uniform(10, 150)
            paths[issuer] = level + np.cumsum(rng.normal(0, spec.issuer_spread_vol_bp, len(days)))
            rows.extend(_issuer_bonds(spec, rng, currency, issuer, counter))
    if spec.distractors:
        rows.extend(_distractors(spec, rng, counter))
    bonds = pd.DataFrame(rows)
    disclosures = _disclosures(bonds, rng, spec)
    truth = _truth(bonds, disclosures, rng, spec)
    plan = _price_plan(bonds, truth, spec, rng)
    return Universe(bonds.drop(columns=["_role"]), curves, disclosures, truth, days, paths, plan, spec)


def _curves(spec: UniverseSpec, days: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    ramp = np.clip((days - pd.Timestamp("2022-01-01")).days.to_numpy() / 550.0, 0.0, 1.0)
    loading = (1 - np.exp(-PILLARS / 2.0)) / (PILLARS / 2.0)
    frames = []
    for currency in spec.currencies:
        long0, long1, slope0, slope1 = CURVE_SHAPES.get(currency, (1.0, 2.0, -0.5, 0.5))
        level = long0 + (long1 - long0) * ramp + np.cumsum(rng.normal(0, 0.02, len(days)))
        slope = slope0 + (slope1 - slope0) * ramp + np.cumsum(rng.normal(0, 0.015, len(days)))
        rates = level[:, None] + slope[:, None] * loading[None, :]
        frames.append(
            pd.DataFrame(
                {
                    "currency": currency,
                    "date": np.repeat(days.to_numpy(), len(PILLARS)),
                    "tenor_years": np.tile(PILLARS, len(days)),
                    "rate": np.round(rates.ravel(), 6),
                    "kind": "zero",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _bond(
    rng: np.random.Generator, currency: str, issuer: str, number: int, *, issue: pd.Timestamp, years: float, esg_type: str
) -> dict[str, object]:
    frequency, day_count, settlement_days, prefixes, unit = CONVENTIONS.get(currency, (1, "ACT/365F", 2, ("XS",), 1e6))
    maturity = (issue + pd.DateOffset(months=int(round(years * 12)))).normalize()
    coupon = max(0.0, round(float(rng.uniform(0.0, 4.5)) * 8) / 8)
    issue_price = round(float(rng.normal(99.9, 0.3)), 3)
    senior = rng.random() < 0.9
    return {
        "isin": _isin(prefixes[number % len(prefixes)], number),
        "issuer": issuer,
        "currency": currency,
        "issue_date": issue.date(),
        "maturity_date": maturity.date(),
        "amount": int(rng.choice([5, 10, 20, 30, 50]) * 100 * unit),
        "issue_price": issue_price,
        "yield_at_issue": round(coupon + (100 - issue_price) / max(years, 1.0), 4),
        "coupon_type": "fixed",
        "coupon_rate": coupon,
        "coupon_frequency": frequency,
        "day_count": day_count,
        "settlement_days": settlement_days,
        "seniority": "senior unsecured" if senior else "junior subordinated",
        "subordination": "senior" if senior else "subordinated",
        "callable": bool(rng.random() < 0.1),
        "putable": False,
        "sinkable": False,
        "convertible": False,
        "collateral": "unsecured" if rng.random() < 0.9 else "covered",
        "esg_type": esg_type,
        "perpetual": False,
        "strip": False,
        "pricing_sources": int(rng.integers(1, 12)),
        "_role": "analysed",
    }


def _issuer_bonds(
    spec: UniverseSpec, rng: np.random.Generator, currency: str, issuer: str, counter: Iterator[int]
) -> list[dict[str, object]]:
    rows = []
    greens = int(rng.integers(spec.greens_per_issuer[0], spec.greens_per_issuer[1] + 1))
    browns = int(rng.integers(spec.browns_per_issuer[0], spec.browns_per_issuer[1] + 1))
    for _ in range(greens):
        issue = pd.Timestamp(date(int(rng.integers(2021, 2024)), int(rng.integers(1, 13)), int(rng.integers(1, 28))))
        rows.append(_bond(rng, currency, issuer, next(counter), issue=issue, years=float(rng.uniform(4, 15)),
                          esg_type=str(rng.choice(GREEN_TYPES))))
    for _ in range(browns):
        issue = pd.Timestamp(date(int(rng.integers(2012, 2024)), int(rng.integers(1, 13)), int(rng.integers(1, 28))))
        horizon = (pd.Timestamp(spec.end) - issue).days / 365.25 + rng.uniform(1, 12)
        rows.append(_bond(rng, currency, issuer, next(counter), issue=issue, years=horizon, esg_type="none"))
    return rows


def _distractors(spec: UniverseSpec, rng: np.random.Generator, counter: Iterator[int]) -> list[dict[str, object]]:
    """Bonds that screening must refuse, and bonds for the relaxation and cleansing rules."""
    currency = spec.currencies[0]
    issuer = f"{currency} Issuer 01"
    issue = pd.Timestamp("2022-05-10")

    def make(role: str, **changes: object) -> dict[str, object]:
        row = _bond(rng, currency, issuer, next(counter), issue=issue, years=7.0, esg_type="green")
        row.update(changes, _role=role)
        return row

    return [
        make("refused", esg_type="social"),
        make("refused", esg_type="transition"),
        make("refused", esg_type="sustainability_linked"),
        make("refused", coupon_type="floating"),
        make("refused", perpetual=True, maturity_date=None),
        make("refused", strip=True),
        make("refused", issue_date=date(2020, 6, 1)),
        make("refused", currency="GBP", issuer="GBP Issuer 01"),
        make("stale", pricing_sources=6),
        make("thin", pricing_sources=7),
    ]


def _disclosures(bonds: pd.DataFrame, rng: np.random.Generator, spec: UniverseSpec) -> pd.DataFrame:
    labelled = bonds[bonds["esg_type"] != "none"]
    rows = []
    for _, bond in labelled.iterrows():
        shares = DISCLOSURE_SHARES.get(str(bond["currency"]), (0.5, 0.5, 0.5, 0.3))
        issue = pd.Timestamp(bond["issue_date"])
        row: dict[str, object] = {"isin": bond["isin"]}
        offsets = (-60, 380, 400, 420)  # days after issue: opinion before issue, reports after
        for name, share, offset in zip(DISCLOSURES, shares, offsets):
            when = issue + pd.Timedelta(days=offset + int(rng.integers(0, 60)))
            row[name] = min(when, pd.Timestamp(spec.end)).date() if rng.random() < share else None
        rows.append(row)
    return pd.DataFrame(rows, columns=["isin", *DISCLOSURES])


def _truth(bonds: pd.DataFrame, disclosures: pd.DataFrame, rng: np.random.Generator, spec: UniverseSpec) -> pd.DataFrame:
    priced = bonds["_role"].isin(["analysed", "stale", "thin"])
    greens = bonds[priced & bonds["esg_type"].isin(["green", "blue", "sustainability"])]
    table = greens[["isin", "issuer", "currency"]].copy()
    base = table["currency"].map(spec.greenium_mean_bp).fillna(0.0).to_numpy()
    table["base_greenium_bp"] = base + rng.normal(0, spec.greenium_dispersion_bp, len(table))
    flags = disclosures.set_index("isin").reindex(table["isin"])
    effect = np.zeros(len(table))
    for name, value in spec.disclosure_effect_bp.items():
        effect += value * flags[name].notna().to_numpy()
    table["disclosure_effect_bp"] = effect
    table["injected_greenium_bp"] = table["base_greenium_bp"] + effect
    return table.reset_index(drop=True)


def _price_plan(bonds: pd.DataFrame, truth: pd.DataFrame, spec: UniverseSpec, rng: np.random.Generator) -> pd.DataFrame:
    """Which days each priceable bond has a price, and its spread offset to its issuer's path."""
    role = bonds["_role"]
    priced = bonds[role.isin(["analysed", "stale", "thin"])]
    start = pd.to_datetime(priced["issue_date"]).clip(lower=pd.Timestamp(spec.start))
    last = (pd.to_datetime(priced["maturity_date"]) - pd.DateOffset(months=1)).clip(upper=pd.Timestamp(spec.end))
    last = last.where(priced["_role"] != "stale", pd.Timestamp(spec.end) - pd.Timedelta(days=120))
    last = last.where(priced["_role"] != "thin", start + pd.Timedelta(days=10))
    greenium = priced["isin"].map(truth.set_index("isin")["injected_greenium_bp"]).fillna(0.0)
    return pd.DataFrame(
        {
            "isin": priced["isin"].to_numpy(),
            "issuer": priced["issuer"].to_numpy(),
            "first": start.to_numpy(),
            "last": last.to_numpy(),
            "offset_bp": -greenium.to_numpy(),
            "missing_share": spec.missing_share,
        }
    )


def spread_rows(universe: Universe, rng: np.random.Generator) -> Iterator[pd.DataFrame]:
    """Yield (isin, date, z_spread_bp) frames, one per bond, in bond order."""
    days = universe.business_days
    for plan in universe.price_plan.itertuples(index=False):
        window = (days >= plan.first) & (days <= plan.last)
        keep = window & (rng.random(len(days)) >= plan.missing_share)
        path = universe.issuer_paths[plan.issuer][keep]
        z = path + plan.offset_bp + rng.normal(0, universe.spec.noise_bp, int(keep.sum()))
        yield pd.DataFrame({"isin": plan.isin, "date": days[keep], "z_spread_bp": z})


class Pricer:
    """Clean prices of many bonds on many days from Z-spreads, under the FORMATS Z-spread definition."""

    def __init__(self, bonds: pd.DataFrame, curves: pd.DataFrame | ZeroCurves) -> None:
        self.index = pd.Index(bonds["isin"])
        self.currency = bonds["currency"].to_numpy(dtype=object)
        self.settlement_days = bonds["settlement_days"].to_numpy(dtype=np.int64)
        self.calendars = calendar_codes(self.currency, bonds["calendar"] if "calendar" in bonds else None)
        self.schedules: Schedules = build_schedules(
            bonds["issue_date"], bonds["maturity_date"], bonds["coupon_rate"], bonds["coupon_frequency"], bonds["day_count"]
        )
        self.curves = curves if isinstance(curves, ZeroCurves) else zero_curves(curves)

    def clean_prices(self, isin: np.ndarray, dates: np.ndarray, z_spread_bp: np.ndarray) -> np.ndarray:
        """Return the clean price (percent of par) at which each bond-day has the given Z-spread."""
        bond = self.index.get_indexer(isin).astype(np.int64)
        if (bond < 0).any():
            raise ValidationError("pricing a bond that is not in the universe", field="isin")
        day = np.asarray(dates, dtype="datetime64[D]")
        settle = settlement_dates(day, self.settlement_days[bond], self.calendars[bond])
        position, remaining = locate(self.schedules, bond, settle)
        width = int(remaining.max(initial=0))
        columns = np.arange(width)
        valid = columns[None, :] < remaining[:, None]
        rows = np.where(valid, position[:, None] + columns[None, :], 0)
        amount = np.where(valid, self.schedules.amount[rows], 0.0)
        times = (self.schedules.payment[rows] - settle[:, None]).astype(np.int64) / 365.0
        curve = self.curves.curve_ids(self.currency[bond], day)
        rates = self.curves.zero_rates(curve, times)
        dirty = (amount * np.exp(-(rates + np.asarray(z_spread_bp)[:, None] / 1e4) * times)).sum(axis=1)
        return dirty - accrued_at(self.schedules, bond, settle)


def price_batches(universe: Universe, rng: np.random.Generator) -> Iterator[pd.DataFrame]:
    """Yield ``prices.csv`` rows (isin, date, clean_price) in batches of about :data:`PRICE_CHUNK`."""
    pricer = Pricer(universe.bonds.set_index("isin").loc[universe.price_plan["isin"]].reset_index(), universe.curves)
    pending: list[pd.DataFrame] = []
    size = 0
    for frame in spread_rows(universe, rng):
        pending.append(frame)
        size += len(frame)
        if size >= PRICE_CHUNK:
            yield _priced(pricer, pd.concat(pending, ignore_index=True))
            pending, size = [], 0
    if pending:
        yield _priced(pricer, pd.concat(pending, ignore_index=True))


def _priced(pricer: Pricer, frame: pd.DataFrame) -> pd.DataFrame:
    clean = pricer.clean_prices(frame["isin"].to_numpy(), frame["date"].to_numpy(), frame["z_spread_bp"].to_numpy())
    return pd.DataFrame({"isin": frame["isin"], "date": frame["date"].dt.date, "clean_price": np.round(clean, 6)})


def write_universe(
    spec: UniverseSpec,
    out: Path,
    *,
    prices_format: str = "csv",
    on_batch: Callable[[int], None] | None = None,
    universe: Universe | None = None,
) -> dict[str, object]:
    """Generate the universe into ``out``; return the truth summary (also in ``truth.json``).

    ``prices_format`` ``csv`` writes ``prices.csv``; ``parquet`` writes ``prices.parquet`` (one row
    group per batch), which the pipeline reads the same way and much faster. ``universe`` is the
    already drawn universe of ``spec``, if the caller has it.
    """
    if prices_format not in ("csv", "parquet"):
        raise ValidationError("prices_format must be csv or parquet", field="prices_format")
    out.mkdir(parents=True, exist_ok=True)
    universe = universe if universe is not None else build_universe(spec)
    _formats_booleans(universe.bonds).to_csv(out / "bonds.csv", index=False)
    universe.curves.to_csv(out / "curves.csv", index=False, date_format="%Y-%m-%d")
    universe.disclosures.to_csv(out / "disclosures.csv", index=False)
    universe.truth.to_csv(out / "truth_bonds.csv", index=False)
    rows = _write_prices(universe, out, prices_format, on_batch)
    summary = {
        "spec": json.loads(json.dumps(asdict(spec), default=str)),
        "bond_days": rows,
        "injected_mean_bp": universe.truth.groupby("currency")["injected_greenium_bp"].mean().round(6).to_dict(),
    }
    (out / "truth.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary


def _formats_booleans(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as FORMATS.md writes them: ``true``/``false``."""
    out = frame.copy()
    for column in out.columns[out.dtypes == bool]:
        out[column] = np.where(out[column], "true", "false")
    return out


def _write_prices(universe: Universe, out: Path, prices_format: str, on_batch: Callable[[int], None] | None) -> int:
    rng = np.random.default_rng([universe.spec.seed, 1])
    rows = 0
    writer: pq.ParquetWriter | None = None
    target = out / ("prices.csv" if prices_format == "csv" else "prices.parquet")
    try:
        for batch in price_batches(universe, rng):
            if prices_format == "csv":
                batch.to_csv(target, mode="a" if rows else "w", header=not rows, index=False)
            else:
                table = pa.Table.from_pandas(batch, preserve_index=False)
                writer = writer or pq.ParquetWriter(target, table.schema)
                writer.write_table(table)
            rows += len(batch)
            if on_batch is not None:
                on_batch(len(batch))
    finally:
        if writer is not None:
            writer.close()
    return rows
