"""A hypothesis state machine drives the registry on SQLite and checks the invariants after every step.

The model is deliberately simple: credits per (account, project) that are free, held or final,
and the active holds. Every rule predicts success or the refusal the registry must give; after
every step the database must agree with the model, pass ``check_invariants``, keep every retired
serial exactly where it was retired, and be rebuilt exactly from its journal.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import text

from greenmarket.errors import Conflict, Forbidden, InsufficientCredits
from greenmarket.registry import audit, ledger
from greenmarket.registry.ledger import CreditSpec, Selection
from greenmarket.registry.service import IdempotencyKey

if TYPE_CHECKING:
    from conftest import Registry

HOLDERS = ("alpha", "beta", "bank")  # bank is a financial institution
QUANTITY = st.integers(1, 40)


class RegistryMachine(RuleBasedStateMachine):
    """Random sequences of registry operations against a fresh seeded SQLite registry."""

    template: Registry  # set by the test: a seeded registry whose file each example copies

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp(prefix="gm-stateful-")
        shutil.copy(str(self.template.db.engine.url.database), Path(self.directory) / "registry.db")
        self.registry = self.template.opened_at(f"sqlite:///{self.directory}/registry.db")
        self.free: Counter[tuple[str, str]] = Counter()
        self.held: Counter[tuple[str, str]] = Counter()
        self.retired: Counter[str] = Counter()
        self.cancelled: Counter[str] = Counter()
        self.holds: dict[int, tuple[str, str, int]] = {}  # id -> (holder, project, remaining)
        self.final_blocks: set[tuple[Any, ...]] = set()
        self.keyed: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def teardown(self) -> None:
        self.registry.db.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- helpers ------------------------------------------------------------------------------

    def project(self, eligible: bool) -> str:
        return self.registry.eligible_project if eligible else self.registry.voluntary_project

    def may_hold(self, holder: str, project: str) -> bool:
        return holder != "bank" or project == self.registry.eligible_project

    def expect(self, error: type[Exception] | None, action: Any, code: str | None = None) -> Any:
        """Run ``action``: it must succeed when ``error`` is None, else be refused with it."""
        if error is None:
            return action()
        with pytest.raises(error) as caught:
            action()
        if code is not None:
            assert caught.value.code == code  # type: ignore[attr-defined]
        return None

    def record_final_blocks(self) -> None:
        with self.registry.db.read() as session:
            self.final_blocks = set(session.execute(text(
                "select id, serial_start, serial_end, account_id, status, retirement_id,"
                " cancellation_id from serial_blocks where status in ('retired', 'cancelled')")).all())

    # --- rules --------------------------------------------------------------------------------

    @initialize(alpha=st.integers(50, 300), beta=st.integers(50, 300))
    def first_issuances(self, alpha: int, beta: int) -> None:
        """Start with credits to move: both projects at alpha, eligible ones at beta."""
        self.issue("alpha", True, alpha, 2024)
        self.issue("alpha", False, alpha, 2023)
        self.issue("beta", True, beta, 2022)

    @rule(holder=st.sampled_from(HOLDERS), eligible=st.booleans(), quantity=st.integers(1, 200),
          vintage=st.sampled_from([2022, 2024]))
    def issue(self, holder: str, eligible: bool, quantity: int, vintage: int) -> None:
        project = self.project(eligible)
        ok = self.may_hold(holder, project)
        self.expect(None if ok else Forbidden,
                    lambda: self.registry.issue(quantity, to=holder, project=project, vintage=vintage))
        if ok:
            self.free[(holder, project)] += quantity

    @rule(frm=st.sampled_from(HOLDERS), to=st.sampled_from(HOLDERS), eligible=st.booleans(),
          quantity=QUANTITY)
    def transfer_quantity(self, frm: str, to: str, eligible: bool, quantity: int) -> None:
        project = self.project(eligible)
        if frm == to:
            return
        error = (InsufficientCredits if self.free[(frm, project)] < quantity
                 else None if self.may_hold(to, project) else Forbidden)
        self.expect(error, lambda: self.registry.transfer(frm, to, quantity, project_id=project))
        if error is None:
            self.free[(frm, project)] -= quantity
            self.free[(to, project)] += quantity

    @rule(frm=st.sampled_from(HOLDERS), to=st.sampled_from(HOLDERS), data=st.data())
    def transfer_serial_range(self, frm: str, to: str, data: st.DataObject) -> None:
        """Name a range inside one of the account's free blocks (or just outside it)."""
        if frm == to:
            return
        with self.registry.db.read() as session:
            blocks = session.execute(text(
                "select serial_start, serial_end, project_id from serial_blocks"
                " where account_id = :a and status = 'active' and program = 'JCREDIT'"
                " order by serial_start"), {"a": self.registry.holding[frm]}).all()
        if not blocks:
            return
        start, end, project = data.draw(st.sampled_from(blocks))
        low = data.draw(st.integers(start, end))
        high = data.draw(st.integers(low, end + 1))  # end + 1: one serial too many, maybe
        beyond = high > end and not any(b.serial_start == end + 1 for b in blocks)
        error = InsufficientCredits if beyond else None
        self.expect(error, lambda: self.registry.transfer(frm, to, ranges=((low, high),),
                                                          programs=("JCREDIT",)))
        if error is None:
            self.free[(frm, project)] -= high - low + 1
            self.free[(to, project)] += high - low + 1

    @rule(holder=st.sampled_from(HOLDERS), eligible=st.booleans(), quantity=QUANTITY)
    def retire(self, holder: str, eligible: bool, quantity: int) -> None:
        project = self.project(eligible)
        error = InsufficientCredits if self.free[(holder, project)] < quantity else None
        self.expect(error, lambda: self.registry.run(lambda c: ledger.retire(
            c, account_id=self.registry.holding[holder],
            selection=Selection(quantity=quantity, spec=CreditSpec(project_id=project)),
            beneficiary=f"{holder} group", purpose="gx_ets", claim="FY2025", reporting_year=2025)))
        if error is None:
            self.free[(holder, project)] -= quantity
            self.retired[holder] += quantity
            self.record_final_blocks()

    @rule(holder=st.sampled_from(HOLDERS), eligible=st.booleans(), quantity=QUANTITY)
    def cancel(self, holder: str, eligible: bool, quantity: int) -> None:
        project = self.project(eligible)
        error = InsufficientCredits if self.free[(holder, project)] < quantity else None
        self.expect(error, lambda: self.registry.run(lambda c: ledger.cancel(
            c, account_id=self.registry.holding[holder],
            selection=Selection(quantity=quantity, spec=CreditSpec(project_id=project)),
            reason="correction")))
        if error is None:
            self.free[(holder, project)] -= quantity
            self.cancelled[holder] += quantity
            self.record_final_blocks()

    @rule(holder=st.sampled_from(HOLDERS), eligible=st.booleans(), quantity=QUANTITY)
    def place_hold(self, holder: str, eligible: bool, quantity: int) -> None:
        project = self.project(eligible)
        error = InsufficientCredits if self.free[(holder, project)] < quantity else None
        hold = self.expect(error, lambda: self.registry.run(lambda c: ledger.place_hold(
            c, account_id=self.registry.holding[holder], quantity=quantity,
            spec=CreditSpec(project_id=project), reference="order")))
        if error is None:
            self.free[(holder, project)] -= quantity
            self.held[(holder, project)] += quantity
            self.holds[hold["id"]] = (holder, project, quantity)

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), everything=st.booleans())
    def release(self, data: st.DataObject, everything: bool) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        holder, project, remaining = self.holds[hold_id]
        quantity = remaining if everything else data.draw(st.integers(1, remaining))
        result = self.registry.run(lambda c: ledger.release_hold(
            c, hold_id, None if everything else quantity))
        assert result["remaining"] == remaining - quantity
        self.settle_hold(hold_id, quantity)
        self.free[(holder, project)] += quantity

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def consume(self, data: st.DataObject) -> None:
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        holder, project, remaining = self.holds[hold_id]
        to = data.draw(st.sampled_from([h for h in HOLDERS if h != holder]))
        quantity = data.draw(st.integers(1, remaining))
        error = None if self.may_hold(to, project) else Forbidden
        self.expect(error, lambda: self.registry.run(lambda c: ledger.consume_hold(
            c, hold_id, to_account_id=self.registry.holding[to], quantity=quantity)))
        if error is None:
            self.settle_hold(hold_id, quantity)
            self.free[(to, project)] += quantity

    def settle_hold(self, hold_id: int, quantity: int) -> None:
        holder, project, remaining = self.holds.pop(hold_id)
        self.held[(holder, project)] -= quantity
        if remaining > quantity:
            self.holds[hold_id] = (holder, project, remaining - quantity)

    @rule(frm=st.sampled_from(("alpha", "beta")), quantity=QUANTITY, key=st.uuids())
    def keyed_transfer(self, frm: str, quantity: int, key: Any) -> None:
        """A transfer with an Idempotency-Key (to the other corporate, eligible credits)."""
        to = "beta" if frm == "alpha" else "alpha"
        project = self.registry.eligible_project
        body = {"from": frm, "to": to, "quantity": quantity}
        error = InsufficientCredits if self.free[(frm, project)] < quantity else None
        result = self.expect(error, lambda: self.send(str(key), body))
        if error is None:
            self.free[(frm, project)] -= quantity
            self.free[(to, project)] += quantity
            self.keyed.append((str(key), body, result))

    @precondition(lambda self: self.keyed)
    @rule(data=st.data(), same_body=st.booleans())
    def retry_with_the_same_key(self, data: st.DataObject, same_body: bool) -> None:
        key, body, first = data.draw(st.sampled_from(self.keyed))
        before = self.registry.snapshot()
        if same_body:
            assert self.send(key, body) == first
        else:
            self.expect(Conflict, lambda: self.send(key, {**body, "quantity": body["quantity"] + 1}),
                        "idempotency_key_reused")
        assert self.registry.snapshot() == before

    def send(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        holding = self.registry.holding
        selection = Selection(quantity=body["quantity"],
                              spec=CreditSpec(project_id=self.registry.eligible_project))
        return self.registry.service.execute(
            body["from"],
            lambda c: ledger.transfer(c, from_account_id=holding[body["from"]],
                                      to_account_id=holding[body["to"]], selection=selection),
            idempotency=IdempotencyKey.for_request(body["from"], key, "transfer", body),
        )

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def database_agrees_with_model_and_journal(self) -> None:
        registry = self.registry
        balances = registry.balances()
        for holder in HOLDERS:
            account, retirement = registry.holding[holder], registry.retirement[holder]
            projects = (registry.eligible_project, registry.voluntary_project)
            assert balances.get((account, "active"), 0) == sum(self.free[(holder, p)] for p in projects)
            assert balances.get((account, "held"), 0) == sum(self.held[(holder, p)] for p in projects)
            assert balances.get((retirement, "retired"), 0) == self.retired[holder]
            assert balances.get((account, "cancelled"), 0) == self.cancelled[holder]
        with registry.db.read() as session:
            final_now = set(session.execute(text(
                "select id, serial_start, serial_end, account_id, status, retirement_id,"
                " cancellation_id from serial_blocks where status in ('retired', 'cancelled')")).all())
            assert final_now == self.final_blocks  # retired and cancelled serials never change
            assert audit.check_invariants(session) == []
            assert audit.compare_with_tables(session) == []
            assert audit.verify_journal(session) > 0


def test_registry_state_machine(sqlite_template: Registry) -> None:
    RegistryMachine.template = sqlite_template
    machine = RegistryMachine.TestCase
    machine.settings = settings(max_examples=25, stateful_step_count=20, deadline=None,
                                suppress_health_check=[HealthCheck.too_slow])
    machine().runTest()
