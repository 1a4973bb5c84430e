"""The demo's surveillance cases: what the engine finds in one synthetic day, shown to compliance."""

from __future__ import annotations

from fastapi.testclient import TestClient

from greenmarket.demo import DEMO_SURVEILLANCE_SOURCE, load_surveillance
from greenmarket.storage.db import Database


def test_demo_cases_come_from_the_engine_and_reach_the_compliance_pages(
        web: TestClient, web_db: Database, sign_in) -> None:  # type: ignore[no-untyped-def]
    opened = load_surveillance(web_db)
    assert opened, "one synthetic scenario day raises alerts"
    cases = web.get("/v1/surveillance/cases",
                    headers={"Authorization": "Bearer gm_demo_compliance"}).json()
    assert sorted(c["id"] for c in cases) == sorted(opened)
    assert all(c["status"] == "open" for c in cases)
    detail = web.get(f"/v1/surveillance/cases/{opened[0]}",
                     headers={"Authorization": "Bearer gm_demo_compliance"}).json()
    assert detail["alert"]["source"] == DEMO_SURVEILLANCE_SOURCE
    sign_in(web, "compliance")
    page = web.get("/surveillance")
    assert page.status_code == 200
    assert f"/surveillance/cases/{opened[0]}" in page.text
