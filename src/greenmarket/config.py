"""Settings read from ``GREENMARKET_…`` environment variables (listed in the README)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from greenmarket.clock import Clock, ShiftedClock, SystemClock
from greenmarket.errors import ValidationError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """Return the SQLAlchemy URL of the configured database.

    ``GREENMARKET_DATABASE_URL`` wins; the default is the embedded SQLite file
    ``var/greenmarket.db`` under the project root (created on first use).
    """
    url = os.environ.get("GREENMARKET_DATABASE_URL")
    if url:
        return url
    var = PROJECT_ROOT / "var"
    var.mkdir(exist_ok=True)
    return f"sqlite:///{var / 'greenmarket.db'}"


def clock() -> Clock:
    """The market clock: the wall clock, or ``GREENMARKET_CLOCK_START`` onwards when set.

    ``GREENMARKET_CLOCK_START`` is an ISO 8601 time with offset (``2026-04-28T09:00:00+09:00``):
    the clock starts there when the process starts and runs in real time (for demos).
    """
    start = os.environ.get("GREENMARKET_CLOCK_START")
    if not start:
        return SystemClock()
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError("GREENMARKET_CLOCK_START must be an ISO 8601 time with a UTC offset",
                              field="GREENMARKET_CLOCK_START")
    return ShiftedClock(moment)
