"""The token bridge over the real registry (SQLite): flows, refusals, reversal, journal replay."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from greenmarket.api.app import create_app
from greenmarket.errors import Conflict, DomainError, InsufficientCredits
from greenmarket.integrity import bridge as bridge_module
from greenmarket.integrity.bridge import Bridge, locked_credits, rebuild_ledger, reserves
from greenmarket.integrity.tokens import InProcessTokenLedger, InsufficientTokens, TokenClass
from greenmarket.journal import store as journal_store
from greenmarket.registry import ledger, queries
from greenmarket.registry.ledger import Selection

SOLAR_2023 = TokenClass("JCREDIT", "JCR-0101", 2023)
SOLAR_2024 = TokenClass("JCREDIT", "JCR-0101", 2024)
FOREST_2024 = TokenClass("JCREDIT", "JCR-0102", 2024)


def make_bridge(registry) -> tuple[Bridge, InProcessTokenLedger]:  # type: ignore[no-untyped-def]
    tokens = InProcessTokenLedger()
    return Bridge(registry.service, tokens, bridge_account_id=registry.bridge_account), tokens


def serials_of(registry, account: int, status: str = "active") -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    """(vintage, start, end) of an account's blocks in one status."""
    with registry.db.read() as session:
        return sorted(
            (lot["vintage"], s["start"], s["end"])
            for lot in queries.holdings(session, account)
            if lot["status"] == status
            for s in lot["serials"]
        )


def head(registry) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with registry.db.read() as session:
        return journal_store.head(session)


def test_lock_mint_burn_unlock_and_retire_through_the_bridge(seeded_registry) -> None:  # type: ignore[no-untyped-def]
    registry = seeded_registry
    bridge, tokens = make_bridge(registry)
    alpha, beta = registry.holding["alpha"], registry.holding["beta"]

    locked = bridge.lock(
        "alpha",
        from_account_id=alpha,
        token_address="0xalpha",
        token_class=SOLAR_2024,
        quantity=120,
    )
    assert locked["quantity"] == 120 and locked["lots"] == [
        {"program": "JCREDIT", "project_id": "JCR-0101", "vintage": 2024, "quantity": 120}
    ]
    assert tokens.balance("0xalpha", SOLAR_2024) == 120

    (_, start, end), *_ = serials_of(registry, alpha)  # the 2023 block
    by_serials = bridge.lock(
        "alpha",
        from_account_id=alpha,
        token_address="0xfund",
        token_class=SOLAR_2023,
        serial_ranges=((start + 10, start + 59),),
    )
    assert by_serials["serials"] == [[start + 10, start + 59]]
    assert tokens.balance("0xfund", SOLAR_2023) == 50

    bridge.transfer("alpha", source="0xalpha", target="0xbeta", token_class=SOLAR_2024, quantity=70)
    unlocked = bridge.unlock(
        "beta", token_address="0xbeta", token_class=SOLAR_2024, quantity=70, to_account_id=beta
    )
    assert unlocked["quantity"] == 70 and tokens.balance("0xbeta", SOLAR_2024) == 0

    retired = bridge.retire(
        "alpha",
        token_address="0xalpha",
        token_class=SOLAR_2024,
        quantity=30,
        beneficiary="Alpha Corp",
        purpose="voluntary_offset",
        claim="FY2025 Scope 1 offset",
        reporting_year=2025,
    )
    assert retired["beneficiary"] == "Alpha Corp" and retired["quantity"] == 30
    with registry.db.read() as session:
        public = queries.public_retirements(session)
        assert any(r["beneficiary"] == "Alpha Corp" and r["quantity"] == 30 for r in public)
        assert locked_credits(session, registry.bridge_account) == {SOLAR_2023: 50, SOLAR_2024: 20}
        found = reserves(session, registry.bridge_account, tokens, {FOREST_2024})
        assert [(r.token_class, r.tokens_outstanding, r.backed) for r in found] == [
            (SOLAR_2023, 50, True),
            (SOLAR_2024, 20, True),
            (FOREST_2024, 0, True),
        ]
        assert tokens.total_supply(SOLAR_2024) == 20
        assert (
            rebuild_ledger(session).holdings()
            == tokens.holdings()
            == {("0xfund", SOLAR_2023): 50, ("0xalpha", SOLAR_2024): 20}
        )
    with registry.db.read() as session:
        entries = list(journal_store.read(session, area="integrity"))
    assert [e.type for e in entries] == [
        "tokens_minted",
        "tokens_minted",
        "tokens_transferred",
        "tokens_burned",
        "tokens_burned",
    ]


def test_retired_cancelled_or_already_bridged_serials_are_never_bridged(seeded_registry) -> None:  # type: ignore[no-untyped-def]
    registry = seeded_registry
    bridge, tokens = make_bridge(registry)
    alpha = registry.holding["alpha"]
    (_, start, _end), *_ = serials_of(registry, alpha)  # 2023 block, serials start … start+299

    registry.run(
        lambda c: ledger.retire(
            c,
            account_id=alpha,
            selection=Selection(serial_ranges=((start, start + 9),)),
            beneficiary="Alpha Corp",
            purpose="voluntary_offset",
            claim="FY2024",
        )
    )
    registry.run(
        lambda c: ledger.cancel(
            c,
            account_id=alpha,
            selection=Selection(serial_ranges=((start + 290, start + 299),)),
            reason="issued in error",
        )
    )
    bridge.lock(
        "alpha",
        from_account_id=alpha,
        token_address="0xalpha",
        token_class=SOLAR_2023,
        serial_ranges=((start + 100, start + 199),),
    )
    before = head(registry), tokens.holdings()
    for attempt in (
        (start + 5, start + 20),  # part retired
        (start + 295, start + 295),  # cancelled
        (start + 150, start + 160),  # inside a bridged range
        (start + 190, start + 210),  # overlapping a bridged range
        (start, start + 299),  # the whole block, some of it final, some bridged
    ):
        with pytest.raises(InsufficientCredits):
            bridge.lock(
                "alpha",
                from_account_id=alpha,
                token_address="0xalpha",
                token_class=SOLAR_2023,
                serial_ranges=(attempt,),
            )
    assert (head(registry), tokens.holdings()) == before
    # locked credits cannot leave the bridge account by an ordinary transfer either
    with pytest.raises(DomainError):
        registry.run(
            lambda c: ledger.transfer(
                c,
                from_account_id=registry.bridge_account,
                to_account_id=alpha,
                selection=Selection(quantity=1),
            )
        )
    # once unlocked, the same serials may be bridged again
    bridge.unlock(
        "alpha", token_address="0xalpha", token_class=SOLAR_2023, quantity=100, to_account_id=alpha
    )
    again = bridge.lock(
        "alpha",
        from_account_id=alpha,
        token_address="0xalpha",
        token_class=SOLAR_2023,
        serial_ranges=((start + 150, start + 160),),
    )
    assert again["quantity"] == 11


def test_refusals_change_neither_registry_nor_tokens(seeded_registry) -> None:  # type: ignore[no-untyped-def]
    registry = seeded_registry
    bridge, tokens = make_bridge(registry)
    alpha, beta = registry.holding["alpha"], registry.holding["beta"]
    bridge.lock(
        "alpha",
        from_account_id=alpha,
        token_address="0xalpha",
        token_class=FOREST_2024,
        quantity=40,
    )
    bridge.transfer(
        "alpha", source="0xalpha", target="0xfund", token_class=FOREST_2024, quantity=10
    )
    before = head(registry), tokens.holdings()
    with pytest.raises(InsufficientTokens):
        bridge.unlock(
            "beta", token_address="0xbeta", token_class=FOREST_2024, quantity=1, to_account_id=beta
        )
    with pytest.raises(InsufficientTokens):  # 40 locked, but this address holds only 30
        bridge.retire(
            "alpha",
            token_address="0xalpha",
            token_class=FOREST_2024,
            quantity=35,
            beneficiary="A",
            purpose="voluntary_offset",
            claim="c",
        )
    with pytest.raises(InsufficientCredits):  # no more locked than tokens outstanding
        bridge.unlock(
            "alpha",
            token_address="0xalpha",
            token_class=FOREST_2024,
            quantity=41,
            to_account_id=alpha,
        )
    with pytest.raises(InsufficientCredits):
        bridge.lock(
            "alpha",
            from_account_id=alpha,
            token_address="0xalpha",
            token_class=FOREST_2024,
            quantity=111,
        )
    with pytest.raises(InsufficientCredits):  # beta holds no 2023 credits
        bridge.lock(
            "beta", from_account_id=beta, token_address="0xbeta", token_class=SOLAR_2023, quantity=1
        )
    with pytest.raises(DomainError):  # a bridge account is not a holder's source
        bridge.lock(
            "x",
            from_account_id=registry.bridge_account,
            token_address="0xbeta",
            token_class=FOREST_2024,
            quantity=1,
        )
    assert (head(registry), tokens.holdings()) == before


def test_a_repeated_request_mints_once(seeded_registry) -> None:  # type: ignore[no-untyped-def]
    registry = seeded_registry
    bridge, tokens = make_bridge(registry)
    request = {
        "from_account_id": registry.holding["alpha"],
        "token_address": "0xalpha",
        "token_class": SOLAR_2024,
        "quantity": 25,
        "key": "lock-0001",
    }
    first = bridge.lock("alpha", **request)
    assert bridge.lock("alpha", **request) == first
    assert tokens.total_supply(SOLAR_2024) == 25
    with pytest.raises(Conflict):
        bridge.lock("alpha", **{**request, "quantity": 26})


def test_a_transaction_that_fails_after_minting_leaves_no_tokens(
    seeded_registry, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    registry = seeded_registry
    bridge, tokens = make_bridge(registry)
    original = journal_store.append

    def failing_append(session, **entry):  # type: ignore[no-untyped-def]
        if entry["area"] == "integrity":
            raise RuntimeError("journal write failed")
        return original(session, **entry)

    monkeypatch.setattr(bridge_module.journal_store, "append", failing_append)
    with pytest.raises(RuntimeError):
        bridge.lock(
            "alpha",
            from_account_id=registry.holding["alpha"],
            token_address="0xalpha",
            token_class=SOLAR_2024,
            quantity=10,
        )
    assert tokens.total_supply(SOLAR_2024) == 0 and tokens.holdings() == {}
    with registry.db.read() as session:
        assert locked_credits(session, registry.bridge_account) == {}
    monkeypatch.setattr(bridge_module.journal_store, "append", original)
    bridge.lock(
        "alpha",
        from_account_id=registry.holding["alpha"],
        token_address="0xalpha",
        token_class=SOLAR_2024,
        quantity=10,
    )
    assert tokens.total_supply(SOLAR_2024) == 10


def test_the_public_proof_of_reserve(seeded_registry) -> None:  # type: ignore[no-untyped-def]
    registry = seeded_registry
    bridge, _ = make_bridge(registry)
    bridge.lock(
        "alpha",
        from_account_id=registry.holding["alpha"],
        token_address="0xalpha",
        token_class=FOREST_2024,
        quantity=15,
    )
    client = TestClient(create_app(registry.db, registry.clock))
    body = client.get(
        "/v1/bridge/reserves", params={"bridge_account": registry.bridge_account}
    ).json()
    assert body["backed_one_to_one"] is True
    assert body["classes"] == [
        {
            "token_class": "JCREDIT/JCR-0102/2024",
            "tokens_outstanding": 15,
            "credits_locked": 15,
            "backed_one_to_one": True,
        }
    ]
    assert body["balances"] == [
        {"address": "0xalpha", "token_class": "JCREDIT/JCR-0102/2024", "tokens": 15}
    ]
