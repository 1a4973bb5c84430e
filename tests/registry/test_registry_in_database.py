"""PostgreSQL's ``registry_transfer`` against ``ledger.transfer``'s Python path: one rule, two
implementations, the same outcome.

Two registries seeded alike run the same steps, one with transfers in the database
(``in_database``), one with them in Python. Every step must give the same result or the same
refusal (class, code, field, message, details), and afterwards every table, the journal (hashes
included, in the same order when one transaction holds several changes) and its head must be
equal row for row. The steps cover every refusal a plain quantity
transfer can meet: insufficient credits (retired credits do not count), quantity not positive,
KYC pending / suspended / rejected on either side, blocked and pending accounts, unknown accounts,
the wrong account kind, a financial institution receiving credits it may not hold, idempotency-key
replay and reuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import inspect, text

from greenmarket.errors import DomainError, InsufficientCredits
from greenmarket.registry import in_database, ledger
from greenmarket.registry.ledger import Selection

if TYPE_CHECKING:
    from conftest import Registry

pytestmark = pytest.mark.postgres

Step = Callable[["Registry"], Any]
UNKNOWN = 999_999
ODD_ACTOR = 'registrar 管理者 "α"\\\n\t😀'


def move(frm: int | Callable[[Registry], int], to: int | Callable[[Registry], int],
         quantity: int | Callable[[Registry], int], *, actor: str = "admin",
         key: str | None = None) -> Step:
    """A transfer between account ids (or functions of the registry giving them)."""
    def step(r: Registry) -> Any:
        source, target, amount = (v(r) if callable(v) else v for v in (frm, to, quantity))

        def transfer(c: ledger.Context) -> dict[str, Any]:
            return ledger.transfer(c, from_account_id=source, to_account_id=target,
                                   selection=Selection(quantity=amount))
        return r.run(transfer, actor=actor, key=key,
                     body=None if key is None else {"quantity": amount})
    return step


def holding(name: str) -> Callable[[Registry], int]:
    return lambda r: r.holding[name]


def retirement(name: str) -> Callable[[Registry], int]:
    return lambda r: r.retirement[name]


def kyc(participant: str, state: str) -> Step:
    return lambda r: r.run(lambda c: ledger.set_kyc_state(c, participant, state))


def account_state(account: Callable[[Registry], int], state: str) -> Step:
    return lambda r: r.run(lambda c: ledger.set_account_state(c, account(r), state))


def free(name: str, extra: int = 0) -> Callable[[Registry], int]:
    """The free credits of a holding account (plus ``extra``), read when the step runs."""
    return lambda r: r.balances().get((r.holding[name], "active"), 0) + extra


def refused_then_moved(r: Registry) -> list[Any]:
    """A refusal caught inside a unit of work leaves the transaction usable on both paths."""
    def both(c: ledger.Context) -> list[Any]:
        alpha, beta = r.holding["alpha"], r.holding["beta"]
        try:
            ledger.transfer(c, from_account_id=alpha, to_account_id=beta,
                            selection=Selection(quantity=10**9))
        except InsufficientCredits as error:
            refused = error.message
        return [refused, ledger.transfer(c, from_account_id=alpha, to_account_id=beta,
                                         selection=Selection(quantity=1))]
    return r.run(both)


def pending_account(r: Registry) -> int:
    """Alpha's holding account that was opened and never approved."""
    with r.db.read() as session:
        return session.execute(text(
            "SELECT id FROM accounts WHERE participant_id = 'alpha' AND state = 'pending'"
        )).scalar_one()


STEPS: list[tuple[str, Step]] = [
    ("issue", lambda r: [r.issue(100, vintage=2023), r.issue(50, vintage=2022),
                         r.issue(30, project=r.voluntary_project), r.issue(40, to="beta")]),
    ("split the oldest vintage's block", move(holding("alpha"), holding("beta"), 10)),
    ("a whole block, then a split", move(holding("alpha"), holding("beta"), 45)),
    ("several whole blocks", move(holding("beta"), holding("alpha"), free("beta"))),
    ("odd actor (journal escapes)", move(holding("alpha"), holding("beta"), 3, actor=ODD_ACTOR)),
    ("more than free", move(holding("alpha"), holding("beta"), free("alpha", 1))),
    ("zero", move(holding("alpha"), holding("beta"), 0)),
    ("negative", move(holding("alpha"), holding("beta"), -5)),
    ("past 64 bits", move(holding("alpha"), holding("beta"), 2**70)),
    ("bank receives non-eligible credits", move(holding("alpha"), holding("bank"), free("alpha"))),
    ("bank receives eligible credits", move(holding("alpha"), holding("bank"), 60)),
    ("same account", move(holding("alpha"), holding("alpha"), 1)),
    ("unknown source", move(UNKNOWN, holding("alpha"), 1)),
    ("unknown destination", move(holding("alpha"), UNKNOWN, 1)),
    ("both unknown", move(UNKNOWN, UNKNOWN + 1, 1)),
    ("from a retirement account", move(retirement("alpha"), holding("beta"), 1)),
    ("to a retirement account", move(holding("alpha"), retirement("beta"), 1)),
    *[
        step
        for state in ("pending", "suspended", "rejected")
        for step in (
            (f"beta's KYC {state}", kyc("beta", state)),
            (f"from KYC {state}", move(holding("beta"), holding("alpha"), 1)),
            (f"to KYC {state}", move(holding("alpha"), holding("beta"), 1)),
            (f"to KYC {state} from an unknown account", move(UNKNOWN, holding("beta"), 1)),
        )
    ],
    ("beta verified again", kyc("beta", "verified")),
    ("beta's account blocked", account_state(holding("beta"), "blocked")),
    ("from blocked", move(holding("beta"), holding("alpha"), 1)),
    ("to blocked", move(holding("alpha"), holding("beta"), 1)),
    ("blocked and KYC pending: KYC first", kyc("beta", "pending")),
    ("from blocked, KYC pending", move(holding("beta"), holding("alpha"), 1)),
    ("beta open and verified again",
     lambda r: [kyc("beta", "verified")(r), account_state(holding("beta"), "open")(r)]),
    ("alpha opens an account", lambda r: r.run(lambda c: ledger.open_account(c, "alpha",
                                                                             "holding"))),
    ("from a pending account", move(pending_account, holding("beta"), 1)),
    ("to a pending account", move(holding("beta"), pending_account, 1)),
    ("retire", lambda r: r.retire("alpha", 20)),
    ("retired credits do not count", move(holding("alpha"), holding("beta"), free("alpha", 1))),
    ("keyed", move(holding("alpha"), holding("beta"), 7, key="k-1")),
    ("keyed, retried", move(holding("alpha"), holding("beta"), 7, key="k-1")),
    ("key reused for another body", move(holding("alpha"), holding("beta"), 8, key="k-1")),
    ("specification: the Python path on both", lambda r: r.transfer("alpha", "beta", 5,
                                                                    vintage=2023)),
    ("two transfers and a KYC change in one transaction (journal order)", lambda r: r.run(
        lambda c: [ledger.transfer(c, from_account_id=r.holding["alpha"],
                                   to_account_id=r.holding["beta"], selection=Selection(quantity=2)),
                   ledger.transfer(c, from_account_id=r.holding["beta"],
                                   to_account_id=r.holding["bank"], selection=Selection(quantity=1)),
                   ledger.set_kyc_state(c, "beta", "verified")])),
    ("a refusal caught, then a transfer, in one transaction", refused_then_moved),
    ("everything alpha has", move(holding("alpha"), holding("beta"), free("alpha"))),
    ("nothing left", move(holding("alpha"), holding("beta"), 1)),
]


def outcome(registry: Registry, step: Step) -> tuple[Any, ...]:
    try:
        return ("done", step(registry))
    except DomainError as error:
        return ("refused", type(error).__name__, error.code, error.field, error.message,
                error.details)


def dump(registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (journal and head included), in a fixed order."""
    names = sorted(set(inspect(registry.db.engine).get_table_names()) - {"alembic_version"})
    with registry.db.read() as session:
        return {name: sorted((tuple(row) for row in session.execute(text(f'SELECT * FROM "{name}"'))),
                             key=repr)
                for name in names}


@contextmanager
def transfers_in_database(monkeypatch: pytest.MonkeyPatch, enabled: bool) -> Iterator[list[int]]:
    """Switch the database path on or off; yields a list that counts its transfers."""
    calls: list[int] = []
    real = in_database.transfer

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(in_database, "ENABLED", enabled)
        patch.setattr(in_database, "transfer", counted)
        yield calls


def test_database_and_python_transfers_agree_step_by_step(
    postgres_registry: Registry, build_registry: Callable[..., Registry], postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_db, in_python = postgres_registry, build_registry(postgres_url)
    assert dump(in_db) == dump(in_python)  # seeded alike
    server_calls = 0
    for name, step in STEPS:
        with transfers_in_database(monkeypatch, True) as calls:
            expected_server = outcome(in_db, step)
        server_calls += len(calls)
        with transfers_in_database(monkeypatch, False) as calls:
            assert outcome(in_python, step) == expected_server, name
        assert not calls
    assert server_calls >= 30  # the database path really ran (not the Python one twice)
    assert dump(in_db) == dump(in_python)
    assert in_db.audit() == []
    in_python.db.dispose()


def test_a_refused_database_transfer_changes_nothing(
    postgres_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is written before the last check: no row, no journal entry, no sequence value."""
    registry = postgres_registry
    registry.issue(10)
    before = dump(registry)
    with transfers_in_database(monkeypatch, True) as calls:
        for step in (move(holding("alpha"), holding("bank"), 11), kyc("bank", "pending"),
                     move(holding("alpha"), holding("bank"), 1)):
            outcome(registry, step)
        kyc("bank", "verified")(registry)
        moved = move(holding("alpha"), holding("beta"), 10)(registry)
    assert len(calls) == 3
    after = dump(registry)
    assert moved["id"] == 1 + max((row[0] for row in before["transfers"]), default=0)
    assert len(after["journal"]) == len(before["journal"]) + 3  # two KYC changes, one transfer
