"""The in-process token ledger: exact balances, no negatives, idempotent references, replay."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from greenmarket.errors import Conflict, ValidationError
from greenmarket.integrity.tokens import (
    InProcessTokenLedger,
    InsufficientTokens,
    TokenClass,
    TokenEvent,
)

JCREDIT = TokenClass("JCREDIT", "JCR-0421", 2024)
VCS = TokenClass("VCS", "VCS-1477", 2022)


def test_mint_burn_and_transfer_keep_exact_balances() -> None:
    journaled: list[TokenEvent] = []
    ledger = InProcessTokenLedger(on_event=journaled.append)
    ledger.mint("0xbank", JCREDIT, 10**18 + 7, "lock-1")
    ledger.transfer("0xbank", "0xfund", JCREDIT, 10**18, "tx-1")
    ledger.burn("0xfund", JCREDIT, 3, "unlock-1")
    assert ledger.balance("0xbank", JCREDIT) == 7
    assert ledger.balance("0xfund", JCREDIT) == 10**18 - 3
    assert ledger.total_supply(JCREDIT) == 10**18 + 4
    assert ledger.total_supply(VCS) == 0
    assert [e.operation for e in journaled] == ["mint", "transfer", "burn"]
    assert [e.reference for e in journaled] == ["lock-1", "tx-1", "unlock-1"]


def test_a_repeated_reference_returns_the_first_result_and_a_reuse_is_refused() -> None:
    ledger = InProcessTokenLedger()
    first = ledger.mint("0xbank", JCREDIT, 100, "lock-7")
    assert ledger.mint("0xbank", JCREDIT, 100, "lock-7") == first
    assert ledger.total_supply(JCREDIT) == 100
    for reuse in (
        lambda: ledger.mint("0xbank", JCREDIT, 101, "lock-7"),
        lambda: ledger.mint("0xother", JCREDIT, 100, "lock-7"),
        lambda: ledger.mint("0xbank", VCS, 100, "lock-7"),
        lambda: ledger.burn("0xbank", JCREDIT, 100, "lock-7"),
    ):
        with pytest.raises(Conflict) as refused:
            reuse()
        assert refused.value.code == "token_reference_reused"
    assert ledger.total_supply(JCREDIT) == 100 and len(ledger.events()) == 1


def test_refusals_change_nothing() -> None:
    ledger = InProcessTokenLedger()
    ledger.mint("0xbank", JCREDIT, 5, "m")
    with pytest.raises(InsufficientTokens):
        ledger.burn("0xbank", JCREDIT, 6, "b")
    with pytest.raises(InsufficientTokens):
        ledger.transfer("0xbank", "0xfund", VCS, 1, "t")
    for quantity in (0, -1, 1.5, True):
        with pytest.raises(ValidationError):
            ledger.mint("0xbank", JCREDIT, quantity, f"q{quantity}")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ledger.mint("", JCREDIT, 1, "empty-address")
    with pytest.raises(ValidationError):
        ledger.mint("0xbank", JCREDIT, 1, "")
    with pytest.raises(ValidationError):
        TokenClass("JCREDIT", "", 2024)
    assert ledger.holdings() == {("0xbank", JCREDIT): 5} and len(ledger.events()) == 1
    # a refused reference stays free for a later, valid use
    assert ledger.burn("0xbank", JCREDIT, 5, "b").quantity == 5


def test_a_failing_journal_callback_leaves_the_ledger_unchanged() -> None:
    def refuse(_: TokenEvent) -> None:
        raise RuntimeError("journal unavailable")

    ledger = InProcessTokenLedger(on_event=refuse)
    with pytest.raises(RuntimeError):
        ledger.mint("0xbank", JCREDIT, 5, "m")
    assert ledger.total_supply(JCREDIT) == 0 and ledger.events() == []


def test_replay_rebuilds_the_ledger_and_refuses_an_impossible_history() -> None:
    ledger = InProcessTokenLedger()
    ledger.mint("0xa", JCREDIT, 9, "1")
    ledger.transfer("0xa", "0xb", JCREDIT, 4, "2")
    ledger.burn("0xb", JCREDIT, 1, "3")
    events = [TokenEvent.from_dict(e.to_dict()) for e in ledger.events()]
    rebuilt = InProcessTokenLedger.replay(events)
    assert rebuilt.holdings() == ledger.holdings()
    assert rebuilt.total_supply(JCREDIT) == 8
    with pytest.raises(InsufficientTokens):
        InProcessTokenLedger.replay([events[0], TokenEvent("burn", "x", JCREDIT, 10, "0xa", None)])
    with pytest.raises(InsufficientTokens):
        InProcessTokenLedger.replay([events[1]])  # a transfer before the mint it spends


ADDRESSES = st.sampled_from(["0xbank", "0xfund", "0xdesk"])
CLASSES = st.sampled_from([JCREDIT, VCS, TokenClass("GS", "GS-11", 2021)])
QUANTITIES = st.integers(min_value=1, max_value=10**12)


class TokenLedgerMachine(RuleBasedStateMachine):
    """Random operations, refused or not, against a plain model: the invariants always hold."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = InProcessTokenLedger()
        self.model: dict[tuple[str, TokenClass], int] = {}
        self.done: dict[str, tuple] = {}
        self.counter = 0

    def _reference(self) -> str:
        self.counter += 1
        return f"ref-{self.counter}"

    def _held(self, address: str, cls: TokenClass) -> int:
        return self.model.get((address, cls), 0)

    @rule(address=ADDRESSES, cls=CLASSES, quantity=QUANTITIES)
    def mint(self, address: str, cls: TokenClass, quantity: int) -> None:
        reference = self._reference()
        self.ledger.mint(address, cls, quantity, reference)
        self.model[(address, cls)] = self._held(address, cls) + quantity
        self.done[reference] = ("mint", address, cls, quantity)

    @rule(address=ADDRESSES, cls=CLASSES, quantity=QUANTITIES)
    def burn(self, address: str, cls: TokenClass, quantity: int) -> None:
        reference = self._reference()
        if quantity > self._held(address, cls):
            with pytest.raises(InsufficientTokens):
                self.ledger.burn(address, cls, quantity, reference)
            return
        self.ledger.burn(address, cls, quantity, reference)
        self.model[(address, cls)] -= quantity
        self.done[reference] = ("burn", address, cls, quantity)

    @rule(source=ADDRESSES, recipient=ADDRESSES, cls=CLASSES, share=st.floats(0.0, 1.5))
    def transfer(self, source: str, recipient: str, cls: TokenClass, share: float) -> None:
        quantity = max(1, int(self._held(source, cls) * share))
        reference = self._reference()
        if quantity > self._held(source, cls):
            with pytest.raises(InsufficientTokens):
                self.ledger.transfer(source, recipient, cls, quantity, reference)
            return
        self.ledger.transfer(source, recipient, cls, quantity, reference)
        self.model[(source, cls)] -= quantity
        self.model[(recipient, cls)] = self._held(recipient, cls) + quantity

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def repeat_a_reference(self, data: st.DataObject) -> None:
        reference = data.draw(st.sampled_from(sorted(self.done)))
        operation, address, cls, quantity = self.done[reference]
        before = self.ledger.holdings()
        getattr(self.ledger, operation)(address, cls, quantity, reference)
        with pytest.raises(Conflict):
            getattr(self.ledger, operation)(address, cls, quantity + 1, reference)
        assert self.ledger.holdings() == before

    @invariant()
    def supply_is_the_sum_of_balances(self) -> None:
        holdings = self.ledger.holdings()
        for cls in {cls for (_, cls) in self.model} | {JCREDIT}:
            held = sum(amount for (_, c), amount in holdings.items() if c == cls)
            assert self.ledger.total_supply(cls) == held

    @invariant()
    def balances_match_the_model_and_are_never_negative(self) -> None:
        assert all(amount > 0 for amount in self.ledger.holdings().values())
        assert self.ledger.holdings() == {k: v for k, v in self.model.items() if v}


TestTokenLedgerMachine = TokenLedgerMachine.TestCase
TestTokenLedgerMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
