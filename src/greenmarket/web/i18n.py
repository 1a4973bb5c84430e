"""Japanese and English: the message catalogues and how a request's language is chosen.

Each area keeps its own catalogue (``messages/<area>.yaml``: ``key: {en: …, ja: …}``); a key
defined twice, or missing a language, is refused when the catalogues load, so no page can show a
half-translated label. A request's language is, in order: ``?lang=``, the ``gm_lang`` cookie that
the switch sets, the browser's ``Accept-Language``, and English.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from fastapi import Request

LANGUAGES = ("ja", "en")
LANGUAGE_COOKIE = "gm_lang"
DEFAULT_LANGUAGE = "en"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message of every area, checked: each key once, each in both languages."""
    merged: dict[str, dict[str, str]] = {}
    for resource in sorted(files("greenmarket.web").joinpath("messages").iterdir(),
                           key=lambda r: r.name):
        if not resource.name.endswith(".yaml"):
            continue
        for key, texts in (yaml.safe_load(resource.read_text("utf-8")) or {}).items():
            if key in merged:
                raise ValueError(f"message {key!r} is defined twice ({resource.name})")
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
                raise ValueError(f"message {key!r} in {resource.name} needs exactly ja and en")
            merged[key] = {lang: str(text) for lang, text in texts.items()}
    return merged


def accepted_language(header: str | None) -> str | None:
    """The first of ja/en the browser prefers (``Accept-Language`` with q-values), if any."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else None


def request_language(request: Request) -> str:
    """The language a page is rendered in (see the module docstring for the order)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return accepted_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


class Translator:
    """``t("key", name=value)``: the message in the page's language, with ``{name}`` filled in."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.other = "en" if language == "ja" else "ja"

    def __call__(self, key: str, **values: Any) -> str:
        texts = catalogue().get(key)
        if texts is None:
            raise KeyError(f"no message {key!r}")
        return texts[self.language].format(**values) if values else texts[self.language]

    def has(self, key: str) -> bool:
        return key in catalogue()
