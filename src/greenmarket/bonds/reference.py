"""Load and validate ``bonds.csv``, ``prices.csv``, ``curves.csv`` and ``disclosures.csv``.

Formats are FORMATS.md's (sections Bonds, Prices, Curves, Disclosures); the file may be CSV or
Parquet (chosen by extension). Every rule is checked before a frame is returned: the first broken
rule raises :class:`~greenmarket.errors.FileFormatError` naming the file, the line (CSV line: the
header is line 1, so data row *i* counted from 0 is line *i* + 2; Parquet: row index + 2 likewise),
the column and the rule. Extra columns are ignored, column order is free.

Returned dtypes: dates ``datetime64[ns]`` (NaT when an optional date is empty), booleans ``bool``,
counts ``int64``, numbers ``float64`` (NaN when optional and empty), text as given (empty string
when optional and empty).

Rules beyond single cells:

* bonds: ISIN unique; ``maturity_date`` empty only when ``perpetual`` is true, and after
  ``issue_date`` when given; ``coupon_frequency`` is 0 exactly when ``coupon_type`` is ``zero``;
  ``coupon_rate`` may be empty only for ``floating`` and ``variable`` coupons.
* prices: one row per (isin, date); ``clean_price`` > 0.
* curves: one row per (currency, date, tenor_years, kind); ``tenor_years`` > 0; ``frequency`` (1, 2,
  4 or 12) required on ``par`` rows. Rates are percent (2.5 means 2.5 %), like ``coupon_rate``.
* disclosures: ISIN unique.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from greenmarket.bonds.daycount import DAY_COUNTS
from greenmarket.bonds.isin import is_valid_isin
from greenmarket.errors import FileFormatError

COUPON_TYPES = ("fixed", "zero", "floating", "step", "variable")
ESG_TYPES = ("green", "blue", "sustainability", "social", "transition", "sustainability_linked", "none")
COUPON_FREQUENCIES = (0, 1, 2, 4, 12)
CURVE_KINDS = ("zero", "par")
PAR_FREQUENCIES = (1, 2, 4, 12)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Column:
    """One column of a file: how to parse a cell and the rule it must meet."""

    name: str
    kind: str  # isin, text, currency, date, number, integer, enum, bool
    required: bool = True  # a cell may be empty when False
    choices: tuple[object, ...] = ()
    minimum: float | None = None
    strict_minimum: bool = False
    present: bool = True  # the column itself must be in the file


def _bool_column(name: str) -> Column:
    return Column(name, "bool")


BONDS = (
    Column("isin", "isin"),
    Column("issuer", "text"),
    Column("currency", "currency"),
    Column("issue_date", "date"),
    Column("maturity_date", "date", required=False),
    Column("amount", "number", minimum=0),
    Column("issue_price", "number", minimum=0, strict_minimum=True),
    Column("yield_at_issue", "number", required=False),
    Column("coupon_type", "enum", choices=COUPON_TYPES),
    Column("coupon_rate", "number", required=False),
    Column("coupon_frequency", "integer", choices=COUPON_FREQUENCIES),
    Column("day_count", "enum", choices=DAY_COUNTS),
    Column("settlement_days", "integer", minimum=0),
    Column("seniority", "text", required=False),
    Column("subordination", "text", required=False),
    *(_bool_column(name) for name in ("callable", "putable", "sinkable", "convertible")),
    Column("collateral", "text", required=False),
    Column("esg_type", "enum", choices=ESG_TYPES),
    _bool_column("perpetual"),
    _bool_column("strip"),
    Column("pricing_sources", "integer", minimum=0),
    Column("calendar", "text", required=False, present=False),
)
PRICES = (
    Column("isin", "isin"),
    Column("date", "date"),
    Column("clean_price", "number", minimum=0, strict_minimum=True),
    Column("z_spread_bp", "number", required=False, present=False),
)
CURVES = (
    Column("currency", "currency"),
    Column("date", "date"),
    Column("tenor_years", "number", minimum=0, strict_minimum=True),
    Column("rate", "number"),
    Column("kind", "enum", choices=CURVE_KINDS),
    Column("frequency", "integer", required=False, choices=PAR_FREQUENCIES, present=False),
)
DISCLOSURES = (
    Column("isin", "isin"),
    *(
        Column(name, "date", required=False)
        for name in ("second_opinion", "allocation_report", "impact_report", "third_party_assurance")
    ),
)


_BY_NAME = {column.name: column for column in BONDS}
GREEN_TWINS = (
    *(
        _BY_NAME[name]
        for name in ("isin", "issuer", "currency", "maturity_date", "coupon_type", "coupon_rate",
                     "coupon_frequency", "day_count", "settlement_days", "esg_type")
    ),
    Column("issue_date", "date", required=False),  # first issuance, empty where not verified
    Column("twin_isin", "isin"),
    Column("source", "text"),
)


def load_bonds(path: str | Path) -> pd.DataFrame:
    """Load ``bonds.csv`` (or ``.parquet``) and check every rule."""
    return _load(path, BONDS, _bond_rules, unique=("isin",))


def load_prices(path: str | Path) -> pd.DataFrame:
    """Load ``prices.csv`` (or ``.parquet``) and check every rule."""
    return _load(path, PRICES, None, unique=("isin", "date"))


def load_curves(path: str | Path) -> pd.DataFrame:
    """Load ``curves.csv`` (or ``.parquet``) and check every rule."""
    return _load(path, CURVES, _curve_rules, unique=("currency", "date", "tenor_years", "kind"))


def load_disclosures(path: str | Path) -> pd.DataFrame:
    """Load ``disclosures.csv`` (or ``.parquet``) and check every rule."""
    return _load(path, DISCLOSURES, None, unique=("isin",))


def load_german_green_twins(path: str | Path | None = None) -> pd.DataFrame:
    """Load the German federal green bonds and their conventional twins (public facts only).

    The bundled file holds the ``bonds.csv`` columns that public sources state (ISIN, coupon,
    maturity, conventions, first issue date where published) plus ``twin_isin`` and ``source``;
    vendor fields (issue price, amount issued, dealer count) are not in it. Same cell rules as
    ``bonds.csv``; ``issue_date`` may be empty.
    """
    if path is None:
        path = Path(__file__).parent / "data" / "german_green_twins.csv"
    return _load(path, GREEN_TWINS, None, unique=("isin",))


RowRule = Callable[[pd.DataFrame, str], None]


def _load(path: str | Path, columns: tuple[Column, ...], rules: RowRule | None, unique: tuple[str, ...]) -> pd.DataFrame:
    source = str(path)
    raw = _read_text(Path(path))
    frame = pd.DataFrame(index=raw.index)
    first_error: tuple[int, int, str, str] | None = None  # (row, column order, column, rule)
    for order, column in enumerate(columns):
        if column.name not in raw.columns:
            if column.present:
                raise FileFormatError(f"missing column {column.name!r}", source=source, line=1, column=column.name)
            continue
        values, bad, rule = _parse(raw[column.name], column)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            if first_error is None or (row, order) < first_error[:2]:
                first_error = (row, order, column.name, rule)
        frame[column.name] = values
    if first_error is not None:
        row, _, name, rule = first_error
        raise FileFormatError(f"{rule} (got {raw[name].iloc[row]!r})", source=source, line=row + 2, column=name)
    duplicated = frame.duplicated(list(unique), keep="first").to_numpy()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise FileFormatError(
            f"duplicate {', '.join(unique)}: each must appear once", source=source, line=row + 2, column=unique[0]
        )
    if rules is not None:
        rules(frame, source)
    return frame.reset_index(drop=True)


def _read_text(path: Path) -> pd.DataFrame:
    """Read a file as text cells (Parquet values are written back as they would be in the CSV)."""
    if not path.exists():
        raise FileFormatError("file not found", source=str(path))
    if path.suffix.lower() in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
        return pd.DataFrame({name: _as_text(frame[name]) for name in frame.columns}, index=pd.RangeIndex(len(frame)))
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise FileFormatError(f"not a readable UTF-8 CSV file: {error}", source=str(path)) from error
    except pd.errors.EmptyDataError as error:
        raise FileFormatError("empty file: a header line is required", source=str(path), line=1) from error


def _as_text(column: pd.Series) -> pd.Series:
    """Write a Parquet column's values as the CSV would hold them (vectorised by dtype)."""
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(column):
        text = pd.Series(np.where(column.fillna(False).to_numpy(dtype=bool), "true", "false"), dtype=object)
    elif pd.api.types.is_datetime64_any_dtype(column):
        stamps = column.dt.tz_localize(None) if getattr(column.dt, "tz", None) else column
        midnight = (stamps == stamps.dt.normalize()).to_numpy()
        # a time of day is written out in full, so that the date rule rejects it
        text = pd.Series(np.where(midnight, stamps.dt.strftime("%Y-%m-%d"), stamps.astype(str)), dtype=object)
    elif pd.api.types.is_integer_dtype(column):
        text = column.astype(str).astype(object)
    elif pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype=np.float64)
        whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 2**53)
        # integers that Parquet stored as floats (a column with gaps) are written as integers
        text = pd.Series(np.where(whole, np.where(whole, values, 0).astype(np.int64).astype(str),
                                  values.astype(str)), dtype=object)
    elif pd.api.types.is_string_dtype(column) and column.dropna().map(type).eq(str).all():
        text = column.astype(object)
    else:
        text = pd.Series([_cell_text(value) for value in column.astype(object)], dtype=object)
    text = text.reset_index(drop=True)
    text[missing] = ""
    return text


def _cell_text(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _parse(text: pd.Series, column: Column) -> tuple[pd.Series, np.ndarray, str]:
    """Return (parsed values, bad-cell mask, rule text) for one column.

    Columns repeat a lot (ISINs, dates, flags), so each distinct text is parsed once.
    """
    text = text.astype(str)
    codes, uniques = pd.factorize(text)
    values, bad, rule = _parse_distinct(pd.Series(np.asarray(uniques, dtype=object), dtype=object), column)
    if column.kind in ("isin", "text", "currency", "enum"):
        parsed = text  # the text itself
    else:
        parsed = pd.Series(np.asarray(values)[codes], index=text.index)
    return parsed, np.asarray(bad, dtype=bool)[codes], rule


def _parse_distinct(text: pd.Series, column: Column) -> tuple[pd.Series, np.ndarray, str]:
    """Return (parsed values, bad-cell mask, rule text) for one column."""
    text = text.astype(str)
    empty = (text == "").to_numpy()
    missing = empty & column.required
    kind = column.kind
    if kind == "isin":
        values = text
        bad = ~np.fromiter((is_valid_isin(code) for code in text), dtype=bool, count=len(text))
        rule = "ISIN must be 12 characters (2 letters, 9 letters or digits, 1 digit) with a valid check digit"
    elif kind == "text":
        values, bad, rule = text, np.zeros(len(text), dtype=bool), "required text"
    elif kind == "currency":
        values = text
        bad = ~text.str.match(_CURRENCY).to_numpy(dtype=bool)
        rule = "currency must be an ISO 4217 code of 3 capital letters"
    elif kind == "date":
        shaped = text.str.match(_DATE).to_numpy(dtype=bool)
        values = pd.to_datetime(text.where(shaped, None), format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
        bad = ~empty & values.isna().to_numpy()
        rule = "date must be ISO 8601 YYYY-MM-DD and exist"
    elif kind == "bool":
        values = text == "true"
        bad = ~text.isin(("true", "false")).to_numpy()
        rule = "boolean must be true or false"
    elif kind == "enum":
        values = text
        bad = ~empty & ~text.isin(column.choices).to_numpy()
        rule = f"must be one of {', '.join(map(str, column.choices))}"
    else:  # number, integer
        pattern = _INTEGER if kind == "integer" else _NUMBER
        shaped = text.str.match(pattern).to_numpy(dtype=bool)
        numbers = pd.to_numeric(text.where(shaped, None), errors="coerce").astype(np.float64)
        bad = ~empty & ~np.isfinite(numbers.to_numpy())
        rule = "must be a whole number" if kind == "integer" else "must be a decimal number with '.'"
        if column.choices:
            bad |= ~empty & ~numbers.isin(column.choices).to_numpy()
            rule = f"must be one of {', '.join(map(str, column.choices))}"
        if column.minimum is not None:
            below = numbers <= column.minimum if column.strict_minimum else numbers < column.minimum
            bad |= below.to_numpy()
            rule += f" {'>' if column.strict_minimum else '≥'} {column.minimum:g}"
        # a bad cell stops the load, so filling it before the integer cast hides nothing
        values = numbers.fillna(0).astype(np.int64) if kind == "integer" and column.required else numbers
    if column.required:
        bad = bad | missing
        rule = f"required; {rule}"
    return values, np.asarray(bad, dtype=bool), rule


def _fail_first(mask: pd.Series | np.ndarray, source: str, column: str, rule: str) -> None:
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        row = int(np.flatnonzero(mask)[0])
        raise FileFormatError(rule, source=source, line=row + 2, column=column)


def _bond_rules(bonds: pd.DataFrame, source: str) -> None:
    maturity = bonds["maturity_date"]
    _fail_first(maturity.isna() & ~bonds["perpetual"], source, "maturity_date",
                "maturity_date may be empty only when perpetual is true")
    _fail_first(maturity.notna() & (maturity <= bonds["issue_date"]), source, "maturity_date",
                "maturity_date must be after issue_date")
    zero = bonds["coupon_type"] == "zero"
    _fail_first(zero != (bonds["coupon_frequency"] == 0), source, "coupon_frequency",
                "coupon_frequency is 0 exactly when coupon_type is zero")
    floating = bonds["coupon_type"].isin(("floating", "variable"))
    _fail_first(bonds["coupon_rate"].isna() & ~floating, source, "coupon_rate",
                "coupon_rate is required unless coupon_type is floating or variable")


def _curve_rules(curves: pd.DataFrame, source: str) -> None:
    par = curves["kind"] == "par"
    if "frequency" not in curves:
        _fail_first(par, source, "frequency", "par rows need a frequency column (1, 2, 4 or 12)")
        return
    _fail_first(par & curves["frequency"].isna(), source, "frequency", "par rows need a frequency (1, 2, 4 or 12)")
