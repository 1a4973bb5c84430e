"""Shared builders for the exchange service tests (also imported by the crash-test child)."""

from __future__ import annotations

from decimal import Decimal

from greenmarket.exchange.contracts import CBL_STYLE, Contract, DeliverySpecification
from greenmarket.exchange.service import ExchangeService, FeeSchedule
from greenmarket.registry import ledger, model
from greenmarket.registry.service import RegistryService
from greenmarket.settlement import cash

SPOT = Contract(
    contract_id="CBL-GEO", name="Global emissions offset", venue=CBL_STYLE,
    specification=DeliverySpecification(programs=frozenset({"JCREDIT"})),
    currency="USD", tick=Decimal("0.01"), lot=1, price_band=Decimal("0.5"), settlement_cycle=0)
TRADERS = ("alpha", "beta", "gamma", "delta")


def build_market(registry: RegistryService) -> None:
    """Four verified traders, each with credits and USD cash."""
    run = lambda op: registry.execute("admin:test", op)  # noqa: E731
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    run(lambda c: ledger.register_project(
        c, id="JCR-F001", program="JCREDIT", name="Forest", country="JP", category="forestry",
        methodology="FO-001", verifier="JQA", verifier_accreditation="iso14065"))
    for trader in TRADERS:
        run(lambda c, p=trader: ledger.register_participant(c, id=p, name=p, type="corporate",
                                                            kyc_state="verified"))
        account = run(lambda c, p=trader: ledger.open_account(c, p, "holding"))
        run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
        run(lambda c, a=account["id"]: ledger.issue(c, project_id="JCR-F001", vintage=2024,
                                                    quantity=100_000, account_id=a))
        cash_account = run(lambda c, p=trader: cash.open_cash_account(c, participant_id=p,
                                                                      currency="USD"))
        run(lambda c, a=cash_account["id"]: cash.deposit(c, account_id=a, amount=10**12,
                                                         reference="wire"))


def spot_service(db, clock) -> ExchangeService:  # type: ignore[no-untyped-def]
    return ExchangeService(db, clock, [SPOT], base_prices={SPOT.contract_id: Decimal("10.00")},
                           fees=FeeSchedule(buyer_bps=Decimal("5"), seller_bps=Decimal("5")))
