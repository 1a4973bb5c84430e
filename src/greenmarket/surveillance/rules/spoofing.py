"""Spoofing and layering: large orders on one side cancelled shortly after a fill on the other.

For each holder and contract the rule remembers its recent fills and its recent cancels of *large*
orders (at least ``large_order_multiple`` times the contract's mean order size) that lived at most
``max_order_life_seconds``. When such a cancel comes within ``cancel_after_fill_seconds`` after a
fill of the same holder on the other side, and the order was entered at most
``entered_before_fill_seconds`` before that fill (the layers appear just ahead of it), it looks
back ``lookback_seconds``: if the large volume cancelled on this side is at least
``volume_multiple`` times the volume filled on the other side, it alerts. Further cancels of the
same episode (within the look-back of the alert) extend the alert instead of raising another.

Score: ``ratio / (ratio + volume_multiple)`` with ``ratio`` = cancelled / filled volume (0.5 at the
threshold, towards 1 as the cancelled volume dwarfs the fill).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from greenmarket.surveillance.events import Cancel, Trade
from greenmarket.surveillance.model import Alert, LiveOrder, ratio_score
from greenmarket.surveillance.rules.base import Context, Rule


@dataclass(frozen=True)
class SpoofingConfig:
    lookback_seconds: float = 300.0
    cancel_after_fill_seconds: float = 60.0
    entered_before_fill_seconds: float = 120.0
    max_order_life_seconds: float = 300.0
    large_order_multiple: float = 3.0
    volume_multiple: float = 3.0


class _Book:
    """One holder's recent fills and large cancels in one contract."""

    __slots__ = ("alert", "cancels", "fills")

    def __init__(self) -> None:
        self.fills: deque[tuple[float, str, int, str, tuple[str, ...], str]] = deque()
        self.cancels: deque[tuple[float, str, int, str, tuple[str, ...]]] = deque()
        self.alert: Alert | None = None


class SpoofingRule(Rule):
    name = "spoofing"
    Config = SpoofingConfig

    def __init__(self, context: Context, config: SpoofingConfig | None = None) -> None:
        super().__init__(context)
        self.config = config or SpoofingConfig()
        self._books: dict[tuple[str, str], _Book] = {}

    def on_trade(self, trade: Trade, buy: LiveOrder, sell: LiveOrder) -> None:
        for order in (buy, sell):
            book = self._book(order)
            book.fills.append((trade.ts, order.order.side, trade.quantity, trade.trade_id,
                               order.involved(), order.order_id))
            self._trim(book.fills, trade.ts)

    def on_cancel(self, order: LiveOrder, event: Cancel) -> None:
        config = self.config
        size = order.open_quantity
        if size < config.large_order_multiple * self.context.mean_order_size(order.order.contract):
            return
        if event.ts - order.ts > config.max_order_life_seconds:
            return
        book = self._books.get((order.holder, order.order.contract))
        if book is None:
            return
        side = order.order.side
        book.cancels.append((event.ts, side, size, order.order_id, order.involved()))
        self._trim(book.cancels, event.ts)
        opposite = [fill for fill in book.fills if fill[1] != side]
        trigger = [fill for fill in opposite
                   if order.ts <= fill[0] <= order.ts + config.entered_before_fill_seconds
                   and event.ts - fill[0] <= config.cancel_after_fill_seconds]
        if not trigger:
            return
        since = event.ts - config.lookback_seconds
        filled = sum(fill[2] for fill in opposite if fill[0] >= since)
        cancels = [cancel for cancel in book.cancels if cancel[1] == side and cancel[0] >= since]
        cancelled = sum(cancel[2] for cancel in cancels)
        ratio = cancelled / filled
        if ratio < config.volume_multiple:
            return
        evidence = [c[3] for c in cancels] + [f[3] for f in opposite if f[0] >= since] \
            + [f[5] for f in opposite if f[0] >= since]
        involved = [p for c in cancels for p in c[4]] + [p for f in opposite for p in f[4]]
        score = ratio_score(ratio, config.volume_multiple)
        alert = book.alert
        if alert is not None and alert.time.timestamp() >= since:
            alert.evidence.extend(evidence)
            alert.participants.extend(involved)
            alert.time = event.time
            alert.score = max(alert.score, score)
            return
        book.alert = Alert(self.name, event.time, order.order.contract, involved, evidence, score)
        self.context.emit(book.alert)

    def on_day_end(self) -> None:
        self._books.clear()

    def _book(self, order: LiveOrder) -> _Book:
        key = (order.holder, order.order.contract)
        book = self._books.get(key)
        if book is None:
            book = self._books[key] = _Book()
        return book

    def _trim(self, entries: deque, now: float) -> None:  # type: ignore[type-arg]
        horizon = now - self.config.lookback_seconds - self.config.max_order_life_seconds
        while entries and entries[0][0] < horizon:
            entries.popleft()
