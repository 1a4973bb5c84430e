"""Arbitrary bodies against every registry endpoint that writes: never a 5xx; a refusal is
problem+json and changes nothing."""

from __future__ import annotations

import shutil

from api_kit import bearer, snapshot
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenmarket.api.app import create_app
from greenmarket.storage.db import Database

FIELDS = ["quantity", "from_account_id", "to_account_id", "account_id", "serial_ranges",
          "specification", "beneficiary", "purpose", "claim", "reporting_year", "reason",
          "project_id", "vintage", "serial_start", "id", "program", "name", "country", "category",
          "methodology", "verifier", "verifier_accreditation", "type", "kind", "state",
          "kyc_state", "participant_id", "code", "governmental", "serial_format", "unit",
          "created_at", "fi_eligible"]
SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.integers(-3, 20)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
           | st.sampled_from(["JCR-R001", "voluntary_offset", "holding", "open", "corporate",
                              "JCREDIT", "2024", "", " ", "個人"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3), max_leaves=6)
BODIES = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=7) | VALUES
ENDPOINTS = ["/v1/transfers", "/v1/retirements", "/v1/holds", "/v1/issuances",
             "/v1/cancellations", "/v1/projects", "/v1/participants", "/v1/programs",
             "/v1/accounts", "/v1/accounts/1/state", "/v1/participants/sakura-solar/kyc",
             "/v1/holds/1/release", "/v1/holds/1/consume"]
TOKENS = ["gm_demo_admin", "gm_demo_sakura", "gm_demo_auditor"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(endpoint=st.sampled_from(ENDPOINTS), token=st.sampled_from(TOKENS), body=BODIES,
       key=st.text(min_size=1, max_size=8))
def test_no_body_breaks_the_registry(sqlite_demo_template, tmp_path_factory, endpoint, token,
                                     body, key):
    path = tmp_path_factory.mktemp("fuzz") / "db.db"
    shutil.copyfile(sqlite_demo_template, path)
    database = Database(f"sqlite:///{path}")
    try:
        client = TestClient(create_app(database))
        before = snapshot(database)
        response = client.post(endpoint, json=body,
                               headers=bearer(token, **{"Idempotency-Key": key.encode(
                                   "ascii", "ignore").decode() or "k"}))
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"]
            assert snapshot(database) == before
    finally:
        database.dispose()
