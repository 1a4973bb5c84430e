"""A hypothesis state machine drives the token bridge over the real registry on SQLite.

Holders lock credits (by quantity or by naming serials), trade tokens, burn them to unlock or to
retire, and retire credits directly in the registry. Every refusal the bridge must give is
predicted from a plain model and must leave the journal and the ledger untouched. After every
step: tokens outstanding = credits locked, per token class; no balance is negative; the journal
rebuilds the token ledger exactly; every holder's free credits match the model. At the end the
registry's own audit (invariants, journal chain, replay of the journal) finds nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from greenmarket.errors import InsufficientCredits
from greenmarket.integrity.bridge import Bridge, locked_credits, rebuild_ledger, reserves
from greenmarket.integrity.tokens import InProcessTokenLedger, InsufficientTokens, TokenClass
from greenmarket.journal import store as journal_store
from greenmarket.registry import audit, ledger, queries
from greenmarket.registry.ledger import CreditSpec, Selection

CLASSES = (
    TokenClass("JCREDIT", "JCR-0101", 2023),
    TokenClass("JCREDIT", "JCR-0101", 2024),
    TokenClass("JCREDIT", "JCR-0102", 2024),
)
HOLDERS = ("alpha", "beta")
ADDRESSES = ("0xalpha", "0xbeta", "0xfund")
QUANTITY = st.integers(1, 90)


class BridgeMachine(RuleBasedStateMachine):
    template: Any  # the seeded registry (conftest ``SeededRegistry``) each example copies
    folder: Path
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        BridgeMachine.examples += 1
        url = f"sqlite:///{self.folder / f'bridge-{BridgeMachine.examples}.db'}"
        self.registry = self.template.copy_to(url)
        self.tokens = InProcessTokenLedger()
        self.bridge = Bridge(
            self.registry.service, self.tokens, bridge_account_id=self.registry.bridge_account
        )
        self.free: Counter[tuple[str, TokenClass]] = Counter()
        for holder, project, vintage, quantity in (
            ("alpha", "JCR-0101", 2023, 300),
            ("alpha", "JCR-0101", 2024, 200),
            ("alpha", "JCR-0102", 2024, 150),
            ("beta", "JCR-0101", 2024, 100),
        ):
            self.free[(holder, TokenClass("JCREDIT", project, vintage))] += quantity
        self.held: Counter[tuple[str, TokenClass]] = Counter()  # tokens by address
        self.locked: Counter[TokenClass] = Counter()
        self.final: list[tuple[str, int, int]] = []  # (holder, start, end) retired directly
        self.counter = 0

    def teardown(self) -> None:
        with self.registry.db.read() as session:
            report = audit.audit(session)
        self.registry.db.dispose()
        assert report.ok, report

    # --- helpers ------------------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        with self.registry.db.read() as session:
            return journal_store.head(session)

    def refused(self, error: type[Exception], action: Any) -> None:
        """``action`` must be refused with ``error`` and change nothing anywhere."""
        before = self.head(), self.tokens.holdings()
        with pytest.raises(error):
            action()
        assert (self.head(), self.tokens.holdings()) == before

    def blocks(self, holder: str, status: str, cls: TokenClass) -> list[tuple[int, int]]:
        account = (
            self.registry.bridge_account if status == "locked" else self.registry.holding[holder]
        )
        with self.registry.db.read() as session:
            return [
                (s["start"], s["end"])
                for lot in queries.holdings(session, account)
                if lot["status"] == status
                and lot["project_id"] == cls.project
                and lot["vintage"] == cls.vintage
                for s in lot["serials"]
            ]

    def key(self) -> str:
        self.counter += 1
        return f"k{self.counter}"

    # --- rules --------------------------------------------------------------------------------

    @rule(
        holder=st.sampled_from(HOLDERS),
        cls=st.sampled_from(CLASSES),
        quantity=QUANTITY,
        address=st.sampled_from(ADDRESSES),
    )
    def lock_quantity(self, holder: str, cls: TokenClass, quantity: int, address: str) -> None:
        def lock() -> Any:
            return self.bridge.lock(
                holder,
                from_account_id=self.registry.holding[holder],
                token_address=address,
                token_class=cls,
                quantity=quantity,
            )

        if self.free[(holder, cls)] < quantity:
            self.refused(InsufficientCredits, lock)
            return
        assert lock()["quantity"] == quantity
        self.free[(holder, cls)] -= quantity
        self.locked[cls] += quantity
        self.held[(address, cls)] += quantity

    @rule(
        holder=st.sampled_from(HOLDERS),
        cls=st.sampled_from(CLASSES),
        address=st.sampled_from(ADDRESSES),
        data=st.data(),
    )
    def lock_named_serials(
        self, holder: str, cls: TokenClass, address: str, data: st.DataObject
    ) -> None:
        free = self.blocks(holder, "active", cls)
        if not free:
            return
        start, end = data.draw(st.sampled_from(free))
        low = data.draw(st.integers(start, end))
        high = data.draw(st.integers(low, min(end, low + 80)))
        self.bridge.lock(
            holder,
            from_account_id=self.registry.holding[holder],
            token_address=address,
            token_class=cls,
            serial_ranges=((low, high),),
        )
        self.free[(holder, cls)] -= high - low + 1
        self.locked[cls] += high - low + 1
        self.held[(address, cls)] += high - low + 1

    @precondition(lambda self: sum(self.locked.values()) > 0)
    @rule(holder=st.sampled_from(HOLDERS), data=st.data())
    def bridging_locked_serials_again_is_refused(self, holder: str, data: st.DataObject) -> None:
        cls = data.draw(st.sampled_from([c for c in CLASSES if self.locked[c]]))
        start, end = data.draw(st.sampled_from(self.blocks(holder, "locked", cls)))
        # a part of it, or a range reaching into it (serials start at 1)
        low = data.draw(st.integers(max(1, start - 5), end))
        high = data.draw(st.integers(max(low, start), end + 5))
        self.refused(
            InsufficientCredits,
            lambda: self.bridge.lock(
                holder,
                from_account_id=self.registry.holding[holder],
                token_address="0xalpha",
                token_class=cls,
                serial_ranges=((low, high),),
            ),
        )

    @rule(holder=st.sampled_from(HOLDERS), cls=st.sampled_from(CLASSES), quantity=QUANTITY)
    def retire_in_the_registry(self, holder: str, cls: TokenClass, quantity: int) -> None:
        if self.free[(holder, cls)] < quantity:
            return
        spec = CreditSpec(project_id=cls.project, vintage=cls.vintage)
        retired = self.registry.run(
            lambda c: ledger.retire(
                c,
                account_id=self.registry.holding[holder],
                selection=Selection(quantity=quantity, spec=spec),
                beneficiary=f"{holder} K.K.",
                purpose="voluntary_offset",
                claim="FY2025",
            )
        )
        self.free[(holder, cls)] -= quantity
        self.final.extend((holder, start, end) for start, end in retired["serials"])

    @precondition(lambda self: self.final)
    @rule(data=st.data())
    def bridging_retired_serials_is_refused(self, data: st.DataObject) -> None:
        holder, start, end = data.draw(st.sampled_from(self.final))
        low = data.draw(st.integers(start, end))
        high = data.draw(st.integers(low, end))
        cls = CLASSES[0]  # the serial range decides; any class of the program is asked for
        for asked in (cls, *CLASSES[1:]):
            self.refused(
                InsufficientCredits,
                lambda asked=asked: self.bridge.lock(
                    holder,
                    from_account_id=self.registry.holding[holder],
                    token_address="0xalpha",
                    token_class=asked,
                    serial_ranges=((low, high),),
                ),
            )

    @rule(
        address=st.sampled_from(ADDRESSES),
        cls=st.sampled_from(CLASSES),
        quantity=QUANTITY,
        to=st.sampled_from(HOLDERS),
        keyed=st.booleans(),
    )
    def burn_and_unlock(
        self, address: str, cls: TokenClass, quantity: int, to: str, keyed: bool
    ) -> None:
        key = self.key() if keyed else None

        def unlock() -> Any:
            return self.bridge.unlock(
                to,
                token_address=address,
                token_class=cls,
                quantity=quantity,
                to_account_id=self.registry.holding[to],
                key=key,
            )

        if self.held[(address, cls)] < quantity:
            self.refused(
                InsufficientCredits if self.locked[cls] < quantity else InsufficientTokens, unlock
            )
            return
        first = unlock()
        if keyed:
            assert unlock() == first  # a retried request is applied once
        self.held[(address, cls)] -= quantity
        self.locked[cls] -= quantity
        self.free[(to, cls)] += quantity

    @rule(address=st.sampled_from(ADDRESSES), cls=st.sampled_from(CLASSES), quantity=QUANTITY)
    def burn_and_retire(self, address: str, cls: TokenClass, quantity: int) -> None:
        def retire() -> Any:
            return self.bridge.retire(
                "fund",
                token_address=address,
                token_class=cls,
                quantity=quantity,
                beneficiary="GPIF-style fund",
                purpose="voluntary_offset",
                claim="FY2025 portfolio",
            )

        if self.held[(address, cls)] < quantity:
            self.refused(
                InsufficientCredits if self.locked[cls] < quantity else InsufficientTokens, retire
            )
            return
        assert retire()["beneficiary"] == "GPIF-style fund"
        self.held[(address, cls)] -= quantity
        self.locked[cls] -= quantity

    @rule(
        source=st.sampled_from(ADDRESSES),
        recipient=st.sampled_from(ADDRESSES),
        cls=st.sampled_from(CLASSES),
        share=st.floats(0.1, 1.0),
    )
    def trade_tokens(self, source: str, recipient: str, cls: TokenClass, share: float) -> None:
        quantity = int(self.held[(source, cls)] * share)
        if quantity == 0:
            return
        self.bridge.transfer(
            "trader", source=source, target=recipient, token_class=cls, quantity=quantity
        )
        self.held[(source, cls)] -= quantity
        self.held[(recipient, cls)] += quantity

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def tokens_outstanding_equal_credits_locked(self) -> None:
        with self.registry.db.read() as session:
            locked = locked_credits(session, self.registry.bridge_account)
            journaled = rebuild_ledger(session)
            assert all(
                r.backed
                for r in reserves(session, self.bridge.bridge_account_id, self.tokens, set(CLASSES))
            )
        for cls in CLASSES:
            assert self.tokens.total_supply(cls) == locked.get(cls, 0) == self.locked[cls]
        assert journaled.holdings() == self.tokens.holdings()

    @invariant()
    def balances_are_never_negative_and_match_the_model(self) -> None:
        assert all(amount > 0 for amount in self.tokens.holdings().values())
        assert self.tokens.holdings() == {k: v for k, v in self.held.items() if v}

    @invariant()
    def free_credits_match_the_model(self) -> None:
        with self.registry.db.read() as session:
            for holder in HOLDERS:
                for lot in queries.holdings(session, self.registry.holding[holder]):
                    if lot["status"] == "active":
                        cls = TokenClass(lot["program"], lot["project_id"], lot["vintage"])
                        assert lot["quantity"] == self.free[(holder, cls)], (holder, cls)


def test_bridge_state_machine(seeded_registry_template, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    BridgeMachine.template = seeded_registry_template
    BridgeMachine.folder = tmp_path
    machine = BridgeMachine.TestCase
    machine.settings = settings(
        max_examples=12,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()
