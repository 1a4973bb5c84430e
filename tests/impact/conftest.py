"""Fixtures of the impact tests (builders live in impact_kit.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from impact_kit import write_csv


@pytest.fixture
def write_inputs(tmp_path: Path) -> Callable[..., Path]:
    """Write the named input files (lists of row dicts) into ``tmp_path / "data"``."""

    def write(**files: list[dict[str, object]]) -> Path:
        data = tmp_path / "data"
        headers = {
            "commitments": ["isin", "reporting_frequency_months", "reporting_until", "standard"],
            "allocations": ["isin", "project", "category", "sdgs", "amount"],
            "impact_reports": ["isin", "report_date", "indicator", "value", "unit", "period", "level",
                               "share"],
            "fx": ["currency", "date", "usd_per_unit"],
        }
        for name, rows in files.items():
            write_csv(data / f"{name}.csv", rows, headers.get(name))
        return data

    return write
