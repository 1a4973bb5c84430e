"""The registry in a real browser: transfer and retire credits through the forms, see the public
retirement, and one participant cannot open another's account page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

SAKURA_HOLDING, SAKURA_RETIREMENT, STEEL_HOLDING = 1, 2, 9  # the demo's accounts


def available(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.get_by_test_id("total-active").inner_text().replace(",", ""))


def test_a_participant_transfers_and_retires_credits(new_page, sign_in_as) -> None:
    page = new_page()
    sign_in_as(page, "sakura")
    page.goto("/registry/accounts")
    page.get_by_test_id("accounts").locator(f"a[href='/registry/accounts/{SAKURA_HOLDING}']").click()
    expect(page.get_by_test_id("holdings")).to_be_visible()
    before = available(page)

    page.get_by_test_id("transfer-to_account_id").fill(str(STEEL_HOLDING))
    page.get_by_test_id("transfer-quantity").fill("25")
    page.get_by_test_id("transfer-submit").click()
    expect(page.get_by_test_id("notice")).to_be_visible()
    assert available(page) == before - 25

    page.get_by_test_id("retire-quantity").fill("10")
    page.get_by_test_id("retire-beneficiary").fill("Sakura Solar 2026 offices")
    page.get_by_test_id("retire-purpose").select_option("voluntary_offset")
    page.get_by_test_id("retire-claim").fill("Scope 2 emissions of the Osaka office, FY2026")
    page.get_by_test_id("retire-reporting_year").fill("2026")
    page.get_by_test_id("retire-submit").click()
    expect(page.get_by_test_id("notice")).to_be_visible()
    assert available(page) == before - 35

    page.goto("/registry/retirements")
    expect(page.get_by_test_id("retirements")).to_contain_text("Sakura Solar 2026 offices")


def test_refusals_appear_next_to_the_field_and_move_nothing(new_page, sign_in_as) -> None:
    page = new_page()
    sign_in_as(page, "sakura")
    page.goto(f"/registry/accounts/{SAKURA_HOLDING}")
    before = available(page)
    page.get_by_test_id("transfer-to_account_id").fill(str(STEEL_HOLDING))
    page.get_by_test_id("transfer-quantity").fill("99999999")
    page.get_by_test_id("transfer-submit").click()
    expect(page.get_by_test_id("transfer-quantity-error")).to_be_visible()
    expect(page.get_by_test_id("transfer-quantity")).to_have_value("99999999")
    assert available(page) == before


def test_a_participant_cannot_open_another_participants_account(new_page, sign_in_as) -> None:
    page = new_page()
    sign_in_as(page, "sakura")
    response = page.goto(f"/registry/accounts/{STEEL_HOLDING}")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("error-message")).to_contain_text("does not exist")
    expect(page.get_by_test_id("holdings")).to_have_count(0)
    expect(page.get_by_test_id("transfer-form")).to_have_count(0)
    # The same page is open to its owner.
    owner = new_page()
    sign_in_as(owner, "nihonsteel")
    owner.goto(f"/registry/accounts/{STEEL_HOLDING}")
    expect(owner.get_by_test_id("holdings")).to_be_visible()
    # And the public is sent to sign in.
    public = new_page()
    public.goto(f"/registry/accounts/{SAKURA_HOLDING}")
    expect(public).to_have_url(re.compile(r"/signin\?next="))
