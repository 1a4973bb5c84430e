"""Front-running by intermediaries (IOSCO GP 17, conflicts of interest): an intermediary's own
(principal) order on the same side of the same contract shortly before a large client (agent)
order that it handles, the own order filled, and the position then turned at a profit.

When an intermediary enters an agent order of at least ``large_order_multiple`` times the
contract's mean order size, the rule takes the intermediary's principal orders in the same
contract, side and session entered at most ``window_seconds`` earlier, and at most
``max_orders_between`` orders of the contract earlier (in a busy market seconds hold many orders,
so the window narrows with the activity), that took liquidity (filled
within ``take_seconds`` of entry, before the client order arrived): the intermediary raced ahead. Within
``profit_within_seconds`` after the client order it watches the intermediary's principal fills:
fills of those orders (the *front* fills) and fills of its principal orders on the other side
entered after them at a better price than the front fills' average (the *unwind*: selling higher
after buying, buying back lower after selling). Front fills, profitable unwinds of at least
``min_unwound`` of their quantity and a fill of the client order (the execution the intermediary
profited from) together alert, all within ``profit_within_seconds`` and ``max_orders_to_profit``
orders of the contract after the client order; one alert per client
order, with the evidence that completed the pattern.

Score: ``0.5 × (1 - gap / window_seconds) + 0.5 × client / (client + own quantity)``, with
``gap`` between the first own order and the client order: the closer in time and the larger the
client order against the intermediary's own, the higher.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from greenmarket.surveillance.events import Trade
from greenmarket.surveillance.model import Alert, LiveOrder
from greenmarket.surveillance.rules.base import Context, Rule


@dataclass(frozen=True)
class FrontRunningConfig:
    window_seconds: float = 30.0
    max_orders_between: int = 10
    take_seconds: float = 1.0
    large_order_multiple: float = 2.0
    profit_within_seconds: float = 300.0
    max_orders_to_profit: int = 100
    min_unwound: float = 0.5


class _Suspect:
    """A client order with the intermediary's own orders entered just before it."""

    __slots__ = ("alert", "client", "deadline", "front", "last_order", "principals", "unwind")

    def __init__(self, client: LiveOrder, principals: list[LiveOrder], deadline: float,
                 last_order: int) -> None:
        self.client = client
        self.principals = principals
        self.front: list[tuple[Trade, LiveOrder]] = []
        self.unwind: list[tuple[Trade, LiveOrder]] = []
        self.alert: Alert | None = None
        self.deadline = deadline
        self.last_order = last_order


class FrontRunningRule(Rule):
    name = "front_running"
    Config = FrontRunningConfig

    def __init__(self, context: Context, config: FrontRunningConfig | None = None) -> None:
        super().__init__(context)
        self.config = config or FrontRunningConfig()
        self._own: dict[tuple[str, str, str, str], deque[tuple[LiveOrder, int]]] = {}
        self._fills: dict[str, list[Trade]] = {}  # principal order id -> its fills so far
        self._suspects: dict[tuple[str, str], list[_Suspect]] = {}  # (intermediary, contract)
        self._clients: dict[str, _Suspect] = {}  # client order id -> its suspect

    def on_order(self, order: LiveOrder) -> None:
        o = order.order
        key = (o.participant, o.contract, o.side, o.session)
        if o.capacity == "principal":
            if self.context.parties.kind.get(o.participant) == "intermediary":
                own = self._own.setdefault(key, deque())
                own.append((order, self.context.orders_seen(o.contract)))
                while own and own[0][0].ts < order.ts - self.config.window_seconds:
                    own.popleft()
            return
        own = self._own.get(key)
        if not own or o.quantity < self.config.large_order_multiple * self.context.mean_order_size(o.contract):
            return
        now = self.context.orders_seen(o.contract)
        principals = [p for p, seen in own if order.ts - p.ts <= self.config.window_seconds
                      and now - seen <= self.config.max_orders_between
                      and any(t.ts - p.ts <= self.config.take_seconds for t in self._fills.get(p.order_id, ()))]
        if not principals:
            return
        suspect = _Suspect(order, principals, order.ts + self.config.profit_within_seconds,
                           now + self.config.max_orders_to_profit)
        for principal in principals:
            suspect.front.extend((trade, principal) for trade in self._fills.get(principal.order_id, ()))
        self._suspects.setdefault((o.participant, o.contract), []).append(suspect)
        self._clients[order.order_id] = suspect

    def on_trade(self, trade: Trade, buy: LiveOrder, sell: LiveOrder) -> None:
        for order in (buy, sell):
            o = order.order
            suspect = self._clients.get(order.order_id)
            if suspect is not None and suspect.alert is None and self._complete(suspect):
                self._raise(suspect)
            if o.capacity != "principal" or self.context.parties.kind.get(o.participant) != "intermediary":
                continue
            self._fills.setdefault(order.order_id, []).append(trade)
            suspects = self._suspects.get((o.participant, o.contract))
            if suspects:
                self._follow(suspects, trade, order)

    def _follow(self, suspects: list[_Suspect], trade: Trade, order: LiveOrder) -> None:
        seen = self.context.orders_seen(trade.contract)
        suspects[:] = [s for s in suspects
                       if s.deadline >= trade.ts and s.last_order >= seen and s.alert is None]
        for suspect in suspects:
            side = suspect.client.order.side
            if any(order is p for p in suspect.principals):
                suspect.front.append((trade, order))
            elif order.order.side != side and suspect.front and order.ts >= suspect.principals[0].ts:
                quantity = sum(t.quantity for t, _ in suspect.front)
                average = sum(t.price * t.quantity for t, _ in suspect.front) / quantity
                if (trade.price > average) if side == "buy" else (trade.price < average):
                    suspect.unwind.append((trade, order))
            if self._complete(suspect):
                self._raise(suspect)

    def _complete(self, suspect: _Suspect) -> bool:
        """Front fills, an unwind of at least ``min_unwound`` of them, and the client's fill."""
        front = sum(t.quantity for t, _ in suspect.front)
        unwound = sum(t.quantity for t, _ in suspect.unwind)
        return bool(front and suspect.client.filled and unwound >= self.config.min_unwound * front)

    def on_day_end(self) -> None:
        self._own.clear()
        self._fills.clear()
        self._suspects.clear()
        self._clients.clear()

    def _raise(self, suspect: _Suspect) -> None:
        client = suspect.client
        fills = suspect.front + suspect.unwind
        evidence = [p.order_id for p in suspect.principals] + [client.order_id] \
            + [o.order_id for _, o in suspect.unwind] + [t.trade_id for t, _ in fills]
        last = max([client.order.time, *(t.time for t, _ in fills)])
        gap = client.ts - min(p.ts for p in suspect.principals)
        own = sum(p.quantity for p in suspect.principals)
        score = 0.5 * (1 - gap / self.config.window_seconds) + 0.5 * client.quantity / (client.quantity + own)
        suspect.alert = Alert(self.name, last, client.order.contract, list(client.involved()), evidence, score)
        self.context.emit(suspect.alert)
