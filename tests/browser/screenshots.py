"""Screenshots of the main pages for docs/screenshots/ (README), taken in the real browser.

Not part of the suite (the file name is not test_*.py); run it by name when the pages change:

    .venv/bin/python -m pytest tests/browser/screenshots.py -p no:cacheprovider

Japanese glyphs need a CJK font on the machine (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

from pathlib import Path

import pytest

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = [  # (file, signed in as, language, path)
    ("market-ja.png", None, "ja", "/market/TSE-JCR-FORESTRY"),
    ("market-trader-en.png", "sakura", "en", "/market/TSE-JCR-FORESTRY"),
    ("market-chart-ja.png", None, "ja", "/market/TSE-JCR-FORESTRY#h-chart"),
    ("contracts-en.png", None, "en", "/market"),
    ("projects-ja.png", None, "ja", "/registry/projects"),
    ("retirements-en.png", None, "en", "/registry/retirements"),
    ("account-ja.png", "sakura", "ja", "/registry/accounts/1"),
    ("surveillance-en.png", "compliance", "en", "/surveillance"),
    ("greenium-en.png", None, "en", "/analytics/greenium"),
    ("impact-ja.png", None, "ja", "/analytics/impact"),
]


@pytest.fixture(scope="module")
def analyses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from greenmarket.analyses.cli import demo_runs

    root = tmp_path_factory.mktemp("analysis")
    demo_runs(root, seed=1)
    return root


@pytest.fixture
def server_setup(analyses: Path):  # type: ignore[no-untyped-def]
    """The demo as ``make run`` shows it: with surveillance cases and analysis runs."""
    from greenmarket.demo import load_surveillance
    from greenmarket.storage.db import Database

    def setup(url: str) -> dict[str, str]:
        database = Database(url)
        load_surveillance(database)
        database.dispose()
        return {"GREENMARKET_ANALYSIS_DIR": str(analyses)}
    return setup


@pytest.mark.parametrize(("name", "who", "language", "path"), SHOTS)
def test_screenshot(new_page, sign_in_as, name: str, who: str | None, language: str,
                    path: str) -> None:
    page = new_page(language)
    page.set_viewport_size({"width": 1280, "height": 900})
    if who:
        sign_in_as(page, who)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / name), full_page=False)
