"""Nothing breaks on bad input: arbitrary form fields and query strings on every page and form
get a page (2xx, 3xx or 4xx), never a server error, and a refused form changes nothing."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = 60 if os.environ.get("CI") == "true" else 150
FORMS = ["/market/TSE-JCR-FORESTRY/orders", "/market/TSE-JCR-FORESTRY/orders/1/amend",
         "/market/TSE-JCR-FORESTRY/orders/1/cancel", "/market/TSE-JCR-FORESTRY/session/auction",
         "/registry/accounts/1/transfer", "/registry/accounts/1/retire",
         "/registry/accounts/9/transfer", "/surveillance/cases/1", "/signin"]
PAGES = ["/", "/market", "/market/TSE-JCR-FORESTRY", "/market/mine", "/registry/projects",
         "/registry/retirements", "/registry/accounts", "/registry/accounts/1", "/surveillance",
         "/analytics", "/analytics/greenium", "/analytics/impact"]
FIELDS = ["side", "order_type", "price", "quantity", "time_in_force", "client_order_id",
          "to_account_id", "project_id", "vintage", "beneficiary", "purpose", "claim",
          "reporting_year", "status", "assignee", "note", "token", "next", "lang", "page",
          "scope", "program", "category", "done", "order", "ref", "run", "rule"]
text = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.sampled_from(["", " ", "buy", "sell", "limit", "market", "day", "ioc", "fok", "3200",
                     "1", "0", "-1", "9", "2026", "\x00", "../../etc/passwd", "<script>",
                     "voluntary_offset", "closed", "open"]),
)
form = st.dictionaries(st.sampled_from(FIELDS), text, max_size=8)


def _client(web: TestClient, sign_in, who: str) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(web.app, headers={"Accept-Language": "ja"})
    return sign_in(client, who)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(who=st.sampled_from(["sakura", "admin", "compliance"]), path=st.sampled_from(FORMS),
       fields=form, with_csrf=st.booleans())
def test_forms_never_fail_with_a_server_error(web, sign_in, csrf_of, who, path, fields,  # type: ignore[no-untyped-def]
                                              with_csrf) -> None:
    client = _client(web, sign_in, who)
    data = dict(fields)
    if with_csrf:
        data["csrf_token"] = csrf_of(client.get("/").text)
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code < 500, (path, data, response.text[-500:])
    if not with_csrf and path != "/signin":
        assert response.status_code == 403


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(who=st.sampled_from([None, "sakura", "auditor", "compliance"]), path=st.sampled_from(PAGES),
       query=form)
def test_pages_never_fail_with_a_server_error(web, sign_in, who, path, query) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(web.app) if who is None else _client(web, sign_in, who)
    response = client.get(path, params=query, follow_redirects=False)
    assert response.status_code < 500, (path, query, response.text[-500:])
