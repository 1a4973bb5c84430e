"""The token ledger the bridge mints on and burns from: an interface and an in-process ledger.

A token stands for one credit of one *token class* — (program, project, vintage) — locked in the
registry's bridge account. :class:`TokenLedger` is what the bridge needs from any ledger (a chain
adapter can implement it later); :class:`InProcessTokenLedger` keeps it in memory with the
invariants a ledger must hold, stated once here:

- quantities are exact positive integers; no balance ever goes below zero;
- ``total_supply(c) == Σ balance(a, c)`` over all addresses, for every class ``c``;
- every operation carries a caller's ``reference`` and is applied at most once: repeating it returns
  the first result, reusing it for a different operation is refused (``token_reference_reused``).

Each applied operation yields a :class:`TokenEvent`, returned and first passed to the ``on_event``
callback (to journal it: if the callback raises, the operation is not applied);
:meth:`InProcessTokenLedger.replay` rebuilds a ledger from its events.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from greenmarket.errors import Conflict, ValidationError

TokenOperation = Literal["mint", "burn", "transfer"]


class InsufficientTokens(Conflict):
    """An address does not hold enough tokens of the class."""

    code = "insufficient_tokens"


@dataclass(frozen=True, order=True, slots=True)
class TokenClass:
    """One fungible kind of token: credits of one program, project and vintage."""

    program: str
    project: str
    vintage: int

    def __post_init__(self) -> None:
        if not self.program or not self.project:
            raise ValidationError(
                "a token class names its program and project", field="token_class"
            )
        if isinstance(self.vintage, bool) or not isinstance(self.vintage, int):
            raise ValidationError("vintage must be a year", field="vintage")

    def __str__(self) -> str:
        return f"{self.program}/{self.project}/{self.vintage}"


@dataclass(frozen=True, slots=True)
class TokenEvent:
    """One applied operation, named by its caller's reference."""

    operation: TokenOperation
    reference: str
    token_class: TokenClass
    quantity: int
    source: str | None  # the address debited (burn, transfer)
    target: str | None  # the address credited (mint, transfer)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "token_class": asdict(self.token_class)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenEvent:
        return cls(**{**data, "token_class": TokenClass(**data["token_class"])})

    def request(self) -> tuple[Any, ...]:
        """What the caller asked for: compared when a reference is repeated."""
        return (self.operation, self.token_class, self.quantity, self.source, self.target)


class TokenLedger(Protocol):
    """What the bridge needs from a token ledger (in-process here; a chain adapter later)."""

    def mint(
        self, address: str, token_class: TokenClass, quantity: int, reference: str
    ) -> TokenEvent:
        """Create ``quantity`` tokens at ``address``."""
        ...

    def burn(
        self, address: str, token_class: TokenClass, quantity: int, reference: str
    ) -> TokenEvent:
        """Destroy ``quantity`` tokens held at ``address``."""
        ...

    def transfer(
        self, source: str, target: str, token_class: TokenClass, quantity: int, reference: str
    ) -> TokenEvent:
        """Move ``quantity`` tokens between holders."""
        ...

    def balance(self, address: str, token_class: TokenClass) -> int: ...

    def total_supply(self, token_class: TokenClass) -> int: ...


def _check_quantity(quantity: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError(
            "quantity must be a positive whole number of tokens", field="quantity"
        )


def _check_address(address: str, name: str) -> None:
    if not isinstance(address, str) or not address.strip():
        raise ValidationError("a token address must be a non-empty string", field=name)


class InProcessTokenLedger:
    """A token ledger in memory: exact integers, no negative balance, idempotent by reference."""

    def __init__(self, on_event: Callable[[TokenEvent], None] | None = None) -> None:
        self._balances: defaultdict[tuple[str, TokenClass], int] = defaultdict(int)
        self._supply: defaultdict[TokenClass, int] = defaultdict(int)
        self._by_reference: dict[str, TokenEvent] = {}
        self._events: list[TokenEvent] = []
        self._on_event = on_event
        self._lock = threading.Lock()

    @classmethod
    def replay(cls, events: Iterable[TokenEvent]) -> InProcessTokenLedger:
        """Rebuild a ledger from its events in order, checking every invariant on the way."""
        ledger = cls()
        for event in events:
            ledger._submit(
                event.operation,
                event.reference,
                event.token_class,
                event.quantity,
                event.source,
                event.target,
            )
        return ledger

    def mint(
        self, address: str, token_class: TokenClass, quantity: int, reference: str
    ) -> TokenEvent:
        _check_address(address, "address")
        return self._submit("mint", reference, token_class, quantity, None, address)

    def burn(
        self, address: str, token_class: TokenClass, quantity: int, reference: str
    ) -> TokenEvent:
        _check_address(address, "address")
        return self._submit("burn", reference, token_class, quantity, address, None)

    def transfer(
        self, source: str, target: str, token_class: TokenClass, quantity: int, reference: str
    ) -> TokenEvent:
        """Move tokens between holders (as a chain's transfer would)."""
        _check_address(source, "source")
        _check_address(target, "target")
        return self._submit("transfer", reference, token_class, quantity, source, target)

    def balance(self, address: str, token_class: TokenClass) -> int:
        return self._balances.get((address, token_class), 0)

    def total_supply(self, token_class: TokenClass) -> int:
        return self._supply.get(token_class, 0)

    def events(self) -> list[TokenEvent]:
        return list(self._events)

    def holdings(self) -> dict[tuple[str, TokenClass], int]:
        """Every non-zero balance."""
        return {key: amount for key, amount in self._balances.items() if amount}

    def _submit(
        self,
        operation: TokenOperation,
        reference: str,
        token_class: TokenClass,
        quantity: int,
        source: str | None,
        target: str | None,
    ) -> TokenEvent:
        if not isinstance(reference, str) or not reference:
            raise ValidationError("every token operation needs a reference", field="reference")
        if not isinstance(token_class, TokenClass):
            raise ValidationError("token_class must be a TokenClass", field="token_class")
        _check_quantity(quantity)
        with self._lock:
            event = TokenEvent(operation, reference, token_class, quantity, source, target)
            first = self._by_reference.get(reference)
            if first is not None:
                if first.request() != event.request():
                    raise Conflict(
                        f"reference {reference!r} was already used for another operation",
                        code="token_reference_reused",
                        field="reference",
                    )
                return first
            self._check_funded(event)
            if self._on_event is not None:
                self._on_event(event)  # journal first: if that fails, nothing has changed
            self._apply(event)
        return event

    def _check_funded(self, event: TokenEvent) -> None:
        if event.source is None:
            return
        held = self.balance(event.source, event.token_class)
        if held < event.quantity:
            raise InsufficientTokens(
                f"{event.source} holds {held} tokens of {event.token_class}, not {event.quantity}",
                field="quantity",
            )

    def _apply(self, event: TokenEvent) -> None:
        cls, quantity = event.token_class, event.quantity
        if event.source is not None:
            self._balances[(event.source, cls)] -= quantity
        if event.target is not None:
            self._balances[(event.target, cls)] += quantity
        if event.operation == "mint":
            self._supply[cls] += quantity
        elif event.operation == "burn":
            self._supply[cls] -= quantity
        self._by_reference[event.reference] = event
        self._events.append(event)
