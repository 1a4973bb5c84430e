"""Storage adapter: save a parsed export in one transaction, load everything back for a check."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, delete, insert, inspect, select
from sqlalchemy.orm import Session

from greenmarket.clock import Clock
from greenmarket.errors import ValidationError
from greenmarket.integrity.metaregistry.exports import ParsedExport
from greenmarket.integrity.metaregistry.finder import FRAME_COLUMNS, records_frame
from greenmarket.integrity.metaregistry.records import Rejection, Role, UnitRecord
from greenmarket.integrity.metaregistry.serials import SerialBlock
from greenmarket.integrity.metaregistry.tables import (
    metaregistry_records,
    metaregistry_rejections,
    metaregistry_sources,
)
from greenmarket.storage.db import Database

_CHUNK = 5000
# greenmarket's own registry enters every check as this source (serial block id as the line).
GREENMARKET_SOURCE = "greenmarket"
# Held blocks are reserved for settlement but still live; locked blocks back bridge tokens.
_BLOCK_ROLES = {
    "active": Role.ACTIVE,
    "held": Role.ACTIVE,
    "locked": Role.TOKENIZED,
    "retired": Role.RETIREMENT,
    "cancelled": Role.CANCELLATION,
}


@dataclass(slots=True)
class Loaded:
    """Everything the meta-registry holds: serial records (``FRAME_COLUMNS``), rejections, rows per source."""

    frame: pd.DataFrame
    rejections: list[Rejection]
    imported: dict[str, int]


def _chunks(rows: Sequence[dict[str, object]]) -> Iterator[Sequence[dict[str, object]]]:
    for first in range(0, len(rows), _CHUNK):
        yield rows[first : first + _CHUNK]


def _record_row(record: UnitRecord) -> dict[str, object]:
    item = record.block
    return {
        "source": record.source,
        "line": record.line,
        "registry": record.registry,
        "role": record.role.value,
        "program": record.program,
        "project": record.project,
        "vintage": record.vintage,
        "series": item.series if item else None,
        "serial_start": item.start if item else None,
        "serial_end": item.end if item else None,
        "quantity": record.quantity,
        "row_quantity": record.row_quantity,
        "is_primary": record.primary,
        "transfer_to": record.transfer_to,
        "detail": record.detail,
    }


def save_export(db: Database, parsed: ParsedExport, clock: Clock) -> None:
    """Store one export, replacing an earlier import of the same source; all or nothing."""
    with db.unit_of_work() as session:
        for table in (metaregistry_records, metaregistry_rejections, metaregistry_sources):
            session.execute(delete(table).where(table.c.source == parsed.source))
        session.execute(
            insert(metaregistry_sources).values(
                source=parsed.source,
                registry=parsed.registry,
                kind=parsed.kind,
                rows=parsed.imported_rows,
                imported_at=clock.now().isoformat(),
            )
        )
        for chunk in _chunks([_record_row(record) for record in parsed.records]):
            session.execute(insert(metaregistry_records), chunk)
        rejected = [
            {"source": r.source, "line": r.line, "reason": r.reason} for r in parsed.rejections
        ]
        for chunk in _chunks(rejected):
            session.execute(insert(metaregistry_rejections), chunk)


def load(session: Session) -> Loaded:
    """Read every imported serial record and rejection, plus greenmarket's own serial blocks if present."""
    columns = [getattr(metaregistry_records.c, name) for name in FRAME_COLUMNS]
    query = select(*columns).where(metaregistry_records.c.serial_start.is_not(None))
    frame = pd.DataFrame(session.execute(query).all(), columns=list(FRAME_COLUMNS))
    rejections = [
        Rejection(source=row.source, line=row.line, reason=row.reason)
        for row in session.execute(select(metaregistry_rejections))
    ]
    imported = {row.source: row.rows for row in session.execute(select(metaregistry_sources))}
    own = greenmarket_records(session.connection())
    if own:
        frame = pd.concat([frame, records_frame(own)], ignore_index=True)
        imported[GREENMARKET_SOURCE] = len({record.line for record in own})
    return Loaded(frame, rejections, imported)


def greenmarket_records(connection: Connection) -> list[UnitRecord]:
    """greenmarket's own serial blocks as one more source, when the registry's tables exist.

    greenmarket numbers serials per program with its own counter, so its blocks form their own
    numbering spaces (program ``GM:<code>``): they can overlap only records that carry greenmarket
    serials, such as CADT records that mirror greenmarket. Like a row of Verra's VCU export, each
    block is an issued block plus its current status (held counts as live, locked as tokenized).
    """
    if not inspect(connection).has_table("serial_blocks"):
        return []
    from greenmarket.registry.tables import (
        serial_blocks,  # the registry is optional for the meta-registry
    )

    rows = connection.execute(
        select(
            serial_blocks.c.id,
            serial_blocks.c.program,
            serial_blocks.c.project_id,
            serial_blocks.c.vintage,
            serial_blocks.c.serial_start,
            serial_blocks.c.serial_end,
            serial_blocks.c.status,
        ).order_by(serial_blocks.c.id)
    )
    records = []
    for row in rows:
        if row.status not in _BLOCK_ROLES:
            raise ValidationError(
                f"serial block {row.id} has status {row.status!r}, unknown to the meta-registry"
            )
        item = SerialBlock(
            f"GM:{row.program}",
            row.project_id,
            str(row.vintage),
            "",
            row.serial_start,
            row.serial_end,
        )
        for role in (Role.ISSUANCE, _BLOCK_ROLES[row.status]):
            records.append(
                UnitRecord(
                    source=GREENMARKET_SOURCE,
                    line=row.id,
                    registry=GREENMARKET_SOURCE,
                    role=role,
                    block=item,
                    quantity=item.quantity,
                    primary=role is Role.ISSUANCE,
                    program=item.program,
                    project=item.project,
                    vintage=item.vintage,
                )
            )
    return records
