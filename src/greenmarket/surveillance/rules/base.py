"""The rule protocol and the context the engine gives every rule.

A rule is a class with a ``config`` dataclass of thresholds. The engine calls the ``on_*`` hooks a
rule defines (and only those) in event order; a rule raises an alert with :meth:`Context.emit` and
may keep the :class:`~greenmarket.surveillance.model.Alert` to extend its evidence later (one alert
per episode rather than one per event).
"""

from __future__ import annotations

from collections.abc import Callable

from greenmarket.surveillance.events import Amend, Auction, Cancel, Trade, Transfer
from greenmarket.surveillance.model import Alert, LiveOrder, Parties


class Context:
    """What every rule may read: the parties, contract statistics, and the alert sink."""

    def __init__(self, parties: Parties, emit: Callable[[Alert], None]) -> None:
        self.parties = parties
        self.emit = emit
        self._sizes: dict[str, list[int]] = {}

    def record_order_size(self, contract: str, quantity: int) -> None:
        stats = self._sizes.get(contract)
        if stats is None:
            self._sizes[contract] = [1, quantity]
        else:
            stats[0] += 1
            stats[1] += quantity

    def orders_seen(self, contract: str) -> int:
        """How many orders ``contract`` has had so far: a clock that runs with the activity."""
        stats = self._sizes.get(contract)
        return stats[0] if stats else 0

    def mean_order_size(self, contract: str) -> float:
        """The mean quantity of the orders seen so far in ``contract`` (0 before the first)."""
        stats = self._sizes.get(contract)
        return stats[1] / stats[0] if stats else 0.0


class Rule:
    """Base class: hooks do nothing unless a rule overrides them."""

    name = ""

    def __init__(self, context: Context) -> None:
        self.context = context

    def on_order(self, order: LiveOrder) -> None: ...

    def on_cancel(self, order: LiveOrder, event: Cancel) -> None: ...

    def on_amend(self, order: LiveOrder, event: Amend, old_price: int, old_quantity: int) -> None: ...

    def on_trade(self, trade: Trade, buy: LiveOrder, sell: LiveOrder) -> None: ...

    def on_auction(self, event: Auction) -> None: ...

    def on_transfer(self, event: Transfer) -> None: ...

    def on_day_end(self) -> None: ...
