"""The frameworks ledger protocol on a real (SQLite) greenmarket registry, through its service API:
claims checked against actual retirements, and an offset-linked bond retiring within its cap."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from frameworks_kit import complete_framework

from greenmarket.clock import FixedClock
from greenmarket.errors import InsufficientCredits
from greenmarket.frameworks import ClaimStatus, Status, assess, parse_framework
from greenmarket.frameworks.offset import (
    OffsetCapExceeded,
    load_offset_bond,
    retire_for_bond,
    retired_for,
)
from greenmarket.frameworks.registry_ledger import RegistryLedger
from greenmarket.registry import ledger, model
from greenmarket.registry.ledger import Selection
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database, make_engine
from greenmarket.storage.migrate import upgrade

SAMPLE = Path(__file__).parents[2] / "src" / "greenmarket" / "frameworks" / "samples" / "offset_bond.yaml"
PROJECT = "JCR-FW-01"
ISSUER = "Setouchi Green Power Co., Ltd."


@pytest.fixture
def registry(sqlite_url):
    """A migrated registry with one J-Credit project and two participants, each with open accounts."""
    db = Database(engine=make_engine(sqlite_url))
    upgrade(db.engine)
    service = RegistryService(db, FixedClock(datetime(2025, 6, 30, 9, 0, tzinfo=UTC)))
    run = lambda op: service.execute("admin", op)  # noqa: E731
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    run(lambda c: ledger.register_project(
        c, id=PROJECT, program="JCREDIT", name="森林吸収 / Forest sink", country="JP", category="forestry",
        methodology="FO-001", verifier="Japan Quality Assurance Organization", verifier_accreditation="iso14065"))
    holding = {}
    for participant, kind in (("P-SETOUCHI", "corporate"), ("minato-bank", "financial_institution")):
        run(lambda c, p=participant, k=kind: ledger.register_participant(c, id=p, name=p, type=k, kyc_state="verified"))
        for account_kind in ("holding", "retirement"):
            account = run(lambda c, p=participant, k=account_kind: ledger.open_account(c, p, k))
            run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
            if account_kind == "holding":
                holding[participant] = account["id"]
    for participant in holding:
        run(lambda c, p=participant: ledger.issue(c, project_id=PROJECT, vintage=2023, quantity=1000,
                                                   account_id=holding[p]))
    yield service, run, holding
    db.dispose()


def _retire(run, account_id, quantity, beneficiary):
    return run(lambda c: ledger.retire(c, account_id=account_id, selection=Selection(quantity=quantity),
                                       beneficiary=beneficiary, purpose="voluntary_offset",
                                       claim="FY2025 residual emissions", reporting_year=2025))


def test_claims_are_checked_against_the_registrys_retirements(registry):
    service, run, holding = registry
    first = _retire(run, holding["P-SETOUCHI"], 300, ISSUER)
    _retire(run, holding["P-SETOUCHI"], 50, "Someone Else K.K.")
    raw = complete_framework()
    raw["carbon_credits"]["registry_participant"] = "P-SETOUCHI"
    start, end = first["serials"][0]
    raw["carbon_credits"]["claimed_retirements"] = [
        {"reporting_year": 2025, "quantity": 300, "project": PROJECT, "vintage": "2023", "beneficiary": ISSUER,
         "serial_start": start, "serial_end": end},
        {"reporting_year": 2025, "quantity": 100, "project": PROJECT, "vintage": "2023", "beneficiary": ISSUER},
        {"reporting_year": 2025, "quantity": 10, "project": "JCR-OTHER", "vintage": "2023", "beneficiary": ISSUER},
    ]
    a = assess(parse_framework(raw), ledger=RegistryLedger(service, actor="test"))
    assert [c.status for c in a.claim_checks] == [
        ClaimStatus.CONFIRMED, ClaimStatus.OTHER_BENEFICIARY, ClaimStatus.MISSING]
    assert a.claim_checks[0].retirement_ids == (str(first["id"]),)
    assert a.result("ctfh2023.e3.carbon_credits").status is Status.PARTLY_MET


def test_an_offset_linked_bond_retires_in_the_registry_within_its_cap(registry):
    service, run, holding = registry
    bond = load_offset_bond(SAMPLE)  # cap 200 credits, procured by minato-bank
    registry_ledger = RegistryLedger(service, actor="minato-bank")
    done = retire_for_bond(bond, registry_ledger, quantity=120, project=PROJECT, vintage="2023", reporting_year=2024)
    assert done.quantity == 120 and bond.isin in done.claim and done.beneficiary == bond.beneficiary
    with pytest.raises(OffsetCapExceeded):
        retire_for_bond(bond, registry_ledger, quantity=81, project=PROJECT, vintage="2023", reporting_year=2024)
    retire_for_bond(bond, registry_ledger, quantity=80, project=PROJECT, vintage="2023", reporting_year=2024)
    linked = retired_for(bond, registry_ledger)
    assert sum(r.quantity for r in linked) == 200
    assert all(r.serial_start is not None for r in linked)
    with pytest.raises(InsufficientCredits):
        registry_ledger.retire(_request(bond, 5000))


def test_the_in_transaction_check_undoes_the_retirement(registry):
    service, run, holding = registry
    bond = load_offset_bond(SAMPLE)
    registry_ledger = RegistryLedger(service, actor="minato-bank")
    before = registry_ledger.retirements_of("minato-bank")

    def refuse(retirements):
        assert sum(r.quantity for r in retirements) == 150  # the new retirement is visible here
        raise OffsetCapExceeded("refused inside the transaction")

    with pytest.raises(OffsetCapExceeded):
        registry_ledger.retire(_request(bond, 150), check=refuse)
    assert registry_ledger.retirements_of("minato-bank") == before


def _request(bond, quantity):
    from greenmarket.frameworks.credits import RetirementRequest

    return RetirementRequest(participant=bond.procuring_participant, quantity=quantity, project=PROJECT,
                             vintage="2023", beneficiary=bond.beneficiary, purpose="voluntary_offset",
                             claim=bond.claim_text(), reporting_year=2024)


def test_offset_commands_use_the_configured_registry(registry, sqlite_url, monkeypatch):
    from typer.testing import CliRunner

    from greenmarket.frameworks.cli import app

    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    runner = CliRunner()
    done = runner.invoke(app, ["offset", "retire", str(SAMPLE), "--quantity", "150", "--project", PROJECT,
                               "--vintage", "2023", "--reporting-year", "2024"])
    assert done.exit_code == 0, done.output
    status = runner.invoke(app, ["offset", "status", str(SAMPLE)])
    assert '"retired": 150' in status.output and '"headroom": 50' in status.output
    refused = runner.invoke(app, ["offset", "retire", str(SAMPLE), "--quantity", "51", "--project", PROJECT,
                                  "--vintage", "2023", "--reporting-year", "2024"])
    assert isinstance(refused.exception, OffsetCapExceeded)


def test_api_checks_claims_against_the_servers_registry(registry):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from greenmarket.api.problems import install_problem_handlers
    from greenmarket.frameworks.api import router

    service, run, holding = registry
    _retire(run, holding["P-SETOUCHI"], 120, ISSUER)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    app.state.db, app.state.clock = service.db, service.clock
    raw = complete_framework()
    raw["carbon_credits"]["registry_participant"] = "P-SETOUCHI"
    raw["carbon_credits"]["claimed_retirements"] = [
        {"reporting_year": 2025, "quantity": 150, "project": PROJECT, "vintage": 2023, "beneficiary": ISSUER}]
    body = TestClient(app).post("/v1/frameworks/assess?registry=true", json=raw).json()
    [claim] = body["carbon_credit_claims"]
    assert claim["status"] == "quantity_short" and claim["found_quantity"] == 120
