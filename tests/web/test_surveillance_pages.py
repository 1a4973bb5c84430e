"""Surveillance pages: compliance only, the API's cases shown and changed through its handlers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

OFFICER = {"Authorization": "Bearer gm_demo_compliance"}
ALERTS = [
    {"rule": "wash_trade", "time": "2025-06-02T09:10:00+09:00", "contract": "TSE-JCR-FORESTRY",
     "participants": ["kansai-logistics", "midori-trading"], "evidence": ["t-17", "o-3", "o-4"],
     "score": 0.8},
    {"rule": "spoofing", "time": "2025-06-02T09:40:00+09:00", "contract": "TSE-JCR-ENERGY-SAVING",
     "participants": ["kanagawa-pref"], "evidence": ["o-9", "o-10", "c-2"], "score": 0.625},
]


def store_alerts(web: TestClient) -> list[int]:
    response = web.post("/v1/surveillance/alerts", json={"alerts": ALERTS, "source": "test-scan"},
                        headers=OFFICER)
    assert response.status_code == 201, response.text
    return response.json()["case_ids"]


def api_case(web: TestClient, case_id: int) -> dict:
    return web.get(f"/v1/surveillance/cases/{case_id}", headers=OFFICER).json()


def cell(html: str, testid: str, column: str) -> str:
    row = html.split(f'data-testid="{testid}"', 1)[1].split("</tr>", 1)[0]
    match = re.search(rf'data-col="{column}">([^<]*)<', row)
    assert match, (testid, column)
    return match.group(1).strip()


def test_the_public_is_sent_to_sign_in(web: TestClient) -> None:
    for path in ("/surveillance", "/surveillance/cases/1"):
        response = web.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=/surveillance")


@pytest.mark.parametrize("who", ["admin", "auditor", "sakura"])
def test_every_other_role_is_refused_like_the_api(web: TestClient, sign_in, who: str) -> None:  # type: ignore[no-untyped-def]
    [case_id, _] = store_alerts(web)
    sign_in(web, who)
    for path in ("/surveillance", f"/surveillance/cases/{case_id}"):
        response = web.get(path)
        assert response.status_code == 403
        assert "wash_trade" not in response.text and "kansai-logistics" not in response.text
    assert "/surveillance" not in web.get("/").text  # not in the menu either


def test_no_case_yet_says_how_alerts_arrive(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "compliance")
    assert web.get("/v1/surveillance/cases", headers=OFFICER).json() == []
    page = web.get("/surveillance")
    assert page.status_code == 200
    assert 'data-testid="no-cases"' in page.text
    assert "greenmarket surveillance scan" in page.text and "POST /v1/surveillance/alerts" in page.text
    assert "審査案件はまだありません" in web.get("/surveillance?lang=ja").text


def test_the_list_shows_the_apis_cases_and_filters_them(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    wash, spoof = store_alerts(web)
    sign_in(web, "compliance")
    page = web.get("/surveillance").text
    for listed in web.get("/v1/surveillance/cases", headers=OFFICER).json():
        case = api_case(web, listed["id"])
        testid = f"case-{listed['id']}"
        assert cell(page, testid, "contract") == listed["contract"]
        assert cell(page, testid, "participants") == ", ".join(case["alert"]["participants"])
        assert cell(page, testid, "score") == f"{listed['score']:.2f}"
    assert page.index(f'data-testid="case-{spoof}"') < page.index(f'data-testid="case-{wash}"')  # newest alert first
    assert cell(page, f"case-{wash}", "rule") == "Wash trade"

    web.patch(f"/v1/surveillance/cases/{spoof}", json={"status": "escalated"}, headers=OFFICER)
    escalated = web.get("/surveillance?status=escalated").text
    assert f'data-testid="case-{spoof}"' in escalated and f'data-testid="case-{wash}"' not in escalated
    by_rule = web.get("/surveillance?rule=wash_trade").text
    assert f'data-testid="case-{wash}"' in by_rule and f'data-testid="case-{spoof}"' not in by_rule
    assert 'data-testid="no-cases"' in web.get("/surveillance?status=closed").text

    japanese = web.get("/surveillance?lang=ja").text
    assert "仮装売買" in japanese and "見せ玉" in japanese and "上申済み" in japanese


def test_a_bad_status_filter_is_refused_next_to_the_field(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    store_alerts(web)
    sign_in(web, "compliance")
    page = web.get("/surveillance?status=sleeping")
    assert page.status_code == 422
    assert 'data-error-for="status"' in page.text


def test_the_case_page_shows_the_alert_and_its_audit_trail(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    [wash, _] = store_alerts(web)
    sign_in(web, "compliance")
    page = web.get(f"/surveillance/cases/{wash}").text
    case = api_case(web, wash)
    for item in case["alert"]["evidence"]:
        assert f"<code>{item}</code>" in page
    assert "kansai-logistics, midori-trading" in page and "test-scan" in page
    assert page.count('data-col="action"') == len(case["audit"]) == 1
    assert "監査証跡" in web.get(f"/surveillance/cases/{wash}?lang=ja").text
    assert web.get("/surveillance/cases/999").status_code == 404


def test_the_form_moves_assigns_and_notes_like_the_patch(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    [wash, _] = store_alerts(web)
    sign_in(web, "compliance")
    csrf = csrf_of(web.get(f"/surveillance/cases/{wash}").text)
    response = web.post(f"/surveillance/cases/{wash}", follow_redirects=False, data={
        "csrf_token": csrf, "status": "under_review", "assignee": "tanaka", "note": "Pulling the orders."})
    assert response.status_code == 303
    assert response.headers["location"] == f"/surveillance/cases/{wash}?done=updated"
    case = api_case(web, wash)
    assert (case["status"], case["assignee"]) == ("under_review", "tanaka")
    assert [n["text"] for n in case["notes"]] == ["Pulling the orders."]
    assert [a["action"] for a in case["audit"]] == ["opened", "status", "assignee", "note"]
    assert all(a["actor"] == "compliance:compliance officer / 市場監視担当" for a in case["audit"])
    shown = web.get(response.headers["location"]).text
    assert f"Case {wash} updated (status: under review)." in shown
    assert 'data-testid="assignee">tanaka<' in shown


@pytest.mark.parametrize(("fields", "field"), [
    ({"status": "closed"}, "note"),                # closing needs a note
    ({"status": "escalated"}, None),               # fine: open → escalated
    ({}, "status"),                                # nothing to change
    ({"assignee": "x" * 129}, "assignee"),         # the API's length limit
    ({"status": "sleeping"}, "status"),            # not a status
])
def test_refusals_show_next_to_their_field_and_change_nothing(web: TestClient, sign_in, csrf_of,  # type: ignore[no-untyped-def]
                                                              fields: dict, field: str | None) -> None:
    [wash, _] = store_alerts(web)
    sign_in(web, "compliance")
    before = api_case(web, wash)
    csrf = csrf_of(web.get(f"/surveillance/cases/{wash}").text)
    response = web.post(f"/surveillance/cases/{wash}", data={"csrf_token": csrf, **fields})
    if field is None:
        assert api_case(web, wash)["status"] == "escalated"
        return
    assert response.status_code == 422
    assert f'data-error-for="{field}"' in response.text
    assert api_case(web, wash) == before


def test_a_move_the_case_cannot_make_is_the_apis_conflict(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    [wash, _] = store_alerts(web)
    web.patch(f"/v1/surveillance/cases/{wash}", json={"status": "escalated"}, headers=OFFICER)
    sign_in(web, "compliance")
    page = web.get(f"/surveillance/cases/{wash}", headers={"Accept-Language": "ja"}).text
    assert 'value="open"' not in page.split('data-testid="case-form"', 1)[1]  # only allowed moves offered
    response = web.post(f"/surveillance/cases/{wash}", headers={"Accept-Language": "ja"},
                        data={"csrf_token": csrf_of(page), "status": "open"})
    assert response.status_code == 422
    error = re.search(r'data-error-for="status">([^<]*)<', response.text)
    assert error and "escalated to open" in error.group(1)
    assert api_case(web, wash)["status"] == "escalated"


def test_a_form_without_the_csrf_value_is_refused(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    [wash, _] = store_alerts(web)
    sign_in(web, "compliance")
    response = web.post(f"/surveillance/cases/{wash}", data={"csrf_token": "0" * 64, "status": "closed",
                                                             "note": "forged"})
    assert response.status_code == 403
    assert api_case(web, wash)["status"] == "open"
