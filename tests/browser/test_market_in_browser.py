"""The market in a real browser: the live book and auction, placing, amending and cancelling an
order, errors next to fields, an auction uncross watched live, the language switch."""

from __future__ import annotations

import re

from playwright.sync_api import expect

FORESTRY = "/market/TSE-JCR-FORESTRY"


def enter_order(page, price: str, quantity: str, side: str = "buy") -> None:  # type: ignore[no-untyped-def]
    """Fill the order form of the contract page open in ``page`` and send it."""
    form = page.get_by_test_id("order-form")
    form.locator("#f-side").select_option(side)
    form.locator("#f-price").fill(price)
    form.locator("#f-quantity").fill(quantity)
    form.get_by_test_id("place-order").click()


def test_the_market_page_shows_the_book_the_live_auction_and_the_chart(new_page) -> None:
    page = new_page()
    page.goto("/market")
    expect(page.get_by_test_id("contracts")).to_contain_text("TSE-JCR-FORESTRY")
    page.click(f"a[href='{FORESTRY}']")
    expect(page.get_by_test_id("session-state")).to_have_text("Call auction open")
    # The demo book: buys 3,260 × 300 and 3,150 × 200, sells 3,250 × 400 and 3,300 × 600.
    expect(page.get_by_test_id("book")).to_contain_text("3,260")
    expect(page.get_by_test_id("indicative-price")).to_have_text("3,250 JPY")
    expect(page.get_by_test_id("indicative-volume")).to_have_text("300")
    chart = page.get_by_test_id("chart")
    expect(chart).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())


def test_a_participant_places_amends_and_cancels_an_order(new_page, sign_in_as) -> None:
    page = new_page()
    sign_in_as(page, "sakura")
    page.goto(FORESTRY)
    enter_order(page, "3200", "100")
    expect(page.locator(".notice")).to_contain_text(re.compile(r"Order \d+ placed"))
    row = page.get_by_test_id("my-orders").locator("tr[data-order-id]")
    expect(row).to_have_count(1)
    order_id = row.get_attribute("data-order-id")
    expect(page.get_by_test_id("book")).to_contain_text("3,200")

    amend = page.get_by_test_id(f"amend-form-{order_id}")
    amend.locator("input[name=price]").fill("3210")
    amend.locator("input[name=quantity]").fill("80")
    amend.get_by_test_id(f"amend-{order_id}").click()
    expect(page.locator(".notice")).to_contain_text(f"Order {order_id} amended")
    expect(page.get_by_test_id("my-orders")).to_contain_text("3,210")

    page.get_by_test_id(f"cancel-{order_id}").click()
    expect(page.locator(".notice")).to_contain_text(f"Order {order_id} cancelled")
    expect(page.get_by_test_id("my-orders").locator("tr[data-order-id]")).to_have_count(0)
    expect(page.get_by_test_id("book")).not_to_contain_text("3,210")
    page.goto("/market/mine")
    expect(page.get_by_test_id("cash")).to_contain_text("JPY")


def test_bad_orders_show_the_servers_message_next_to_the_field(new_page, sign_in_as) -> None:
    page = new_page()
    sign_in_as(page, "sakura")
    page.goto(FORESTRY)
    enter_order(page, "3200", "lots")
    expect(page.locator("[data-error-for=quantity]")).to_have_text("Enter a whole number.")
    expect(page.locator("#f-quantity")).to_have_value("lots")

    enter_order(page, "99999", "100")
    expect(page.locator("[data-error-for=price]")).to_contain_text("band")
    expect(page.get_by_test_id("my-orders").locator("tr[data-order-id]")).to_have_count(0)


def test_an_auction_uncross_is_watched_live(new_page, sign_in_as) -> None:
    watcher = new_page()
    watcher.goto(FORESTRY)
    expect(watcher.get_by_test_id("indicative-volume")).to_have_text("300")

    trader = new_page()
    sign_in_as(trader, "sakura")
    trader.goto(FORESTRY)
    enter_order(trader, "3300", "150")
    expect(trader.locator(".notice")).to_contain_text("placed")
    # The watcher's page was not reloaded: its live region follows the book.
    expect(watcher.get_by_test_id("indicative-volume")).to_have_text("400")
    indicative = watcher.get_by_test_id("indicative-price").inner_text()
    tape_rows = watcher.get_by_test_id("tape").locator("tr[data-trade-id]")
    earlier = {row.get_attribute("data-trade-id") for row in tape_rows.all()}  # the demo's days

    operator = new_page()
    sign_in_as(operator, "admin")
    operator.goto(FORESTRY)
    operator.get_by_test_id("session-auction").click()
    expect(operator.locator(".notice")).to_contain_text("Call auction run")

    expect(watcher.get_by_test_id("session-state")).to_have_text("Closed")
    expect(watcher.get_by_test_id("tape")).to_contain_text("auction")
    # The auction trades at the price the page showed as indicative, for the volume it showed.
    expect(watcher.get_by_test_id("last-price")).to_have_text(indicative)
    quantities = [int(row.locator("td:nth-child(3)").inner_text().replace(",", ""))
                  for row in tape_rows.all() if row.get_attribute("data-trade-id") not in earlier]
    assert sum(quantities) == 400
    trader.goto("/market/mine")
    expect(trader.get_by_test_id("settlements")).to_contain_text("TSE-JCR-FORESTRY:T")


def test_the_language_switch_and_the_browser_language(new_page) -> None:
    page = new_page("ja")
    page.goto(FORESTRY)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_test_id("session-state")).to_contain_text("板寄せ")
    page.get_by_test_id("language-switch").get_by_text("English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("session-state")).to_have_text("Call auction open")
    page.goto("/market")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the choice is remembered
    page.get_by_test_id("language-switch").get_by_text("日本語").click()
    expect(page.locator("h1")).to_have_text("市場")
