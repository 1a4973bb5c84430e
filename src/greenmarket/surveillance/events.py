"""Surveillance events: the records of FORMATS.md "Surveillance events" and their reader.

A file is JSON Lines. First come, without times, the ``participant`` and ``link`` records (who
trades, whose money it is, who is connected); then the market events in time order: ``order``,
``cancel``, ``amend``, ``trade``, ``auction`` and ``transfer``. Prices are integer ticks and
quantities integers; times are ISO 8601 with an offset.

:class:`EventReader` checks every line against the contract and its references (an order names a
declared participant; a cancel names an order seen before; a trade's two orders are a buy and a sell
of its contract; ids are not repeated; times do not go backwards) and raises
:class:`~greenmarket.errors.FileFormatError` naming the file, the line, the field and the rule at
the first line that breaks one. It streams: records are yielded as they are read.

The trading day is the venue's local date of an event's time; the venue time zone is
``Asia/Tokyo`` unless the caller names another (``--timezone`` on the CLI).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from greenmarket.errors import FileFormatError

VENUE_TIMEZONE = "Asia/Tokyo"

SIDES = ("buy", "sell")
SESSIONS = ("continuous", "auction")
CAPACITIES = ("principal", "agent")
KINDS = ("member", "intermediary", "client")
AUCTION_EVENTS = ("window_open", "window_close", "uncross")


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who trades or holds: a member, an intermediary or a client of one."""

    id: str
    beneficial_owner: str
    kind: str


@dataclass(frozen=True, slots=True)
class Link:
    """Two participants known to be connected (same group, common control)."""

    a: str
    b: str
    relation: str


@dataclass(frozen=True, slots=True)
class Order:
    """A new order. ``ts`` is ``time`` as POSIX seconds (the rules count in seconds)."""

    time: datetime
    ts: float
    order_id: str
    participant: str
    contract: str
    side: str
    price: int
    quantity: int
    session: str
    capacity: str
    client: str | None


@dataclass(frozen=True, slots=True)
class Cancel:
    time: datetime
    ts: float
    order_id: str


@dataclass(frozen=True, slots=True)
class Amend:
    """A change of an order's price and total quantity."""

    time: datetime
    ts: float
    order_id: str
    price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Trade:
    time: datetime
    ts: float
    trade_id: str
    contract: str
    price: int
    quantity: int
    buy_order_id: str
    sell_order_id: str


@dataclass(frozen=True, slots=True)
class Auction:
    """A call-auction window event: open (reference price), close, or uncross (price, volume)."""

    time: datetime
    ts: float
    contract: str
    event: str
    price: int
    volume: int


@dataclass(frozen=True, slots=True)
class Transfer:
    """A registry transfer of credits of one project and vintage between two participants."""

    time: datetime
    ts: float
    transfer_id: str
    from_participant: str
    to_participant: str
    quantity: int
    project: str
    vintage: str


MarketEvent = Order | Cancel | Amend | Trade | Auction | Transfer
Record = Participant | Link | MarketEvent


def to_record(event: Record) -> dict[str, Any]:
    """The FORMATS.md JSON object of ``event`` (the inverse of the reader)."""
    kind = _TYPE_OF[type(event)]
    body: dict[str, Any] = {"type": kind}
    for name in event.__slots__:  # type: ignore[union-attr]
        if name == "ts":
            continue
        value = getattr(event, name)
        body[name] = value.isoformat() if isinstance(value, datetime) else value
    return body


class EventReader:
    """Read and check a FORMATS.md event stream, yielding typed records line by line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.participants: dict[str, Participant] = {}
        self._orders: dict[str, tuple[str, str]] = {}  # order id -> (contract, side)
        self._trades: set[str] = set()
        self._transfers: set[str] = set()
        self._links: set[frozenset[str]] = set()
        self._last_ts: float | None = None
        self._line = 0

    def read(self, lines: Iterable[str]) -> Iterator[Record]:
        """Yield the records of ``lines`` (numbered from 1); blank lines are skipped."""
        for self._line, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise self._error(f"not JSON: {error.msg}", None) from None
            if not isinstance(value, dict):
                raise self._error("each line must be a JSON object", None)
            yield self._record(value)

    # -- one record ---------------------------------------------------------------------------

    def _record(self, value: dict[str, Any]) -> Record:
        kind = value.get("type")
        parse = self._PARSERS.get(kind) if isinstance(kind, str) else None
        if parse is None:
            raise self._error(f"unknown type {kind!r}; expected one of {', '.join(self._PARSERS)}", "type")
        return parse(self, value)

    def _participant(self, value: dict[str, Any]) -> Participant:
        self._header_only()
        ident = self._id(value, "id")
        if ident in self.participants:
            raise self._error(f"participant {ident!r} is declared twice", "id")
        record = Participant(ident, self._id(value, "beneficial_owner"), self._choice(value, "kind", KINDS))
        self.participants[ident] = record
        return record

    def _link(self, value: dict[str, Any]) -> Link:
        self._header_only()
        a, b = self._known(value, "a"), self._known(value, "b")
        if a == b:
            raise self._error("a link joins two different participants", "b")
        relation = value.get("relation")
        if not isinstance(relation, str):
            raise self._error("relation must be a string", "relation")
        self._links.add(frozenset((a, b)))
        return Link(a, b, relation)

    def _order(self, value: dict[str, Any]) -> Order:
        time, ts = self._time(value)
        order_id = self._id(value, "order_id")
        if order_id in self._orders:
            raise self._error(f"order id {order_id!r} is used twice", "order_id")
        participant = self._known(value, "participant")
        capacity = self._choice(value, "capacity", CAPACITIES)
        client = value.get("client")
        if capacity == "agent":
            client = self._known(value, "client")
            if self.participants[client].kind != "client":
                raise self._error(f"{client!r} is not a client", "client")
            if client == participant:
                raise self._error("an agent order is entered for someone else", "client")
        elif client is not None:
            raise self._error("a principal order has no client (null)", "client")
        contract, side = self._id(value, "contract"), self._choice(value, "side", SIDES)
        order = Order(
            time, ts, order_id, participant, contract, side, self._int(value, "price", 1),
            self._int(value, "quantity", 1), self._choice(value, "session", SESSIONS), capacity, client,
        )
        self._orders[order_id] = (contract, side)
        return order

    def _cancel(self, value: dict[str, Any]) -> Cancel:
        time, ts = self._time(value)
        return Cancel(time, ts, self._order_ref(value, "order_id"))

    def _amend(self, value: dict[str, Any]) -> Amend:
        time, ts = self._time(value)
        order_id = self._order_ref(value, "order_id")
        return Amend(time, ts, order_id, self._int(value, "price", 1), self._int(value, "quantity", 1))

    def _trade(self, value: dict[str, Any]) -> Trade:
        time, ts = self._time(value)
        trade_id = self._id(value, "trade_id")
        if trade_id in self._trades:
            raise self._error(f"trade id {trade_id!r} is used twice", "trade_id")
        contract = self._id(value, "contract")
        orders = {}
        for field, side in (("buy_order_id", "buy"), ("sell_order_id", "sell")):
            order_id = self._order_ref(value, field)
            if self._orders[order_id] != (contract, side):
                raise self._error(f"order {order_id!r} is not a {side} order of {contract!r}", field)
            orders[side] = order_id
        self._trades.add(trade_id)
        return Trade(time, ts, trade_id, contract, self._int(value, "price", 1),
                     self._int(value, "quantity", 1), orders["buy"], orders["sell"])

    def _auction(self, value: dict[str, Any]) -> Auction:
        time, ts = self._time(value)
        return Auction(time, ts, self._id(value, "contract"), self._choice(value, "event", AUCTION_EVENTS),
                       self._int(value, "price", 0), self._int(value, "volume", 0))

    def _transfer(self, value: dict[str, Any]) -> Transfer:
        time, ts = self._time(value)
        transfer_id = self._id(value, "transfer_id")
        if transfer_id in self._transfers:
            raise self._error(f"transfer id {transfer_id!r} is used twice", "transfer_id")
        source, destination = self._known(value, "from_participant"), self._known(value, "to_participant")
        if source == destination:
            raise self._error("a transfer goes to someone else", "to_participant")
        self._transfers.add(transfer_id)
        return Transfer(time, ts, transfer_id, source, destination, self._int(value, "quantity", 1),
                        self._id(value, "project"), self._id(value, "vintage"))

    _PARSERS: ClassVar[dict[str, Any]] = {
        "participant": _participant, "link": _link, "order": _order, "cancel": _cancel,
        "amend": _amend, "trade": _trade, "auction": _auction, "transfer": _transfer,
    }

    # -- fields -------------------------------------------------------------------------------

    def _header_only(self) -> None:
        if self._last_ts is not None:
            raise self._error("participants and links come before the first timed event", "type")

    def _id(self, value: dict[str, Any], field: str) -> str:
        ident = value.get(field)
        if not isinstance(ident, str) or not ident:
            raise self._error(f"{field} must be a non-empty string", field)
        return ident

    def _known(self, value: dict[str, Any], field: str) -> str:
        ident = self._id(value, field)
        if ident not in self.participants:
            raise self._error(f"participant {ident!r} is not declared", field)
        return ident

    def _order_ref(self, value: dict[str, Any], field: str) -> str:
        order_id = self._id(value, field)
        if order_id not in self._orders:
            raise self._error(f"order {order_id!r} has not been entered", field)
        return order_id

    def _choice(self, value: dict[str, Any], field: str, allowed: tuple[str, ...]) -> str:
        choice = value.get(field)
        if choice not in allowed:
            raise self._error(f"{field} must be one of {', '.join(allowed)}", field)
        return choice  # type: ignore[no-any-return]

    def _int(self, value: dict[str, Any], field: str, minimum: int) -> int:
        number = value.get(field)
        if type(number) is not int or number < minimum:
            raise self._error(f"{field} must be an integer of at least {minimum}", field)
        return number

    def _time(self, value: dict[str, Any]) -> tuple[datetime, float]:
        text = value.get("time")
        try:
            moment = datetime.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise self._error("time must be ISO 8601 with a UTC offset", "time")
        ts = moment.timestamp()
        if self._last_ts is not None and ts < self._last_ts:
            raise self._error("events must be in time order; this one is earlier than the one before", "time")
        self._last_ts = ts
        return moment, ts

    def _error(self, rule: str, field: str | None) -> FileFormatError:
        return FileFormatError(rule, source=self.source, line=self._line, column=field)


def read_events(path: str) -> tuple[EventReader, Iterator[Record]]:
    """Open ``path`` and return its reader and the stream of its records (lines read lazily)."""
    reader = EventReader(path)

    def lines() -> Iterator[str]:
        try:
            with open(path, encoding="utf-8") as handle:
                yield from handle
        except FileNotFoundError:
            raise FileFormatError("file not found", source=path) from None
        except UnicodeDecodeError:
            raise FileFormatError("not UTF-8 text", source=path) from None

    return reader, reader.read(lines())


_TYPE_OF: dict[type, str] = {
    Participant: "participant", Link: "link", Order: "order", Cancel: "cancel", Amend: "amend",
    Trade: "trade", Auction: "auction", Transfer: "transfer",
}
