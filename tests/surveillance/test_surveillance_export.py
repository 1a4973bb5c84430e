"""The journal exported to the surveillance format: registry transfers, scanned like any file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.clock import FixedClock
from greenmarket.registry import ledger, model
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade
from greenmarket.surveillance.events import EventReader
from greenmarket.surveillance.export import export_journal

PROJECT = {"id": "JCR-0001", "program": "JCREDIT", "name": "Rooftop solar", "country": "jp",
           "category": "renewable_power", "methodology": "EN-R-002", "verifier": "JQA",
           "verifier_accreditation": "iso14065"}


def registry_with_a_round_trip(url: str) -> Database:
    """alpha issues to itself, sends 300 to beta (two vintages), and beta sends 100 back."""
    db = Database(url)
    upgrade(db.engine)
    service = RegistryService(db, FixedClock(datetime(2026, 1, 5, 1, 0, tzinfo=UTC)))
    run = lambda operation: service.execute("admin", operation)
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    run(lambda c: ledger.register_project(c, **PROJECT))
    holding = {}
    for pid in ("alpha", "beta"):
        run(lambda c, pid=pid: ledger.register_participant(c, id=pid, name=pid, type="corporate",
                                                           kyc_state="verified"))
        account = run(lambda c, pid=pid: ledger.open_account(c, pid, "holding"))
        run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
        holding[pid] = account["id"]
    for vintage in (2023, 2024):
        run(lambda c, v=vintage: ledger.issue(c, project_id="JCR-0001", vintage=v, quantity=150,
                                              account_id=holding["alpha"]))
    run(lambda c: ledger.transfer(c, from_account_id=holding["alpha"], to_account_id=holding["beta"],
                                  selection=ledger.Selection(quantity=300)))
    run(lambda c: ledger.transfer(c, from_account_id=holding["beta"], to_account_id=holding["alpha"],
                                  selection=ledger.Selection(quantity=100, spec=ledger.CreditSpec(vintage=2024))))
    return db


def test_export_maps_accounts_to_participants_and_splits_by_vintage(sqlite_url: str) -> None:
    db = registry_with_a_round_trip(sqlite_url)
    with db.read() as session:
        records = list(export_journal(session))
    assert records[:2] == [
        {"type": "participant", "id": "alpha", "beneficial_owner": "alpha", "kind": "member"},
        {"type": "participant", "id": "beta", "beneficial_owner": "beta", "kind": "member"},
    ]
    transfers = [(r["transfer_id"], r["from_participant"], r["to_participant"], r["quantity"], r["vintage"])
                 for r in records[2:]]
    assert transfers == [("registry-1-1", "alpha", "beta", 150, "2023"),
                         ("registry-1-2", "alpha", "beta", 150, "2024"),
                         ("registry-2", "beta", "alpha", 100, "2024")]
    assert all(r["time"] == "2026-01-05T10:00:00+09:00" for r in records[2:])
    assert len(list(EventReader("export").read(json.dumps(r) for r in records))) == len(records)


def test_export_cli_output_scans(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry_with_a_round_trip(sqlite_url).dispose()
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    events, alerts = tmp_path / "journal.jsonl", tmp_path / "alerts.json"
    runner = CliRunner()
    result = runner.invoke(app, ["surveillance", "export", "--out", str(events)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["surveillance", "scan", "--events", str(events), "--out", str(alerts)])
    assert result.exit_code == 0, result.output
    assert json.loads(alerts.read_text()) == {"alerts": []}  # alpha and beta are not related


def test_exchange_orders_trades_and_auctions_export_and_scan(sqlite_url: str) -> None:
    """A real call-auction session through the exchange service, exported and read back."""
    from decimal import Decimal

    from greenmarket.exchange.contracts import TSE_STYLE, Contract, DeliverySpecification
    from greenmarket.exchange.service import ExchangeService
    from greenmarket.settlement import cash

    forestry = Contract(
        contract_id="TSE-JCR-FORESTRY", name="J-Credit forestry", venue=TSE_STYLE,
        specification=DeliverySpecification(programs=frozenset({"JCREDIT"}), categories=frozenset({"forestry"})),
        currency="JPY", tick=Decimal(1), lot=1, price_band=Decimal("0.9"), settlement_cycle=5)
    db = Database(sqlite_url)
    upgrade(db.engine)
    clock = FixedClock(datetime(2026, 4, 28, 9, 0, tzinfo=TSE_STYLE.zone))
    run = lambda operation: RegistryService(db, clock).execute("admin", operation)
    for program in model.known_programs():
        run(lambda c, p=program: ledger.create_program(c, **p))
    run(lambda c: ledger.register_project(c, **{**PROJECT, "category": "forestry"}))
    for pid in ("seller", "buyer", "other"):
        run(lambda c, pid=pid: ledger.register_participant(c, id=pid, name=pid, type="corporate",
                                                           kyc_state="verified"))
        account = run(lambda c, pid=pid: ledger.open_account(c, pid, "holding"))
        run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
        money = run(lambda c, pid=pid: cash.open_cash_account(c, participant_id=pid, currency="JPY"))
        run(lambda c, a=money["id"]: cash.deposit(c, account_id=a, amount=10_000_000, reference="wire"))
    run(lambda c: ledger.issue(c, project_id="JCR-0001", vintage=2024, quantity=1_000, account_id=1))
    service = ExchangeService(db, clock, [forestry], base_prices={forestry.contract_id: Decimal(1500)})
    contract = forestry.contract_id
    service.open_session(contract)
    service.submit("seller", contract, side="sell", quantity=300, price=Decimal(1490))
    service.submit("buyer", contract, side="buy", quantity=200, price=Decimal(1510))
    other = service.submit("other", contract, side="buy", quantity=50, price=Decimal(1400))
    service.cancel("other", contract, other["events"][0]["order_id"])
    clock.set(datetime(2026, 4, 28, 11, 30, tzinfo=TSE_STYLE.zone))
    service.uncross(contract)
    with db.read() as session:
        records = list(export_journal(session))
    kinds = [(r["type"], r.get("event")) for r in records if r["type"] != "participant"]
    assert kinds == [("auction", "window_open"), ("order", None), ("order", None), ("order", None),
                     ("cancel", None), ("auction", "window_close"), ("auction", "uncross"), ("trade", None)]
    orders = [r for r in records if r["type"] == "order"]
    assert {r["session"] for r in orders} == {"auction"} and orders[0]["order_id"] == f"{contract}:1"
    uncross = next(r for r in records if r.get("event") == "uncross")
    trade = records[-1]
    assert (uncross["price"], uncross["volume"]) == (trade["price"], trade["quantity"]) == (1490, 200)  # sell surplus: lowest
    assert trade["time"] == "2026-04-28T11:30:00+09:00"
    assert list(EventReader("export").read(json.dumps(r) for r in records))
    db.dispose()
