"""Helpers for the API tests: auth headers, a snapshot of everything a refusal must keep, and what
a listing gained (the demo market already holds trading history)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from greenmarket.journal import store as journal_store
from greenmarket.registry.tables import holds, idempotency_keys, serial_blocks, transfers
from greenmarket.storage.db import Database


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def added(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows a listing in creation order (orders, instructions) gained since ``before``.

    The rows listed then must still be listed first and unchanged.
    """
    assert after[:len(before)] == before, "rows listed before changed or went missing"
    return after[len(before):]


def snapshot(database: Database) -> tuple[object, ...]:
    """Everything a refused request must leave untouched."""
    with database.read() as session:
        blocks = session.execute(
            select(serial_blocks.c.id, serial_blocks.c.serial_start, serial_blocks.c.serial_end,
                   serial_blocks.c.account_id, serial_blocks.c.status, serial_blocks.c.hold_id)
            .order_by(serial_blocks.c.id)).all()
        counts = tuple(session.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (transfers, holds, idempotency_keys))
        return (tuple(blocks), counts, journal_store.head(session))
