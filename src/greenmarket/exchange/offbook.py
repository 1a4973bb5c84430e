"""Block trades and sealed-bid auctions of new supply, reserved and settled like book trades.

Block trades: one side reports an agreed trade, the other confirms; at confirmation the seller's
credits are held and the buyer's cash reserved, and the trade becomes a settlement instruction
(flagged ``B`` in its reference: a block on the tape). Desks are per contract and venue-local
trading day, their price band fixed by the base price when the day's first report arrives.

Supply auctions (CIX-style): the seller's offered credits are held when the auction opens; each
hidden bid reserves its cash; the close allocates at one clearing price, instructs settlement for
the winners and releases every reservation not needed.

Each command runs the engine step and its database effects in one transaction and is journaled with
its outcome; the engines are rebuilt by replaying the journal's commands (never from the outcome).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from greenmarket.clock import Clock
from greenmarket.errors import NotFound
from greenmarket.exchange.block import BlockTradeDesk
from greenmarket.exchange.contracts import Contract
from greenmarket.exchange.orders import Trade
from greenmarket.exchange.sealed_bid import SealedBidAuction
from greenmarket.exchange.service import (
    FeeSchedule,
    credit_spec,
    ensure_buyer_may_hold,
    trader_accounts,
)
from greenmarket.journal import store as journal_store
from greenmarket.journal.entry import format_time
from greenmarket.registry import ledger
from greenmarket.registry.ledger import Context
from greenmarket.registry.service import (
    IdempotencyKey,
    claim_idempotency_key,
    record_idempotent_result,
    run_in_transaction,
)
from greenmarket.settlement import cash, dvp
from greenmarket.settlement.money import to_minor
from greenmarket.storage.db import Database

AREA = "exchange"
KINDS = ("block_reported", "block_confirmed", "block_withdrawn", "block_rejected",
         "supply_auction_opened",
         "supply_bid", "supply_bid_withdrawn", "supply_auction_closed")


class OffBookService:
    """Negotiated and auctioned trades beside the order books, for a set of contracts."""

    def __init__(self, db: Database, clock: Clock, contracts: list[Contract], *,
                 base_prices: dict[str, Decimal], fees: FeeSchedule = FeeSchedule()) -> None:
        self.db = db
        self.clock = clock
        self.contracts = {c.contract_id: c for c in contracts}
        self.base_prices = {cid: self.contracts[cid].to_ticks(p) for cid, p in base_prices.items()}
        self.fees = fees
        self._lock = threading.Lock()
        self.recover()

    # --- block trades -----------------------------------------------------------------------

    def report_block(self, reporter: str, contract_id: str, *, buyer: str, seller: str,
                     price: Decimal, quantity: int) -> dict[str, Any]:
        contract = self._contract(contract_id)
        command = {"contract_id": contract_id, "reporter": reporter, "buyer": buyer,
                   "seller": seller, "price": contract.to_ticks(Decimal(price)),
                   "quantity": quantity, "base_price": self.base_prices[contract_id]}
        return self._run(f"participant:{reporter}", "block_reported", command,
                         lambda ctx, report: {"report_id": report.report_id,
                                              "trading_day": contract.venue.trade_date(
                                                  report.time).isoformat()})

    def confirm_block(self, participant: str, contract_id: str, trading_day: date,
                      report_id: int, idempotency: IdempotencyKey | None = None) -> dict[str, Any]:
        """The counterparty confirms: both sides are reserved and the trade is instructed."""
        contract = self._contract(contract_id)
        command = {"contract_id": contract_id, "participant": participant,
                   "trading_day": trading_day.isoformat(), "report_id": report_id}

        def effects(ctx: Context, trade: Trade) -> dict[str, Any]:
            ensure_buyer_may_hold(ctx, trade.buyer, contract)
            hold = ledger.place_hold(ctx, account_id=trader_accounts(
                ctx, trade.seller, contract.currency)[0], quantity=trade.quantity,
                spec=credit_spec(contract), reference=f"{contract_id}:block{report_id}",
                managed_by="exchange")
            reference = f"{contract_id}:B{trading_day.isoformat()}:{trade.trade_id}"
            self._instruct(ctx, contract, trade, hold_id=hold["id"], reference=reference,
                           reservation_id=None)
            return {"trade_reference": reference}

        return self._run(f"participant:{participant}", "block_confirmed", command, effects,
                         idempotency)

    def withdraw_block(self, reporter: str, contract_id: str, trading_day: date,
                       report_id: int) -> dict[str, Any]:
        """The reporter takes back a report not yet confirmed."""
        return self._decide(reporter, "block_withdrawn", contract_id, trading_day, report_id)

    def reject_block(self, counterparty: str, contract_id: str, trading_day: date,
                     report_id: int) -> dict[str, Any]:
        """The counterparty refuses a report."""
        return self._decide(counterparty, "block_rejected", contract_id, trading_day, report_id)

    def _decide(self, participant: str, kind: str, contract_id: str, trading_day: date,
                report_id: int) -> dict[str, Any]:
        self._contract(contract_id)
        command = {"contract_id": contract_id, "participant": participant,
                   "trading_day": trading_day.isoformat(), "report_id": report_id}
        return self._run(f"participant:{participant}", kind, command, lambda ctx, o: {})

    # --- sealed-bid auctions of new supply --------------------------------------------------

    def open_supply_auction(self, seller: str, contract_id: str, *, quantity: int,
                            reserve_price: Decimal, closes_at: datetime,
                            idempotency: IdempotencyKey | None = None) -> dict[str, Any]:
        contract = self._contract(contract_id)
        command = {"contract_id": contract_id, "seller": seller, "quantity": quantity,
                   "reserve_price": contract.to_ticks(Decimal(reserve_price)),
                   "closes_at": closes_at.isoformat()}

        def effects(ctx: Context, auction: SealedBidAuction) -> dict[str, Any]:
            holding, _ = trader_accounts(ctx, seller, contract.currency)
            hold = ledger.place_hold(ctx, account_id=holding, quantity=quantity,
                                     spec=credit_spec(contract),
                                     reference=f"supply-auction:{auction.offer_id}",
                                     managed_by="exchange")
            return {"auction_id": auction.offer_id, "hold_id": hold["id"]}

        return self._run(f"participant:{seller}", "supply_auction_opened", command, effects,
                         idempotency)

    def bid(self, bidder: str, auction_id: int, *, price: Decimal, quantity: int,
            idempotency: IdempotencyKey | None = None) -> dict[str, Any]:
        self._auction(auction_id)
        contract = self.contracts[self._meta[auction_id]["contract_id"]]
        command = {"auction_id": auction_id, "bidder": bidder,
                   "price": contract.to_ticks(Decimal(price)), "quantity": quantity}

        def effects(ctx: Context, bid: Any) -> dict[str, Any]:
            ensure_buyer_may_hold(ctx, bidder, contract)
            _, cash_account = trader_accounts(ctx, bidder, contract.currency)
            notional = self._minor(contract, bid.price) * bid.quantity
            reservation = cash.reserve(
                ctx, account_id=cash_account,
                amount=notional + self.fees.fee(notional, self.fees.buyer_bps),
                reference=f"supply-auction:{auction_id}:bid{bid.bid_id}")
            return {"bid_id": bid.bid_id, "reservation_id": reservation["id"],
                    "cash_account_id": cash_account}

        return self._run(f"participant:{bidder}", "supply_bid", command, effects, idempotency)

    def withdraw_bid(self, bidder: str, auction_id: int, bid_id: int) -> dict[str, Any]:
        self._auction(auction_id)
        command = {"auction_id": auction_id, "bidder": bidder, "bid_id": bid_id}

        def effects(ctx: Context, bid: Any) -> dict[str, Any]:
            cash.release(ctx, self._meta[auction_id]["bids"][bid.bid_id])
            return {}

        return self._run(f"participant:{bidder}", "supply_bid_withdrawn", command, effects)

    def close_supply_auction(self, auction_id: int, actor: str = "admin:exchange") -> dict[str, Any]:
        """Clear at one price, instruct the winners, release everything not needed."""
        self._auction(auction_id)
        meta = self._meta[auction_id]
        contract = self.contracts[meta["contract_id"]]

        def effects(ctx: Context, result: Any) -> dict[str, Any]:
            for trade in result.trades:
                reservation = meta["bids"][trade.buy_order_id]
                self._instruct(ctx, contract, trade, hold_id=meta["hold_id"],
                               reservation_id=reservation,
                               reference=f"{contract.contract_id}:S{auction_id}:{trade.trade_id}")
            for reservation in meta["bids"].values():
                cash.release_spare(ctx, reservation, dvp.owed_by_reservation(ctx, reservation))
            if result.unsold:
                ledger.release_hold(ctx, meta["hold_id"], result.unsold)
            return {"clearing_price": result.clearing_price, "offered": result.offered,
                    "sold": result.sold, "unsold": result.unsold,
                    "demand_curve": [list(point) for point in result.demand_curve],
                    "trades": [t.to_dict() for t in result.trades]}

        return self._run(actor, "supply_auction_closed", {"auction_id": auction_id}, effects)

    # --- the one path -----------------------------------------------------------------------

    def _run(self, actor: str, kind: str, command: dict[str, Any],
             effects: Callable[[Context, Any], dict[str, Any]],
             idempotency: IdempotencyKey | None = None) -> dict[str, Any]:
        with self._lock:
            command = {**command, "time": self.clock.now().isoformat()}
            attempted = applied = False

            def work(session: Any) -> dict[str, Any]:
                nonlocal attempted, applied
                if attempted:  # a lost database race: the engines moved, rebuild them first
                    self.recover()
                attempted, applied = True, False
                now = datetime.fromisoformat(command["time"])
                if idempotency is not None:
                    claim_idempotency_key(session, idempotency, format_time(now))
                ctx = Context(session=session, actor=actor, now=now)
                outcome = effects(ctx, self._step(kind, command))
                payload = {"contract_id": self._contract_of(command), "command": command,
                           "outcome": outcome}
                sequence = ctx.journal(kind, payload, area=AREA)
                result = {"sequence": sequence, **payload}
                if idempotency is not None:
                    record_idempotent_result(session, idempotency, result)
                applied = True
                return result

            try:
                result = run_in_transaction(self.db, work)
            except BaseException:
                self.recover()
                raise
            if applied:
                self._remember(kind, command, result["outcome"])
            return result

    def _contract_of(self, command: dict[str, Any]) -> str:
        """Every entry names its contract, as the order books' entries do (for the tape)."""
        if "contract_id" in command:
            return str(command["contract_id"])
        return str(self._meta[command["auction_id"]]["contract_id"])

    def auction_view(self, auction_id: int) -> dict[str, Any]:
        """What is public about a supply auction: the offer, and after the close the result."""
        auction = self._auction(auction_id)
        contract = self.contracts[self._meta[auction_id]["contract_id"]]
        money = contract.to_money
        view: dict[str, Any] = {
            "auction_id": auction_id, "contract_id": contract.contract_id,
            "currency": contract.currency, "offered": auction.quantity,
            "reserve_price": str(money(auction.reserve_price)),
            "closes_at": auction.closes_at.isoformat(),
            "state": "open" if auction.result is None else "closed"}
        if auction.result is not None:
            result = auction.result
            view.update({
                "clearing_price": None if result.clearing_price is None else
                str(money(result.clearing_price)),
                "sold": result.sold, "unsold": result.unsold,
                "demand_curve": [{"price": str(money(p)), "quantity": q}
                                 for p, q in result.demand_curve]})
        return view

    def _step(self, kind: str, command: dict[str, Any]) -> Any:
        """Apply one command to the engines (live and in replay)."""
        time = datetime.fromisoformat(command["time"])
        if kind == "block_reported":
            desk = self._desk(command["contract_id"], time, command["base_price"])
            return desk.report(reporter=command["reporter"], buyer=command["buyer"],
                               buyer_owner=command["buyer"], seller=command["seller"],
                               seller_owner=command["seller"], price=command["price"],
                               quantity=command["quantity"], time=time)
        if kind in ("block_confirmed", "block_withdrawn", "block_rejected"):
            desk = self._desks.get((command["contract_id"], command["trading_day"]))
            if desk is None:
                raise NotFound(f"block report {command['report_id']} not found",
                               field="report_id")
            decide = {"block_confirmed": desk.confirm, "block_withdrawn": desk.withdraw,
                      "block_rejected": desk.reject}[kind]
            return decide(command["report_id"], command["participant"], time)
        if kind == "supply_auction_opened":
            contract = self.contracts[command["contract_id"]]
            auction = SealedBidAuction(
                offer_id=len(self._auctions) + 1, seller=command["seller"],
                quantity=command["quantity"], reserve_price=command["reserve_price"],
                closes_at=datetime.fromisoformat(command["closes_at"]), lot=contract.lot)
            self._auctions[auction.offer_id] = auction
            return auction
        auction = self._auction(command["auction_id"])
        if kind == "supply_bid":
            return auction.bid(command["bidder"], command["price"], command["quantity"], time)
        if kind == "supply_bid_withdrawn":
            return auction.withdraw(command["bid_id"], command["bidder"], time)
        return auction.close(time)

    def _remember(self, kind: str, command: dict[str, Any], outcome: dict[str, Any]) -> None:
        """Keep what later commands need from earlier outcomes (reservation ids)."""
        if kind == "supply_auction_opened":
            self._meta[outcome["auction_id"]] = {"contract_id": command["contract_id"],
                                                 "hold_id": outcome["hold_id"], "bids": {}}
        elif kind == "supply_bid":
            self._meta[command["auction_id"]]["bids"][outcome["bid_id"]] = outcome["reservation_id"]

    def recover(self) -> None:
        self._desks: dict[tuple[str, str], BlockTradeDesk] = {}
        self._auctions: dict[int, SealedBidAuction] = {}
        self._meta: dict[int, dict[str, Any]] = {}
        with self.db.read() as session:
            for entry in journal_store.read(session, area=AREA):
                if entry.type in KINDS:
                    self._step(entry.type, entry.payload["command"])
                    self._remember(entry.type, entry.payload["command"], entry.payload["outcome"])

    # --- helpers ----------------------------------------------------------------------------

    def _desk(self, contract_id: str, time: datetime, base_price: int) -> BlockTradeDesk:
        contract = self.contracts[contract_id]
        key = (contract_id, contract.venue.trade_date(time).isoformat())
        if key not in self._desks:
            self._desks[key] = BlockTradeDesk(contract, base_price)
        return self._desks[key]

    def _instruct(self, ctx: Context, contract: Contract, trade: Trade, *, hold_id: int,
                  reservation_id: int | None, reference: str) -> None:
        price = self._minor(contract, trade.price)
        notional = price * trade.quantity
        buyer_fee = self.fees.fee(notional, self.fees.buyer_bps)
        buyer_holding, buyer_cash = trader_accounts(ctx, trade.buyer, contract.currency)
        if reservation_id is None:
            reservation_id = cash.reserve(ctx, account_id=buyer_cash, amount=notional + buyer_fee,
                                          reference=reference)["id"]
        _, seller_cash = trader_accounts(ctx, trade.seller, contract.currency)
        trading_day = contract.venue.trade_date(trade.time)
        dvp.instruct(ctx, trade_reference=reference, currency=contract.currency,
                     quantity=trade.quantity, price=price, buyer_fee=buyer_fee,
                     seller_fee=self.fees.fee(notional, self.fees.seller_bps),
                     seller_hold_id=hold_id, buyer_account_id=buyer_holding,
                     buyer_reservation_id=reservation_id, seller_cash_account_id=seller_cash,
                     trade_date=trading_day, settlement_date=contract.settlement_date(trading_day))

    @staticmethod
    def _minor(contract: Contract, ticks: int) -> int:
        return to_minor(contract.to_money(ticks), contract.currency, field="price")

    def _contract(self, contract_id: str) -> Contract:
        if contract_id not in self.contracts:
            raise NotFound(f"contract {contract_id} does not exist", field="contract_id")
        return self.contracts[contract_id]

    def _auction(self, auction_id: int) -> SealedBidAuction:
        if auction_id not in self._auctions:
            raise NotFound(f"supply auction {auction_id} does not exist", field="auction_id")
        return self._auctions[auction_id]

