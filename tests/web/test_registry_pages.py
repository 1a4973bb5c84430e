"""Registry pages: the figures are the API's, the forms move credits exactly as the API does, bad
input changes nothing and is explained beside its field, and nobody sees more than through the API.

Demo accounts (src/greenmarket/demo.py): sakura-solar holds in account 1 (retirement account 2),
minato-bank in 5 (6), nihon-steel in 9 (10).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

SAKURA, NIHON_STEEL, NIHON_STEEL_RETIREMENT, MINATO = 1, 9, 10, 5


def api(client: TestClient, path: str, who: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer gm_demo_{who}"} if who else {}  # the demo's tokens
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def figure(text: str) -> int:
    return int(text.replace(",", ""))


def holdings_of(client: TestClient, account_id: int, who: str) -> dict[tuple[str, int, str], int]:
    rows = api(client, f"/v1/accounts/{account_id}/holdings", who)
    return {(r["project_id"], r["vintage"], r["status"]): r["quantity"] for r in rows}


def holdings_shown(html: str) -> dict[tuple[str, int, str], int]:
    rows = re.findall(r'data-testid="holding-row" data-project-id="([^"]+)" data-vintage="(\d+)" '
                      r'data-status="(\w+)">.*?data-testid="quantity">([\d,]+)', html, re.S)
    return {(project, int(vintage), status): figure(quantity)
            for project, vintage, status, quantity in rows}


def section(html: str, testid: str) -> str:
    """The markup of the form (or table) carrying ``data-testid=testid``."""
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index("</form>" if testid.endswith("-form") else "</table>", start)]


def errors_in(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-error-for="(\w+)"[^>]*>([^<]*)<', html))


def form_page(client: TestClient, account_id: int) -> tuple[str, str, str]:
    """(CSRF value, transfer form key, retire form key) of an account page."""
    html = client.get(f"/registry/accounts/{account_id}").text
    keys = re.findall(r'name="idempotency_key" value="([^"]+)"', html)
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert csrf and len(keys) == 2
    return csrf.group(1), keys[0], keys[1]


def ledger_counts(client: TestClient) -> tuple[int, int]:
    return (len(api(client, "/v1/transfers", "admin")), len(api(client, "/v1/retirements", "admin")))


# --- public pages ---------------------------------------------------------------------------


def test_projects_page_lists_every_project_with_the_public_totals(web: TestClient) -> None:
    html = web.get("/registry/projects").text
    rows = dict(re.findall(r'data-project-id="([^"]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {p["id"] for p in api(web, "/v1/projects")}
    for total in api(web, "/v1/reports/issuance?by=project"):
        row = rows[total["project"]]
        for name in ("issued", "retired", "cancelled"):
            shown = re.search(rf'data-testid="{name}">([\d,]+)<', row)
            assert shown and figure(shown.group(1)) == total[name], (total, name)
    assert "Not eligible" in rows["VCS-2310"] and "Eligible" in rows["VCS-1650"]
    assert "Earthood Services" in rows["GS-11603"] and "ISO 14065 accredited" in rows["GS-11603"]


def test_projects_filter_by_program_and_category(web: TestClient) -> None:
    def shown(query: str) -> set[str]:
        return set(re.findall(r'data-project-id="([^"]+)"', web.get(f"/registry/projects?{query}").text))

    assert shown("program=VCS") == {p["id"] for p in api(web, "/v1/projects?program=VCS")}
    assert shown("program=JCREDIT&category=forestry") == {"JCR-F001", "JCR-F002", "JCR-F003"}
    assert shown("program=GS&category=forestry") == set()


def test_project_page_shows_attributes_totals_and_public_retirements(web: TestClient) -> None:
    html = web.get("/registry/projects/JCR-R001").text
    total = next(t for t in api(web, "/v1/reports/issuance?by=project") if t["project"] == "JCR-R001")
    for name in ("issued", "outstanding", "retired", "cancelled"):
        assert f'data-testid="total-{name}">{total[name]:,}<' in html
    assert "EN-R-002" in html and "日本品質保証機構 (JQA)" in html
    public = [r for r in api(web, "/v1/reports/retirements") if r["project_id"] == "JCR-R001"]
    table = section(html, "project-retirements")
    assert re.findall(r'data-retirement-id="(\d+)"', table) == [str(r["retirement_id"]) for r in public]
    assert public[0]["serials"][0] in table and public[0]["claim"] in table
    assert 'data-testid="issuances-hidden"' in html  # the API shows the public no issuance records


def test_project_issuances_are_those_the_api_shows_the_user(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "admin")
    issued = [i for i in api(web, "/v1/issuances", "admin") if i["project_id"] == "JCR-F001"]
    table = section(web.get("/registry/projects/JCR-F001").text, "issuances")
    assert [figure(q) for q in re.findall(r'data-testid="quantity">([\d,]+)<', table)] == \
        [i["quantity"] for i in issued]
    assert "JCR-F001-2021-" in table
    sign_in(web, "minato")  # minato-bank received JCR-F001 by transfer, not by issuance
    assert 'data-testid="issuance-row"' not in web.get("/registry/projects/JCR-F001").text


def test_unknown_project_is_a_not_found_page(web: TestClient) -> None:
    response = web.get("/registry/projects/NO-SUCH-1")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "project NO-SUCH-1 does not exist" in response.text


def test_retirements_page_is_the_public_report_with_downloads(web: TestClient) -> None:
    html = web.get("/registry/retirements").text
    public = api(web, "/v1/reports/retirements")
    assert re.findall(r'data-retirement-id="(\d+)"', html) == [str(r["retirement_id"]) for r in public]
    for row in public:
        assert row["beneficiary"] in html and row["claim"] in html
    assert "GX-ETS compliance" in html
    csv_link = re.search(r'href="([^"]+)" data-testid="download-csv"', html)
    assert csv_link and 'data-testid="download-json"' in html
    download = web.get(csv_link.group(1))
    assert download.headers["content-type"].startswith("text/csv")
    assert "Osaka Marathon 2025 organizing committee" in download.text


# --- accounts: who sees what ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["nihonsteel", "admin", "auditor"])
def test_accounts_page_shows_the_accounts_and_totals_the_api_shows(web: TestClient, sign_in,  # type: ignore[no-untyped-def]
                                                                  who: str) -> None:
    sign_in(web, who)
    html = web.get("/registry/accounts").text
    accounts = api(web, "/v1/accounts", who)
    assert re.findall(r'data-account-id="(\d+)"', html) == [str(a["id"]) for a in accounts]
    for account in accounts:
        row = re.search(rf'data-account-id="{account["id"]}">(.*?)</tr>', html, re.S)
        assert row
        held = holdings_of(web, account["id"], who)
        for status in ("active", "held", "locked", "retired", "cancelled"):
            expected = sum(q for (_, _, s), q in held.items() if s == status)
            assert f'data-testid="total-{status}">{expected:,}<' in row.group(1)


def test_accounts_need_sign_in_and_are_refused_to_compliance(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    redirected = web.get("/registry/accounts/1", follow_redirects=False)
    assert redirected.status_code == 303
    assert redirected.headers["location"] == "/signin?next=/registry/accounts/1"
    sign_in(web, "compliance")
    assert web.get("/registry/accounts").status_code == 403
    assert web.get("/registry/accounts/1").status_code == 403


def test_account_page_shows_the_holdings_of_the_api(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "nihonsteel")
    for account_id in (NIHON_STEEL, NIHON_STEEL_RETIREMENT):
        html = web.get(f"/registry/accounts/{account_id}").text
        assert holdings_shown(html) == holdings_of(web, account_id, "nihonsteel")
    assert 'data-testid="total-retired">6,500<' in html  # 4,000 JCR-R001 + 2,500 VCS-1650
    assert "1-2500-VCS-VCU-VCS-1650-2021" in html  # the retired block's serials, program style
    assert 'data-testid="transfer-form"' not in html  # a retirement account's credits never move


def test_reserved_credits_show_as_reserved(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "auditor")
    midori = next(a for a in api(web, "/v1/accounts", "auditor")
                  if a["participant_id"] == "midori-trading" and a["kind"] == "holding")
    html = web.get(f"/registry/accounts/{midori['id']}").text
    shown = holdings_shown(html)
    assert shown == holdings_of(web, midori["id"], "auditor")
    assert shown[("VCS-1650", 2022, "held")] >= 2_000 and "Reserved" in html
    assert 'data-testid="transfer-form"' not in html  # the auditor reads, never moves


def test_another_participants_account_is_not_found_as_in_the_api(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "sakura")
    csrf, key, _ = form_page(web, SAKURA)
    before = holdings_of(web, NIHON_STEEL, "nihonsteel"), ledger_counts(web)
    assert web.get(f"/v1/accounts/{NIHON_STEEL}",
                   headers={"Authorization": "Bearer gm_demo_sakura"}).status_code == 404
    assert web.get(f"/registry/accounts/{NIHON_STEEL}").status_code == 404
    transfer = web.post(f"/registry/accounts/{NIHON_STEEL}/transfer", data={
        "csrf_token": csrf, "idempotency_key": key, "to_account_id": str(SAKURA), "quantity": "10"})
    retire = web.post(f"/registry/accounts/{NIHON_STEEL}/retire", data={
        "csrf_token": csrf, "idempotency_key": key, "quantity": "10", "beneficiary": "x",
        "purpose": "other", "claim": "x"})
    assert transfer.status_code == retire.status_code == 404
    assert "account 9 does not exist" in transfer.text
    assert web.get("/registry/accounts/424242").status_code == 404
    assert (holdings_of(web, NIHON_STEEL, "nihonsteel"), ledger_counts(web)) == before


def test_forms_refuse_a_wrong_csrf_value_and_the_public(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    body = {"idempotency_key": "web-x", "to_account_id": str(NIHON_STEEL), "quantity": "10"}
    assert web.post(f"/registry/accounts/{SAKURA}/transfer", data=body).status_code == 403
    sign_in(web, "sakura")
    before = holdings_of(web, SAKURA, "sakura")
    refused = web.post(f"/registry/accounts/{SAKURA}/transfer", data={**body, "csrf_token": "0" * 64})
    assert refused.status_code == 403
    assert holdings_of(web, SAKURA, "sakura") == before


# --- the forms move credits exactly ---------------------------------------------------------


def test_transfer_form_moves_exactly_the_quantity_and_names_the_transfer(web: TestClient,  # type: ignore[no-untyped-def]
                                                                         sign_in) -> None:
    sign_in(web, "sakura")
    csrf, key, _ = form_page(web, SAKURA)
    source, target = holdings_of(web, SAKURA, "sakura"), holdings_of(web, NIHON_STEEL, "nihonsteel")
    form = {"csrf_token": csrf, "idempotency_key": key, "to_account_id": str(NIHON_STEEL),
            "quantity": "250", "project_id": "JCR-R001", "vintage": "2022"}
    done = web.post(f"/registry/accounts/{SAKURA}/transfer", data=form)
    assert done.status_code == 200 and "done=transfer" in str(done.url)
    transfer = api(web, "/v1/transfers", "sakura")[-1]
    assert transfer["quantity"] == 250 and transfer["to_account_id"] == NIHON_STEEL
    notice = re.search(r'data-testid="notice">([^<]+)<', done.text)
    assert notice and f"Transfer {transfer['id']}" in notice.group(1) and "250" in notice.group(1)
    lot = ("JCR-R001", 2022, "active")
    assert holdings_of(web, SAKURA, "sakura")[lot] == source[lot] - 250
    assert holdings_of(web, NIHON_STEEL, "nihonsteel")[lot] == target.get(lot, 0) + 250
    assert holdings_shown(done.text) == holdings_of(web, SAKURA, "sakura")

    again = web.post(f"/registry/accounts/{SAKURA}/transfer", data=form)  # the same form twice
    assert again.status_code == 200
    assert holdings_of(web, SAKURA, "sakura")[lot] == source[lot] - 250


def test_retire_form_retires_exactly_and_publishes_the_claim(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "nihonsteel")
    csrf, _, key = form_page(web, NIHON_STEEL)
    before = holdings_of(web, NIHON_STEEL, "nihonsteel")
    retired_before = holdings_of(web, NIHON_STEEL_RETIREMENT, "nihonsteel")
    done = web.post(f"/registry/accounts/{NIHON_STEEL}/retire", data={
        "csrf_token": csrf, "idempotency_key": key, "quantity": "120", "project_id": "VCS-1650",
        "vintage": "2021", "beneficiary": "Nihon Steel Works, Kobe", "purpose": "voluntary_offset",
        "claim": "Kobe plant FY2025 residual emissions", "reporting_year": "2025"})
    assert done.status_code == 200 and 'data-testid="notice"' in done.text
    lot, retired = ("VCS-1650", 2021, "active"), ("VCS-1650", 2021, "retired")
    assert holdings_of(web, NIHON_STEEL, "nihonsteel")[lot] == before[lot] - 120
    assert holdings_of(web, NIHON_STEEL_RETIREMENT, "nihonsteel")[retired] == retired_before[retired] + 120
    public = api(web, "/v1/reports/retirements")[-1]
    assert (public["quantity"], public["beneficiary"], public["purpose"], public["reporting_year"]) == \
        (120, "Nihon Steel Works, Kobe", "voluntary_offset", 2025)
    assert "Kobe plant FY2025 residual emissions" in web.get("/registry/retirements").text


def test_admin_may_move_credits_of_any_account_as_the_api_allows(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "admin")
    csrf, key, _ = form_page(web, MINATO)
    before = holdings_of(web, MINATO, "admin")
    done = web.post(f"/registry/accounts/{MINATO}/transfer", data={
        "csrf_token": csrf, "idempotency_key": key, "to_account_id": str(SAKURA), "quantity": "40",
        "project_id": "JCR-E001"})
    assert done.status_code == 200 and 'data-testid="notice"' in done.text
    lot = ("JCR-E001", 2023, "active")
    assert holdings_of(web, MINATO, "admin")[lot] == before[lot] - 40


def test_a_notice_names_only_a_real_movement_of_this_account(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "sakura")
    someone_elses = next(t for t in api(web, "/v1/transfers", "admin")
                         if t["from_account_id"] != SAKURA)
    html = web.get(f"/registry/accounts/{SAKURA}?done=transfer&ref={someone_elses['id']}").text
    assert 'data-testid="notice"' not in html


# --- bad input: explained beside its field, nothing changes ---------------------------------

TRANSFER_OK = {"to_account_id": str(NIHON_STEEL), "quantity": "10"}
RETIRE_OK = {"quantity": "10", "beneficiary": "Sakura Solar", "purpose": "voluntary_offset",
             "claim": "Office electricity 2025"}


@pytest.mark.parametrize(("form", "change", "field", "message"), [
    ("transfer", {"quantity": "0"}, "quantity", "greater than 0"),
    ("transfer", {"quantity": "-5"}, "quantity", "greater than 0"),
    ("transfer", {"quantity": "1" + "0" * 30}, "quantity", "at most"),
    ("transfer", {"quantity": "ten"}, "quantity", "whole number"),
    ("transfer", {"quantity": "1000000000"}, "quantity", "free credits match"),
    ("transfer", {"quantity": ""}, "quantity", "quantity"),
    ("transfer", {"to_account_id": "999999"}, "to_account_id", "does not exist"),
    ("transfer", {"to_account_id": "abc"}, "to_account_id", "whole number"),
    ("transfer", {"to_account_id": str(SAKURA)}, "to_account_id", "the same"),
    ("transfer", {"vintage": "2O22"}, "vintage", "whole number"),
    ("retire", {"quantity": "99999999"}, "quantity", "free credits match"),
    ("retire", {"quantity": "-1"}, "quantity", "greater than 0"),
    ("retire", {"beneficiary": ""}, "beneficiary", "required"),
    ("retire", {"beneficiary": "   "}, "beneficiary", "required"),
    ("retire", {"purpose": "greenwashing"}, "purpose", "listed values"),
    ("retire", {"claim": ""}, "claim", "required"),
    ("retire", {"reporting_year": "1800"}, "reporting_year", "between 1990 and 2100"),
])
def test_bad_input_is_explained_beside_its_field_and_changes_nothing(  # type: ignore[no-untyped-def]
        web: TestClient, sign_in, form: str, change: dict[str, str], field: str,
        message: str) -> None:
    sign_in(web, "sakura")
    csrf, transfer_key, retire_key = form_page(web, SAKURA)
    before = holdings_of(web, SAKURA, "sakura"), ledger_counts(web)
    base = TRANSFER_OK if form == "transfer" else RETIRE_OK
    key = transfer_key if form == "transfer" else retire_key
    response = web.post(f"/registry/accounts/{SAKURA}/{form}",
                        data={"csrf_token": csrf, "idempotency_key": key, **base, **change})
    assert response.status_code == 422
    errors = errors_in(section(response.text, f"{form}-form"))
    assert field in errors and message in errors[field], errors
    other = "retire" if form == "transfer" else "transfer"
    assert errors_in(section(response.text, f"{other}-form")) == {}
    kept = change.get(field, "").strip()
    if kept and field != "purpose":
        assert f'value="{kept}"' in section(response.text, f"{form}-form")  # the input is kept
    assert (holdings_of(web, SAKURA, "sakura"), ledger_counts(web)) == before


# --- Japanese ---------------------------------------------------------------------------------


def test_pages_render_in_japanese_with_the_glossary_terms(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    ja = {"Accept-Language": "ja"}
    projects = web.get("/registry/projects", headers=ja).text
    assert '<html lang="ja">' in projects and "妥当性確認・検証機関" in projects and "方法論" in projects
    assert "再エネ（電力）" in projects  # the J-Credit category, in Japanese
    assert "受益者" in web.get("/registry/retirements", headers=ja).text
    assert "ビンテージ" in web.get("/registry/projects/JCR-R001", headers=ja).text
    sign_in(web, "sakura")
    page = web.get(f"/registry/accounts/{SAKURA}", headers=ja).text
    assert "保有クレジット" in page and "クレジットの移転" in page and "自主的なオフセット" in page
    refused = web.post(f"/registry/accounts/{SAKURA}/transfer", headers=ja, data={
        "csrf_token": csrf_of(page), "idempotency_key": "web-ja", "to_account_id": str(NIHON_STEEL),
        "quantity": "999999999"})
    errors = errors_in(section(refused.text, "transfer-form"))
    assert errors["quantity"].startswith("クレジットが不足しています")


def test_a_form_sent_to_a_retirement_account_shows_the_refusal(web: TestClient, sign_in) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "sakura")
    csrf, key, _ = form_page(web, SAKURA)
    before = ledger_counts(web)
    response = web.post(f"/registry/accounts/{SAKURA + 1}/transfer", data={
        "csrf_token": csrf, "idempotency_key": key, "to_account_id": str(NIHON_STEEL),
        "quantity": "1"})
    assert response.status_code == 422
    errors = errors_in(section(response.text, "transfer-form"))
    assert "retirement account" in errors["_form"]
    assert ledger_counts(web) == before
