"""Market pages over the API's handlers: what they show equals the API, actions obey its rules."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

FORESTRY = "/market/TSE-JCR-FORESTRY"


def place(web: TestClient, csrf: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf, "idempotency_key": fields.pop("key", "web-test-1"),
            "side": "buy", "order_type": "limit", "time_in_force": "day", **fields}
    return web.post(f"{FORESTRY}/orders", data=data, follow_redirects=False)


def test_the_contract_page_shows_the_apis_book_and_indicative_price(web: TestClient) -> None:
    book = web.get("/v1/contracts/TSE-JCR-FORESTRY/book").json()
    html = web.get(FORESTRY).text
    for level in book["bids"] + book["asks"]:
        assert f"{int(level['price']):,}" in html
    assert f'data-testid="indicative-price">{int(book["indicative"]["price"]):,} JPY<' in html
    assert "order-form" not in html  # the public cannot trade
    japanese = web.get(FORESTRY, headers={"Accept-Language": "ja"}).text
    assert "参考気配" in japanese and "板" in japanese


def test_an_order_placed_on_the_page_is_the_apis_order(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "sakura")
    csrf = csrf_of(web.get(FORESTRY).text)
    response = place(web, csrf, price="3200", quantity="100")
    assert response.status_code == 303
    assert re.search(r"done=placed&order=\d+", response.headers["location"])
    again = place(web, csrf, price="3200", quantity="100")  # the same form sent twice
    assert again.status_code == 303
    orders = web.get("/v1/orders?open=true",
                     headers={"Authorization": "Bearer gm_demo_sakura"}).json()
    assert [(o["limit_price"], o["open_quantity"]) for o in orders] == [("3200", 100)]
    assert "Order " in web.get(response.headers["location"]).text


def test_refused_orders_are_shown_by_field_and_change_nothing(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "sakura")
    csrf = csrf_of(web.get(FORESTRY).text)
    sakura = {"Authorization": "Bearer gm_demo_sakura"}
    before = web.get("/v1/orders", headers=sakura).json()  # the demo's days of trading
    cases = [({"price": "3200", "quantity": "0"}, "quantity"),
             ({"price": "3200", "quantity": "x"}, "quantity"),
             ({"price": "3200.5", "quantity": "10"}, "price"),
             ({"price": "99999", "quantity": "10"}, "price"),
             ({"price": "3200", "quantity": "100000000"}, "_form"),  # cash: not a form field
             ({"price": "3200", "quantity": "10", "side": "lend"}, "side")]
    for fields, field in cases:
        response = place(web, csrf, key=f"web-bad-{field}-{fields['quantity']}", **fields)
        assert response.status_code == 422, fields
        assert f'data-error-for="{field}"' in response.text, (fields, response.text[-2000:])
    assert web.get("/v1/orders", headers=sakura).json() == before


def test_nobody_touches_another_participants_order(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    steel = TestClient(web.app, headers={"Accept-Language": "en"})
    sign_in(steel, "nihonsteel")
    csrf = csrf_of(steel.get(FORESTRY).text)
    place(steel, csrf, price="3100", quantity="50")
    order_id = steel.get("/v1/orders?open=true",
                         headers={"Authorization": "Bearer gm_demo_nihonsteel"}).json()[0]["order_id"]
    sign_in(web, "sakura")
    own_csrf = csrf_of(web.get(FORESTRY).text)
    for action, data in (("cancel", {}), ("amend", {"price": "3000", "quantity": "10"})):
        response = web.post(f"{FORESTRY}/orders/{order_id}/{action}",
                            data={"csrf_token": own_csrf, **data})
        assert response.status_code in (404, 422), action
        assert "does not exist" in response.text
    still = steel.get("/v1/orders?open=true",
                      headers={"Authorization": "Bearer gm_demo_nihonsteel"}).json()
    assert [(o["order_id"], o["open_quantity"], o["limit_price"]) for o in still] == [
        (order_id, 50, "3100")]


def test_actions_need_the_forms_csrf_value_and_the_right_role(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "sakura")
    refused = place(web, "f" * 64, price="3200", quantity="100")
    assert refused.status_code == 403
    csrf = csrf_of(web.get(FORESTRY).text)
    operator_only = web.post(f"{FORESTRY}/session/auction", data={"csrf_token": csrf})
    assert operator_only.status_code == 403
    assert web.get("/v1/contracts/TSE-JCR-FORESTRY/book").json()["session"] is not None
    public = TestClient(web.app)
    assert public.get("/market/mine", follow_redirects=False).headers["location"].startswith(
        "/signin?next=")


def tape_volume(web: TestClient) -> int:
    return sum(t["quantity"] for t in web.get("/v1/marketdata/tape?contract=TSE-JCR-FORESTRY").json())


def test_the_operator_runs_the_auction_and_the_tape_shows_it(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    indicative = web.get("/v1/contracts/TSE-JCR-FORESTRY/book").json()["indicative"]
    traded_before = tape_volume(web)  # the demo's days of trading
    sign_in(web, "admin")
    csrf = csrf_of(web.get(FORESTRY).text)
    response = web.post(f"{FORESTRY}/session/auction", data={"csrf_token": csrf})
    assert response.status_code == 200 and "Call auction run" in response.text
    live = web.get(f"{FORESTRY}/live").text
    assert "Closed" in live and f'data-testid="last-price">{int(indicative["price"]):,} JPY' in live
    assert tape_volume(web) - traded_before == indicative["volume"]
    chart = web.get(f"{FORESTRY}/chart.svg")
    assert chart.headers["content-type"] == "image/svg+xml" and b"<svg" in chart.content


def test_notices_come_only_from_known_codes(web: TestClient) -> None:
    html = web.get(FORESTRY, params={"done": "<script>x</script>", "order": "1"}).text
    assert "<script>x</script>" not in html and 'class="notice"' not in html


def test_the_chart_is_drawn_in_the_pages_language_over_the_demos_trading_days(web: TestClient) -> None:
    for language, price_label, quantity_label in (("ja", "値段（JPY）", "数量（t）"),
                                                  ("en", "Price (JPY)", "Quantity (t)")):
        chart = web.get(f"{FORESTRY}/chart.svg", params={"lang": language})
        assert chart.headers["content-type"] == "image/svg+xml"
        svg = chart.text  # labels stay text, drawn with the browser's fonts
        assert f">{price_label}<" in svg and f">{quantity_label}<" in svg
        assert "No trades yet" not in svg and "約定はまだありません" not in svg
    page = web.get(FORESTRY, params={"lang": "ja"}).text
    assert "東証型カーボン・クレジット市場" in page and "森林" in page
