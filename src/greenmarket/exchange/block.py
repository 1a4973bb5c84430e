"""Block (off-book) trades: two participants report a trade they agreed, both confirm, it is a trade.

One side reports (buyer, seller, price, quantity); the other confirms; the confirmed report becomes a
:class:`~greenmarket.exchange.orders.BlockTrade` that settles like any other trade and is flagged
as a block on the tape. Checks on the report:

- the reporter is the buyer or the seller, and they are different beneficial owners;
- the quantity is a multiple of the lot and at least the contract's block minimum;
- the price is on the tick grid and inside the day's price band around the base price: a block is
  negotiated privately but must not print at a price the market itself could not trade at.

A report the counterparty does not confirm can be withdrawn by the reporter or rejected by the
counterparty; reports still pending when the trading day ends expire (:meth:`BlockTradeDesk.expire`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from greenmarket.errors import Conflict, Forbidden, NotFound, ValidationError
from greenmarket.exchange.contracts import Contract
from greenmarket.exchange.orders import BlockTrade


class ReportState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class BlockReport:
    """A reported block trade awaiting (or past) the counterparty's confirmation."""

    report_id: int
    reporter: str
    buyer: str
    buyer_owner: str
    seller: str
    seller_owner: str
    price: int
    quantity: int
    time: datetime
    state: ReportState = ReportState.PENDING

    @property
    def counterparty(self) -> str:
        return self.seller if self.reporter == self.buyer else self.buyer


class BlockTradeDesk:
    """Block reports of one contract for one trading day (base price fixes the band)."""

    def __init__(
        self, contract: Contract, base_price: int, *, minimum_quantity: int | None = None,
        first_report_id: int = 1, first_trade_id: int = 1,
    ) -> None:
        self.contract = contract
        self.low, self.high = contract.price_band_ticks(base_price)
        self.minimum_quantity = minimum_quantity or contract.lot
        self._reports: dict[int, BlockReport] = {}
        self._next_report_id = first_report_id
        self._next_trade_id = first_trade_id

    def report(
        self, *, reporter: str, buyer: str, buyer_owner: str, seller: str, seller_owner: str,
        price: int, quantity: int, time: datetime,
    ) -> BlockReport:
        """Record one side's report of an agreed trade."""
        if reporter not in (buyer, seller):
            raise Forbidden("only the buyer or the seller may report a block trade", field="reporter")
        if buyer_owner == seller_owner:
            raise ValidationError("buyer and seller have the same beneficial owner",
                                  field="seller", code="self_trade")
        lot = self.contract.lot
        if type(quantity) is not int or quantity < self.minimum_quantity or quantity % lot:
            raise ValidationError(
                f"block quantity must be a multiple of {lot} and at least {self.minimum_quantity}",
                field="quantity", code="below_block_minimum",
            )
        if type(price) is not int or not self.low <= price <= self.high:
            raise ValidationError(
                f"block price {price} is outside today's band {self.low}-{self.high}",
                field="price", code="price_outside_band",
            )
        if time.tzinfo is None:
            raise ValidationError("times must carry a UTC offset", field="time")
        report = BlockReport(self._next_report_id, reporter, buyer, buyer_owner, seller,
                             seller_owner, price, quantity, time)
        self._next_report_id += 1
        self._reports[report.report_id] = report
        return report

    def confirm(self, report_id: int, participant: str, time: datetime) -> BlockTrade:
        """The counterparty confirms: the report becomes a block trade."""
        report = self._pending(report_id, participant, counterparty=True)
        self._reports[report_id] = replace(report, state=ReportState.CONFIRMED)
        trade = BlockTrade(
            self._next_trade_id, report.price, report.quantity, report_id, report_id,
            report.buyer, report.seller, None, time,
        )
        self._next_trade_id += 1
        return trade

    def reject(self, report_id: int, participant: str, time: datetime) -> BlockReport:
        """The counterparty refuses the report."""
        del time
        report = self._pending(report_id, participant, counterparty=True)
        self._reports[report_id] = replace(report, state=ReportState.REJECTED)
        return self._reports[report_id]

    def withdraw(self, report_id: int, participant: str, time: datetime) -> BlockReport:
        """The reporter takes the report back before it is confirmed."""
        del time
        report = self._pending(report_id, participant, counterparty=False)
        self._reports[report_id] = replace(report, state=ReportState.WITHDRAWN)
        return self._reports[report_id]

    def expire(self, time: datetime) -> list[BlockReport]:
        """End of the trading day: every pending report expires."""
        del time
        expired = []
        for report_id, report in self._reports.items():
            if report.state is ReportState.PENDING:
                self._reports[report_id] = replace(report, state=ReportState.EXPIRED)
                expired.append(self._reports[report_id])
        return expired

    def _pending(self, report_id: int, participant: str, *, counterparty: bool) -> BlockReport:
        report = self._reports.get(report_id)
        if report is None or participant not in (report.buyer, report.seller):
            raise NotFound(f"block report {report_id} not found", field="report_id")
        if report.state is not ReportState.PENDING:
            raise Conflict(f"block report {report_id} is {report.state}", code="report_not_pending")
        expected = report.counterparty if counterparty else report.reporter
        if participant != expected:
            action = "confirm or reject" if counterparty else "withdraw"
            raise Forbidden(f"only {expected} may {action} block report {report_id}", field="participant")
        return report
