"""Participant A against participant B's resources: refused every time, nothing learned."""

from __future__ import annotations

import pytest
from api_kit import bearer, snapshot
from fastapi.testclient import TestClient

SAKURA = "gm_demo_sakura"
NIHON_STEEL = "gm_demo_nihonsteel"


def _accounts_of(client: TestClient, token: str) -> list[int]:
    response = client.get("/v1/accounts", headers=bearer(token))
    assert response.status_code == 200
    return [a["id"] for a in response.json()]


def _b_resources(client: TestClient) -> list[tuple[str, str, dict | None]]:
    b_accounts = _accounts_of(client, NIHON_STEEL)
    b_holding = b_accounts[0]
    a_holding = _accounts_of(client, SAKURA)[0]
    hold = client.post("/v1/holds", headers=bearer(NIHON_STEEL, **{"Idempotency-Key": "b-hold"}),
                       json={"account_id": b_holding, "quantity": 5})
    assert hold.status_code == 201, hold.text
    hold_id = hold.json()["id"]
    return [
        ("GET", f"/v1/accounts/{b_holding}", None),
        ("GET", f"/v1/accounts/{b_holding}/holdings", None),
        ("GET", f"/v1/accounts/{b_holding}/holdings?format=csv", None),
        ("GET", "/v1/participants/nihon-steel", None),
        ("POST", "/v1/transfers", {"from_account_id": b_holding, "to_account_id": a_holding,
                                   "quantity": 1}),
        ("POST", "/v1/retirements", {"account_id": b_holding, "quantity": 1, "beneficiary": "A",
                                     "purpose": "voluntary_offset", "claim": "theft"}),
        ("POST", "/v1/holds", {"account_id": b_holding, "quantity": 1}),
        ("POST", f"/v1/holds/{hold_id}/release", {}),
        ("POST", f"/v1/holds/{hold_id}/consume", {"to_account_id": a_holding, "quantity": 1}),
        ("POST", "/v1/accounts/{b}/state".replace("{b}", str(b_holding)), {"state": "blocked"}),
        ("POST", "/v1/accounts", {"participant_id": "nihon-steel", "kind": "holding"}),
        ("POST", "/v1/participants/nihon-steel/kyc", {"kyc_state": "suspended"}),
        ("POST", "/v1/cancellations", {"account_id": b_holding, "quantity": 1, "reason": "x"}),
        ("POST", "/v1/issuances", {"project_id": "JCR-R001", "vintage": 2024, "quantity": 5,
                                   "account_id": a_holding}),
    ]


def test_participant_cannot_read_or_move_another_participants_resources(client, demo_db):
    resources = _b_resources(client)
    before = snapshot(demo_db)
    for index, (method, path, body) in enumerate(resources):
        headers = bearer(SAKURA, **{"Idempotency-Key": f"attack-{index}"})
        response = client.request(method, path, headers=headers, json=body)
        assert response.status_code in (403, 404), (method, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "Nihon Steel Works" not in response.text and "日本製鋼" not in response.text
    assert snapshot(demo_db) == before


def test_lists_show_only_own_records(client):
    own = set(_accounts_of(client, SAKURA))
    for path in ("/v1/holds", "/v1/transfers", "/v1/issuances"):
        rows = client.get(path, headers=bearer(SAKURA)).json()
        for row in rows:
            touched = {row.get("account_id"), row.get("from_account_id"), row.get("to_account_id")}
            assert touched & own, (path, row)
    retirements = client.get("/v1/retirements", headers=bearer(NIHON_STEEL)).json()
    assert retirements and {r["participant_id"] for r in retirements} == {"nihon-steel"}
    participants = client.get("/v1/participants", headers=bearer(SAKURA)).json()
    assert [p["id"] for p in participants] == ["sakura-solar"]


@pytest.mark.parametrize("path", ["/v1/accounts", "/v1/journal", "/v1/participants",
                                  "/v1/holds", "/v1/accounts/1/holdings"])
def test_private_endpoints_need_a_token(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_unknown_token_is_refused(client):
    response = client.get("/v1/accounts", headers=bearer("gm_not_a_token"))
    assert response.status_code == 401


def test_public_reports_need_no_token(client):
    assert client.get("/v1/reports/issuance?by=category").status_code == 200
    retirements = client.get("/v1/reports/retirements").json()
    assert retirements and all(r["beneficiary"] and r["claim"] for r in retirements)
    assert client.get("/v1/projects").status_code == 200


def test_auditor_reads_everything_but_moves_nothing(client, demo_db):
    accounts = client.get("/v1/accounts", headers=bearer("gm_demo_auditor")).json()
    assert len({a["participant_id"] for a in accounts}) > 3
    assert client.get("/v1/journal", headers=bearer("gm_demo_auditor")).status_code == 200
    before = snapshot(demo_db)
    response = client.post("/v1/transfers",
                           headers=bearer("gm_demo_auditor", **{"Idempotency-Key": "aud"}),
                           json={"from_account_id": accounts[0]["id"],
                                 "to_account_id": accounts[2]["id"], "quantity": 1})
    assert response.status_code == 403
    assert snapshot(demo_db) == before
