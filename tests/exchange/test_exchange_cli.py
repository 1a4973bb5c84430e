"""``greenmarket auction uncross BOOK.json``: the FORMATS.md input and output, and bad files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.errors import FileFormatError

SAMPLE = {
    "tick": 1,
    "reference_price": 1500,
    "orders": [
        {"id": "b1", "side": "buy", "price": 1510, "quantity": 30, "time": "2026-01-05T09:00:00+09:00"},
        {"id": "s1", "side": "sell", "price": 1480, "quantity": 25, "time": "2026-01-05T09:00:30+09:00"},
        {"id": "b2", "side": "buy", "price": 1500, "quantity": 20, "time": "2026-01-05T09:01:00+09:00"},
        {"id": "b3", "side": "buy", "price": 1490, "quantity": 40, "time": "2026-01-05T09:02:00+09:00"},
        {"id": "s3", "side": "sell", "price": 1500, "quantity": 15, "time": "2026-01-05T09:04:00+09:00"},
        # s2 is listed later but was entered earlier (00:03 UTC = 09:03 JST): time decides
        {"id": "s2", "side": "sell", "price": 1500, "quantity": 20, "time": "2026-01-05T00:03:00Z"},
        {"id": "s4", "side": "sell", "price": 1520, "quantity": 50, "time": "2026-01-05T09:05:00+09:00"},
    ],
}


def write(tmp_path: Path, document, name="book.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def invoke(path: Path):
    return CliRunner().invoke(app, ["auction", "uncross", str(path)])


def test_uncross_prints_the_formats_output(tmp_path):
    result = invoke(write(tmp_path, SAMPLE))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "price": 1500,
        "volume": 50,
        "surplus": 10,
        "fills": [
            {"id": "b1", "quantity": 30},
            {"id": "s1", "quantity": 25},
            {"id": "b2", "quantity": 20},
            {"id": "s3", "quantity": 5},
            {"id": "s2", "quantity": 20},
        ],
    }


def test_prices_in_units_of_a_larger_tick(tmp_path):
    book = {"tick": 5, "reference_price": 1500, "orders": [
        {"id": "b", "side": "buy", "price": 1510, "quantity": 10, "time": "2026-01-05T09:00:00+09:00"},
        {"id": "s", "side": "sell", "price": 1490, "quantity": 10, "time": "2026-01-05T09:00:00+09:00"},
    ]}
    # volume 10 and zero surplus from 1490 to 1510: the reference price 1500 decides
    assert json.loads(invoke(write(tmp_path, book)).stdout)["price"] == 1500


def test_a_book_that_does_not_cross_has_a_null_price(tmp_path):
    book = {"tick": 1, "reference_price": 1500, "orders": [
        {"id": "b", "side": "buy", "price": 1490, "quantity": 10, "time": "2026-01-05T09:00:00+09:00"},
        {"id": "s", "side": "sell", "price": 1510, "quantity": 10, "time": "2026-01-05T09:00:00+09:00"},
    ]}
    assert json.loads(invoke(write(tmp_path, book)).stdout) == {
        "price": None, "volume": 0, "surplus": 0, "fills": []
    }


def bad_order(**change):
    order = {"id": "o7", "side": "buy", "price": 1510, "quantity": 30, "time": "2026-01-05T09:00:00+09:00"}
    order.update(change)
    return {"tick": 1, "reference_price": 1500, "orders": [order]}


@pytest.mark.parametrize(
    ("document", "column", "words"),
    [
        (bad_order(price=1510.5), "orders[0].price", "'o7'"),
        (bad_order(price="1510"), "orders[0].price", "integer"),
        (bad_order(quantity=0), "orders[0].quantity", "positive"),
        (bad_order(side="bid"), "orders[0].side", "buy"),
        (bad_order(time="2026-01-05T09:00:00"), "orders[0].time", "offset"),
        (bad_order(time="yesterday"), "orders[0].time", "ISO 8601"),
        (bad_order(id=""), "orders[0].id", "index 0"),
        ({**bad_order(), "tick": 7, "reference_price": 1505}, "orders[0].price", "multiple of tick"),
        ({**bad_order(), "tick": 7}, "reference_price", "multiple of tick"),
        ({**bad_order(), "tick": 0}, "tick", "positive"),
        ({**bad_order(), "reference_price": None}, "reference_price", "integer"),
        ({"tick": 1, "reference_price": 1500, "orders": {}}, "orders", "list"),
        ({"tick": 1, "reference_price": 1500, "orders": [bad_order()["orders"][0]] * 2},
         "orders[1].id", "repeated"),
    ],
)
def test_bad_files_name_the_order_and_the_field(tmp_path, document, column, words):
    result = invoke(write(tmp_path, document))
    assert result.exit_code != 0
    error = result.exception
    assert isinstance(error, FileFormatError)
    assert error.column == column and words in error.message and "book.json" in error.message


def test_not_json_names_the_line(tmp_path):
    error = invoke(write(tmp_path, '{"tick": 1,\n "orders": [}')).exception
    assert isinstance(error, FileFormatError) and error.line == 2


def test_console_command_exits_2_with_a_clear_message(tmp_path):
    path = write(tmp_path, bad_order(quantity=-3))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", "from greenmarket.cli import main; main()", "auction", "uncross", str(path)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 2
    assert "orders[0].quantity" in done.stderr and "o7" in done.stderr
    assert done.stdout == ""
