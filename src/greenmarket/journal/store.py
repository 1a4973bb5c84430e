"""Append to and read the journal table inside the caller's unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from greenmarket.journal.entry import GENESIS_HASH, JournalEntry
from greenmarket.storage.schema import journal, journal_head

HEAD_ID = 1

# Built once: the statements of every append differ only in their parameters.
_LOCK_HEAD = (
    select(journal_head.c.sequence, journal_head.c.hash)
    .where(journal_head.c.id == HEAD_ID)
    .with_for_update()
)
_MOVE_HEAD = (
    update(journal_head)
    .where(journal_head.c.id == HEAD_ID)
    .values(sequence=bindparam("new_sequence"), hash=bindparam("new_hash"))
)
# PostgreSQL: one round trip while the head is locked — the insert rides along as a
# data-modifying CTE, which PostgreSQL always runs to completion.
_APPEND_AND_MOVE_HEAD = _MOVE_HEAD.add_cte(
    insert(journal)
    .values({column.name: bindparam(column.name, type_=column.type) for column in journal.c})
    .returning(journal.c.sequence)
    .cte("appended")
)


# Set on a session whose transaction holds entries the database appends at commit
# (``journal_pending``, PostgreSQL): they are appended first when the journal is touched here.
_PENDING = "journal_pending_entries"
_SEAL_PENDING_NOW = text("SET CONSTRAINTS journal_pending_sealed IMMEDIATE")


def defer(session: Session) -> None:
    """Note that the database will append an entry of this transaction when it commits."""
    session.info[_PENDING] = True


def _seal_pending(session: Session) -> None:
    """Append the entries the database was to append at commit now, keeping the journal in the
    order things happened in this transaction."""
    if session.info.pop(_PENDING, False):
        session.execute(_SEAL_PENDING_NOW)


def append(
    session: Session,
    *,
    time: datetime,
    actor: str,
    area: str,
    type: str,
    payload: dict[str, Any],
) -> JournalEntry:
    """Append one sealed entry in the caller's transaction.

    The head row (created by the first migration) is locked with ``FOR UPDATE`` so that concurrent
    writers chain one after another; callers append last, just before commit, to hold that lock as
    briefly as possible.
    """
    _seal_pending(session)
    head = session.execute(_LOCK_HEAD).one()
    entry = JournalEntry.seal(
        sequence=head.sequence + 1,
        time=time,
        actor=actor,
        area=area,
        type=type,
        payload=payload,
        previous_hash=head.hash,
    )
    new_head = {"new_sequence": entry.sequence, "new_hash": entry.hash}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_APPEND_AND_MOVE_HEAD, {**entry.to_dict(), **new_head})
    else:
        session.execute(insert(journal), entry.to_dict())
        session.execute(_MOVE_HEAD, new_head)
    return entry


def read(
    session: Session, *, after: int = 0, limit: int | None = None, area: str | None = None
) -> Iterator[JournalEntry]:
    """Yield entries with sequence > ``after`` in order (optionally of one area)."""
    _seal_pending(session)
    query = select(journal).where(journal.c.sequence > after).order_by(journal.c.sequence)
    if area is not None:
        query = query.where(journal.c.area == area)
    if limit is not None:
        query = query.limit(limit)
    for row in session.execute(query).mappings():
        yield JournalEntry.from_dict(dict(row))


def head(session: Session) -> tuple[int, str]:
    """Return (sequence, hash) of the last entry, or (0, GENESIS_HASH) when empty."""
    _seal_pending(session)
    row = session.execute(
        select(journal_head.c.sequence, journal_head.c.hash).where(journal_head.c.id == HEAD_ID)
    ).one_or_none()
    return (row.sequence, row.hash) if row else (0, GENESIS_HASH)
