"""Export greenmarket's own journal to the surveillance event format (FORMATS.md).

What the journal holds, and how it maps:

- participants: every registry participant (``participants`` table) becomes a ``participant``
  record of kind ``member``; its beneficial owner is the ``owner`` its exchange orders carry, else
  itself. The registry records account holders, not groups, so no ``link`` records come out of
  it: compliance adds the links it knows to the exported file. The exchange takes orders from
  participants for their own account, so every order is ``principal`` with no client;
- registry transfers: each ``registry/transferred`` entry becomes one ``transfer`` per project and
  vintage it moved (the moved blocks are the after-images whose account is the destination),
  accounts mapped to holders through the ``accounts`` table, id ``registry-<id>[-<n>]``;
- exchange entries (area ``exchange``): ``session_opened`` of a call-auction session opens an
  auction window (reference: the base price); the events inside ``order_submitted``,
  ``order_amended``, ``order_cancelled``, ``auction_uncrossed`` and ``session_closed`` map one by
  one: ``OrderAccepted`` → ``order`` (session ``auction`` or ``continuous`` from the session's
  mechanism), ``Trade`` → ``trade``, ``OrderCancelled`` asked for by the participant → ``cancel``,
  ``OrderAmended`` → ``amend``; an uncross is preceded by ``window_close`` and ``uncross`` (price
  and volume of its trades). Order and trade ids are per book, so they become
  ``<contract>:<id>``. Expiries, self-match and IOC remainders, and rejections need no record (the
  order is simply over). A market order has no price: it is written with the price of its first
  fill, and one that never filled is left out with everything that names it.

Times are the events' own, rendered in the venue time zone. Further journal kinds get a function
in ``_MAPPERS`` (keyed by ``(area, type)``).
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


def participant_records(participant_ids: Iterable[str], owners: dict[str, str]) -> Iterator[Record]:
    for participant_id in sorted(participant_ids):
        yield {"type": "participant", "id": participant_id,
               "beneficial_owner": owners.get(participant_id, participant_id), "kind": "member"}


class _Journal:
    """What the mapping needs across entries: holders, sessions, orders written or left out."""

    def __init__(self, holders: dict[int, str], zone: ZoneInfo) -> None:
        self.holders = holders
        self.zone = zone
        self.mechanism: dict[str, str] = {}
        self.written: set[str] = set()

    def time(self, text: str) -> str:
        return datetime.fromisoformat(text).astimezone(self.zone).isoformat()


def transfer_records(entry: JournalEntry, journal: _Journal) -> Iterator[Record]:
    """One ``transfer`` record per project and vintage a ``transferred`` entry moved."""
    payload = entry.payload
    destination = payload["to_account_id"]
    moved: dict[tuple[str, str], int] = {}
    for block in payload.get("blocks", ()):
        if block["account_id"] != destination:
            continue  # a remainder that stayed with the source
        key = (str(block["project_id"]), str(block["vintage"]))
        moved[key] = moved.get(key, 0) + block["serial_end"] - block["serial_start"] + 1
    time = journal.time(entry.time)
    several = len(moved) > 1
    for n, ((project, vintage), quantity) in enumerate(sorted(moved.items()), start=1):
        yield {"type": "transfer", "time": time,
               "transfer_id": f"registry-{payload['id']}" + (f"-{n}" if several else ""),
               "from_participant": journal.holders[payload["from_account_id"]],
               "to_participant": journal.holders[destination], "quantity": quantity,
               "project": project, "vintage": vintage}


def session_records(entry: JournalEntry, journal: _Journal) -> Iterator[Record]:
    """A call-auction session opens an auction window at its base price."""
    payload = entry.payload
    command = payload["command"]
    journal.mechanism[payload["contract_id"]] = command["mechanism"]
    if command["mechanism"] == "call_auction":
        yield {"type": "auction", "time": journal.time(command["time"]), "contract": payload["contract_id"],
               "event": "window_open", "price": command["base_price"], "volume": 0}


def exchange_records(entry: JournalEntry, journal: _Journal) -> Iterator[Record]:
    """The order, cancel, amend and trade records of one exchange command's events."""
    payload = entry.payload
    contract, events = payload["contract_id"], payload["events"]
    trades = [e for e in events if e["type"] == "Trade"]
    if entry.type == "auction_uncrossed":
        time = journal.time(payload["command"]["time"])
        price = trades[0]["price"] if trades else 0
        yield {"type": "auction", "time": time, "contract": contract, "event": "window_close",
               "price": 0, "volume": 0}
        yield {"type": "auction", "time": time, "contract": contract, "event": "uncross",
               "price": price, "volume": sum(t["quantity"] for t in trades)}
    session = "auction" if journal.mechanism.get(contract) == "call_auction" else "continuous"
    for event in events:
        kind = event["type"]
        order_id = f"{contract}:{event['order_id']}" if "order_id" in event else None
        if kind == "OrderAccepted":
            price = event["price"]
            if price is None:  # a market order: the price of its first fill, if any
                fills = [t for t in trades if event["order_id"] in (t["buy_order_id"], t["sell_order_id"])]
                if not fills:
                    continue
                price = fills[0]["price"]
            journal.written.add(order_id)
            yield {"type": "order", "time": journal.time(event["time"]), "order_id": order_id,
                   "participant": event["participant"], "contract": contract, "side": event["side"],
                   "price": price, "quantity": event["quantity"], "session": session,
                   "capacity": "principal", "client": None}
        elif kind == "Trade":
            yield {"type": "trade", "time": journal.time(event["time"]),
                   "trade_id": f"{contract}:{event['trade_id']}", "contract": contract,
                   "price": event["price"], "quantity": event["quantity"],
                   "buy_order_id": f"{contract}:{event['buy_order_id']}",
                   "sell_order_id": f"{contract}:{event['sell_order_id']}"}
        elif kind == "OrderCancelled" and event["reason"] == "requested" and order_id in journal.written:
            yield {"type": "cancel", "time": journal.time(event["time"]), "order_id": order_id}
        elif kind == "OrderAmended" and event["price"] is not None and order_id in journal.written:
            yield {"type": "amend", "time": journal.time(event["time"]), "order_id": order_id,
                   "price": event["price"], "quantity": event["quantity"]}


_MAPPERS: dict[tuple[str, str], Callable[[JournalEntry, _Journal], Iterator[Record]]] = {
    ("registry", "transferred"): transfer_records,
    ("exchange", "session_opened"): session_records,
    **{("exchange", kind): exchange_records
       for kind in ("order_submitted", "order_amended", "order_cancelled", "auction_uncrossed",
                    "session_closed")},
}


def export_entries(entries: Iterable[JournalEntry], participant_ids: Iterable[str], holders: dict[int, str],
                   *, timezone: str = VENUE_TIMEZONE) -> Iterator[Record]:
    """Map journal entries (in sequence order) to FORMATS records, participants first."""
    entries = list(entries)
    owners = {e["participant"]: e["owner"] for entry in entries if entry.area == "exchange"
              for e in entry.payload.get("events", ()) if e["type"] == "OrderAccepted"}
    yield from participant_records(participant_ids, owners)
    journal = _Journal(holders, ZoneInfo(timezone))
    for entry in entries:
        mapper = _MAPPERS.get((entry.area, entry.type))
        if mapper is not None:
            yield from mapper(entry, journal)


def export_journal(session: Session, *, timezone: str = VENUE_TIMEZONE) -> Iterator[Record]:
    """The FORMATS records of everything the journal holds that surveillance can read."""
    holders = {int(row.id): row.participant_id
               for row in session.execute(select(accounts.c.id, accounts.c.participant_id))}
    participant_ids = list(session.execute(select(participants.c.id)).scalars())
    entries = [e for e in store.read(session) if (e.area, e.type) in _MAPPERS]
    return export_entries(entries, participant_ids, holders, timezone=timezone)
