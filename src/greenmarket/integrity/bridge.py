"""The 1:1 token bridge between the registry and a token ledger.

トークン化：ロックして発行、焼却して解除。

Credits become tokens only by being locked (the way J-Credits are tokenized one to one, seed 001):

- **lock → mint**: free credits of one token class (program, project, vintage) move from the
  holder's registry account to the bridge account in the ``locked`` state, and as many tokens are
  minted to the holder's token address;
- **burn → unlock**: tokens burned at an address release as many locked credits of their class to
  a registry account;
- **retire through the bridge**: tokens are burned and as many locked credits are retired, with
  beneficiary, purpose and claim, in the bridge operator's retirement account.

Invariants (tested by a state machine over the real registry):

- tokens outstanding = credits locked, per token class: every operation changes both by the same
  quantity in one unit of work;
- retired or cancelled credits are never bridged: the registry locks only ``active`` blocks of the
  holder, and final blocks never move again (core and database trigger);
- a serial range, or any part of one, is bridged only once at a time: locked blocks are not
  ``active``, and a program's serial blocks never overlap.

Each operation is one registry unit of work (``RegistryService.execute``: retried on races,
idempotent by key). The token operation is its last step, and its event is journaled in the same
transaction (area ``integrity``, types ``tokens_minted`` / ``tokens_burned`` /
``tokens_transferred``; transfers between token addresses go through :meth:`Bridge.transfer`), so
the journal alone rebuilds the in-process token ledger (:func:`rebuild_ledger`). Should the
transaction not commit after the token operation, the operation is reversed on the ledger. Token
references are unique per attempt (``bridge:<operation>:<uuid>``), so a retried attempt is never
taken for its rolled-back predecessor; idempotency across client retries comes from the registry's
idempotency key.

The in-process ledger makes this reversal exact. A chain adapter would rather mint after the lock
commits and burn before the unlock, with a reconciliation of pending operations: not built yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from greenmarket.integrity.tokens import InProcessTokenLedger, TokenClass, TokenEvent, TokenLedger
from greenmarket.journal import store as journal_store
from greenmarket.registry import ledger as registry
from greenmarket.registry import queries
from greenmarket.registry.ledger import Context, CreditSpec, Selection
from greenmarket.registry.model import BlockStatus
from greenmarket.registry.service import IdempotencyKey, RegistryService

AREA = "integrity"
#: The journal entry type of each token operation.
JOURNAL_TYPES = {"mint": "tokens_minted", "burn": "tokens_burned", "transfer": "tokens_transferred"}


@dataclass(frozen=True, slots=True)
class Reserve:
    """Tokens outstanding of one class against the credits locked for it (proof of reserve)."""

    token_class: TokenClass
    tokens_outstanding: int
    credits_locked: int

    @property
    def backed(self) -> bool:
        """True when the class is backed exactly 1:1."""
        return self.tokens_outstanding == self.credits_locked

    def to_dict(self) -> dict[str, Any]:
        return {
            "token_class": str(self.token_class),
            "tokens_outstanding": self.tokens_outstanding,
            "credits_locked": self.credits_locked,
            "backed_one_to_one": self.backed,
        }


class Bridge:
    """Lock → mint, burn → unlock, and retire through the bridge, over one bridge account."""

    def __init__(
        self, service: RegistryService, tokens: TokenLedger, *, bridge_account_id: int
    ) -> None:
        self.service = service
        self.tokens = tokens
        self.bridge_account_id = bridge_account_id

    def lock(
        self,
        actor: str,
        *,
        from_account_id: int,
        token_address: str,
        token_class: TokenClass,
        quantity: int | None = None,
        serial_ranges: tuple[tuple[int, int], ...] = (),
        key: str | None = None,
    ) -> dict[str, Any]:
        """Lock credits of ``token_class`` (a quantity or named serials) and mint as many tokens."""
        selection = _selection(token_class, quantity, serial_ranges)

        def operation(ctx: Context) -> dict[str, Any]:
            locked = registry.lock(
                ctx,
                from_account_id=from_account_id,
                bridge_account_id=self.bridge_account_id,
                selection=selection,
            )
            return self._with_tokens(
                ctx, locked, "lock", token_address, token_class,
                lambda ref: self.tokens.mint(token_address, token_class, locked["quantity"], ref),
            )

        body = {
            "from_account_id": from_account_id,
            "token_address": token_address,
            "token_class": str(token_class),
            "quantity": quantity,
            "serial_ranges": [list(r) for r in serial_ranges],
        }
        return self._execute(actor, operation, key, "bridge.lock", body)

    def unlock(
        self,
        actor: str,
        *,
        token_address: str,
        token_class: TokenClass,
        quantity: int,
        to_account_id: int,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Burn ``quantity`` tokens at ``token_address``; release as many credits to an account."""
        selection = _selection(token_class, quantity, ())

        def operation(ctx: Context) -> dict[str, Any]:
            unlocked = registry.unlock(
                ctx,
                bridge_account_id=self.bridge_account_id,
                to_account_id=to_account_id,
                selection=selection,
            )
            return self._with_tokens(
                ctx, unlocked, "unlock", token_address, token_class,
                lambda ref: self.tokens.burn(token_address, token_class, quantity, ref),
            )

        body = {
            "token_address": token_address,
            "token_class": str(token_class),
            "quantity": quantity,
            "to_account_id": to_account_id,
        }
        return self._execute(actor, operation, key, "bridge.unlock", body)

    def retire(
        self,
        actor: str,
        *,
        token_address: str,
        token_class: TokenClass,
        quantity: int,
        beneficiary: str,
        purpose: str,
        claim: str,
        reporting_year: int | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Burn tokens and retire as many locked credits for ``beneficiary`` against ``claim``."""
        selection = _selection(token_class, quantity, ())

        def operation(ctx: Context) -> dict[str, Any]:
            retired = registry.retire(
                ctx,
                account_id=self.bridge_account_id,
                selection=selection,
                beneficiary=beneficiary,
                purpose=purpose,
                claim=claim,
                reporting_year=reporting_year,
            )
            return self._with_tokens(
                ctx, retired, "retire", token_address, token_class,
                lambda ref: self.tokens.burn(token_address, token_class, quantity, ref),
            )

        body = {
            "token_address": token_address,
            "token_class": str(token_class),
            "quantity": quantity,
            "beneficiary": beneficiary,
            "purpose": purpose,
            "claim": claim,
            "reporting_year": reporting_year,
        }
        return self._execute(actor, operation, key, "bridge.retire", body)

    def transfer(
        self,
        actor: str,
        *,
        source: str,
        target: str,
        token_class: TokenClass,
        quantity: int,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Move tokens between addresses on the ledger, journaled like every token operation."""

        def operation(ctx: Context) -> dict[str, Any]:
            moved = self._token_step(
                ctx,
                "transfer",
                lambda ref: self.tokens.transfer(source, target, token_class, quantity, ref),
            )
            return {"token_class": str(token_class), "token_event": moved.to_dict()}

        body = {
            "source": source,
            "target": target,
            "token_class": str(token_class),
            "quantity": quantity,
        }
        return self._execute(actor, operation, key, "bridge.transfer", body)

    def _execute(
        self,
        actor: str,
        operation: Callable[[Context], dict[str, Any]],
        key: str | None,
        name: str,
        body: dict[str, Any],
    ) -> dict[str, Any]:
        idempotency = IdempotencyKey.for_request(actor, key, name, body) if key else None
        return self.service.execute(actor, operation, idempotency=idempotency)

    def _with_tokens(
        self,
        ctx: Context,
        registry_result: dict[str, Any],
        step: str,
        token_address: str,
        token_class: TokenClass,
        apply: Callable[[str], TokenEvent],
    ) -> dict[str, Any]:
        """Run the token side of a registry operation and report both sides together."""
        event = self._token_step(ctx, step, apply)
        return {
            **registry_result,
            "token_class": str(token_class),
            "token_address": token_address,
            "token_event": event.to_dict(),
        }

    def _token_step(
        self, ctx: Context, operation: str, apply: Callable[[str], TokenEvent]
    ) -> TokenEvent:
        """Apply the token operation (last), journal it, undo it if the transaction rolls back."""
        applied = apply(f"bridge:{operation}:{uuid.uuid4().hex}")
        event.listen(ctx.session, "after_rollback", lambda _: self._reverse(applied), once=True)
        journal_store.append(
            ctx.session,
            time=ctx.now,
            actor=ctx.actor,
            area=AREA,
            type=JOURNAL_TYPES[applied.operation],
            payload=applied.to_dict(),
        )
        return applied

    def _reverse(self, applied: TokenEvent) -> None:
        reference = f"{applied.reference}:reversed"
        cls, quantity, source, target = (
            applied.token_class,
            applied.quantity,
            applied.source,
            applied.target,
        )
        if applied.operation == "mint":
            self.tokens.burn(str(target), cls, quantity, reference)
        elif applied.operation == "burn":
            self.tokens.mint(str(source), cls, quantity, reference)
        else:
            self.tokens.transfer(str(target), str(source), cls, quantity, reference)


def _selection(
    token_class: TokenClass, quantity: int | None, serial_ranges: tuple[tuple[int, int], ...]
) -> Selection:
    spec = CreditSpec(
        project_id=token_class.project, vintage=token_class.vintage, programs=(token_class.program,)
    )
    return Selection(quantity=quantity, spec=spec, serial_ranges=serial_ranges)


def token_events(session: Session) -> Iterator[TokenEvent]:
    """Every token operation the bridge journaled, in journal order."""
    for entry in journal_store.read(session, area=AREA):
        if entry.type in JOURNAL_TYPES.values():
            yield TokenEvent.from_dict(entry.payload)


def rebuild_ledger(session: Session) -> InProcessTokenLedger:
    """The in-process token ledger as the journal records it (re-checking its rules)."""
    return InProcessTokenLedger.replay(token_events(session))


def locked_credits(session: Session, bridge_account_id: int) -> dict[TokenClass, int]:
    """Credits locked in the bridge account, per token class (read from the registry)."""
    locked: dict[TokenClass, int] = {}
    for lot in queries.holdings(session, bridge_account_id):
        if lot["status"] == BlockStatus.LOCKED:
            cls = TokenClass(lot["program"], lot["project_id"], lot["vintage"])
            locked[cls] = locked.get(cls, 0) + lot["quantity"]
    return locked


def reserves(
    session: Session,
    bridge_account_id: int,
    tokens: TokenLedger,
    classes: set[TokenClass] | None = None,
) -> list[Reserve]:
    """Every class with credits locked (and each of ``classes``): tokens against credits."""
    locked = locked_credits(session, bridge_account_id)
    return [
        Reserve(cls, tokens.total_supply(cls), locked.get(cls, 0))
        for cls in sorted(set(locked) | (classes or set()))
    ]


def reserve_report(session: Session, bridge_account_id: int) -> dict[str, Any]:
    """The public proof of reserve of the journal-backed bridge: classes and token balances."""
    tokens = rebuild_ledger(session)
    holdings = tokens.holdings()
    found = reserves(session, bridge_account_id, tokens, {cls for _, cls in holdings})
    return {
        "bridge_account_id": bridge_account_id,
        "backed_one_to_one": all(reserve.backed for reserve in found),
        "classes": [reserve.to_dict() for reserve in found],
        "balances": [
            {"address": address, "token_class": str(cls), "tokens": amount}
            for (address, cls), amount in sorted(holdings.items())
        ],
    }
