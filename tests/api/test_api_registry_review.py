"""Review of the registry API: integers past what the database stores are refused, not a 500.

Ids, quantities, serial numbers and vintages are stored as signed 64-bit integers. A number beyond
that range used to reach the database driver and come back as a bare 500 with nothing explained.
"""

from __future__ import annotations

import pytest
from api_kit import bearer, snapshot

ADMIN = "gm_demo_admin"
SAKURA = "gm_demo_sakura"
HUGE = 2**70
INT8_MAX = 2**63 - 1

# (token, path, body): each must be refused with a 4xx problem, changing nothing
HUGE_POSTS = [
    (SAKURA, "/v1/transfers", {"from_account_id": 1, "to_account_id": HUGE, "quantity": 1}),
    (ADMIN, "/v1/transfers", {"from_account_id": HUGE, "to_account_id": 9, "quantity": 1}),
    (SAKURA, "/v1/transfers", {"from_account_id": 1, "to_account_id": 9,
                               "serial_ranges": [[1, HUGE]]}),
    (SAKURA, "/v1/transfers", {"from_account_id": 1, "to_account_id": 9, "quantity": 1,
                               "specification": {"vintage": HUGE}}),
    (SAKURA, "/v1/holds", {"account_id": 1, "quantity": 1, "specification": {"vintage_from": HUGE}}),
    (ADMIN, "/v1/holds/1/consume", {"to_account_id": HUGE, "quantity": 1}),
    (ADMIN, "/v1/issuances", {"project_id": "JCR-R001", "vintage": 2024, "quantity": 10,
                              "account_id": 1, "serial_start": HUGE}),
    (ADMIN, "/v1/cancellations", {"account_id": HUGE, "quantity": 1, "reason": "r"}),
]


@pytest.mark.parametrize(("token", "path", "body"), HUGE_POSTS)
def test_huge_integer_in_a_body_is_a_problem_not_a_500(client, demo_db, token, path, body):
    before = snapshot(demo_db)
    response = client.post(path, json=body, headers=bearer(token, **{"Idempotency-Key": "huge"}))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"]
    assert snapshot(demo_db) == before


@pytest.mark.parametrize("path", [f"/v1/accounts/{HUGE}", f"/v1/accounts/{HUGE}/holdings",
                                  f"/v1/journal?after={HUGE}"])
def test_huge_integer_in_a_path_or_query_is_a_problem_not_a_500(client, path):
    response = client.get(path, headers=bearer(ADMIN))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_issuance_whose_last_serial_passes_the_largest_storable_is_refused(client, demo_db):
    before = snapshot(demo_db)
    response = client.post(
        "/v1/issuances",
        json={"project_id": "JCR-R001", "vintage": 2024, "quantity": 10, "account_id": 1,
              "serial_start": INT8_MAX - 5},
        headers=bearer(ADMIN, **{"Idempotency-Key": "near-the-end"}),
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "quantity"
    assert snapshot(demo_db) == before


# PostgreSQL refuses the NUL character in text: it used to surface as a 500 there.
NUL_POSTS = [
    (SAKURA, "/v1/retirements", {"account_id": 1, "quantity": 1, "beneficiary": "a\u0000b",
                                 "purpose": "other", "claim": "c"}),
    (SAKURA, "/v1/transfers", {"from_account_id": 1, "to_account_id": 9, "quantity": 1,
                               "specification": {"categories": ["forestry\u0000"]}}),
    (ADMIN, "/v1/participants", {"id": "p1", "name": "\u0000", "type": "corporate"}),
]


@pytest.mark.parametrize(("token", "path", "body"), NUL_POSTS)
def test_nul_character_in_a_body_is_a_problem_not_a_500(client, demo_db, token, path, body):
    before = snapshot(demo_db)
    response = client.post(path, json=body, headers=bearer(token, **{"Idempotency-Key": "nul"}))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert snapshot(demo_db) == before


@pytest.mark.parametrize("path", ["/v1/projects/JCR%00", "/v1/participants/x%00",
                                  "/v1/projects?program=JCREDIT%00"])
def test_nul_character_in_a_path_or_query_is_a_problem_not_a_500(client, path):
    response = client.get(path, headers=bearer(ADMIN))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_another_participants_source_account_is_named_by_its_own_field(client, demo_db):
    before = snapshot(demo_db)
    response = client.post("/v1/transfers",
                           json={"from_account_id": 9, "to_account_id": 1, "quantity": 1},
                           headers=bearer(SAKURA, **{"Idempotency-Key": "not-mine"}))
    assert response.status_code == 404, response.text
    assert response.json()["field"] == "from_account_id"
    assert snapshot(demo_db) == before


def test_a_seller_cannot_release_the_exchange_hold_behind_its_order(client, demo_db):
    """Review finding: releasing the exchange's reservation left a resting order unbacked."""
    from datetime import datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from greenmarket.clock import FixedClock
    from greenmarket.exchange.venue import build_exchange

    clock = FixedClock(datetime(2026, 4, 28, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    order = build_exchange(demo_db, clock).submit(
        "minato-bank", "TSE-JCR-FORESTRY", side="sell", quantity=100, price=Decimal("3240"))
    assert order["events"][0]["type"] == "OrderAccepted"
    holds = client.get("/v1/holds", headers=bearer("gm_demo_minato")).json()
    exchange_hold = [h for h in holds if h["managed_by"] == "exchange" and h["state"] == "active"]
    assert exchange_hold
    before = snapshot(demo_db)
    response = client.post(f"/v1/holds/{exchange_hold[-1]['id']}/release", json={},
                           headers=bearer("gm_demo_minato", **{"Idempotency-Key": "r-1"}))
    assert response.status_code == 409
    assert response.json()["code"] == "hold_managed_by_exchange"
    assert snapshot(demo_db) == before
