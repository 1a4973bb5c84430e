"""Circular trading: credits that travel round a cycle of related holders back to where they began.

Every trade (seller's holder → buyer's holder, per contract) and every transfer (from → to, per
project and vintage) between *related* holders (same beneficial owner or directly linked) is an
edge of a graph kept for ``window_seconds``. When a new edge ``u → v`` arrives, a depth-first search
looks for a path ``v → … → u`` of at most ``max_length - 1`` earlier edges taken in time order: with
the new edge it closes a cycle that returns the credits to ``v``. Only cycles whose smallest hop
carries at least ``min_return_fraction`` of the largest count (the credits really come back).
Edges between unrelated holders never enter the graph: a chain of independent buyers and sellers
that happens to close is ordinary trading.

Score: the smallest hop's quantity over the largest's (1 when the same quantity goes all the way
round).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from greenmarket.surveillance.events import Trade, Transfer
from greenmarket.surveillance.model import Alert, LiveOrder
from greenmarket.surveillance.rules.base import Context, Rule


@dataclass(frozen=True)
class CircularTradingConfig:
    window_seconds: float = 86_400.0
    max_length: int = 6
    min_return_fraction: float = 0.5


@dataclass(frozen=True, slots=True)
class _Edge:
    ts: float
    time: datetime
    source: str
    target: str
    quantity: int
    evidence: tuple[str, ...]
    involved: tuple[str, ...]


class CircularTradingRule(Rule):
    name = "circular_trading"
    Config = CircularTradingConfig

    def __init__(self, context: Context, config: CircularTradingConfig | None = None) -> None:
        super().__init__(context)
        self.config = config or CircularTradingConfig()
        self._graphs: dict[tuple[str, ...], deque[_Edge]] = {}

    def on_trade(self, trade: Trade, buy: LiveOrder, sell: LiveOrder) -> None:
        if sell.holder == buy.holder or not self.context.parties.related(sell.holder, buy.holder):
            return
        edge = _Edge(trade.ts, trade.time, sell.holder, buy.holder, trade.quantity,
                     (trade.trade_id, sell.order_id, buy.order_id), (*sell.involved(), *buy.involved()))
        self._add(("contract", trade.contract), edge, trade.contract)

    def on_transfer(self, event: Transfer) -> None:
        source, target = event.from_participant, event.to_participant
        if not self.context.parties.related(source, target):
            return
        edge = _Edge(event.ts, event.time, source, target, event.quantity, (event.transfer_id,),
                     (source, target))
        self._add(("transfer", event.project, event.vintage), edge, None)

    def _add(self, key: tuple[str, ...], edge: _Edge, contract: str | None) -> None:
        edges = self._graphs.setdefault(key, deque())
        while edges and edges[0].ts < edge.ts - self.config.window_seconds:
            edges.popleft()
        cycle = self._cycle(edges, edge)
        edges.append(edge)
        if cycle is None:
            return
        quantities = [e.quantity for e in cycle]
        self.context.emit(Alert(
            self.name, edge.time, contract, [p for e in cycle for p in e.involved],
            [i for e in cycle for i in e.evidence], min(quantities) / max(quantities),
        ))

    def _cycle(self, edges: deque[_Edge], closing: _Edge) -> list[_Edge] | None:
        """Earlier edges ``v → … → u`` in time order that the closing edge ``u → v`` completes."""
        outgoing: dict[str, list[_Edge]] = {}
        for edge in edges:
            outgoing.setdefault(edge.source, []).append(edge)
        start, goal = closing.target, closing.source
        floor = self.config.min_return_fraction
        path: list[_Edge] = []

        def search(node: str, after: float, visited: set[str], low: int, high: int) -> bool:
            for edge in outgoing.get(node, ()):
                if edge.ts < after or edge.target in visited and edge.target != goal:
                    continue
                lo, hi = min(low, edge.quantity), max(high, edge.quantity)
                if lo < floor * hi:
                    continue
                path.append(edge)
                if edge.target == goal:
                    return True
                if len(path) < self.config.max_length - 1 and search(
                        edge.target, edge.ts, visited | {edge.target}, lo, hi):
                    return True
                path.pop()
            return False

        q = closing.quantity
        return [*path, closing] if search(start, float("-inf"), {start}, q, q) else None
