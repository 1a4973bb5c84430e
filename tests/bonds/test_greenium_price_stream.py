"""The streaming price reader: same rules as the loader, errors named by line and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from greenmarket.bonds.price_stream import batches
from greenmarket.errors import FileFormatError

GOOD = ["isin,date,clean_price,z_spread_bp", "DE0001030740,2024-05-30,97.5,", "DE0001030740,2024-05-31,97.25,3.1"]


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reads_typed_batches_with_line_numbers(tmp_path: Path) -> None:
    table = next(batches(_write(tmp_path, GOOD)))
    assert table.column_names == ["isin", "date", "clean_price", "line"]
    assert table["line"].to_pylist() == [2, 3]
    assert str(table["date"][1].as_py()) == "2024-05-31"


def test_parquet_gives_the_same_rows(tmp_path: Path) -> None:
    frame = pd.DataFrame({"isin": ["DE0001030740"], "date": pd.to_datetime(["2024-05-30"]), "clean_price": [97.5]})
    path = tmp_path / "prices.parquet"
    frame.to_parquet(path)
    table = next(batches(path))
    assert table["clean_price"].to_pylist() == [97.5] and table["line"].to_pylist() == [2]


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ("DE0001030741,2024-05-31,97.0,", "isin"),  # wrong check digit
        ("DE0001030740,2024-02-30,97.0,", "date"),  # no such day
        ("DE0001030740,31/05/2024,97.0,", "date"),
        ("DE0001030740,2024-05-31,0,", "clean_price"),
        ("DE0001030740,2024-05-31,ninety,", "clean_price"),
        ("DE0001030740,2024-05-31,,", "clean_price"),
        (",2024-05-31,97.0,", "isin"),
    ],
)
def test_first_bad_cell_is_named(tmp_path: Path, bad: str, column: str) -> None:
    path = _write(tmp_path, [*GOOD, bad])
    with pytest.raises(FileFormatError) as caught:
        list(batches(path))
    assert (caught.value.line, caught.value.column) == (4, column)
    assert str(path) in caught.value.message


def test_a_line_with_the_wrong_number_of_fields_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError) as caught:
        list(batches(_write(tmp_path, [*GOOD, "DE0001030740,2024-06-03,97.0,1,extra"])))
    assert caught.value.line == 4 and "expected 4 fields" in caught.value.message


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError) as caught:
        list(batches(_write(tmp_path, ["isin,date", "DE0001030740,2024-05-31"])))
    assert caught.value.column == "clean_price" and caught.value.line == 1
    with pytest.raises(FileFormatError):
        list(batches(tmp_path / "absent.csv"))
