"""Every bad input gets a 4xx problem+json naming the rule, and changes nothing."""

from __future__ import annotations

import pytest
from api_kit import bearer, snapshot

ADMIN = "gm_demo_admin"
SAKURA = "gm_demo_sakura"

# (token, method, path, body, expected status, expected code, expected field)
BAD_REQUESTS = [
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 9, "quantity": 0},
     422, "validation_failed", "quantity"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 9, "quantity": 5,
                                       "created_at": "2020-01-01"},
     422, "validation_failed", "created_at"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 9},
     422, "validation_failed", "quantity"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 9, "quantity": 5,
                                       "serial_ranges": [[1, 5]]},
     422, "validation_failed", "quantity"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 1, "quantity": 5},
     422, "validation_failed", "to_account_id"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 999, "quantity": 5},
     404, "not_found", "to_account_id"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 9,
                                       "quantity": 10_000_000},
     409, "insufficient_credits", "quantity"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 9,
                                       "serial_ranges": [[5, 1]]},
     422, "validation_failed", "serial_ranges"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 9,
                                       "serial_ranges": [[1, 10], [5, 20]]},
     422, "validation_failed", "serial_ranges"),
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 2, "quantity": 5},
     409, "wrong_account_kind", "to_account_id"),
    # umi-shipping's KYC is pending: nothing may move into its account
    (SAKURA, "POST", "/v1/transfers", {"from_account_id": 1, "to_account_id": 15, "quantity": 5},
     403, "kyc_not_verified", "to_account_id"),
    # Minato Bank is a financial institution: no credits of an unaccredited verifier
    (ADMIN, "POST", "/v1/transfers", {"from_account_id": 13, "to_account_id": 5, "quantity": 5,
                                      "specification": {"project_id": "VCS-2310"}},
     403, "not_eligible_for_holder", "to_account_id"),
    (SAKURA, "POST", "/v1/retirements", {"account_id": 1, "quantity": 5, "beneficiary": "",
                                         "purpose": "voluntary_offset", "claim": "c"},
     422, "validation_failed", "beneficiary"),
    (SAKURA, "POST", "/v1/retirements", {"account_id": 1, "quantity": 5, "beneficiary": "b",
                                         "purpose": "greenwashing", "claim": "c"},
     422, "validation_failed", "purpose"),
    (SAKURA, "POST", "/v1/retirements", {"account_id": 1, "quantity": 5, "beneficiary": "b",
                                         "purpose": "other", "claim": "c", "reporting_year": 1800},
     422, "validation_failed", "reporting_year"),
    (SAKURA, "POST", "/v1/holds", {"account_id": 1, "quantity": 5,
                                   "specification": {"vintage": "old"}},
     422, "validation_failed", "specification.vintage"),
    (SAKURA, "POST", "/v1/holds/99999/release", {}, 404, "not_found", "hold_id"),
    (ADMIN, "POST", "/v1/issuances", {"project_id": "JCR-R001", "vintage": 2024, "quantity": 5,
                                      "account_id": 1, "serial_start": 1},
     409, "serial_overlap", "serial_start"),
    (ADMIN, "POST", "/v1/issuances", {"project_id": "JCR-R001", "vintage": 1066, "quantity": 5,
                                      "account_id": 1},
     422, "validation_failed", "vintage"),
    (ADMIN, "POST", "/v1/issuances", {"project_id": "NOPE", "vintage": 2024, "quantity": 5,
                                      "account_id": 1},
     404, "not_found", "project_id"),
    (ADMIN, "POST", "/v1/issuances", {"project_id": "JCR-R001", "vintage": 2024, "quantity": 5,
                                      "account_id": 2},
     409, "wrong_account_kind", "account_id"),
    (ADMIN, "POST", "/v1/participants", {"id": "tanaka", "name": "Tanaka Taro",
                                         "type": "individual"},
     422, "individual_not_admitted", "type"),
    (ADMIN, "POST", "/v1/participants", {"id": "sakura-solar", "name": "dup", "type": "corporate"},
     409, "duplicate", "id"),
    (ADMIN, "POST", "/v1/projects", {"id": "P-X", "program": "JCREDIT", "name": "x",
                                     "country": "JP", "category": "forestry_land_use",
                                     "methodology": "m", "verifier": "v",
                                     "verifier_accreditation": "none"},
     422, "validation_failed", "category"),
    (ADMIN, "POST", "/v1/projects", {"id": "P-X", "program": "JCREDIT", "name": "x",
                                     "country": "JP", "category": "forestry",
                                     "methodology": "m", "verifier": "v",
                                     "verifier_accreditation": "none", "fi_eligible": True},
     422, "validation_failed", "fi_eligible"),
    (ADMIN, "POST", "/v1/programs", {"code": "XX", "name": "x", "governmental": False,
                                     "serial_format": "{nope}"},
     422, "validation_failed", "serial_format"),
    (ADMIN, "POST", "/v1/cancellations", {"account_id": 1, "quantity": 5, "reason": " "},
     422, "validation_failed", "reason"),
]


@pytest.mark.parametrize("token,method,path,body,status,code,field", BAD_REQUESTS)
def test_bad_input_is_refused_with_problem_details_and_changes_nothing(
    client, demo_db, token, method, path, body, status, code, field
):
    before = snapshot(demo_db)
    response = client.request(method, path, json=body,
                              headers=bearer(token, **{"Idempotency-Key": "bad-1"}))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code
    assert problem["field"] == field
    assert problem["status"] == status and problem["detail"]
    assert snapshot(demo_db) == before


def test_credit_moving_request_without_idempotency_key_is_refused(client, demo_db):
    before = snapshot(demo_db)
    response = client.post("/v1/transfers", headers=bearer(SAKURA),
                           json={"from_account_id": 1, "to_account_id": 9, "quantity": 5})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_required"
    assert snapshot(demo_db) == before


def test_retry_returns_first_response_and_reuse_with_other_body_is_refused(client, demo_db):
    headers = bearer(SAKURA, **{"Idempotency-Key": "pay-42"})
    body = {"from_account_id": 1, "to_account_id": 9, "quantity": 7}
    first = client.post("/v1/transfers", headers=headers, json=body)
    assert first.status_code == 201
    after_first = snapshot(demo_db)
    again = client.post("/v1/transfers", headers=headers, json=body)
    assert again.status_code == 201 and again.json() == first.json()
    assert snapshot(demo_db) == after_first
    other = client.post("/v1/transfers", headers=headers, json={**body, "quantity": 8})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert snapshot(demo_db) == after_first


def test_malformed_json_is_a_problem(client):
    response = client.post("/v1/transfers", content=b"{not json",
                           headers=bearer(SAKURA, **{"Idempotency-Key": "x",
                                                     "Content-Type": "application/json"}))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
