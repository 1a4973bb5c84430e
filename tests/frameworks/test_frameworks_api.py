"""The frameworks REST endpoints: checklists, and assessment with 422 problem details listing each path."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from frameworks_kit import complete_framework, empty_framework

from greenmarket.api.problems import install_problem_handlers
from greenmarket.frameworks.api import router


def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    return TestClient(app)


def test_checklists_are_listed_and_served():
    c = client()
    listed = c.get("/v1/frameworks/checklists").json()
    assert [x["id"] for x in listed] == ["gbp2017", "ctfh2023"]
    ctfh = c.get("/v1/frameworks/checklists/ctfh2023").json()
    assert any(i["id"] == "ctfh2023.e3.targets_short_medium_long" for i in ctfh["items"])
    assert c.get("/v1/frameworks/checklists/gbp2099").status_code == 404


def test_assess_returns_the_assessment_in_each_format():
    c = client()
    body = c.post("/v1/frameworks/assess", json=complete_framework()).json()
    assert {i["status"] for i in body["items"]} == {"met", "not_applicable"}
    md = c.post("/v1/frameworks/assess?format=md", json=empty_framework())
    assert md.status_code == 200 and "○ 未充足 not met" in md.text
    html = c.post("/v1/frameworks/assess?format=html", json=empty_framework())
    assert html.headers["content-type"].startswith("text/html")


def test_an_invalid_framework_is_a_422_listing_each_path():
    raw = empty_framework()
    raw["instrument"] = "loan"
    raw["disclosures"] = {"gbp2017.uop.nothing": {"elements": []}}
    response = client().post("/v1/frameworks/assess", json=raw)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "issuer_framework_invalid"
    assert [p["path"] for p in problem["problems"]] == ["$.instrument"]
