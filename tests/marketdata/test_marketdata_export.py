"""``greenmarket marketdata …`` exports: CSV, JSON and Parquet carry the same exact history."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from marketdata_kit import CONTRACTS, SPOT, Market, hand_made_day, ny
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.marketdata import cli as marketdata_cli
from greenmarket.settlement import dvp


@pytest.fixture
def market(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("GREENMARKET_NATS_URL", raising=False)
    monkeypatch.setattr(marketdata_cli, "CONTRACTS", CONTRACTS)  # the test market's contracts
    market = Market(sqlite_url)
    hand_made_day(market)
    market.at(ny(17, 30))
    dvp.settle_due(market.run, date(2026, 4, 28))
    yield market
    market.db.dispose()


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, ["marketdata", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_daily_history_in_three_formats(market: Market, tmp_path: Path) -> None:
    assert "cursor at sequence" in invoke("project")
    for fmt in ("csv", "json", "parquet"):
        output = invoke("daily", "--contract", SPOT.contract_id, "--format", fmt,
                        "--out", str(tmp_path / f"daily.{fmt}"))
        assert f"1 daily rows -> {tmp_path / f'daily.{fmt}'} ({fmt})" in output
    [row] = list(csv.DictReader((tmp_path / "daily.csv").open()))
    [record] = json.loads((tmp_path / "daily.json").read_text())
    table = pq.read_table(tmp_path / "daily.parquet").to_pylist()
    assert row["vwap"] == record["vwap"] == "10.055556"
    assert table[0]["vwap"] == Decimal("10.055556")  # exact decimal, never a float
    assert (row["close"], record["close"], table[0]["close"]) == ("10.05", "10.05",
                                                                  Decimal("10.05"))
    assert row["deliveries"] == "3" and record["trading_day"] == "2026-04-28"


def test_tape_and_registry_statistics(market: Market, tmp_path: Path) -> None:
    invoke("tape", "--format", "parquet", "--out", str(tmp_path / "tape.parquet"))
    tape = pq.read_table(tmp_path / "tape.parquet").to_pylist()
    assert [(t["price"], t["quantity"]) for t in tape] == [
        (Decimal("10.10"), 40), (Decimal("10.00"), 30), (Decimal("10.05"), 20)]
    assert set(tape[0]) == {"contract_id", "trade_id", "time", "trading_day", "price",
                            "price_ticks", "currency", "quantity", "block", "auction"}
    invoke("registry-stats", "--by", "vintage", "--period", "year", "--format", "json",
           "--out", str(tmp_path / "stats.json"))
    assert json.loads((tmp_path / "stats.json").read_text()) == [
        {"period": "2026", "vintage": 2024, "issued": 400_000, "retired": 0, "cancelled": 0}]
    depth = json.loads(invoke("depth", "--contract", SPOT.contract_id))
    assert depth["bids"] == [] and depth["session"] is None  # the session closed at 17:00


def test_a_bad_format_is_refused(market: Market, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["marketdata", "daily", "--format", "xlsx",
                                      "--out", str(tmp_path / "d.xlsx")])
    assert result.exit_code != 0 and not (tmp_path / "d.xlsx").exists()
