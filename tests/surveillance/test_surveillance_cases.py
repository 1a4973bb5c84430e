"""Cases: alerts open them; compliance (and only compliance) moves them, with an audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from greenmarket.api.app import create_app
from greenmarket.api.auth import create_user
from greenmarket.cli import app as cli
from greenmarket.clock import FixedClock
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

ALERT = {"rule": "wash_trade", "time": "2026-03-02T09:00:01+09:00", "contract": "JCR-EE",
         "participants": ["B", "C"], "evidence": ["t1", "o1", "o2"], "score": 0.8}


def prepared(url: str) -> Database:
    db = Database(url)
    upgrade(db.engine)
    return db


@pytest.fixture
def api(sqlite_url: str) -> tuple[TestClient, dict[str, str]]:
    db = prepared(sqlite_url)
    with db.unit_of_work() as session:
        tokens = {role: create_user(session, name=f"{role}-user", role=role)
                  for role in ("compliance", "auditor", "admin")}
    client = TestClient(create_app(db, FixedClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))))
    return client, {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}


def test_only_compliance_sees_surveillance(api) -> None:
    client, headers = api
    assert client.get("/v1/surveillance/cases").status_code == 401
    for role in ("auditor", "admin"):
        response = client.get("/v1/surveillance/cases", headers=headers[role])
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert client.post("/v1/surveillance/alerts", json={"alerts": [ALERT]},
                           headers=headers[role]).status_code == 403
    assert client.get("/v1/surveillance/cases", headers=headers["compliance"]).json() == []


def test_a_case_moves_through_its_statuses_with_an_audit_trail(api) -> None:
    client, headers = api
    officer = headers["compliance"]
    [case_id] = client.post("/v1/surveillance/alerts", json={"alerts": [ALERT], "source": "venue-x"},
                            headers=officer).json()["case_ids"]
    patch = lambda body: client.patch(f"/v1/surveillance/cases/{case_id}", json=body, headers=officer)
    assert patch({"status": "under_review", "assignee": "sato"}).status_code == 200
    assert patch({"status": "closed"}).json()["field"] == "note"  # closing needs a reason
    assert patch({"status": "escalated"}).status_code == 200
    refused = patch({"status": "open"})
    assert refused.status_code == 409 and refused.json()["code"] == "case_transition"
    closed = patch({"status": "closed", "note": "Group treasury rebalancing, documented."}).json()
    assert closed["status"] == "closed" and closed["assignee"] == "sato"
    assert closed["alert"]["evidence"] == ["t1", "o1", "o2"] and closed["alert"]["source"] == "venue-x"
    trail = [(a["action"], a["from_value"], a["to_value"], a["actor"]) for a in closed["audit"]]
    actor = "compliance:compliance-user"
    assert trail == [
        ("opened", None, "open", actor), ("status", "open", "under_review", actor),
        ("assignee", None, "sato", actor), ("status", "under_review", "escalated", actor),
        ("status", "escalated", "closed", actor),
        ("note", None, "Group treasury rebalancing, documented.", actor),
    ]
    assert all(a["at"] == "2026-03-02T06:00:00.000000Z" for a in closed["audit"])
    listed = client.get("/v1/surveillance/cases?status=closed", headers=officer).json()
    assert [c["id"] for c in listed] == [case_id]
    assert client.get("/v1/surveillance/cases/999", headers=officer).status_code == 404


def test_bad_alerts_are_refused_whole(api) -> None:
    client, headers = api
    bad = {**ALERT, "score": 1.5}
    response = client.post("/v1/surveillance/alerts", json={"alerts": [ALERT, bad]}, headers=headers["compliance"])
    assert response.status_code == 422
    assert client.get("/v1/surveillance/cases", headers=headers["compliance"]).json() == []


def test_cases_cli_and_tables_on_both_databases(database_url: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    prepared(database_url).dispose()
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", database_url)
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps({"alerts": [ALERT, {**ALERT, "rule": "spoofing", "score": 0.7}]}))
    runner = CliRunner()
    result = runner.invoke(cli, ["surveillance", "cases", "open", "--alerts", str(alerts), "--actor", "sato"])
    assert result.exit_code == 0 and "2 cases opened" in result.output, result.output
    result = runner.invoke(cli, ["surveillance", "cases", "update", "2", "--actor", "sato",
                                 "--status", "escalated", "--note", "layering pattern, repeat"])
    assert result.exit_code == 0 and "case 2: escalated" in result.output, result.output
    listed = runner.invoke(cli, ["surveillance", "cases", "list", "--status", "escalated"]).output
    assert "spoofing" in listed and "wash_trade" not in listed
    shown = json.loads(runner.invoke(cli, ["surveillance", "cases", "show", "2"]).output)
    assert [a["actor"] for a in shown["audit"]] == ["compliance:sato"] * 3
