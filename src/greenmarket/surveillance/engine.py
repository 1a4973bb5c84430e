"""The surveillance engine: one pass over the events in time order, dispatching to the rules.

The engine keeps only what the rules need while it streams: the live orders (an order leaves when
it is cancelled or filled, and every order leaves at the end of the trading day, when continuous
and auction orders have all expired) and each rule's own per-contract state. It never holds the
whole event stream. The trading day is the venue's local date (``Asia/Tokyo`` by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from greenmarket.surveillance.events import (
    VENUE_TIMEZONE,
    Amend,
    Auction,
    Cancel,
    Link,
    Order,
    Participant,
    Record,
    Trade,
    Transfer,
)
from greenmarket.surveillance.model import Alert, LiveOrder, Parties
from greenmarket.surveillance.rules import RULE_CLASSES
from greenmarket.surveillance.rules.base import Context, Rule


@dataclass(frozen=True)
class SurveillanceConfig:
    """Which rules run, each rule's thresholds (by rule name), and the venue time zone."""

    rules: tuple[str, ...] = tuple(RULE_CLASSES)
    thresholds: dict[str, object] = field(default_factory=dict)
    timezone: str = VENUE_TIMEZONE


class Engine:
    """Feed records with :meth:`process` (or :meth:`run`); :meth:`finish` returns the alerts."""

    def __init__(self, config: SurveillanceConfig | None = None) -> None:
        self.config = config or SurveillanceConfig()
        self.parties = Parties()
        self.alerts: list[Alert] = []
        self.context = Context(self.parties, self.alerts.append)
        self.rules: list[Rule] = []
        for name in self.config.rules:
            rule_class = RULE_CLASSES[name]
            self.rules.append(rule_class(self.context, self.config.thresholds.get(name)))
        self._zone = ZoneInfo(self.config.timezone)
        self._orders: dict[str, LiveOrder] = {}
        self._day_end: float | None = None
        self.events = 0
        self._hooks = {hook: [getattr(rule, hook) for rule in self.rules if _overrides(rule, hook)]
                       for hook in _HOOKS}

    def run(self, records: Iterable[Record]) -> list[Alert]:
        for record in records:
            self.process(record)
        return self.finish()

    def process(self, record: Record) -> None:
        """Apply one record (participants and links first, then events in time order)."""
        kind = type(record)
        if kind is Participant:
            self.parties.add(record)  # type: ignore[arg-type]
            return
        if kind is Link:
            self.parties.link(record)  # type: ignore[arg-type]
            return
        self.events += 1
        ts = record.ts  # type: ignore[union-attr]
        if self._day_end is None or ts >= self._day_end:
            self._new_day(record.time)  # type: ignore[union-attr]
        if kind is Order:
            self._order(record)  # type: ignore[arg-type]
        elif kind is Trade:
            self._trade(record)  # type: ignore[arg-type]
        elif kind is Cancel:
            live = self._orders.pop(record.order_id, None)  # type: ignore[union-attr]
            if live is not None:
                for hook in self._hooks["on_cancel"]:
                    hook(live, record)
        elif kind is Amend:
            self._amend(record)  # type: ignore[arg-type]
        elif kind is Auction:
            for hook in self._hooks["on_auction"]:
                hook(record)
        elif kind is Transfer:
            for hook in self._hooks["on_transfer"]:
                hook(record)

    def finish(self) -> list[Alert]:
        """End the last day and return every alert, in time order."""
        if self._day_end is not None:
            self._end_day()
            self._day_end = None
        return sorted(self.alerts, key=lambda alert: (alert.time, alert.rule))

    # -- events -------------------------------------------------------------------------------

    def _order(self, order: Order) -> None:
        holder = order.client or order.participant
        live = LiveOrder(order, holder, self.parties.owner.get(holder, holder))
        self._orders[order.order_id] = live
        self.context.record_order_size(order.contract, order.quantity)
        for hook in self._hooks["on_order"]:
            hook(live)

    def _amend(self, event: Amend) -> None:
        live = self._orders.get(event.order_id)
        if live is None:
            return
        old_price, old_quantity = live.price, live.quantity
        live.price, live.quantity = event.price, event.quantity
        for hook in self._hooks["on_amend"]:
            hook(live, event, old_price, old_quantity)
        if live.filled >= live.quantity:
            del self._orders[event.order_id]

    def _trade(self, trade: Trade) -> None:
        buy = self._orders.get(trade.buy_order_id)
        sell = self._orders.get(trade.sell_order_id)
        if buy is None or sell is None:
            return  # an order of an earlier day, or already complete: nothing to attribute
        buy.filled += trade.quantity
        sell.filled += trade.quantity
        for hook in self._hooks["on_trade"]:
            hook(trade, buy, sell)
        if buy.filled >= buy.quantity:
            del self._orders[trade.buy_order_id]
        if sell.filled >= sell.quantity:
            del self._orders[trade.sell_order_id]

    # -- trading days -------------------------------------------------------------------------

    def _new_day(self, moment: datetime) -> None:
        if self._day_end is not None:
            self._end_day()
        local = moment.astimezone(self._zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(0), self._zone)
        self._day_end = midnight.timestamp()

    def _end_day(self) -> None:
        for hook in self._hooks["on_day_end"]:
            hook()
        self._orders.clear()  # every order has expired with its session


_HOOKS = ("on_order", "on_cancel", "on_amend", "on_trade", "on_auction", "on_transfer", "on_day_end")


def _overrides(rule: Rule, hook: str) -> bool:
    return getattr(type(rule), hook) is not getattr(Rule, hook)
