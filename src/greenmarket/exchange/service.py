"""The exchange as a service: books in memory, reservations and the journal in the database.

One writer per contract (a lock). Each command runs in one database transaction that reserves what
the order needs before it reaches the book (a registry hold of eligible credits for a sell, cash
for a buy: price × quantity + fee), applies the book's events (trades become settlement
instructions; cancels and expiry release exactly what was reserved) and appends the command with
its events to the journal; only after that commits is the command acknowledged. The books are never
the record: on start, and whenever a transaction fails after the book moved, the books are rebuilt
by replaying the journal's commands through the deterministic engine, which must reproduce the
journaled events exactly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import insert, select, update

from greenmarket.clock import Clock
from greenmarket.errors import Conflict, Forbidden, NotFound, ValidationError
from greenmarket.exchange.auction import CallAuctionBook
from greenmarket.exchange.continuous import ContinuousBook
from greenmarket.exchange.contracts import Contract, DeliverySpecification, Mechanism
from greenmarket.exchange.orders import (
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderRejected,
    OrderType,
    Side,
    TimeInForce,
    Trade,
)
from greenmarket.exchange.tables import exchange_books, exchange_orders
from greenmarket.journal import store as journal_store
from greenmarket.journal.entry import format_time
from greenmarket.registry import ledger, model
from greenmarket.registry.ledger import Context, CreditSpec
from greenmarket.registry.service import (
    IdempotencyKey,
    claim_idempotency_key,
    record_idempotent_result,
    run_in_transaction,
)
from greenmarket.registry.tables import accounts, holds, participants, programs, projects
from greenmarket.settlement import cash, dvp
from greenmarket.settlement.money import to_minor
from greenmarket.settlement.tables import cash_accounts
from greenmarket.storage.db import Database

AREA = "exchange"
#: The journal kinds this service writes (the off-book service shares the area with its own).
KINDS = ("session_opened", "order_submitted", "order_cancelled", "order_amended",
         "auction_uncrossed", "session_closed")
Book = ContinuousBook | CallAuctionBook


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Venue fees per side, in basis points of the notional, rounded down to the minor unit.

    Rounding down makes a fill's fee never exceed its share of the fee reserved at entry.
    """

    buyer_bps: Decimal = Decimal("0")
    seller_bps: Decimal = Decimal("0")

    @staticmethod
    def fee(notional: int, bps: Decimal) -> int:
        return int((Decimal(notional) * bps / 10_000).to_integral_value(rounding=ROUND_FLOOR))


def credit_spec(contract: Contract) -> CreditSpec:
    """The registry's view of what a contract may deliver."""
    spec = contract.specification
    if isinstance(spec, DeliverySpecification):
        unknown = spec.eligibility - {"fi_eligible"}
        if unknown:
            raise ValidationError(f"the registry records no eligibility flag {sorted(unknown)}",
                                  field="eligibility")
        return CreditSpec(programs=tuple(sorted(spec.programs)),
                          categories=tuple(sorted(spec.categories)),
                          vintage_from=spec.vintage_from, vintage_to=spec.vintage_to,
                          fi_eligible_only="fi_eligible" in spec.eligibility)
    return CreditSpec(project_id=spec.project, vintage=spec.vintage, programs=(spec.program,))


class ExchangeService:
    """Order entry, cancels, auctions and session ends for a set of contracts."""

    def __init__(self, db: Database, clock: Clock, contracts: list[Contract], *,
                 base_prices: dict[str, Decimal], fees: FeeSchedule = FeeSchedule()) -> None:
        self.db = db
        self.clock = clock
        self.contracts = {c.contract_id: c for c in contracts}
        self.base_prices = {cid: self.contracts[cid].to_ticks(p) for cid, p in base_prices.items()}
        self.fees = fees
        self._locks = {cid: threading.Lock() for cid in self.contracts}
        self._books: dict[str, Book] = {}
        self._next_ids: dict[str, tuple[int, int]] = {}
        self._seen: dict[str, int] = {}
        for contract in contracts:
            credit_spec(contract)  # refuse a contract the registry cannot deliver against
        self.recover()

    # --- commands ---------------------------------------------------------------------------

    def open_session(self, contract_id: str, actor: str = "admin:exchange") -> dict[str, Any]:
        """Open the book of the session taking orders now (base price: the last auction's)."""
        contract = self._contract(contract_id)
        with self._locks[contract_id]:
            if contract_id in self._books:
                raise Conflict(f"{contract_id} already has an open session",
                               code="session_open", field="contract_id")
            now = self.clock.now()
            session = contract.venue.require_session(now)
            first_order_id, first_trade_id = self._next_ids.get(contract_id, (1, 1))
            command = {"contract_id": contract_id, "mechanism": session.mechanism.value,
                       "base_price": self.base_prices[contract_id],
                       "first_order_id": first_order_id, "first_trade_id": first_trade_id,
                       "time": now.isoformat()}
            return self._run(contract_id, actor, "session_opened", command, lambda book: [])

    def submit(self, participant_id: str, contract_id: str, *, side: str, quantity: int,
               price: Decimal | None, order_type: str = "limit", time_in_force: str = "day",
               client_order_id: str | None = None,
               idempotency: IdempotencyKey | None = None) -> dict[str, Any]:
        """Enter an order: reserve, match, journal, then acknowledge (once per idempotency key)."""
        contract = self._contract(contract_id)
        ticks = None if price is None else contract.to_ticks(Decimal(price))
        with self._locks[contract_id]:
            command = {"participant": participant_id, "side": Side(side).value, "price": ticks,
                       "quantity": quantity, "order_type": OrderType(order_type).value,
                       "time_in_force": TimeInForce(time_in_force).value,
                       "client_order_id": client_order_id, "time": self.clock.now().isoformat()}
            return self._run(contract_id, f"participant:{participant_id}", "order_submitted",
                             command, lambda book: _apply("order_submitted", book, command),
                             idempotency=idempotency)

    def cancel(self, participant_id: str, contract_id: str, order_id: int) -> dict[str, Any]:
        self._contract(contract_id)
        with self._locks[contract_id]:
            command = {"participant": participant_id, "order_id": order_id,
                       "time": self.clock.now().isoformat()}
            return self._run(contract_id, f"participant:{participant_id}", "order_cancelled",
                             command, lambda book: _apply("order_cancelled", book, command))

    def amend(self, participant_id: str, contract_id: str, order_id: int, *, price: Decimal,
              quantity: int) -> dict[str, Any]:
        """Change a resting order's price and total quantity; its reservation follows first.

        A lower total at the same price keeps time priority; anything else loses it (the book's
        rule). Growing the reservation can be refused (insufficient credits or funds).
        """
        contract = self._contract(contract_id)
        with self._locks[contract_id]:
            command = {"participant": participant_id, "order_id": order_id,
                       "price": contract.to_ticks(Decimal(price)), "quantity": quantity,
                       "time": self.clock.now().isoformat()}
            return self._run(contract_id, f"participant:{participant_id}", "order_amended",
                             command, lambda book: _apply("order_amended", book, command))

    def uncross(self, contract_id: str, actor: str = "admin:exchange") -> dict[str, Any]:
        """Run the call auction of the open window and close it."""
        self._contract(contract_id)
        with self._locks[contract_id]:
            command = {"time": self.clock.now().isoformat()}
            return self._run(contract_id, actor, "auction_uncrossed", command,
                             lambda book: _apply("auction_uncrossed", book, command))

    def close_session(self, contract_id: str, actor: str = "admin:exchange") -> dict[str, Any]:
        """End a continuous session: every resting order expires and its reservation is freed."""
        self._contract(contract_id)
        with self._locks[contract_id]:
            command = {"time": self.clock.now().isoformat()}
            return self._run(contract_id, actor, "session_closed", command,
                             lambda book: _apply("session_closed", book, command))

    # --- queries ----------------------------------------------------------------------------

    def snapshot(self, contract_id: str) -> dict[str, Any]:
        """Depth (and, for a call session, the indicative price), read under the book's lock."""
        self._contract(contract_id)
        with self._locks[contract_id]:
            book = self._books.get(contract_id)
            if book is None:
                return {"open": False, "mechanism": None, "depth": {"buy": [], "sell": []},
                        "indicative": None, "band": None}
            indicative = book.indicative() if isinstance(book, CallAuctionBook) else None
            return {"open": True,
                    "mechanism": "call_auction" if isinstance(book, CallAuctionBook)
                    else "continuous",
                    "depth": book.depth(), "indicative": indicative, "band": (book.low, book.high)}

    def book(self, contract_id: str) -> Book:
        book = self._books.get(contract_id)
        if book is None:
            raise Conflict(f"{contract_id} has no open session", code="session_not_open",
                           field="contract_id")
        return book

    # --- the one path every command takes ---------------------------------------------------

    def _run(self, contract_id: str, actor: str, kind: str, command: dict[str, Any],
             step: Any, idempotency: IdempotencyKey | None = None) -> dict[str, Any]:
        contract = self.contracts[contract_id]
        moved = applied = False

        def work(session: Any) -> dict[str, Any]:
            nonlocal moved, applied
            applied = False
            self._sync(session, contract_id)  # locks the book's row: one writer across processes
            if moved:  # an earlier attempt moved the book, then lost a database race
                self._rebuild(contract_id, session)
                moved = False
            now = datetime.fromisoformat(command["time"])
            if idempotency is not None:
                claim_idempotency_key(session, idempotency, format_time(now))
            ctx = Context(session=session, actor=actor, now=now)
            if kind == "session_opened":
                events: list[Event] = []
            else:
                book = self.book(contract_id)
                if kind in ("order_submitted", "order_amended", "order_cancelled"):
                    _ensure_window(contract, book, now)
                reservation = self._reserve(ctx, contract, book, command) \
                    if kind == "order_submitted" else None
                if kind == "order_amended":
                    self._resize(ctx, contract, command)
                events = step(book)
                moved = True
                self._settle_events(ctx, contract, events, reservation, command)
            payload = {"contract_id": contract_id, "command": command,
                       "events": [e.to_dict() for e in events]}
            sequence = ctx.journal(kind, payload, area=AREA)
            session.execute(update(exchange_books).where(
                exchange_books.c.contract_id == contract_id).values(last_sequence=sequence))
            result = {"sequence": sequence, **payload}
            if idempotency is not None:
                record_idempotent_result(session, idempotency, result)
            applied = True
            return result

        try:
            result = run_in_transaction(self.db, work)
        except BaseException:
            if moved:
                self._rebuild(contract_id)
            raise
        if applied:  # not a replayed idempotent answer
            self._apply_lifecycle(contract_id, kind, command, result["events"])
            self._seen[contract_id] = result["sequence"]
        return result

    def _sync(self, session: Any, contract_id: str) -> None:
        """Lock the book's row; rebuild the book if another process wrote since we last did."""
        last = session.execute(select(exchange_books.c.last_sequence).where(
            exchange_books.c.contract_id == contract_id).with_for_update()).scalar()
        if last is None:
            session.execute(insert(exchange_books).values(contract_id=contract_id,
                                                          last_sequence=0))
            last = 0
        if last != self._seen.get(contract_id, 0):
            self._rebuild(contract_id, session)

    def _reserve(self, ctx: Context, contract: Contract, book: Book,
                 command: dict[str, Any]) -> dict[str, Any]:
        """Reserve what the order needs before the book sees it; refusals change nothing."""
        participant_id = command["participant"]
        holding, cash_account = trader_accounts(ctx, participant_id, contract.currency)
        quantity = command["quantity"]
        if quantity <= 0 or quantity % contract.lot:
            raise ValidationError(f"quantity must be a positive multiple of the lot {contract.lot}",
                                  field="quantity")
        limit = command["price"] if command["price"] is not None else (
            book.high if command["side"] == "buy" else book.low)
        limit_minor = to_minor(contract.to_money(limit), contract.currency, field="price")
        reference = f"{contract.contract_id}:{book.next_order_id}"
        if command["side"] == "sell":
            hold = ledger.place_hold(ctx, account_id=holding, quantity=quantity,
                                     spec=credit_spec(contract), reference=reference,
                                     managed_by="exchange")
            return {"hold_id": hold["id"], "reservation_id": None, "limit": limit_minor,
                    "holding": holding, "cash": cash_account}
        ensure_buyer_may_hold(ctx, participant_id, contract)
        notional = limit_minor * quantity
        reservation = cash.reserve(ctx, account_id=cash_account,
                                   amount=notional + self.fees.fee(notional, self.fees.buyer_bps),
                                   reference=reference)
        return {"hold_id": None, "reservation_id": reservation["id"], "limit": limit_minor,
                "holding": holding, "cash": cash_account}

    def _resize(self, ctx: Context, contract: Contract, command: dict[str, Any]) -> None:
        """Make an order's reservation exactly what its amended terms need."""
        row = _order_row(ctx, contract.contract_id, command["order_id"])
        if row.participant_id != command["participant"] or row.open_quantity == 0:
            raise NotFound(f"order {command['order_id']} is not resting in the book",
                           field="order_id")
        filled = row.quantity - row.open_quantity
        open_quantity = command["quantity"] - filled
        if open_quantity <= 0:
            return  # the book refuses it (amend_below_filled) and the transaction rolls back
        limit = to_minor(contract.to_money(command["price"]), contract.currency, field="price")
        if row.side == "sell":
            pending = dvp.undelivered_by_hold(ctx, row.hold_id)
            current = ctx.session.execute(select(holds.c.remaining)
                                          .where(holds.c.id == row.hold_id)).scalar_one()
            change = open_quantity + pending - current
            if change > 0:
                ledger.extend_hold(ctx, row.hold_id, change)
            elif change < 0:
                ledger.release_hold(ctx, row.hold_id, -change)
        else:
            notional = limit * open_quantity
            needed = notional + self.fees.fee(notional, self.fees.buyer_bps) + \
                dvp.owed_by_reservation(ctx, row.reservation_id)
            current = cash.reservation_remaining(ctx, row.reservation_id)
            if needed > current:
                cash.extend(ctx, row.reservation_id, needed - current)
            elif needed < current:
                cash.release(ctx, row.reservation_id, current - needed)
        ctx.session.execute(update(exchange_orders).where(exchange_orders.c.id == row.id).values(
            quantity=command["quantity"], open_quantity=open_quantity, limit_price=limit))

    def _settle_events(self, ctx: Context, contract: Contract, events: list[Event],
                       reservation: dict[str, Any] | None, command: dict[str, Any]) -> None:
        for event in events:
            if isinstance(event, OrderAccepted) and reservation is not None:
                ctx.session.execute(insert(exchange_orders).values(
                    contract_id=contract.contract_id, order_id=event.order_id,
                    participant_id=event.participant, side=event.side.value,
                    limit_price=reservation["limit"], quantity=event.quantity,
                    open_quantity=event.quantity,
                    hold_id=reservation["hold_id"], reservation_id=reservation["reservation_id"],
                    cash_account_id=reservation["cash"], holding_account_id=reservation["holding"]))
            elif isinstance(event, OrderRejected) and reservation is not None:
                if reservation["hold_id"] is not None:
                    ledger.release_hold(ctx, reservation["hold_id"])
                else:
                    cash.release(ctx, reservation["reservation_id"])
            elif isinstance(event, Trade):
                self._instruct(ctx, contract, event)
            elif isinstance(event, OrderCancelled | OrderExpired):
                self._close_order(ctx, contract, event.order_id, event.quantity)

    def _instruct(self, ctx: Context, contract: Contract, trade: Trade) -> None:
        buy = _order_row(ctx, contract.contract_id, trade.buy_order_id)
        sell = _order_row(ctx, contract.contract_id, trade.sell_order_id)
        price = to_minor(contract.to_money(trade.price), contract.currency, field="price")
        notional = price * trade.quantity
        buyer_fee = self.fees.fee(notional, self.fees.buyer_bps)
        trade_date = contract.venue.trade_date(trade.time)
        dvp.instruct(
            ctx, trade_reference=f"{contract.contract_id}:T{trade.trade_id}",
            currency=contract.currency, quantity=trade.quantity, price=price,
            buyer_fee=buyer_fee, seller_fee=self.fees.fee(notional, self.fees.seller_bps),
            seller_hold_id=sell.hold_id, buyer_account_id=buy.holding_account_id,
            buyer_reservation_id=buy.reservation_id, seller_cash_account_id=sell.cash_account_id,
            trade_date=trade_date, settlement_date=contract.settlement_date(trade_date))
        reserved_for_fill = buy.limit_price * trade.quantity + self.fees.fee(
            buy.limit_price * trade.quantity, self.fees.buyer_bps)
        surplus = reserved_for_fill - notional - buyer_fee
        if surplus > 0:
            cash.release(ctx, buy.reservation_id, surplus)
        for row in (buy, sell):
            open_quantity = row.open_quantity - trade.quantity
            _set_open(ctx, row.id, open_quantity)
            if open_quantity == 0:
                self._finish(ctx, row.id)

    def _close_order(self, ctx: Context, contract: Contract, order_id: int, quantity: int) -> None:
        """A cancel or expiry: free the order's open part."""
        row = _order_row(ctx, contract.contract_id, order_id)
        if row.side == "sell":
            ledger.release_hold(ctx, row.hold_id, quantity)
        _set_open(ctx, row.id, row.open_quantity - quantity)
        if row.open_quantity - quantity == 0:
            self._finish(ctx, row.id)

    def _finish(self, ctx: Context, row_id: int) -> None:
        """A buy order that is done gives back all cash not owed to pending settlements."""
        row = ctx.session.execute(select(exchange_orders).where(exchange_orders.c.id == row_id)).one()
        if row.side == "buy":
            cash.release_spare(ctx, row.reservation_id, dvp.owed_by_reservation(
                ctx, row.reservation_id))

    # --- books: lifecycle and replay --------------------------------------------------------

    def _apply_lifecycle(self, contract_id: str, kind: str, command: dict[str, Any],
                         events: list[dict[str, Any]]) -> None:
        """Keep the in-memory books in step after a command committed (or during replay)."""
        if kind == "session_opened":
            contract = self.contracts[contract_id]
            book_class = CallAuctionBook if command["mechanism"] == Mechanism.CALL_AUCTION \
                else ContinuousBook
            self._books[contract_id] = book_class(
                contract, command["base_price"], first_order_id=command["first_order_id"],
                first_trade_id=command["first_trade_id"])
        elif kind in ("auction_uncrossed", "session_closed"):
            book = self._books.pop(contract_id)
            self._next_ids[contract_id] = (book.next_order_id, book.next_trade_id)
            trades = [e for e in events if e["type"] == "Trade"]
            if trades:
                self.base_prices[contract_id] = trades[-1]["price"]

    def recover(self) -> None:
        """Rebuild every book by replaying the journal; the engine must agree with it."""
        self._books.clear()
        self._next_ids.clear()
        self._seen.clear()
        with self.db.read() as session:
            for entry in journal_store.read(session, area=AREA):
                if entry.type in KINDS:
                    self._replay(entry.sequence, entry.type, entry.payload)

    def _rebuild(self, contract_id: str, session: Any = None) -> None:
        """Replay one book from the journal (inside ``session``'s transaction when given)."""
        self._books.pop(contract_id, None)
        self._next_ids.pop(contract_id, None)
        self._seen.pop(contract_id, None)
        if session is None:
            with self.db.read() as own:
                self._replay_contract(own, contract_id)
        else:
            self._replay_contract(session, contract_id)

    def _replay_contract(self, session: Any, contract_id: str) -> None:
        for entry in journal_store.read(session, area=AREA):
            if entry.type in KINDS and entry.payload["contract_id"] == contract_id:
                self._replay(entry.sequence, entry.type, entry.payload)

    def _replay(self, sequence: int, kind: str, payload: dict[str, Any]) -> None:
        contract_id, command = payload["contract_id"], payload["command"]
        if contract_id not in self.contracts:
            return
        self._seen[contract_id] = sequence
        if kind != "session_opened":
            events = [e.to_dict() for e in _apply(kind, self._books[contract_id], command)]
            if events != payload["events"]:
                raise Conflict(f"replaying {kind} on {contract_id} does not reproduce the "
                               "journaled events", code="replay_diverged")
        self._apply_lifecycle(contract_id, kind, command, payload["events"])

    def _contract(self, contract_id: str) -> Contract:
        if contract_id not in self.contracts:
            raise NotFound(f"contract {contract_id} does not exist", field="contract_id")
        return self.contracts[contract_id]


def _apply(kind: str, book: Book, command: dict[str, Any]) -> list[Event]:
    """Drive the engine with one journaled command (the same code serves live and replay)."""
    time = datetime.fromisoformat(command["time"])
    if kind == "order_submitted":
        owner = command["participant"]  # the beneficial owner is the registry participant
        if isinstance(book, CallAuctionBook):
            if command["order_type"] != "limit":
                raise ValidationError("call auctions take limit orders only", field="order_type")
            return book.submit(command["participant"], owner, Side(command["side"]),
                               command["price"], command["quantity"], time,
                               command["client_order_id"])
        return book.submit(command["participant"], owner, Side(command["side"]), command["price"],
                           command["quantity"], time, OrderType(command["order_type"]),
                           TimeInForce(command["time_in_force"]), command["client_order_id"])
    if kind == "order_cancelled":
        return book.cancel(command["order_id"], command["participant"], time)
    if kind == "order_amended":
        return book.amend(command["order_id"], command["participant"], command["price"],
                          command["quantity"], time)
    if kind == "auction_uncrossed":
        if not isinstance(book, CallAuctionBook):
            raise Conflict("the open session is continuous", code="not_an_auction")
        return book.uncross(time)[1]
    if kind == "session_closed":
        if isinstance(book, CallAuctionBook):
            raise Conflict("a call session closes by its uncross", code="not_continuous")
        return book.expire(time)
    raise ValueError(kind)


def _ensure_window(contract: Contract, book: Book, now: datetime) -> None:
    """Orders, amendments and cancels only while the venue's session of this book takes them."""
    session = contract.venue.session_at(now)
    mechanism = Mechanism.CALL_AUCTION if isinstance(book, CallAuctionBook) else \
        Mechanism.CONTINUOUS
    if session is None or session.mechanism is not mechanism:
        raise Conflict(f"{contract.venue.name} takes no orders at {now.isoformat()}",
                       code="market_closed", field="time")


def ensure_buyer_may_hold(ctx: Context, participant_id: str, contract: Contract) -> None:
    """A buyer may only trade credits its type may hold: a financial institution needs a contract
    that can deliver nothing but FSA-eligible credits (registry ``model.fi_eligible``)."""
    kind = ctx.session.execute(select(participants.c.type).where(
        participants.c.id == participant_id)).scalar()
    if kind != model.ParticipantType.FINANCIAL_INSTITUTION:
        return
    spec = credit_spec(contract)
    if spec.fi_eligible_only:
        return
    if spec.project_id is not None:
        eligible = ctx.session.execute(select(projects.c.fi_eligible).where(
            projects.c.id == spec.project_id)).scalar()
    else:
        governmental = ctx.session.execute(select(programs.c.governmental).where(
            programs.c.code.in_(spec.programs))).scalars().all()
        eligible = bool(spec.programs) and len(governmental) == len(spec.programs) and all(
            governmental)
    if not eligible:
        raise Forbidden(
            f"{contract.contract_id} may deliver credits a financial institution may not hold "
            "(FSA Q&A: governmental program, or a DOE / ISO 14065-accredited verifier)",
            code="not_eligible_for_holder", field="contract_id")


def trader_accounts(ctx: Context, participant_id: str, currency: str) -> tuple[int, int]:
    """The participant's open holding account and its cash account in ``currency``."""
    participant = ctx.session.execute(
        select(participants.c.kyc_state).where(participants.c.id == participant_id)).first()
    if participant is None:
        raise NotFound(f"participant {participant_id} does not exist", field="participant")
    if participant.kyc_state != model.KycState.VERIFIED:
        raise ValidationError(f"participant {participant_id}'s KYC is {participant.kyc_state}",
                              code="kyc_not_verified", field="participant")
    holding = ctx.session.execute(
        select(accounts.c.id).where(accounts.c.participant_id == participant_id,
                                    accounts.c.kind == model.AccountKind.HOLDING,
                                    accounts.c.state == model.AccountState.OPEN)
        .order_by(accounts.c.id)).scalar()
    cash_account = ctx.session.execute(
        select(cash_accounts.c.id).where(cash_accounts.c.participant_id == participant_id,
                                         cash_accounts.c.currency == currency,
                                         cash_accounts.c.kind == "participant")).scalar()
    if holding is None or cash_account is None:
        raise Conflict(f"participant {participant_id} needs an open holding account and a "
                       f"{currency} cash account to trade", code="not_set_up_to_trade",
                       field="participant")
    return int(holding), int(cash_account)


def _order_row(ctx: Context, contract_id: str, order_id: int) -> Any:
    return ctx.session.execute(
        select(exchange_orders).where(exchange_orders.c.contract_id == contract_id,
                                      exchange_orders.c.order_id == order_id)).one()


def _set_open(ctx: Context, row_id: int, open_quantity: int) -> None:
    ctx.session.execute(update(exchange_orders).where(exchange_orders.c.id == row_id)
                        .values(open_quantity=open_quantity))


__all__ = ["ExchangeService", "FeeSchedule", "credit_spec", "ensure_buyer_may_hold",
           "trader_accounts"]
