"""Ledger operations on SQLite and PostgreSQL: effects, refusals, and what the database refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from greenmarket.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientCredits,
    NotFound,
    ValidationError,
)
from greenmarket.registry import ledger
from greenmarket.registry.ledger import CreditSpec, Selection

if TYPE_CHECKING:
    from conftest import Registry


def blocks_of(registry: Registry, account_id: int, status: str = "active") -> list[tuple[int, int]]:
    with registry.db.read() as session:
        return [tuple(r) for r in session.execute(text(
            "select serial_start, serial_end from serial_blocks where account_id = :a and status = :s"
            " order by serial_start"), {"a": account_id, "s": status})]


def refused(registry: Registry, error: type[DomainError], action: Any, code: str | None = None) -> DomainError:
    """Run ``action``; it must be refused with ``error`` (and ``code``) and change nothing."""
    before = registry.snapshot()
    with pytest.raises(error) as caught:
        action()
    if code is not None:
        assert caught.value.code == code
    assert registry.snapshot() == before
    return caught.value


def test_issue_transfer_retire_cancel_move_exactly_and_audit_clean(registry: Registry) -> None:
    alpha, beta = registry.holding["alpha"], registry.holding["beta"]
    issuance = registry.issue(1000)
    assert (issuance["serial_start"], issuance["serial_end"]) == (1, 1000)
    second = registry.issue(50, vintage=2023)
    assert second["serial_start"] == 1001  # the program's counter continues

    moved = registry.transfer("alpha", "beta", 100, vintage=2024)
    assert moved["serials"] == [[1, 100]]
    by_range = registry.transfer("alpha", "beta", ranges=((500, 509), (600, 600)))
    assert by_range["quantity"] == 11 and by_range["serials"] == [[500, 509], [600, 600]]
    assert blocks_of(registry, beta) == [(1, 100), (500, 509), (600, 600)]

    retired = registry.retire("beta", 30, beneficiary="Beta K.K.")
    assert retired["serials"] == [[1, 30]] and retired["participant_id"] == "beta"
    assert blocks_of(registry, registry.retirement["beta"], "retired") == [(1, 30)]
    cancelled = registry.run(lambda c: ledger.cancel(
        c, account_id=alpha, selection=Selection(serial_ranges=((1001, 1005),)), reason="reversal"))
    assert cancelled["quantity"] == 5
    assert blocks_of(registry, alpha, "cancelled") == [(1001, 1005)]

    balances = registry.balances()
    assert balances[(alpha, "active")] == 1050 - 111 - 5
    assert balances[(beta, "active")] == 111 - 30
    assert balances[(registry.retirement["beta"], "retired")] == 30
    assert registry.audit() == []


def test_holds_reserve_release_and_consume(registry: Registry) -> None:
    alpha, beta = registry.holding["alpha"], registry.holding["beta"]
    registry.issue(100)
    hold = registry.run(lambda c: ledger.place_hold(
        c, account_id=alpha, quantity=60, spec=CreditSpec(vintage=2024), reference="order-1"))
    assert registry.balances()[(alpha, "held")] == 60
    # Held credits are not free: only 40 can move.
    refused(registry, InsufficientCredits, lambda: registry.transfer("alpha", "beta", 41))
    consumed = registry.run(lambda c: ledger.consume_hold(c, hold["id"], to_account_id=beta, quantity=25))
    assert consumed["remaining"] == 35 and consumed["state"] == "active"
    released = registry.run(lambda c: ledger.release_hold(c, hold["id"], 10))
    assert released["remaining"] == 25
    refused(registry, ValidationError, lambda: registry.run(
        lambda c: ledger.release_hold(c, hold["id"], 26)))
    final = registry.run(lambda c: ledger.release_hold(c, hold["id"]))
    assert final["state"] == "released" and final["remaining"] == 0
    refused(registry, Conflict, lambda: registry.run(
        lambda c: ledger.consume_hold(c, hold["id"], to_account_id=beta, quantity=1)), "hold_not_active")
    balances = registry.balances()
    assert balances[(alpha, "active")] == 75 and balances[(beta, "active")] == 25
    assert balances.get((alpha, "held"), 0) == 0
    assert registry.audit() == []


@pytest.mark.parametrize("state", ["pending", "suspended", "rejected"])
def test_kyc_not_verified_blocks_moves_both_ways(registry: Registry, state: str) -> None:
    registry.issue(100)
    registry.transfer("alpha", "beta", 10)
    registry.run(lambda c: ledger.set_kyc_state(c, "beta", state))
    refused(registry, Forbidden, lambda: registry.transfer("alpha", "beta", 1), "kyc_not_verified")
    refused(registry, Forbidden, lambda: registry.transfer("beta", "alpha", 1), "kyc_not_verified")
    refused(registry, Forbidden, lambda: registry.retire("beta", 1), "kyc_not_verified")
    refused(registry, Forbidden, lambda: registry.issue(5, to="beta"), "kyc_not_verified")
    registry.run(lambda c: ledger.set_kyc_state(c, "beta", "verified"))
    registry.transfer("beta", "alpha", 1)
    assert registry.audit() == []


def test_blocked_and_pending_accounts_do_not_move(registry: Registry) -> None:
    registry.issue(100)
    beta = registry.holding["beta"]
    registry.run(lambda c: ledger.set_account_state(c, beta, "blocked"))
    refused(registry, Conflict, lambda: registry.transfer("alpha", "beta", 1), "account_not_open")
    pending = registry.run(lambda c: ledger.open_account(c, "beta", "holding"))
    assert pending["state"] == "pending"
    refused(registry, Conflict, lambda: registry.run(lambda c: ledger.transfer(
        c, from_account_id=registry.holding["alpha"], to_account_id=pending["id"],
        selection=Selection(quantity=1))), "account_not_open")


def test_financial_institution_receives_only_eligible_credits(registry: Registry) -> None:
    registry.issue(100, project=registry.eligible_project)
    registry.issue(100, project=registry.voluntary_project)
    refused(registry, Forbidden, lambda: registry.transfer(
        "alpha", "bank", 10, project_id=registry.voluntary_project), "not_eligible_for_holder")
    refused(registry, Forbidden, lambda: registry.issue(10, to="bank", project=registry.voluntary_project),
            "not_eligible_for_holder")
    # A quantity that reaches into non-eligible blocks is refused as a whole.
    refused(registry, Forbidden, lambda: registry.transfer("alpha", "bank", 150),
            "not_eligible_for_holder")
    registry.transfer("alpha", "bank", 100, project_id=registry.eligible_project)
    hold = registry.run(lambda c: ledger.place_hold(
        c, account_id=registry.holding["alpha"], quantity=5,
        spec=CreditSpec(project_id=registry.voluntary_project)))
    refused(registry, Forbidden, lambda: registry.run(lambda c: ledger.consume_hold(
        c, hold["id"], to_account_id=registry.holding["bank"], quantity=5)), "not_eligible_for_holder")
    assert registry.balances()[(registry.holding["bank"], "active")] == 100


def test_registering_projects_and_participants(registry: Registry) -> None:
    with registry.db.read() as session:
        flags = dict(session.execute(text("select id, fi_eligible from projects")).all())
    assert flags == {registry.eligible_project: True, registry.voluntary_project: False}
    refused(registry, ValidationError, lambda: registry.run(lambda c: ledger.register_participant(
        c, id="taro", name="Taro Yamada", type="individual")), "individual_not_admitted")
    refused(registry, Conflict, lambda: registry.run(lambda c: ledger.register_participant(
        c, id="alpha", name="Again", type="corporate")), "duplicate")
    refused(registry, ValidationError, lambda: registry.run(lambda c: ledger.create_program(
        c, code="XX", name="Bad", governmental=False, unit="t", serial_format="{nope}")))
    refused(registry, NotFound, lambda: registry.issue(10, project="NO-SUCH"))


def test_retirement_needs_open_retirement_account_and_beneficiary(registry: Registry) -> None:
    registry.issue(100)
    refused(registry, ValidationError, lambda: registry.retire("alpha", 1, beneficiary="  "))
    refused(registry, ValidationError, lambda: registry.run(lambda c: ledger.retire(
        c, account_id=registry.holding["alpha"], selection=Selection(quantity=1),
        beneficiary="A", purpose="greenwashing", claim="x")))
    registry.run(lambda c: ledger.set_account_state(c, registry.retirement["alpha"], "blocked"))
    refused(registry, Conflict, lambda: registry.retire("alpha", 1), "no_retirement_account")
    # Retiring from a retirement account is refused too: retirement accounts only receive.
    refused(registry, Conflict, lambda: registry.run(lambda c: ledger.retire(
        c, account_id=registry.retirement["beta"], selection=Selection(quantity=1),
        beneficiary="B", purpose="other", claim="x")))


def test_retired_and_cancelled_credits_never_move_again(registry: Registry) -> None:
    alpha = registry.holding["alpha"]
    registry.issue(100)
    registry.retire("alpha", 10)
    registry.run(lambda c: ledger.cancel(c, account_id=alpha, selection=Selection(quantity=10),
                                         reason="duplicate issuance"))
    # Through the ledger: the serials are no longer free anywhere.
    refused(registry, InsufficientCredits, lambda: registry.transfer("alpha", "beta", ranges=((1, 1),)))
    refused(registry, InsufficientCredits, lambda: registry.transfer("alpha", "beta", ranges=((15, 15),)))
    refused(registry, Conflict, lambda: registry.run(lambda c: ledger.transfer(
        c, from_account_id=registry.retirement["alpha"], to_account_id=alpha,
        selection=Selection(quantity=1))), "wrong_account_kind")
    refused(registry, InsufficientCredits, lambda: registry.run(lambda c: ledger.cancel(
        c, account_id=registry.retirement["alpha"], selection=Selection(quantity=1), reason="x")))
    # Through raw SQL: the database itself refuses to move, change or delete final blocks.
    before = registry.snapshot()
    for status in ("retired", "cancelled"):
        for statement in (
            f"update serial_blocks set account_id = {alpha} where status = '{status}'",
            f"update serial_blocks set serial_end = serial_end - 1 where status = '{status}'",
            f"update serial_blocks set status = 'active', retirement_id = null,"
            f" cancellation_id = null where status = '{status}'",
            f"delete from serial_blocks where status = '{status}'",
        ):
            with pytest.raises(DBAPIError, match="never"):
                with registry.db.engine.begin() as connection:
                    connection.execute(text(statement))
    with pytest.raises(DBAPIError, match="never deleted"):
        with registry.db.engine.begin() as connection:
            connection.execute(text("delete from serial_blocks where status = 'active'"))
    assert registry.snapshot() == before
    assert registry.audit() == []


def test_overlapping_issuance_refused_by_the_service(registry: Registry) -> None:
    registry.issue(1000)
    registry.issue(100, serial_start=5001)  # brought from elsewhere: keeps its numbers
    refused(registry, Conflict, lambda: registry.issue(10, serial_start=995), "serial_overlap")
    refused(registry, Conflict, lambda: registry.issue(10, serial_start=5100), "serial_overlap")
    refused(registry, ValidationError, lambda: registry.issue(10, serial_start=0))
    # Another program has its own serial space.
    registry.issue(10, project=registry.voluntary_project, serial_start=995)
    assert registry.audit() == []


def test_overlap_refused_by_the_database_when_the_python_check_is_bypassed(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.issue(1000)
    monkeypatch.setattr(ledger, "_ensure_no_overlap", lambda *args: None)
    # The issuance row is written first, then the block insert fails: nothing stays.
    error = refused(registry, Conflict, lambda: registry.issue(10, serial_start=995), "serial_overlap")
    assert error.field == "serial_start"


def test_raw_overlapping_insert_is_refused_by_the_database(registry: Registry) -> None:
    registry.issue(1000)
    before = registry.snapshot()
    alpha = registry.holding["alpha"]
    with pytest.raises(DBAPIError) as error:
        with registry.db.engine.begin() as connection:
            connection.execute(text(
                "insert into issuances (project_id, program, vintage, quantity, serial_start,"
                " serial_end, account_id, created_at, actor) values"
                f" ('{registry.eligible_project}', 'JCREDIT', 2024, 10, 991, 1000, {alpha}, 'now', 'raw')"))
            connection.execute(text(
                "insert into serial_blocks (program, project_id, vintage, issuance_id, serial_start,"
                " serial_end, account_id, status) select 'JCREDIT', project_id, 2024, max(id),"
                f" 991, 1000, {alpha}, 'active' from issuances group by project_id"
                f" having project_id = '{registry.eligible_project}'"))
    if registry.db.is_postgres:
        assert error.value.orig.sqlstate == "23P01"  # exclusion_violation
        assert "ex_serial_blocks_no_overlap" in str(error.value.orig)
    else:
        assert "overlaps an existing block" in str(error.value.orig)
    assert registry.snapshot() == before


def test_block_outside_its_issuance_refused_by_the_database(registry: Registry) -> None:
    registry.issue(100)
    with pytest.raises(DBAPIError, match="outside its issuance"):
        with registry.db.engine.begin() as connection:
            connection.execute(text("update serial_blocks set serial_end = 101"))


def test_bad_inputs_change_nothing(registry: Registry) -> None:
    registry.issue(100)
    alpha, beta = registry.holding["alpha"], registry.holding["beta"]
    registry.transfer("alpha", "beta", 10)
    cases: list[tuple[type[DomainError], Any]] = [
        (InsufficientCredits, lambda: registry.transfer("alpha", "beta", 91)),
        (InsufficientCredits, lambda: registry.transfer("alpha", "beta", ranges=((95, 105),))),
        (ValidationError, lambda: registry.transfer("alpha", "beta", ranges=((20, 30), (25, 26)))),
        (ValidationError, lambda: registry.transfer("alpha", "alpha", 1)),
        (ValidationError, lambda: registry.transfer("alpha", "beta", 0)),
        (ValidationError, lambda: registry.transfer("alpha", "beta", 5, ranges=((20, 24),))),
        (NotFound, lambda: registry.run(lambda c: ledger.transfer(
            c, from_account_id=alpha, to_account_id=9999, selection=Selection(quantity=1)))),
        (ValidationError, lambda: registry.issue(-5)),
        (ValidationError, lambda: registry.issue(5, vintage=1900)),
        (InsufficientCredits, lambda: registry.retire("beta", 11)),
        (InsufficientCredits, lambda: registry.run(lambda c: ledger.place_hold(
            c, account_id=beta, quantity=11, spec=CreditSpec()))),
        (InsufficientCredits, lambda: registry.run(lambda c: ledger.place_hold(
            c, account_id=alpha, quantity=1, spec=CreditSpec(vintage=2019)))),
        (NotFound, lambda: registry.run(lambda c: ledger.release_hold(c, 777))),
        (ValidationError, lambda: registry.run(lambda c: ledger.cancel(
            c, account_id=alpha, selection=Selection(quantity=1), reason=" "))),
        (ValidationError, lambda: registry.run(lambda c: ledger.set_kyc_state(c, "alpha", "maybe"))),
        (NotFound, lambda: registry.run(lambda c: ledger.set_kyc_state(c, "nobody", "verified"))),
    ]
    for error, action in cases:
        refused(registry, error, action)
    assert registry.audit() == []


def test_idempotency_key_replays_and_refuses_reuse(registry: Registry) -> None:
    registry.issue(100)
    alpha, beta = registry.holding["alpha"], registry.holding["beta"]

    def move(quantity: int) -> Any:
        return lambda c: ledger.transfer(c, from_account_id=alpha, to_account_id=beta,
                                         selection=Selection(quantity=quantity))

    first = registry.run(move(7), actor="alpha", key="k-1", body={"quantity": 7})
    before = registry.snapshot()
    again = registry.run(move(7), actor="alpha", key="k-1", body={"quantity": 7})
    assert again == first
    assert registry.snapshot() == before
    refused(registry, Conflict, lambda: registry.run(
        move(8), actor="alpha", key="k-1", body={"quantity": 8}), "idempotency_key_reused")
    # Keys belong to their principal: another principal may use the same key.
    registry.run(move(3), actor="beta", key="k-1", body={"quantity": 3})
    assert registry.balances()[(beta, "active")] == 10
    # A refused request does not burn its key.
    refused(registry, InsufficientCredits, lambda: registry.run(
        move(1000), actor="alpha", key="k-2", body={"quantity": 1000}))
    registry.run(move(1), actor="alpha", key="k-2", body={"quantity": 1000})
    assert registry.balances()[(beta, "active")] == 11


def test_serial_ranges_are_per_program(registry: Registry) -> None:
    """Found by the state machine: serial 1 of J-Credit and serial 1 of VCS are different credits."""
    registry.issue(10, project=registry.voluntary_project)
    registry.issue(10, project=registry.eligible_project)
    refused(registry, ValidationError, lambda: registry.transfer("alpha", "beta", ranges=((1, 1),)),
            "ambiguous_serials")
    moved = registry.transfer("alpha", "beta", ranges=((1, 1),), programs=("VCS",))
    assert moved["quantity"] == 1
    with registry.db.read() as session:
        assert session.execute(text(
            "select program from serial_blocks where account_id = :a"),
            {"a": registry.holding["beta"]}).scalars().all() == ["VCS"]
    assert registry.audit() == []
