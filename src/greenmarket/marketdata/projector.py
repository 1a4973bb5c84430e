"""The market-data projector: a journal consumer that folds entries into the public tables.

It reads the journal by sequence number after its stored cursor, in batches; each batch's rows and
the new cursor are written in one transaction, so a crash leaves either all of a batch or none of
it, and running again continues where the last commit stopped (idempotent, resumable). Replaying
from sequence 0 (:meth:`Projector.rebuild`) produces the same tables. It never hooks into the
engine: the order books it needs for quotes are rebuilt from the journaled order events
(:mod:`greenmarket.marketdata.depth`), so it may run in any process.

What it folds:

- ``exchange`` entries: trades onto the tape (block flag: a ``BlockTrade`` event; auction flag: the
  trades of an ``auction_uncrossed`` entry) and into the daily bar of the contract's venue-local
  trading day; the book's quotes into the closing best bid/offer and the time-weighted spread;
- ``settlement`` entries: ``instruction_created`` remembers the contract and quantity of a trade's
  delivery; ``settled`` counts it on the day (venue-local) it settled;
- ``registry`` entries: ``project_registered`` (program and category of each project), ``issued``,
  ``retired`` and ``cancelled`` by registry-local day, program, category and vintage.

Time-weighted bid-ask spread (continuous sessions only). Between two consecutive exchange commands
on a contract the book does not change, so its quote is constant over ``[t_i, t_i+1)``, where the
``t`` are the commands' journaled times (the session's open and close included). When both sides
are quoted over such an interval, the spread ``best offer - best bid`` (ticks) is weighted by the
interval's length in microseconds; the day's spread is ``Σ spread·Δt / Σ Δt`` over the quoted
intervals. Intervals with an empty side carry no weight; call-auction windows (where the book
crosses by design) are left out.

After each commit the projector hands the batch's public messages (trades, the latest depth per
contract, the updated daily bars) to its publishers: the in-process hub behind the SSE endpoint and,
when configured, NATS JetStream. Publication happens after the commit and is at most once per
message: a crash between commit and publish loses those messages from the stream (the tables keep
them); clients catch up from the REST endpoints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from greenmarket.errors import Conflict
from greenmarket.exchange.contracts import DEMO_CONTRACTS, Contract, Mechanism
from greenmarket.journal import store as journal_store
from greenmarket.journal.entry import JournalEntry
from greenmarket.marketdata import queries
from greenmarket.marketdata.depth import BookView
from greenmarket.marketdata.tables import (
    PROJECTED,
    marketdata_block_reports,
    marketdata_cursor,
    marketdata_daily,
    marketdata_instructions,
    marketdata_projects,
    marketdata_registry_daily,
    marketdata_trades,
)
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import require_current_schema

CONSUMER = "marketdata"
REGISTRY_TIME_ZONE = "Asia/Tokyo"
BOOK_KINDS = ("session_opened", "order_submitted", "order_amended", "order_cancelled",
              "auction_uncrossed", "session_closed")
CLOSING = ("auction_uncrossed", "session_closed")
BLOCK_KINDS = ("block_reported", "block_confirmed", "block_withdrawn", "block_rejected")
log = logging.getLogger(__name__)

#: A public message: (kind, contract_id, body) with kind ``tape``, ``depth`` or ``daily``.
Message = tuple[str, str, dict[str, Any]]
Publisher = Callable[[list[Message]], None]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)  # Python 3.11 reads the journal's "Z"


def _micros(start: datetime, end: datetime) -> int:
    delta = end - start
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class _Batch:
    """The rows one transaction changes, kept in memory and written once at the end."""

    def __init__(self, session: Session, entries: int) -> None:
        self.session = session
        self.entries = entries
        self.daily: dict[tuple[str, date], dict[str, Any]] = {}
        self.daily_new: set[tuple[str, date]] = set()
        self.trades: list[dict[str, Any]] = []
        self.registry: dict[tuple[date, str, str, int], dict[str, int]] = {}
        self.projects: dict[str, tuple[str, str]] = {}
        self.messages: list[Message] = []
        self.depth_changed: set[str] = set()

    def day_row(self, contract: Contract, day: date) -> dict[str, Any]:
        key = (contract.contract_id, day)
        row = self.daily.get(key)
        if row is None:
            found = self.session.execute(select(marketdata_daily).where(
                marketdata_daily.c.contract_id == key[0],
                marketdata_daily.c.trading_day == day)).first()
            if found is None:
                row = queries.empty_daily(contract.contract_id, day, contract.currency,
                                          contract.tick)
                self.daily_new.add(key)
            else:
                row = dict(found._mapping)
            self.daily[key] = row
        return row

    def registry_row(self, key: tuple[date, str, str, int]) -> dict[str, int]:
        row = self.registry.get(key)
        if row is None:
            t = marketdata_registry_daily.c
            found = self.session.execute(
                select(t.issued, t.retired, t.cancelled)
                .where(tuple_(t.day, t.program, t.category, t.vintage) == key)).first()
            row = dict(found._mapping) if found else {"issued": 0, "retired": 0, "cancelled": 0}
            row["_new"] = found is None
            self.registry[key] = row
        return row

    def flush(self) -> None:
        session = self.session
        if self.trades:
            session.execute(insert(marketdata_trades), self.trades)
        for key, row in self.daily.items():
            if key in self.daily_new:
                session.execute(insert(marketdata_daily).values(**row))
            else:
                session.execute(update(marketdata_daily).where(
                    marketdata_daily.c.contract_id == key[0],
                    marketdata_daily.c.trading_day == key[1]).values(**row))
        t = marketdata_registry_daily.c
        for (day, program, category, vintage), row in self.registry.items():
            values = {k: v for k, v in row.items() if k != "_new"}
            if row["_new"]:
                session.execute(insert(marketdata_registry_daily).values(
                    day=day, program=program, category=category, vintage=vintage, **values))
            else:
                session.execute(update(marketdata_registry_daily).where(
                    tuple_(t.day, t.program, t.category, t.vintage)
                    == (day, program, category, vintage)).values(**values))


class Projector:
    """Folds the journal into the market-data tables; one instance per process is enough.

    ``contracts`` maps the contract ids found in the journal to their definitions (tick, currency,
    venue time zone); an exchange entry of an unknown contract stops the projector with a
    ``Conflict`` rather than publishing wrong prices.
    """

    def __init__(self, db: Database, contracts: Iterable[Contract] | None = None, *,
                 publishers: Iterable[Publisher] = (), batch_size: int = 500,
                 registry_time_zone: str = REGISTRY_TIME_ZONE) -> None:
        self.db = db
        chosen = DEMO_CONTRACTS.values() if contracts is None else contracts
        self.contracts = {c.contract_id: c for c in chosen}
        self.publishers = list(publishers)
        self.batch_size = batch_size
        self.registry_zone = ZoneInfo(registry_time_zone)
        self._books: dict[str, BookView] = {}
        self._quoted_since: dict[str, tuple[datetime, int | None]] = {}
        self._position = -1  # the sequence the in-memory books stand at (-1: unknown)
        require_current_schema(db.engine)

    # --- running ------------------------------------------------------------------------------

    def run_once(self, *, publish: bool = True) -> int:
        """Project every entry after the cursor; return how many were folded."""
        total = 0
        while True:
            try:
                with self.db.unit_of_work() as session:
                    batch, last = self._project_batch(session)
            except BaseException:
                self._position = -1  # the books may have moved past what was committed
                raise
            if batch is None:
                return total
            self._position = last
            total += batch.entries
            if publish:
                self._publish(batch.messages)

    def rebuild(self) -> int:
        """Empty the tables and replay the whole journal from sequence 0 (nothing is published)."""
        with self.db.unit_of_work() as session:
            for table in PROJECTED:
                session.execute(delete(table))
            session.execute(delete(marketdata_cursor).where(
                marketdata_cursor.c.consumer == CONSUMER))
        self._position = -1
        return self.run_once(publish=False)

    def book(self, contract_id: str) -> BookView:
        """The book view of ``contract_id`` as of the last projected entry."""
        contract = self._contract(contract_id)
        return self._books.setdefault(contract_id, BookView(contract))

    @property
    def position(self) -> int:
        """The journal sequence the book views stand at (-1 before the first run)."""
        return self._position

    def cursor(self) -> int:
        with self.db.read() as session:
            return self._stored_cursor(session)

    # --- one transaction ----------------------------------------------------------------------

    def _project_batch(self, session: Session) -> tuple[_Batch | None, int]:
        stored = self._lock_cursor(session)
        if stored != self._position:
            self._load_books(session, stored)
        entries = list(journal_store.read(session, after=stored, limit=self.batch_size))
        if not entries:
            return None, stored
        batch = _Batch(session, len(entries))
        for entry in entries:
            self._fold(batch, entry)
        last = entries[-1].sequence
        for contract_id in sorted(batch.depth_changed):
            batch.messages.append(("depth", contract_id,
                                   {"sequence": last, **self.book(contract_id).snapshot()}))
        for (contract_id, _day), row in sorted(batch.daily.items()):
            batch.messages.append(("daily", contract_id,
                                   {"sequence": last, **queries.public_daily(row)}))
        batch.flush()
        session.execute(update(marketdata_cursor).where(
            marketdata_cursor.c.consumer == CONSUMER).values(sequence=last))
        return batch, last

    def _lock_cursor(self, session: Session) -> int:
        query = select(marketdata_cursor.c.sequence).where(marketdata_cursor.c.consumer == CONSUMER)
        found = session.execute(query.with_for_update()).scalar()
        if found is None:
            session.execute(insert(marketdata_cursor).values(consumer=CONSUMER, sequence=0))
            return 0
        return int(found)

    def _stored_cursor(self, session: Session) -> int:
        found = session.execute(select(marketdata_cursor.c.sequence).where(
            marketdata_cursor.c.consumer == CONSUMER)).scalar()
        return int(found or 0)

    def _load_books(self, session: Session, upto: int) -> None:
        """Rebuild the in-memory books from the exchange entries up to ``upto`` (no writes)."""
        self._books.clear()
        self._quoted_since.clear()
        for entry in journal_store.read(session, area="exchange"):
            if entry.sequence > upto:
                break
            if entry.type in BOOK_KINDS:
                self._fold_exchange(None, entry)
        self._position = upto

    # --- folding ------------------------------------------------------------------------------

    def _fold(self, batch: _Batch, entry: JournalEntry) -> None:
        if entry.area == "exchange":
            if entry.type in BOOK_KINDS:
                self._fold_exchange(batch, entry)
            elif entry.type in BLOCK_KINDS:
                self._fold_block(batch, entry)
        elif entry.area == "settlement":
            self._fold_settlement(batch, entry)
        elif entry.area == "registry":
            self._fold_registry(batch, entry)

    def _fold_exchange(self, batch: _Batch | None, entry: JournalEntry) -> None:
        """Move the contract's book; with a batch, also write trades, quotes and spreads."""
        payload = entry.payload
        contract_id, command = payload["contract_id"], payload["command"]
        contract = self._contract(contract_id)
        book = self.book(contract_id)
        moment = datetime.fromisoformat(command["time"])
        day = contract.venue.trade_date(moment)
        if entry.type == "session_opened":
            book.open(command["mechanism"], command["base_price"])
            self._quoted_since[contract_id] = (moment, None)
            if batch is not None:
                batch.depth_changed.add(contract_id)
            return
        if batch is not None:
            self._accrue_spread(batch, contract, moment)
        closing = entry.type in CLOSING
        quoted = False
        for event in payload["events"]:
            if closing and event["type"] == "OrderExpired" and not quoted:
                self._record_quote(batch, contract, book, day)
                quoted = True
            book.apply(event)
            if event["type"] == "Trade" and batch is not None:
                self._record_trade(batch, contract, entry.sequence, trade_id=f"T{event['trade_id']}",
                                   time=event["time"], price=event["price"],
                                   quantity=event["quantity"], block=False,
                                   auction=entry.type == "auction_uncrossed")
        if closing:
            if not quoted:
                self._record_quote(batch, contract, book, day)
            book.close()
        elif book.mechanism is Mechanism.CONTINUOUS:
            self._record_quote(batch, contract, book, day)
        self._quoted_since[contract_id] = (moment, book.spread())
        if batch is not None:
            batch.depth_changed.add(contract_id)

    def _accrue_spread(self, batch: _Batch, contract: Contract, moment: datetime) -> None:
        since, spread = self._quoted_since.get(contract.contract_id, (moment, None))
        if spread is None or moment <= since:
            return
        row = batch.day_row(contract, contract.venue.trade_date(since))
        elapsed = _micros(since, moment)
        row["spread_tick_us"] += spread * elapsed
        row["quoted_us"] += elapsed

    @staticmethod
    def _record_quote(batch: _Batch | None, contract: Contract, book: BookView, day: date) -> None:
        """The last best bid and offer of the day so far (at a close: before orders expire)."""
        if batch is None:
            return
        bid, ask = book.best()
        if bid is None and ask is None and (contract.contract_id, day) not in batch.daily:
            return  # an empty book makes no daily row on its own
        row = batch.day_row(contract, day)
        row["closing_bid_ticks"], row["closing_ask_ticks"] = bid, ask

    def _fold_block(self, batch: _Batch, entry: JournalEntry) -> None:
        """A confirmed block trade prints on the tape with the terms its report carried (the
        off-book service journals the terms with the report, and only the decision later)."""
        command, outcome = entry.payload["command"], entry.payload["outcome"]
        contract = self._contract(command["contract_id"])
        r = marketdata_block_reports.c
        if entry.type == "block_reported":
            batch.session.execute(insert(marketdata_block_reports).values(
                contract_id=contract.contract_id,
                trading_day=date.fromisoformat(outcome["trading_day"]),
                report_id=outcome["report_id"], price_ticks=command["price"],
                quantity=command["quantity"]))
            return
        key = (r.contract_id == contract.contract_id,
               r.trading_day == date.fromisoformat(command["trading_day"]),
               r.report_id == command["report_id"])
        if entry.type != "block_confirmed":  # withdrawn or rejected: it never trades
            batch.session.execute(delete(marketdata_block_reports).where(*key))
            return
        report = batch.session.execute(select(marketdata_block_reports).where(*key)).one()
        trade_id = outcome["trade_reference"].partition(":")[2]
        self._record_trade(batch, contract, entry.sequence, trade_id=trade_id,
                           time=command["time"], price=report.price_ticks,
                           quantity=report.quantity, block=True, auction=False)
        batch.session.execute(delete(marketdata_block_reports).where(*key))

    def _record_trade(self, batch: _Batch, contract: Contract, sequence: int, *, trade_id: str,
                      time: str, price: int, quantity: int, block: bool, auction: bool) -> None:
        moment = datetime.fromisoformat(time)
        day = contract.venue.trade_date(moment)
        tape = {"contract_id": contract.contract_id, "trade_id": trade_id,
                "sequence": sequence, "time": moment.astimezone(contract.venue.zone).isoformat(),
                "trading_day": day,
                "price_ticks": price, "price": str(contract.to_money(price)),
                "currency": contract.currency, "quantity": quantity, "block": block,
                "auction": auction}
        batch.trades.append(tape)
        batch.messages.append(("tape", contract.contract_id, queries.public_trade(tape)))
        row = batch.day_row(contract, day)
        if row["open_ticks"] is None:
            row["open_ticks"] = row["high_ticks"] = row["low_ticks"] = price
        row["high_ticks"] = max(row["high_ticks"], price)
        row["low_ticks"] = min(row["low_ticks"], price)
        row["close_ticks"] = price
        row["volume"] += quantity
        row["notional_ticks"] += price * quantity
        row["trades"] += 1
        if block:
            row["block_volume"] += quantity

    def _fold_settlement(self, batch: _Batch, entry: JournalEntry) -> None:
        payload = entry.payload
        if entry.type == "instruction_created":
            contract_id = payload["trade_reference"].partition(":")[0]
            if contract_id in self.contracts:
                batch.session.execute(insert(marketdata_instructions).values(
                    instruction_id=payload["id"], contract_id=contract_id,
                    quantity=payload["quantity"]))
        elif entry.type == "settled":
            found = batch.session.execute(select(marketdata_instructions).where(
                marketdata_instructions.c.instruction_id == payload["id"])).first()
            if found is None:
                return  # not a delivery of an exchange trade
            contract = self._contract(found.contract_id)
            row = batch.day_row(contract, contract.venue.trade_date(_utc(entry.time)))
            row["deliveries"] += 1
            row["delivered_quantity"] += found.quantity
            batch.session.execute(delete(marketdata_instructions).where(
                marketdata_instructions.c.instruction_id == payload["id"]))

    def _fold_registry(self, batch: _Batch, entry: JournalEntry) -> None:
        payload = entry.payload
        if entry.type == "project_registered":
            batch.session.execute(insert(marketdata_projects).values(
                project_id=payload["id"], program=payload["program"],
                category=payload["category"]))
            batch.projects[payload["id"]] = (payload["program"], payload["category"])
            return
        if entry.type == "issued":
            amounts = [(payload["project_id"], payload["vintage"], payload["quantity"])]
            column = "issued"
        elif entry.type in ("retired", "cancelled"):
            status, link = {"retired": ("retired", "retirement_id"),
                            "cancelled": ("cancelled", "cancellation_id")}[entry.type]
            amounts = [(b["project_id"], b["vintage"], b["serial_end"] - b["serial_start"] + 1)
                       for b in payload["blocks"]
                       if b["status"] == status and b[link] == payload["id"]]
            column = entry.type
        else:
            return
        day = _utc(entry.time).astimezone(self.registry_zone).date()
        for project_id, vintage, quantity in amounts:
            program, category = self._project(batch, project_id)
            batch.registry_row((day, program, category, vintage))[column] += quantity

    def _project(self, batch: _Batch, project_id: str) -> tuple[str, str]:
        known = batch.projects.get(project_id)
        if known is None:
            row = batch.session.execute(select(marketdata_projects).where(
                marketdata_projects.c.project_id == project_id)).one()
            known = batch.projects[project_id] = (row.program, row.category)
        return known

    def _contract(self, contract_id: str) -> Contract:
        contract = self.contracts.get(contract_id)
        if contract is None:
            raise Conflict(f"the journal names contract {contract_id}, which market data does "
                           "not know", code="unknown_contract", field="contract_id")
        return contract

    def _publish(self, messages: list[Message]) -> None:
        if not messages:
            return
        for publisher in self.publishers:
            try:
                publisher(messages)
            except Exception:
                log.exception("market-data publication failed")
