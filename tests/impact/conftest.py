"""Fixtures of the impact tests (builders live in impact_kit.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from impact_kit import write_inputs_to


@pytest.fixture
def write_inputs(tmp_path: Path) -> Callable[..., Path]:
    """Write the named input files (lists of row dicts) into ``tmp_path / "data"``."""

    def write(**files: list[dict[str, object]]) -> Path:
        return write_inputs_to(tmp_path, **files)

    return write
