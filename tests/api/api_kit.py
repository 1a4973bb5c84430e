"""Helpers for the API tests: auth headers and a snapshot of everything a refusal must keep."""

from __future__ import annotations

from sqlalchemy import func, select

from greenmarket.journal import store as journal_store
from greenmarket.registry.tables import holds, idempotency_keys, serial_blocks, transfers
from greenmarket.storage.db import Database


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


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
