"""Public market data as files: CSV, JSON and Parquet, with fixed columns per dataset.

Decimal prices stay exact: CSV and JSON carry them as text (``"10.05"``), Parquet as
``decimal128(18, s)`` where ``s`` is the dataset's largest number of decimal places, so no price
ever passes through a float.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from greenmarket.errors import ValidationError
from greenmarket.marketdata.queries import DAILY_COLUMNS, DIMENSIONS, TAPE_COLUMNS

FORMATS = ("csv", "json", "parquet")
#: Columns holding decimal money as text.
DECIMAL_COLUMNS = frozenset({"price", "open", "high", "low", "close", "vwap", "closing_bid",
                             "closing_ask", "spread"})


def columns_of(dataset: str, by: str | None = None) -> tuple[str, ...]:
    if dataset == "tape":
        return TAPE_COLUMNS
    if dataset == "daily":
        return DAILY_COLUMNS
    if by not in DIMENSIONS:
        raise ValidationError(f"by must be one of {', '.join(DIMENSIONS)}", field="by")
    return ("period", by, "issued", "retired", "cancelled")


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("true" if v is True else "false" if v is False else v)
                         for k, v in row.items()})
    return buffer.getvalue()


def to_json(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    return json.dumps([{c: row[c] for c in columns} for row in rows], ensure_ascii=False,
                      indent=1)


def to_arrow(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pa.Table:
    """An Arrow table; decimal text becomes an exact decimal column."""
    arrays = {}
    for column in columns:
        values = [row[column] for row in rows]
        if column in DECIMAL_COLUMNS:
            decimals = [None if v is None else Decimal(v) for v in values]
            scale = max((-d.as_tuple().exponent for d in decimals if d is not None), default=0)
            arrays[column] = pa.array(decimals, type=pa.decimal128(18, max(scale, 0)))
        else:
            arrays[column] = pa.array(values)
    return pa.table(arrays)


def write(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: Path) -> None:
    """Write ``rows`` to ``out`` in ``fmt`` (csv, json or parquet)."""
    if fmt not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}", field="format")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(to_arrow(rows, columns), out)
    elif fmt == "csv":
        out.write_text(to_csv(rows, columns), encoding="utf-8")
    else:
        out.write_text(to_json(rows, columns) + "\n", encoding="utf-8")
