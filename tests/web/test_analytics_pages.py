"""Green-bond analytics pages over real greenium and impact runs made by ``greenmarket analyses``.

The runs are small (a synthetic universe of one issuer per currency over half a year, and the
impact sample) and made once for the module through the same CLI a user runs.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from greenmarket.analyses.cli import app as analyses
from greenmarket.analyses.runs import list_runs
from greenmarket.api.app import create_app
from greenmarket.bonds.synthetic import UniverseSpec, write_universe
from greenmarket.clock import FixedClock
from greenmarket.impact import sample
from greenmarket.storage.db import Database

SPEC = UniverseSpec(seed=3, issuers_per_currency=1, start=date(2022, 1, 3), end=date(2022, 6, 30),
                    greenium_mean_bp={"EUR": 3.0, "JPY": 0.5}, distractors=False)


def analyses_cli(*arguments: str) -> None:
    result = CliRunner().invoke(analyses, list(arguments))
    assert result.exit_code == 0, result.output + repr(result.exception)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two greenium runs (the older with charts, named to sort after the newer) and an impact run."""
    inputs, root = tmp_path_factory.mktemp("inputs"), tmp_path_factory.mktemp("runs")
    write_universe(SPEC, inputs / "universe")
    sample.write_sample(inputs / "impact", seed=1, as_of=sample.DEFAULT_AS_OF)
    universe = str(inputs / "universe")
    analyses_cli("greenium", "--data", universe, "--runs", str(root), "--id", "b-older",
                 "--resamples", "200")
    analyses_cli("greenium", "--data", universe, "--runs", str(root), "--id", "a-newer",
                 "--resamples", "200", "--min-days", "30", "--no-report")
    analyses_cli("impact", "--data", str(inputs / "impact"), "--as-of", "2024-06-30",
                 "--runs", str(root), "--id", "first", "--greenium", str(inputs / "impact" / "greenium"))
    return root


@pytest.fixture(scope="module")
def site(sqlite_demo_template: Path, runs: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One client for the module: these pages only read the runs (the database is untouched)."""
    path = tmp_path_factory.mktemp("site") / "demo.db"
    shutil.copyfile(sqlite_demo_template, path)
    database = Database(f"sqlite:///{path}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GREENMARKET_ANALYSIS_DIR", str(runs))
        yield TestClient(create_app(database, FixedClock(datetime(2025, 6, 2, tzinfo=UTC))),
                         headers={"Accept-Language": "en"})
    database.dispose()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def fixed(value: str, places: int) -> str:
    return f"{Decimal(value):,.{places}f}" if value else "–"


def table_cells(html: str, testid: str, column: str) -> list[str]:
    block = html.split(f'data-testid="table-{testid}"', 1)[1].split("</table>", 1)[0]
    return [cell.strip() for cell in re.findall(rf'data-col="{column}">([^<]*)<', block)]


def test_without_runs_the_pages_say_which_command_makes_one(web: TestClient, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENMARKET_ANALYSIS_DIR", str(tmp_path / "nothing-here"))
    for path, command in (("/analytics/greenium", "greenmarket analyses greenium --data DIR"),
                          ("/analytics/impact", "greenmarket analyses impact --data DIR")):
        english = web.get(path)
        assert english.status_code == 200 and 'data-testid="no-run"' in english.text
        assert command in english.text and "No analysis run yet." in english.text
        assert "まだ分析が実行されていません" in web.get(path, headers={"Accept-Language": "ja"}).text
    index = web.get("/analytics").text
    assert index.count('data-testid="no-run"') == 2 and "greenmarket analyses demo" in index


def test_the_latest_run_is_the_last_finished_whatever_its_name(site: TestClient, runs: Path) -> None:
    assert [run.run_id for run in list_runs(runs, "greenium")] == ["a-newer", "b-older"]
    index = site.get("/analytics").text
    latest = index.split('data-testid="runs-greenium"', 1)[1].split("</section>", 1)[0]
    assert "<dd>a-newer</dd>" in latest and "--min-days 30 --no-report" in latest
    assert 'href="/analytics/greenium/b-older"' in latest  # an earlier run
    assert 'data-testid="run-id">a-newer<' in site.get("/analytics/greenium").text
    assert 'data-testid="run-id">b-older<' in site.get("/analytics/greenium?run=b-older").text


def test_greenium_page_shows_the_runs_own_figures(site: TestClient, runs: Path) -> None:
    folder = runs / "greenium" / "b-older"
    page = site.get("/analytics/greenium/b-older").text
    summary = rows(folder / "currency_summary.csv")
    assert summary, "the run found no pairs: the universe is too small"
    assert table_cells(page, "headline", "currency") == [row["currency"] for row in summary]
    assert table_cells(page, "headline", "mean_bp") == [fixed(row["mean_bp"], 2) for row in summary]
    assert table_cells(page, "headline", "median_bp") == [fixed(row["median_bp"], 2) for row in summary]
    assert table_cells(page, "headline", "t_p") == [fixed(row["t_p"], 4) for row in summary]
    pairs = rows(folder / "greenium_by_bond.csv")
    assert table_cells(page, "pairs", "green_isin") == [row["green_isin"] for row in pairs][:20]
    assert table_cells(page, "pairs", "mean_greenium_bp") == [
        fixed(row["mean_greenium_bp"], 2) for row in pairs][:20]
    assert table_cells(page, "quarters", "quarter") == [row["quarter"] for row in rows(folder / "quarterly.csv")][:20]
    japanese = site.get("/analytics/greenium/b-older", headers={"Accept-Language": "ja"}).text
    assert "平均グリーニアム（bp）" in japanese and "通貨別グリーニアムの要約" in japanese


def test_tables_are_paged(site: TestClient, runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("greenmarket.web.analytics.PAGE_SIZE", 2)
    pairs = rows(runs / "greenium" / "b-older" / "greenium_by_bond.csv")
    assert len(pairs) > 2
    second = site.get("/analytics/greenium/b-older?pairs_page=2").text
    assert table_cells(second, "pairs", "green_isin") == [row["green_isin"] for row in pairs[2:4]]
    assert 'rel="prev"' in second
    beyond = site.get("/analytics/greenium/b-older?pairs_page=999").text  # the last page
    assert table_cells(beyond, "pairs", "green_isin") == [row["green_isin"] for row in pairs][-(len(pairs) % 2 or 2):]
    assert site.get("/analytics/greenium/b-older?pairs_page=abc").status_code == 200


def test_the_charts_are_served_from_the_run_folder(site: TestClient, runs: Path) -> None:
    folder = runs / "greenium" / "b-older"
    charts = sorted(path.name for path in folder.glob("*.png"))
    assert "by_bond.png" in charts
    page = site.get("/analytics/greenium/b-older").text
    served = re.findall(r'<img class="chart" src="/analytics/greenium/b-older/files/([^"]+)"', page)
    assert sorted(served) == charts
    image = site.get("/analytics/greenium/b-older/files/by_bond.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content == (folder / "by_bond.png").read_bytes()
    report = site.get("/analytics/greenium/b-older/files/report.html")
    assert report.status_code == 200 and "sandbox" in report.headers["content-security-policy"]
    assert 'data-testid="charts"' not in site.get("/analytics/greenium/a-newer").text  # --no-report


@pytest.mark.parametrize("path", [
    "/analytics/greenium/b-older/files/..%2F..%2Fimpact%2Ffirst%2Freport.html",
    "/analytics/greenium/b-older/files/..%2Fa-newer%2Fsummary.json",
    "/analytics/greenium/b-older/files/%2E%2E",
    "/analytics/greenium/b-older/files/run.json",
    "/analytics/greenium/b-older/files/summary.json",
    "/analytics/greenium/b-older/files/nothing.png",
    "/analytics/greenium/..%2Fimpact/files/report.html",
    "/analytics/greenium/no-such-run/files/by_bond.png",
    "/analytics/secrets/b-older/files/by_bond.png",
    "/analytics/greenium/no-such-run",
])
def test_nothing_else_is_served(site: TestClient, path: str) -> None:
    response = site.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_a_link_out_of_a_run_folder_is_not_followed(site: TestClient, runs: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    link = runs / "greenium" / "b-older" / "leak.csv"
    try:
        os.symlink(secret, link)
    except OSError:
        pytest.skip("no symbolic links here")
    try:
        assert site.get("/analytics/greenium/b-older/files/leak.csv").status_code == 404
    finally:
        link.unlink()


def test_impact_page_shows_the_runs_own_figures(site: TestClient, runs: Path) -> None:
    folder = runs / "impact" / "first"
    impact = rows(folder / "portfolio_impact.csv")
    for scope in ("ALL", "EUR"):
        page = site.get(f"/analytics/impact?scope={scope}").text
        expected = [row for row in impact if row["scope"] == scope]
        assert table_cells(page, "impact", "weighted_impact") == [fixed(r["weighted_impact"], 2) for r in expected]
        assert table_cells(page, "impact", "bonds_reporting") == [r["bonds_reporting"] for r in expected]
        shares = [r for r in rows(folder / "categories.csv") if r["scope"] == scope]
        assert table_cells(page, "categories", "share") == [
            fixed(str(Decimal(r["share"]) * 100), 1) + "%" for r in shares]
    page = site.get("/analytics/impact").text
    overdue = next(r for r in rows(folder / "reporting_status_shares.csv")
                   if r["scope"] == "ALL" and r["status"] == "overdue")
    assert f'{overdue["bonds"]} ({fixed(str(Decimal(overdue["share"]) * 100), 1)}%)' in page
    correlation = rows(folder / "greenium_correlation.csv")
    assert table_cells(page, "correlation", "spearman_rho") == [fixed(r["spearman_rho"], 3) for r in correlation]
    assert "1,000,000,000" in page and "2024-06-30" in page
    assert site.get("/analytics/impact?scope=<script>").status_code == 200  # unknown scope: all
    japanese = site.get("/analytics/impact", headers={"Accept-Language": "ja"}).text
    for label in ("加重インパクト", "報告期限切れ", "再生可能エネルギー", "削減・削減貢献・回避した温室効果ガス排出量"):
        assert label in japanese


def test_the_cli_keeps_failed_runs_out_and_chooses_the_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(analyses, ["greenium", "--data", str(tmp_path / "missing"),
                                           "--runs", str(tmp_path), "--id", "broken"])
    assert result.exit_code != 0
    assert not (tmp_path / "greenium" / "broken").exists() and list_runs(tmp_path, "greenium") == []
    refused = CliRunner().invoke(analyses, ["greenium", "--data", str(tmp_path), "--runs", str(tmp_path),
                                            "--out", str(tmp_path / "elsewhere")])
    assert refused.exit_code != 0 and not (tmp_path / "elsewhere").exists()
