"""Order vocabulary shared by every matching mechanism: sides, order types, time in force, events.

Prices inside the engine are integer ticks and quantities integer credits (multiples of the
contract's lot); :mod:`greenmarket.exchange.contracts` converts to ``Decimal`` money at the edge.

Every command on a book returns the list of events it caused, in order, so that the service layer
can journal them and reserve, release or consume credits and cash exactly: an order's reservation is
taken on :class:`OrderAccepted`, consumed by :class:`Trade`, released by :class:`OrderCancelled`
and :class:`OrderExpired`, and resized by :class:`OrderAmended`. A command the market refuses
raises a :class:`~greenmarket.errors.DomainError` and changes nothing; :class:`OrderRejected` is
the one refusal that is an outcome of matching (a fill-or-kill order that cannot fill completely).

Events are plain ``__slots__`` objects, built once and never mutated: they are on the hot path.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from greenmarket.errors import ValidationError


class Side(StrEnum):
    """Which way an order trades."""

    BUY = "buy"
    SELL = "sell"


def parse_side(side: Side | str) -> Side:
    """Accept ``"buy"``/``"sell"`` as well as :class:`Side`; anything else is a validation error."""
    try:
        return Side(side)
    except ValueError:
        raise ValidationError(f"side must be buy or sell, not {side!r}", field="side") from None


class OrderType(StrEnum):
    """Limit orders carry a price; market orders take any price inside the daily price band."""

    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(StrEnum):
    """How long an order may rest: the session (DAY), not at all (IOC), all-or-nothing now (FOK)."""

    DAY = "day"
    IOC = "ioc"
    FOK = "fok"


class CancelReason(StrEnum):
    """Why quantity left the book without trading."""

    REQUESTED = "requested"
    SELF_MATCH = "self_match"
    IMMEDIATE_OR_CANCEL = "ioc_remainder"
    MARKET_REMAINDER = "market_remainder"


class _Event:
    """Common behaviour of events: a plain dict for journals and APIs, equality by value."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": type(self).__name__}
        for name in self.__slots__:
            value = getattr(self, name)
            body[name] = value.isoformat() if isinstance(value, datetime) else value
        return body

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__
        )

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in self.__slots__))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class OrderAccepted(_Event):
    """An order entered the book (``price`` is ``None`` for a market order)."""

    __slots__ = (
        "order_id", "participant", "owner", "side", "order_type", "price", "quantity",
        "time_in_force", "client_order_id", "time",
    )

    def __init__(
        self, order_id: int, participant: str, owner: str, side: Side, order_type: OrderType,
        price: int | None, quantity: int, time_in_force: TimeInForce,
        client_order_id: str | None, time: datetime,
    ) -> None:
        self.order_id = order_id
        self.participant = participant
        self.owner = owner
        self.side = side
        self.order_type = order_type
        self.price = price
        self.quantity = quantity
        self.time_in_force = time_in_force
        self.client_order_id = client_order_id
        self.time = time


class Trade(_Event):
    """Two orders traded ``quantity`` at ``price`` (ticks); ``aggressor`` is the incoming side."""

    __slots__ = (
        "trade_id", "price", "quantity", "buy_order_id", "sell_order_id", "buyer", "seller",
        "aggressor", "time",
    )

    def __init__(
        self, trade_id: int, price: int, quantity: int, buy_order_id: int, sell_order_id: int,
        buyer: str, seller: str, aggressor: Side | None, time: datetime,
    ) -> None:
        self.trade_id = trade_id
        self.price = price
        self.quantity = quantity
        self.buy_order_id = buy_order_id
        self.sell_order_id = sell_order_id
        self.buyer = buyer
        self.seller = seller
        self.aggressor = aggressor
        self.time = time


class OrderCancelled(_Event):
    """``quantity`` of an order left the book untraded, for ``reason``."""

    __slots__ = ("order_id", "quantity", "reason", "time")

    def __init__(self, order_id: int, quantity: int, reason: CancelReason, time: datetime) -> None:
        self.order_id = order_id
        self.quantity = quantity
        self.reason = reason
        self.time = time


class OrderExpired(_Event):
    """The session ended with ``quantity`` of the order still resting."""

    __slots__ = ("order_id", "quantity", "time")

    def __init__(self, order_id: int, quantity: int, time: datetime) -> None:
        self.order_id = order_id
        self.quantity = quantity
        self.time = time


class OrderAmended(_Event):
    """An order's price or total quantity changed; ``remaining`` is what now rests."""

    __slots__ = ("order_id", "price", "quantity", "remaining", "kept_priority", "time")

    def __init__(
        self, order_id: int, price: int | None, quantity: int, remaining: int,
        kept_priority: bool, time: datetime,
    ) -> None:
        self.order_id = order_id
        self.price = price
        self.quantity = quantity
        self.remaining = remaining
        self.kept_priority = kept_priority
        self.time = time


class OrderRejected(_Event):
    """A valid order that matching could not accept (a fill-or-kill that cannot fill completely)."""

    __slots__ = ("order_id", "participant", "client_order_id", "code", "time")

    def __init__(
        self, order_id: int, participant: str, client_order_id: str | None, code: str,
        time: datetime,
    ) -> None:
        self.order_id = order_id
        self.participant = participant
        self.client_order_id = client_order_id
        self.code = code
        self.time = time


Event = OrderAccepted | Trade | OrderCancelled | OrderExpired | OrderAmended | OrderRejected


class BlockTrade(Trade):
    """A trade agreed off the book and confirmed by both sides; flagged as a block on the tape.

    ``buy_order_id`` and ``sell_order_id`` both carry the block report's id.
    """

    __slots__ = ()
