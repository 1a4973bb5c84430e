"""Settings read from ``GREENMARKET_…`` environment variables (listed in the README)."""

from __future__ import annotations

import os
from pathlib import Path

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
