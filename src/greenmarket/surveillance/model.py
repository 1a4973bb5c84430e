"""What the rules share: who is who (:class:`Parties`), live orders, and the :class:`Alert`.

Ownership. An order is *held* by its participant when entered as principal and by its client when
entered as agent; the *beneficial owner* that counts is the holder's. Two holders are *related*
when they have the same beneficial owner or are directly linked: links are symmetric and not
transitive (A–B and B–C do not relate A and C).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from greenmarket.surveillance.events import Link, Order, Participant

RULES = (
    "wash_trade", "spoofing", "marking_the_close", "abnormal_price", "circular_trading",
    "front_running", "concentration",
)


class Parties:
    """Participants, their beneficial owners and the links between them."""

    def __init__(self, participants: Iterable[Participant] = (), links: Iterable[Link] = ()) -> None:
        self.owner: dict[str, str] = {}
        self.kind: dict[str, str] = {}
        self._links: set[tuple[str, str]] = set()
        for participant in participants:
            self.add(participant)
        for link in links:
            self.link(link)

    def add(self, participant: Participant) -> None:
        self.owner[participant.id] = participant.beneficial_owner
        self.kind[participant.id] = participant.kind

    def link(self, link: Link) -> None:
        self._links.add((link.a, link.b))
        self._links.add((link.b, link.a))

    def related(self, a: str, b: str) -> bool:
        """Same beneficial owner, or a direct link (not a chain of links)."""
        return self.owner.get(a, a) == self.owner.get(b, b) or (a, b) in self._links


class LiveOrder:
    """An order as it stands: current price and total quantity, quantity filled so far."""

    __slots__ = ("filled", "holder", "order", "owner", "price", "quantity", "ts")

    def __init__(self, order: Order, holder: str, owner: str) -> None:
        self.order = order
        self.holder = holder
        self.owner = owner
        self.price = order.price
        self.quantity = order.quantity
        self.filled = 0
        self.ts = order.ts

    @property
    def order_id(self) -> str:
        return self.order.order_id

    @property
    def open_quantity(self) -> int:
        return max(self.quantity - self.filled, 0)

    def involved(self) -> tuple[str, ...]:
        """The participant who entered it and, for an agent order, the client."""
        order = self.order
        return (order.participant, order.client) if order.client else (order.participant,)


@dataclass(slots=True)
class Alert:
    """A suspicion: which rule, when (the last evidence event), where, who, on what evidence."""

    rule: str
    time: datetime
    contract: str | None
    participants: list[str]
    evidence: list[str]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "time": self.time.isoformat(), "contract": self.contract,
            "participants": sorted(set(self.participants)), "evidence": list(dict.fromkeys(self.evidence)),
            "score": round(min(max(self.score, 0.0), 1.0), 4),
        }


def ratio_score(value: float, threshold: float) -> float:
    """``value / (value + threshold)``: 0.5 at the threshold, rising towards 1 far beyond it."""
    if value <= 0:
        return 0.0
    return value / (value + threshold)
