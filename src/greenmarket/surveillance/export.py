"""Export greenmarket's own journal to the surveillance event format (FORMATS.md).

What the journal holds today, and how it maps:

- participants: every registry participant (``participants`` table) becomes a ``participant``
  record of kind ``member`` whose beneficial owner is itself. The registry records account holders,
  not groups or ultimate owners, so no ``link`` records come out of it: compliance adds the links
  it knows (and any beneficial owner other than the holder) to the exported file;
- transfers: each journal entry ``area='registry', type='transferred'`` becomes one ``transfer``
  record per project and vintage it moved (the moved blocks are the after-images in the entry whose
  account is the destination). The accounts map to their holders through the ``accounts`` table;
  ``transfer_id`` is ``registry-<transfer id>`` (with ``-<n>`` when one transfer moved several
  project-vintages). Times are the journal's, rendered in the venue time zone.

Extension point: the exchange does not journal orders, cancels, amendments, trades or auction
events yet. When it does, each journal type gets a mapping function in ``_MAPPERS`` below (keyed by
``(area, type)``, returning FORMATS records); nothing here pretends to export them before that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from greenmarket.journal import store
from greenmarket.journal.entry import JournalEntry
from greenmarket.registry.tables import accounts, participants
from greenmarket.surveillance.events import VENUE_TIMEZONE

Record = dict[str, Any]


def participant_records(participant_ids: Iterable[str]) -> Iterator[Record]:
    for participant_id in sorted(participant_ids):
        yield {"type": "participant", "id": participant_id, "beneficial_owner": participant_id,
               "kind": "member"}


def transfer_records(entry: JournalEntry, holders: dict[int, str], zone: ZoneInfo) -> Iterator[Record]:
    """One ``transfer`` record per project and vintage a ``transferred`` entry moved."""
    payload = entry.payload
    destination = payload["to_account_id"]
    moved: dict[tuple[str, str], int] = {}
    for block in payload.get("blocks", ()):
        if block["account_id"] != destination:
            continue  # a remainder that stayed with the source
        key = (str(block["project_id"]), str(block["vintage"]))
        moved[key] = moved.get(key, 0) + block["serial_end"] - block["serial_start"] + 1
    time = datetime.fromisoformat(entry.time).astimezone(zone).isoformat()
    several = len(moved) > 1
    for n, ((project, vintage), quantity) in enumerate(sorted(moved.items()), start=1):
        yield {"type": "transfer", "time": time,
               "transfer_id": f"registry-{payload['id']}" + (f"-{n}" if several else ""),
               "from_participant": holders[payload["from_account_id"]],
               "to_participant": holders[destination], "quantity": quantity,
               "project": project, "vintage": vintage}


_MAPPERS: dict[tuple[str, str], Callable[[JournalEntry, dict[int, str], ZoneInfo], Iterator[Record]]] = {
    ("registry", "transferred"): transfer_records,
}


def export_journal(session: Session, *, timezone: str = VENUE_TIMEZONE) -> Iterator[Record]:
    """The FORMATS records of everything the journal holds that surveillance can read."""
    zone = ZoneInfo(timezone)
    yield from participant_records(session.execute(select(participants.c.id)).scalars())
    holders = {int(row.id): row.participant_id
               for row in session.execute(select(accounts.c.id, accounts.c.participant_id))}
    for entry in store.read(session):
        mapper = _MAPPERS.get((entry.area, entry.type))
        if mapper is not None:
            yield from mapper(entry, holders, zone)
