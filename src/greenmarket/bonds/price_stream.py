"""Read ``prices.csv`` (or Parquet) as a stream of validated batches, for files too big for memory.

``greenmarket.bonds.reference.load_prices`` reads a whole file; the greenium pipeline reads 100
million bond-days, so it streams instead. The rules are those of FORMATS.md "Prices" (the same as
``reference.PRICES``): ``isin`` a valid ISIN, ``date`` an existing ISO date, ``clean_price`` a
finite number > 0; ``z_spread_bp`` optional and not read here (the pipeline computes Z-spreads).
A breach raises :class:`~greenmarket.errors.FileFormatError` naming the file, line and column.

The fast path is pyarrow's typed CSV reader. When it refuses a cell it cannot say which line, so the
stream then re-reads the file as text (pandas, in chunks) to name the first bad cell: slow, and only
on the error path. Every batch carries ``line``: the 1-based line of the CSV file (header = 1), or
the 1-based row of a Parquet file plus one, so that later checks (duplicate isin and date) can name
the line too.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from greenmarket.bonds.isin import is_valid_isin
from greenmarket.errors import FileFormatError

COLUMNS = ("isin", "date", "clean_price")
SCHEMA = pa.schema([("isin", pa.string()), ("date", pa.date32()), ("clean_price", pa.float64())])
BLOCK_BYTES = 16 << 20
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
RULES = {
    "isin": "required; ISIN must be 12 characters (2 letters, 9 letters or digits, 1 digit) with a valid check digit",
    "date": "required; date must be ISO 8601 YYYY-MM-DD and exist",
    "clean_price": "required; must be a decimal number with '.' > 0",
}


def prices_path(data: Path) -> Path:
    """Return the prices file of a data folder: ``prices.parquet`` when present, else ``prices.csv``."""
    parquet = data / "prices.parquet"
    return parquet if parquet.exists() else data / "prices.csv"


def estimated_rows(path: Path) -> int:
    """Return the row count (Parquet: exact; CSV: from the size, ~34 bytes a row)."""
    if not path.exists():
        raise FileFormatError("file not found", source=str(path))
    if _is_parquet(path):
        return pq.ParquetFile(path).metadata.num_rows
    return max(1, path.stat().st_size // 34)


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def batches(path: Path) -> Iterator[pa.Table]:
    """Yield validated tables with columns ``isin, date, clean_price, line``."""
    if not path.exists():
        raise FileFormatError("file not found", source=str(path))
    source = _parquet_batches(path) if _is_parquet(path) else _csv_batches(path)
    first_line = 2
    for table in source:
        lines = pa.array(np.arange(first_line, first_line + table.num_rows, dtype=np.int64))
        table = table.append_column("line", lines)
        _check(table, str(path))
        first_line += table.num_rows
        yield table


def _csv_batches(path: Path) -> Iterator[pa.Table]:
    header = path.open(encoding="utf-8").readline().strip().split(",")
    for name in COLUMNS:
        if name not in header:
            raise FileFormatError(f"missing column {name!r}", source=str(path), line=1, column=name)
    convert = pacsv.ConvertOptions(
        column_types={field.name: field.type for field in SCHEMA},
        include_columns=list(COLUMNS),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES), convert_options=convert)
        for batch in reader:
            yield pa.Table.from_batches([batch]).select(list(COLUMNS))
    except pa.ArrowInvalid as error:
        _locate_text_error(path)
        raise FileFormatError(f"unreadable CSV: {error}", source=str(path)) from error


def _parquet_batches(path: Path) -> Iterator[pa.Table]:
    file = pq.ParquetFile(path)
    names = file.schema_arrow.names
    for name in COLUMNS:
        if name not in names:
            raise FileFormatError(f"missing column {name!r}", source=str(path), line=1, column=name)
    for batch in file.iter_batches(batch_size=1_000_000, columns=list(COLUMNS)):
        table = pa.Table.from_batches([batch])
        try:
            yield table.cast(SCHEMA)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise FileFormatError(f"column types do not match {SCHEMA}: {error}", source=str(path)) from error


def _fail(table: pa.Table, bad: np.ndarray, source: str, column: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = table[column][row].as_py()
        line = int(table["line"][row].as_py())
        raise FileFormatError(f"{RULES[column]} (got {value!r})", source=source, line=line, column=column)


def _check(table: pa.Table, source: str) -> None:
    isin = table["isin"]
    valid = {code: is_valid_isin(code) for code in pc.unique(isin).to_pylist() if code is not None}
    known_bad = [code for code, ok in valid.items() if not ok]
    bad_isin = isin.is_null().to_numpy(zero_copy_only=False)
    if known_bad:
        bad_isin |= pc.is_in(isin, value_set=pa.array(known_bad)).to_numpy(zero_copy_only=False)
    _fail(table, bad_isin, source, "isin")
    _fail(table, table["date"].is_null().to_numpy(zero_copy_only=False), source, "date")
    price = table["clean_price"].to_numpy(zero_copy_only=False).astype(float)
    _fail(table, ~(np.isfinite(price) & (price > 0)), source, "clean_price")


def _locate_text_error(path: Path) -> None:
    """Name the first line or cell that pyarrow refused, reading the file as text."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        width = len(next(rows, []))
        for number, row in enumerate(rows, start=2):
            if len(row) != width and row:
                raise FileFormatError(f"expected {width} fields, got {len(row)}", source=str(path), line=number)
    line = 2
    for chunk in pd.read_csv(path, dtype=str, keep_default_na=False, usecols=list(COLUMNS), chunksize=500_000):
        date_text = chunk["date"]
        shaped = date_text.str.match(_DATE)
        dates = pd.to_datetime(date_text.where(shaped, None), format="%Y-%m-%d", errors="coerce")
        numbers = pd.to_numeric(chunk["clean_price"], errors="coerce")
        for column, bad in (("date", dates.isna()), ("clean_price", numbers.isna())):
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise FileFormatError(
                    f"{RULES[column]} (got {chunk[column].iloc[row]!r})", source=str(path), line=line + row, column=column
                )
        line += len(chunk)
