"""Shared builders for surveillance tests: a small cast, event lines, and a scan of them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from greenmarket.surveillance.engine import Engine
from greenmarket.surveillance.events import EventReader

JST = timezone(timedelta(hours=9))
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=JST)

CAST = [
    {"type": "participant", "id": "A", "beneficial_owner": "A", "kind": "member"},
    {"type": "participant", "id": "B", "beneficial_owner": "B", "kind": "member"},
    {"type": "participant", "id": "C", "beneficial_owner": "C", "kind": "member"},
    {"type": "participant", "id": "D", "beneficial_owner": "D", "kind": "member"},
    {"type": "participant", "id": "A2", "beneficial_owner": "A", "kind": "member"},
    {"type": "participant", "id": "BRK", "beneficial_owner": "BRK", "kind": "intermediary"},
    {"type": "participant", "id": "K1", "beneficial_owner": "A", "kind": "client"},
    {"type": "participant", "id": "K2", "beneficial_owner": "K2", "kind": "client"},
    {"type": "link", "a": "B", "b": "C", "relation": "same group"},
    {"type": "link", "a": "C", "b": "D", "relation": "common director"},
]


class Tape:
    """Event lines in time order, with ids handed out as they are written."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = list(CAST)
        self.n = 0

    def _time(self, seconds: float) -> str:
        return (DAY + timedelta(seconds=seconds)).isoformat()

    def order(self, t: float, who: str, side: str, price: int, quantity: int, *, contract: str = "K",
              session: str = "continuous", client: str | None = None) -> str:
        self.n += 1
        order_id = f"o{self.n}"
        self.lines.append({"type": "order", "time": self._time(t), "order_id": order_id, "participant": who,
                           "contract": contract, "side": side, "price": price, "quantity": quantity,
                           "session": session, "capacity": "agent" if client else "principal",
                           "client": client})
        return order_id

    def trade(self, t: float, buy: str, sell: str, price: int, quantity: int, contract: str = "K") -> str:
        self.n += 1
        trade_id = f"t{self.n}"
        self.lines.append({"type": "trade", "time": self._time(t), "trade_id": trade_id, "contract": contract,
                           "price": price, "quantity": quantity, "buy_order_id": buy, "sell_order_id": sell})
        return trade_id

    def cross(self, t: float, buyer: str, seller: str, price: int, quantity: int, **kw: Any) -> tuple[str, str, str]:
        sell = self.order(t, seller, "sell", price, quantity, **kw)
        buy = self.order(t + 1, buyer, "buy", price, quantity, **kw)
        return buy, sell, self.trade(t + 1, buy, sell, price, quantity, kw.get("contract", "K"))

    def cancel(self, t: float, order_id: str) -> None:
        self.lines.append({"type": "cancel", "time": self._time(t), "order_id": order_id})

    def amend(self, t: float, order_id: str, price: int, quantity: int) -> None:
        self.lines.append({"type": "amend", "time": self._time(t), "order_id": order_id, "price": price,
                           "quantity": quantity})

    def auction(self, t: float, event: str, price: int = 0, volume: int = 0, contract: str = "K") -> None:
        self.lines.append({"type": "auction", "time": self._time(t), "contract": contract, "event": event,
                           "price": price, "volume": volume})

    def transfer(self, t: float, source: str, target: str, quantity: int, project: str = "P1") -> str:
        self.n += 1
        transfer_id = f"x{self.n}"
        self.lines.append({"type": "transfer", "time": self._time(t), "transfer_id": transfer_id,
                           "from_participant": source, "to_participant": target, "quantity": quantity,
                           "project": project, "vintage": "2024"})
        return transfer_id

    def text(self) -> str:
        return "".join(json.dumps(line) + "\n" for line in self.lines)

    def scan(self, rule: str | None = None) -> list[dict[str, Any]]:
        records = EventReader("tape.jsonl").read(self.text().splitlines())
        alerts = [a.to_dict() for a in Engine().run(records)]
        return [a for a in alerts if rule is None or a["rule"] == rule]


def background(tape: Tape, start: float = 0, count: int = 30, price: int = 1000) -> None:
    """Ordinary trades between unrelated members A and D at a steady price (history for the rules)."""
    for i in range(count):
        tape.cross(start + 10 * i, "A" if i % 2 else "D", "D" if i % 2 else "A", price + (i % 3) - 1, 100)
