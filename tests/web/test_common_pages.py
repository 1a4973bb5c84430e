"""The frame every page shares: languages, sign-in, CSRF, error pages, the message catalogues."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from fastapi.testclient import TestClient

from greenmarket.web.i18n import LANGUAGES, accepted_language, catalogue


@pytest.mark.parametrize(("header", "expected"), [
    ("ja,en-US;q=0.9", "ja"), ("en-GB,en;q=0.8,ja;q=0.5", "en"), ("fr-FR,ja;q=0.3", "ja"),
    ("ja;q=0.2,en;q=0.9", "en"), ("de", None), ("", None), ("ja;q=0", None), ("ja;q=abc,en", "en"),
])
def test_browser_language_is_the_first_of_ja_en_by_preference(header: str, expected: str) -> None:
    assert accepted_language(header) == expected


def test_home_follows_the_browser_language_then_the_switch(web: TestClient) -> None:
    japanese = web.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    assert japanese.status_code == 200
    assert '<html lang="ja">' in japanese.text and "市場" in japanese.text
    assert '<html lang="en">' in web.get("/").text

    switched = web.get("/lang/ja?next=/market", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/market"
    web.cookies.set("gm_lang", "ja")
    assert '<html lang="ja">' in web.get("/", headers={"Accept-Language": "en"}).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_redirects_stay_on_this_site(web: TestClient, target: str) -> None:
    response = web.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"
    signed = web.post("/signin", data={"token": "gm_demo_sakura", "next": target},
                      follow_redirects=False)
    assert signed.headers["location"] == "/"


def test_sign_in_with_an_unknown_token_says_so_next_to_the_field(web: TestClient) -> None:
    response = web.post("/signin", data={"token": "gm_not_a_token", "next": "/"})
    assert response.status_code == 401
    assert 'data-error-for="token"' in response.text
    assert "gm_session" not in web.cookies


def test_sign_in_names_the_user_and_the_session_cookie_is_http_only(web: TestClient) -> None:
    response = web.post("/signin", data={"token": "gm_demo_sakura", "next": "/"},
                        follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = web.get("/")
    assert "Sakura Solar trader" in page.text


def test_sign_out_needs_the_form_csrf_value(web: TestClient, sign_in, csrf_of) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "sakura")
    refused = web.post("/signout", data={"csrf_token": "0" * 64})
    assert refused.status_code == 403
    assert "gm_session" in web.cookies
    web.post("/signout", data={"csrf_token": csrf_of(web.get("/").text)})
    assert "Sakura Solar trader" not in web.get("/").text


def test_pages_fail_as_pages_and_the_api_as_problems(web: TestClient) -> None:
    page = web.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = web.get("/v1/no/such/thing")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


def test_every_message_has_both_languages() -> None:
    messages = catalogue()
    assert messages, "no messages loaded"
    for key, texts in messages.items():
        assert set(texts) == set(LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key


def test_every_message_a_template_names_exists() -> None:
    """A literal t("key") in any template must be in the catalogues (no untranslated labels)."""
    known = catalogue()
    pattern = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']\s*[,)]""")  # not t("prefix." ~ x)
    missing = []
    templates = files("greenmarket.web").joinpath("templates")
    stack = [templates]
    while stack:
        folder = stack.pop()
        for item in folder.iterdir():
            if item.is_dir():
                stack.append(item)
            elif item.name.endswith(".html"):
                missing += [f"{item.name}: {key}" for key in pattern.findall(item.read_text("utf-8"))
                            if key not in known]
    assert not missing, missing
