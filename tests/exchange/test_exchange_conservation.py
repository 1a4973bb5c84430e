"""Hypothesis state machine: the exchange's reservations conserve credits and cash.

Four traders with limited credits and cash trade on a continuous USD contract (5 bps fees each side,
cent prices so fee rounding matters) and a TSE-style JPY call-auction contract, report and confirm
block trades, run sealed-bid supply auctions, settle due instructions and restart the services on
the same database. After every step:

- credits: the serial blocks total what was issued; each account holds what it was issued plus
  what it received minus what it delivered; held credits are exactly what the active holds keep,
  and every hold keeps exactly what the exchange still owes from it (open sell quantity of its
  resting order, undelivered instructions, or the offer of a supply auction still open);
- cash: balances sum to zero per currency (double entry with the bank); each account's balance is
  its deposit plus settled sales minus settled purchases, the venue's is the settled fees; each
  account's ``reserved`` is what its active reservations keep; a live buy order's reservation
  covers limit × open + fee plus what its fills still owe (and exceeds that by at most one minor
  unit per fill: fees are rounded down per fill); every other reservation keeps exactly what it
  owes (a live supply bid: its price × quantity + fee), so nothing leaks once orders are done;
- nobody's free cash or free credits go negative; the books agree with the order table;
- a refused command changes nothing (database and books compared before and after);
- a restart rebuilds the same books, auctions and desks from the journal.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from exchange_kit import SPOT as CBL_SPOT
from hypothesis import currently_in_test_context, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from greenmarket.clock import FixedClock
from greenmarket.errors import DomainError
from greenmarket.exchange.auction import CallAuctionBook
from greenmarket.exchange.contracts import TSE_STYLE, Contract, DeliverySpecification
from greenmarket.exchange.offbook import OffBookService
from greenmarket.exchange.service import ExchangeService, FeeSchedule
from greenmarket.exchange.tables import exchange_orders
from greenmarket.registry import ledger, model
from greenmarket.registry.service import RegistryService
from greenmarket.registry.tables import accounts, holds, serial_blocks
from greenmarket.settlement import cash as cash_ledger
from greenmarket.settlement import dvp
from greenmarket.settlement.tables import (
    cash_accounts,
    cash_reservations,
    settlement_instructions,
)
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade
from greenmarket.storage.schema import journal

SPOT = dataclasses.replace(CBL_SPOT, market_orders=True)
FORESTRY = Contract(
    contract_id="TSE-JCR-FORESTRY", name="J-Credit forestry", venue=TSE_STYLE,
    specification=DeliverySpecification(programs=frozenset({"JCREDIT"}),
                                        categories=frozenset({"forestry"})),
    currency="JPY", tick=Decimal(1), lot=1, price_band=Decimal("0.9"), settlement_cycle=5)
CONTRACTS = {SPOT.contract_id: SPOT, FORESTRY.contract_id: FORESTRY}
BASE_PRICES = {SPOT.contract_id: Decimal("10.00"), FORESTRY.contract_id: Decimal(1500)}
FEES = FeeSchedule(buyer_bps=Decimal(5), seller_bps=Decimal(5))
TRADERS = ("alpha", "beta", "gamma", "delta")
ISSUED = 300  # credits per trader
DEPOSITS = {"USD": dict(zip(TRADERS, (600_000, 200_000, 90_000, 30_000), strict=True)),
            "JPY": dict(zip(TRADERS, (900_000, 300_000, 120_000, 40_000), strict=True))}
SPOT_START = datetime(2026, 4, 28, 9, 0, tzinfo=SPOT.venue.zone)
SPOT_DAY = SPOT_START.date()
ADMIN = "admin:test"


def _tse_windows() -> list[tuple[datetime, datetime]]:
    """(order time, auction time) of the TSE-style call sessions from 28 April, Golden Week and all."""
    windows = []
    day = date(2026, 4, 28)
    while len(windows) < 40:
        for opens, auction in ((time(9, 0), time(11, 30)), (time(13, 0), time(15, 0))):
            start = datetime.combine(day, opens, tzinfo=TSE_STYLE.zone)
            if TSE_STYLE.session_at(start) is not None:
                windows.append((start, datetime.combine(day, auction, tzinfo=TSE_STYLE.zone)))
        day += timedelta(days=1)
    return windows


TSE_WINDOWS = _tse_windows()


@cache
def _template() -> Path:
    """A migrated database with four verified traders, their credits and cash, built once."""
    path = Path(tempfile.mkdtemp()) / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    run = RegistryService(db, FixedClock(datetime(2026, 4, 1, tzinfo=UTC))).execute
    for program in model.known_programs():
        run(ADMIN, lambda c, p=program: ledger.create_program(c, **p))
    run(ADMIN, lambda c: ledger.register_project(
        c, id="JCR-F001", program="JCREDIT", name="Forest", country="JP", category="forestry",
        methodology="FO-001", verifier="JQA", verifier_accreditation="iso14065"))
    for trader in TRADERS:
        run(ADMIN, lambda c, p=trader: ledger.register_participant(
            c, id=p, name=p, type="corporate", kyc_state="verified"))
        account = run(ADMIN, lambda c, p=trader: ledger.open_account(c, p, "holding"))
        run(ADMIN, lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
        run(ADMIN, lambda c, a=account["id"]: ledger.issue(
            c, project_id="JCR-F001", vintage=2024, quantity=ISSUED, account_id=a))
        for currency, deposits in DEPOSITS.items():
            opened = run(ADMIN, lambda c, p=trader, cur=currency: cash_ledger.open_cash_account(
                c, participant_id=p, currency=cur))
            run(ADMIN, lambda c, a=opened["id"], m=deposits[trader]: cash_ledger.deposit(
                c, account_id=a, amount=m, reference="wire"))
    db.dispose()
    return path


def _minor(contract: Contract, ticks: int) -> int:
    return int(contract.to_money(ticks).scaleb(2 if contract.currency == "USD" else 0))


def _reserved_for(notional: int) -> int:
    return notional + FEES.fee(notional, FEES.buyer_bps)


traders = st.sampled_from(TRADERS)
sides = st.sampled_from(["buy", "sell"])
quantities = st.integers(1, 40) | st.integers(1, 400)  # some exceed what a trader holds
contract_ids = st.sampled_from(sorted(CONTRACTS))


class ExchangeConservation(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.path = Path(tempfile.mkdtemp()) / "db.db"
        shutil.copyfile(_template(), self.path)
        self.db = Database(f"sqlite:///{self.path}")
        self.clock = FixedClock(SPOT_START)
        self.registry = RegistryService(self.db, self.clock)
        self.spot_time = SPOT_START
        self.window = -1  # index into TSE_WINDOWS of the current call session
        self.tse_time = TSE_WINDOWS[0][0]
        self.reports: list[tuple[str, int, str, str]] = []  # (day, id, reporter, counterparty)
        self.bids: list[tuple[int, int, str]] = []  # (auction, bid, bidder)
        self._start()
        self.clock.set(self.spot_time)
        self.exchange.open_session(SPOT.contract_id)
        self.open_call_session()

    def _note(self, what: str) -> None:
        """Statistics for ``--hypothesis-show-statistics``: how often commands pass or fail."""
        if currently_in_test_context():
            event(what)

    def _start(self) -> None:
        self.exchange = ExchangeService(self.db, self.clock, list(CONTRACTS.values()),
                                        base_prices=dict(BASE_PRICES), fees=FEES)
        self.offbook = OffBookService(self.db, self.clock, [SPOT],
                                      base_prices={SPOT.contract_id: BASE_PRICES[SPOT.contract_id]},
                                      fees=FEES)

    # --- driving ------------------------------------------------------------------------------

    def _at(self, contract_id: str) -> None:
        """Move the clock to the contract's venue time (each contract's time only moves forward)."""
        if contract_id == SPOT.contract_id:
            self.spot_time += timedelta(seconds=15)  # long runs stay inside 08:00-17:00
            self.clock.set(self.spot_time)
        else:
            self.tse_time += timedelta(seconds=10)
            self.clock.set(self.tse_time)

    def attempt(self, command: Any) -> Any:
        """Run a command; a refusal must leave the database and the books exactly as they were."""
        before = self._snapshot()
        try:
            result = command()
        except DomainError as refusal:
            self._note(f"refused: {refusal.code}")
            assert self._snapshot() == before
            return None
        events = result.get("events", result.get("outcome", {}).get("trades", []))
        self._note("traded" if any(e.get("type", "Trade") == "Trade" for e in events)
                   else "accepted")
        return result

    def _book(self, contract_id: str) -> Any:
        return self.exchange._books.get(contract_id)

    def _resting(self, contract_id: str) -> dict[int, tuple[str, str, int, int]]:
        """order id → (participant, side, price ticks, open quantity) of the engine's book."""
        book = self._book(contract_id)
        if book is None:
            return {}
        if isinstance(book, CallAuctionBook):
            # the auction book publishes only the accepted orders; its current terms are private
            return {o.accepted.order_id: (o.accepted.participant, o.accepted.side.value, o.price,
                                          o.quantity) for o in book._orders.values()}
        return {o.order_id: (o.participant, o.side.value, o.price, o.remaining)
                for o in book.resting_orders()}

    def _price(self, contract_id: str, data: st.DataObject) -> Decimal:
        contract = CONTRACTS[contract_id]
        book = self._book(contract_id)
        low, high = (book.low, book.high) if book is not None else \
            contract.price_band_ticks(contract.to_ticks(BASE_PRICES[contract_id]))
        near = st.integers(max(1, (low + high) // 2 - 12), (low + high) // 2 + 12)
        ticks = data.draw(st.one_of(near, near, st.integers(max(1, low - 3), high + 3)))
        return contract.to_money(ticks)

    # --- order book rules ---------------------------------------------------------------------

    @rule(data=st.data(), orders=st.lists(st.tuples(
        traders, sides, quantities, st.sampled_from(["limit", "limit", "limit", "market"]),
        st.sampled_from(["day", "day", "ioc", "fok"])), min_size=1, max_size=4))
    def submit_continuous(self, data: st.DataObject, orders: list[tuple[Any, ...]]) -> None:
        for trader, side, quantity, order_type, time_in_force in orders:
            price = None if order_type == "market" else self._price(SPOT.contract_id, data)
            self._submit(SPOT.contract_id, trader, side, quantity, price, order_type,
                         time_in_force)

    @rule(data=st.data(), orders=st.lists(st.tuples(traders, sides, quantities), min_size=1,
                                          max_size=4))
    def submit_call(self, data: st.DataObject, orders: list[tuple[str, str, int]]) -> None:
        if self._book(FORESTRY.contract_id) is None:
            self.open_call_session()  # the next window: most orders should find a session
        for trader, side, quantity in orders:
            price = self._price(FORESTRY.contract_id, data)
            self._submit(FORESTRY.contract_id, trader, side, quantity, price, "limit", "day")

    @rule(data=st.data(), contract_id=contract_ids, trader=traders, quantity=quantities,
          time_in_force=st.sampled_from(["day", "ioc", "fok"]))
    def cross(self, data: st.DataObject, contract_id: str, trader: str, quantity: int,
              time_in_force: str) -> None:
        """An order at (or through) a resting order's price on the other side, so fills happen."""
        resting = self._resting(contract_id)
        if not resting:
            return
        _, side, price, _ = resting[data.draw(st.sampled_from(sorted(resting)))]
        through = data.draw(st.integers(0, 5))
        price += through if side == "sell" else -through
        if contract_id == FORESTRY.contract_id:
            time_in_force = "day"
        self._submit(contract_id, trader, "buy" if side == "sell" else "sell", quantity,
                     CONTRACTS[contract_id].to_money(max(1, price)), "limit", time_in_force)

    def _submit(self, contract_id: str, trader: str, side: str, quantity: int,
                price: Decimal | None, order_type: str, time_in_force: str) -> None:
        self._at(contract_id)
        self.attempt(lambda: self.exchange.submit(
            trader, contract_id, side=side, quantity=quantity, price=price,
            order_type=order_type, time_in_force=time_in_force))

    @rule(data=st.data(), contract_id=contract_ids, change=st.integers(-150, 150),
          reprice=st.booleans(), wrong_owner=st.integers(0, 9))
    def amend(self, data: st.DataObject, contract_id: str, change: int, reprice: bool,
              wrong_owner: int) -> None:
        resting = self._resting(contract_id)
        if not resting:
            return
        order_id = data.draw(st.sampled_from(sorted(resting)))
        owner, _, price, _ = resting[order_id]
        row = self._order_row(contract_id, order_id)
        participant = data.draw(traders) if wrong_owner == 0 else owner
        new_price = self._price(contract_id, data) if reprice else \
            CONTRACTS[contract_id].to_money(price)
        self._at(contract_id)
        self.attempt(lambda: self.exchange.amend(participant, contract_id, order_id,
                                                 price=new_price,
                                                 quantity=max(1, row.quantity + change)))

    @rule(data=st.data(), contract_id=contract_ids, wrong_owner=st.integers(0, 9))
    def cancel(self, data: st.DataObject, contract_id: str, wrong_owner: int) -> None:
        resting = self._resting(contract_id)
        order_id = data.draw(st.sampled_from(sorted(resting)) if resting else st.integers(1, 5))
        owner = resting[order_id][0] if order_id in resting else data.draw(traders)
        participant = data.draw(traders) if wrong_owner == 0 else owner
        self._at(contract_id)
        self.attempt(lambda: self.exchange.cancel(participant, contract_id, order_id))

    @rule(step=st.sampled_from(["close and reopen", "call session", "uncross"]))
    def session(self, step: str) -> None:
        """Session ends are rarer than orders: one rule for the three of them."""
        {"close and reopen": self.close_and_reopen_spot, "call session": self.open_call_session,
         "uncross": self.uncross}[step]()

    def close_and_reopen_spot(self) -> None:
        self._at(SPOT.contract_id)
        self.attempt(lambda: self.exchange.close_session(SPOT.contract_id))
        self._at(SPOT.contract_id)
        self.attempt(lambda: self.exchange.open_session(SPOT.contract_id))

    def open_call_session(self) -> None:
        if self._book(FORESTRY.contract_id) is None and self.window + 1 < len(TSE_WINDOWS):
            self.window += 1
            self.tse_time = TSE_WINDOWS[self.window][0]
        self._at(FORESTRY.contract_id)
        self.attempt(lambda: self.exchange.open_session(FORESTRY.contract_id))

    def uncross(self) -> None:
        if self.window >= 0:
            self.clock.set(TSE_WINDOWS[self.window][1])
        self.attempt(lambda: self.exchange.uncross(FORESTRY.contract_id))

    # --- block trades -------------------------------------------------------------------------

    @rule(data=st.data(), buyer=traders, seller=traders, reporter_buys=st.booleans(),
          quantity=st.integers(1, 400))
    def report_block(self, data: st.DataObject, buyer: str, seller: str, reporter_buys: bool,
                     quantity: int) -> None:
        price = self._price(SPOT.contract_id, data)
        reporter, counterparty = (buyer, seller) if reporter_buys else (seller, buyer)
        self._at(SPOT.contract_id)
        report = self.attempt(lambda: self.offbook.report_block(
            reporter, SPOT.contract_id, buyer=buyer, seller=seller, price=price,
            quantity=quantity))
        if report is not None:
            outcome = report["outcome"]
            self.reports.append((outcome["trading_day"], outcome["report_id"], reporter,
                                 counterparty))

    @precondition(lambda self: self.reports)
    @rule(data=st.data(), confirm=st.integers(0, 3), wrong_party=st.integers(0, 9))
    def decide_block(self, data: st.DataObject, confirm: int, wrong_party: int) -> None:
        day, report_id, reporter, counterparty = data.draw(st.sampled_from(self.reports))
        self._at(SPOT.contract_id)
        trading_day = date.fromisoformat(day)
        if confirm:
            who = reporter if wrong_party == 0 else counterparty
            self.attempt(lambda: self.offbook.confirm_block(who, SPOT.contract_id, trading_day,
                                                            report_id))
        else:
            who = counterparty if wrong_party == 0 else reporter
            self.attempt(lambda: self.offbook.withdraw_block(who, SPOT.contract_id, trading_day,
                                                             report_id))

    # --- supply auctions ----------------------------------------------------------------------

    @rule(seller=traders, quantity=st.integers(1, 400), reserve=st.integers(700, 1300),
          minutes=st.integers(2, 8))
    def open_supply_auction(self, seller: str, quantity: int, reserve: int, minutes: int) -> None:
        self._at(SPOT.contract_id)
        self.attempt(lambda: self.offbook.open_supply_auction(
            seller, SPOT.contract_id, quantity=quantity, reserve_price=SPOT.to_money(reserve),
            closes_at=self.spot_time + timedelta(minutes=minutes)))

    @precondition(lambda self: self.offbook._auctions)
    @rule(data=st.data(), bidder=traders, quantity=st.integers(1, 300))
    def bid(self, data: st.DataObject, bidder: str, quantity: int) -> None:
        open_ones = [i for i, a in self.offbook._auctions.items() if a.result is None]
        auction_id = data.draw(st.sampled_from(sorted(open_ones or self.offbook._auctions)))
        reserve = self.offbook._auctions[auction_id].reserve_price
        price = SPOT.to_money(data.draw(st.integers(reserve - 20, reserve + 200)))
        self._at(SPOT.contract_id)
        placed = self.attempt(lambda: self.offbook.bid(bidder, auction_id, price=price,
                                                       quantity=quantity))
        if placed is not None:
            self.bids.append((auction_id, placed["outcome"]["bid_id"], bidder))

    @precondition(lambda self: self.bids)
    @rule(data=st.data(), wrong_bidder=st.integers(0, 9))
    def withdraw_bid(self, data: st.DataObject, wrong_bidder: int) -> None:
        auction_id, bid_id, bidder = data.draw(st.sampled_from(self.bids))
        who = data.draw(traders) if wrong_bidder == 0 else bidder
        self._at(SPOT.contract_id)
        self.attempt(lambda: self.offbook.withdraw_bid(who, auction_id, bid_id))

    @precondition(lambda self: self.offbook._auctions)
    @rule(data=st.data())
    def close_supply_auction(self, data: st.DataObject) -> None:
        auction_id = data.draw(st.sampled_from(sorted(self.offbook._auctions)))
        self._at(SPOT.contract_id)
        self.attempt(lambda: self.offbook.close_supply_auction(auction_id))

    # --- settlement and restart ---------------------------------------------------------------

    @rule(later=st.booleans())
    def settle_due(self, later: bool) -> None:
        on = date(2026, 12, 31) if later else SPOT_DAY
        result = dvp.settle_due(lambda op: self.registry.execute(ADMIN, op), on)
        self._note(f"settled {min(result['settled'], 3)}+")
        assert result["failed"] == 0  # every instruction is fully reserved: none may fail

    @rule()
    def wind_down(self) -> None:
        """Finish everything: then nothing at all may stay reserved or held."""
        self.close_and_reopen_spot()
        self.uncross()
        for auction_id, auction in sorted(self.offbook._auctions.items()):
            if auction.result is None:
                self.spot_time = max(self.spot_time, auction.closes_at)  # not a minute more
                self._at(SPOT.contract_id)
                self.offbook.close_supply_auction(auction_id)
        self.exchange.close_session(SPOT.contract_id)
        assert dvp.settle_due(lambda op: self.registry.execute(ADMIN, op),
                              date(2026, 12, 31))["failed"] == 0
        with self.db.read() as session:
            assert session.execute(select(func.sum(cash_accounts.c.reserved))).scalar() == 0
            assert session.execute(select(func.count()).select_from(holds).where(
                holds.c.state == "active")).scalar() == 0
            assert session.execute(select(func.count()).select_from(serial_blocks).where(
                serial_blocks.c.status == "held")).scalar() == 0
        self._at(SPOT.contract_id)
        self.exchange.open_session(SPOT.contract_id)

    @rule()
    def restart(self) -> None:
        """A fresh pair of services on the same database rebuilds the same books and auctions."""
        books = {cid: self._book_state(cid) for cid in CONTRACTS}
        auctions = self._auction_state()
        self._start()
        assert {cid: self._book_state(cid) for cid in CONTRACTS} == books
        assert self._auction_state() == auctions

    def _book_state(self, contract_id: str) -> Any:
        book = self._book(contract_id)
        if book is None:
            return self.exchange._next_ids.get(contract_id), self.exchange.base_prices[contract_id]
        depth = None if isinstance(book, CallAuctionBook) else book.depth()
        indicative = book.indicative() if isinstance(book, CallAuctionBook) else None
        return (self._resting(contract_id), depth, indicative, book.next_order_id,
                book.next_trade_id, book.low, book.high)

    def _auction_state(self) -> Any:
        auctions = {i: (a.quantity, a.reserve_price, a.closes_at, sorted(a._bids.items()), a.result)
                    for i, a in self.offbook._auctions.items()}
        desks = {key: [(r.report_id, r.state) for r in desk._reports.values()]
                 for key, desk in self.offbook._desks.items()}
        return auctions, desks, self.offbook._meta

    # --- invariants ---------------------------------------------------------------------------

    def _snapshot(self) -> Any:
        with self.db.read() as session:
            tables = tuple(tuple(map(tuple, session.execute(select(table).order_by(*table.primary_key))))
                           for table in (cash_accounts, cash_reservations, holds, serial_blocks,
                                         settlement_instructions, exchange_orders))
            sequence = session.execute(select(func.max(journal.c.sequence))).scalar()
        return tables, sequence, {cid: self._book_state(cid) for cid in CONTRACTS}, \
            self._auction_state()

    def _order_row(self, contract_id: str, order_id: int) -> Any:
        with self.db.read() as session:
            return session.execute(select(exchange_orders).where(
                exchange_orders.c.contract_id == contract_id,
                exchange_orders.c.order_id == order_id)).one()

    @invariant()
    def books_agree_with_the_order_table(self) -> None:
        with self.db.read() as session:
            rows = session.execute(select(exchange_orders)).all()
        for contract_id, contract in CONTRACTS.items():
            resting = self._resting(contract_id)
            open_rows = {r.order_id: (r.participant_id, r.side, r.limit_price, r.open_quantity)
                         for r in rows if r.contract_id == contract_id and r.open_quantity}
            assert open_rows == {i: (p, s, _minor(contract, price), q)
                                 for i, (p, s, price, q) in resting.items()}

    @invariant()
    def credits_are_conserved_and_holds_are_exact(self) -> None:
        size = serial_blocks.c.serial_end - serial_blocks.c.serial_start + 1
        with self.db.read() as session:
            by_account = {(a, s): int(q) for a, s, q in session.execute(
                select(serial_blocks.c.account_id, serial_blocks.c.status, func.sum(size))
                .group_by(serial_blocks.c.account_id, serial_blocks.c.status))}
            holding = dict(session.execute(select(accounts.c.participant_id, accounts.c.id)
                                           .where(accounts.c.kind == "holding")).all())
            hold_rows = {h.id: h for h in session.execute(select(holds))}
            instructions = session.execute(select(settlement_instructions)).all()
            orders = session.execute(select(exchange_orders).where(
                exchange_orders.c.side == "sell")).all()
        assert {s for _, s in by_account} <= {"active", "held"}
        assert sum(by_account.values()) == ISSUED * len(TRADERS)
        delivered: dict[int, int] = {}
        undelivered: dict[int, int] = {}
        for i in instructions:
            seller_account = hold_rows[i.seller_hold_id].account_id
            if i.state == "settled":
                delivered[seller_account] = delivered.get(seller_account, 0) - i.quantity
                delivered[i.buyer_account_id] = delivered.get(i.buyer_account_id, 0) + i.quantity
            else:
                undelivered[i.seller_hold_id] = undelivered.get(i.seller_hold_id, 0) + i.quantity
        for account_id in holding.values():
            total = by_account.get((account_id, "active"), 0) + by_account.get((account_id, "held"), 0)
            assert total == ISSUED + delivered.get(account_id, 0)
            assert by_account.get((account_id, "held"), 0) == sum(
                h.remaining for h in hold_rows.values()
                if h.account_id == account_id and h.state == "active")
        # what each hold still keeps is exactly what the exchange owes from it
        owed = dict(undelivered)
        for row in orders:
            open_quantity = self._resting(row.contract_id).get(row.order_id, (0, 0, 0, 0))[3]
            owed[row.hold_id] = owed.get(row.hold_id, 0) + open_quantity
        for auction_id, meta in self.offbook._meta.items():
            if self.offbook._auctions[auction_id].result is None:
                offered = self.offbook._auctions[auction_id].quantity
                owed[meta["hold_id"]] = owed.get(meta["hold_id"], 0) + offered
        for hold_id, hold in hold_rows.items():
            remaining = hold.remaining if hold.state == "active" else 0
            assert remaining == owed.get(hold_id, 0), (hold_id, hold, owed.get(hold_id, 0))

    @invariant()
    def cash_is_conserved_and_reservations_are_exact(self) -> None:
        with self.db.read() as session:
            cash_rows = session.execute(select(cash_accounts)).all()
            reservations = {r.id: r for r in session.execute(select(cash_reservations))}
            instructions = session.execute(select(settlement_instructions)).all()
            buys = session.execute(select(exchange_orders).where(
                exchange_orders.c.side == "buy")).all()
        balances = {(r.participant_id, r.currency, r.kind): r.balance for r in cash_rows}
        expected: dict[tuple[Any, str, str], int] = {}
        for (participant, currency, kind) in balances:
            if kind == "participant":
                expected[(participant, currency, kind)] = DEPOSITS[currency][participant]
        owed: dict[int, int] = {}
        fills: dict[int, int] = {}
        by_cash_account = {r.id: r for r in cash_rows}
        for i in instructions:
            fills[i.buyer_reservation_id] = fills.get(i.buyer_reservation_id, 0) + 1
            if i.state != "settled":
                owed[i.buyer_reservation_id] = owed.get(i.buyer_reservation_id, 0) + \
                    i.amount + i.buyer_fee
                continue
            buyer = by_cash_account[reservations[i.buyer_reservation_id].account_id]
            seller = by_cash_account[i.seller_cash_account_id]
            venue = (None, i.currency, "venue_fees")
            for key, amount in (((buyer.participant_id, i.currency, "participant"),
                                 -(i.amount + i.buyer_fee)),
                                ((seller.participant_id, i.currency, "participant"),
                                 i.amount - i.seller_fee),
                                (venue, i.buyer_fee + i.seller_fee)):
                expected[key] = expected.get(key, 0) + amount
        for currency in ("USD", "JPY"):
            assert sum(r.balance for r in cash_rows if r.currency == currency) == 0
        for key, balance in balances.items():
            if key[2] != "bank":
                assert balance == expected.get(key, 0), key
        for row in cash_rows:
            assert row.reserved == sum(r.remaining for r in reservations.values()
                                       if r.account_id == row.id and r.state == "active")
            if row.kind != "bank":
                assert 0 <= row.reserved <= row.balance  # free cash is never negative
        # each reservation keeps what its order, bid or trade still needs
        needs: dict[int, tuple[int, int]] = {}  # reservation → (needed now, rounding allowance)
        for row in buys:
            open_quantity = self._resting(row.contract_id).get(row.order_id, (0, 0, 0, 0))[3]
            needs[row.reservation_id] = (_reserved_for(row.limit_price * open_quantity),
                                         fills.get(row.reservation_id, 0) if open_quantity else 0)
        for auction_id, meta in self.offbook._meta.items():
            auction = self.offbook._auctions[auction_id]
            for bid_id, reservation_id in meta["bids"].items():
                bid = auction._bids.get(bid_id)
                live = auction.result is None and bid is not None
                needs[reservation_id] = (_reserved_for(_minor(SPOT, bid.price) * bid.quantity)
                                         if live else 0, 0)
        for reservation_id, reservation in reservations.items():
            remaining = reservation.remaining if reservation.state == "active" else 0
            needed, allowance = needs.get(reservation_id, (0, 0))
            needed += owed.get(reservation_id, 0)
            assert needed <= remaining <= needed + allowance, (reservation, needed, allowance)

    def teardown(self) -> None:
        self.db.dispose()
        shutil.rmtree(self.path.parent, ignore_errors=True)


ExchangeConservation.TestCase.settings = settings(max_examples=40, stateful_step_count=40,
                                                  deadline=None)
TestExchangeConservation = ExchangeConservation.TestCase


def test_order_books_rebuild_beside_off_book_journal_entries() -> None:
    """The off-book service journals in the same area; the order books' replay passes it by."""
    machine = ExchangeConservation()
    try:
        machine.open_supply_auction(seller="alpha", quantity=5, reserve=900, minutes=3)
        machine.close_and_reopen_spot()
        machine.restart()
        assert machine.exchange.book(SPOT.contract_id).low == 500
    finally:
        machine.teardown()


def test_an_amended_sell_order_records_its_new_limit_price() -> None:
    """The order table (shown by GET /v1/orders) follows an amended sell order's new price."""
    machine = ExchangeConservation()
    try:
        machine._at(SPOT.contract_id)
        placed = machine.exchange.submit("alpha", SPOT.contract_id, side="sell", quantity=1,
                                         price=Decimal("7.61"))
        order_id = placed["events"][0]["order_id"]
        machine._at(SPOT.contract_id)
        machine.exchange.amend("alpha", SPOT.contract_id, order_id, price=Decimal("11.24"),
                               quantity=1)
        assert machine._order_row(SPOT.contract_id, order_id).limit_price == 1124
        machine.books_agree_with_the_order_table()
    finally:
        machine.teardown()


def test_a_wash_trade_in_a_call_auction_settles_when_its_fees_round_to_zero() -> None:
    """The auction has no self-match prevention; the trader paying itself nets to nothing."""
    machine = ExchangeConservation()
    try:
        for side in ("buy", "sell"):
            machine._at(FORESTRY.contract_id)
            machine.exchange.submit("alpha", FORESTRY.contract_id, side=side, quantity=1,
                                    price=Decimal(1488))  # fee: 1488 × 5 bps rounds to 0
        machine.uncross()
        assert dvp.settle_due(lambda op: machine.registry.execute(ADMIN, op),
                              date(2026, 12, 31)) == {"settled": 1, "failed": 0}
        machine.cash_is_conserved_and_reservations_are_exact()
        machine.credits_are_conserved_and_holds_are_exact()
    finally:
        machine.teardown()
