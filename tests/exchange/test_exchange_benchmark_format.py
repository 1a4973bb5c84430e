"""The benchmarks keep their FORMATS.md interface (run small: speed is never asserted here)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=ENV,
                          timeout=120, cwd=ROOT)


def test_matching_benchmark_generates_and_reads_the_standard_csv(tmp_path):
    orders = tmp_path / "orders.csv"
    assert run("benchmarks/matching.py", "--generate", "2000", "--seed", "7", "--out", str(orders)).returncode == 0
    rows = list(csv.DictReader(orders.open()))
    assert len(rows) == 2000 and set(rows[0]) == {"side", "price", "quantity"}
    assert {r["side"] for r in rows} == {"buy", "sell"}
    assert all(90 <= int(r["price"]) <= 110 and 1 <= int(r["quantity"]) <= 10 for r in rows)
    done = run("benchmarks/matching.py", "--orders", str(orders))
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("orders_per_second: ") and int(last.split(": ")[1]) > 0


def test_matching_benchmark_names_the_bad_line(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("side,price,quantity\nbuy,100,5\nsell,abc,3\n")
    done = run("benchmarks/matching.py", "--orders", str(orders))
    assert done.returncode != 0 and "orders.csv:3 column 'price'" in done.stderr


def test_uncross_benchmark_runs_small():
    done = run("benchmarks/uncross.py", "--orders", "20000", "--levels", "100", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("uncross_seconds: ")
