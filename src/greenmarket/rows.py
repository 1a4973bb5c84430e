"""Rows (lists of dicts) as CSV: the one rendering that the API downloads and the CLI share."""

from __future__ import annotations

import csv
import io
from typing import Any


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with a header from the first row; list values are joined with ``;``."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (";".join(map(str, v)) if isinstance(v, list) else v)
                             for k, v in row.items()})
    return buffer.getvalue()
