"""End to end: ``greenmarket impact sample`` then ``impact run`` on it; columns and invariants."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.impact.catalogue import indicators
from greenmarket.impact.status import STATUSES

AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("impact")
    data, out = root / "data", root / "out"
    runner = CliRunner()
    sample = runner.invoke(app, ["impact", "sample", "--out", str(data), "--seed", "7"])
    assert sample.exit_code == 0, sample.output
    run = runner.invoke(app, ["impact", "run", "--data", str(data), "--out", str(out), "--as-of", AS_OF,
                              "--greenium", str(data / "greenium"), "--seed", "3"])
    assert run.exit_code == 0, run.output
    assert "Portfolio-weighted impact" in run.output and "reporting status:" in run.output
    return data, out


def read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, keep_default_na=False, na_values=[""])


def test_sample_is_a_realistic_portfolio(run_dirs) -> None:
    data, _ = run_dirs
    bonds = read(data, "bonds.csv")
    green = bonds[bonds["esg_type"].isin(["green", "blue", "sustainability"])]
    assert 75 <= len(green) <= 85 and len(bonds) > len(green)
    assert {"EUR", "JPY", "USD"} <= set(green["currency"])
    reports = read(data, "impact_reports.csv")
    assert {"kWh", "GWh", "ktCO2e", "ha"} & set(reports["unit"].dropna()) and \
        set(reports["level"]) == {"bond", "project", "pooled", "category", "geography"}
    assert (reports["period"] == "cumulative").any()
    assert reports["period"].str.startswith("cumulative:").any()


def test_formats_columns(run_dirs) -> None:
    _, out = run_dirs
    expected = {
        "portfolio_impact.csv": ["scope", "indicator", "unit", "weighted_impact", "bonds_reporting"],
        "reporting_status.csv": ["isin", "status", "standard", "standard_breach"],
        "flags.csv": ["isin", "indicator", "report_date", "reason"],
        "categories.csv": ["scope", "category", "share"],
        "sdgs.csv": ["scope", "sdg", "share"],
        "greenium_impact.csv": ["currency", "greenium_rank", "green_isin", "mean_greenium_bp", "indicator",
                                "impact_per_usd"],
        "greenium_correlation.csv": ["currency", "indicator", "bonds", "spearman_rho", "ci_low", "ci_high"],
    }
    for name, columns in expected.items():
        assert set(columns) <= set(read(out, name).columns), name
    assert (out / "report.html").stat().st_size > 10_000


def test_invariants(run_dirs) -> None:
    data, out = run_dirs
    bonds = read(data, "bonds.csv")
    green = bonds[bonds["esg_type"].isin(["green", "blue", "sustainability"])]
    impact = read(out, "portfolio_impact.csv")
    n_by_scope = {"ALL": len(green), **green.groupby("currency").size().to_dict()}
    assert set(impact["indicator"]) <= set(indicators())
    assert (impact["weighted_impact"] >= 0).all()
    for row in impact.itertuples():
        assert 1 <= row.bonds_reporting <= n_by_scope[row.scope]
        assert row.unit == indicators()[row.indicator].unit
    # the currency scopes' bonds add up to the whole portfolio's, per indicator
    by_currency = impact[impact["scope"] != "ALL"].groupby("indicator")["bonds_reporting"].sum()
    overall = impact[impact["scope"] == "ALL"].set_index("indicator")["bonds_reporting"]
    assert by_currency.sort_index().equals(overall.sort_index())
    # the portfolio's impact is the N-weighted mean of the currency portfolios' impacts
    for indicator, total in impact[impact["scope"] == "ALL"].set_index("indicator")["weighted_impact"].items():
        parts = impact[(impact["scope"] != "ALL") & (impact["indicator"] == indicator)]
        mixed = sum(row.weighted_impact * n_by_scope[row.scope] / n_by_scope["ALL"] for row in parts.itertuples())
        assert mixed == pytest.approx(total)

    status = pd.read_csv(out / "reporting_status.csv", dtype=str)
    assert set(status["standard_breach"]) == {"true", "false"}
    assert set(status["isin"]) == set(green["isin"]) and set(status["status"]) <= set(STATUSES)
    breach = status["standard_breach"] == "true"
    assert (status.loc[breach, "status"] == "overdue").all() and (status.loc[breach, "standard"] != "none").all()
    assert (status["status"] == "overdue").any() and breach.any()

    flags = read(out, "flags.csv")
    assert set(flags["reason"]) == {"not annualizable", "unknown unit", "no USD amount"}
    for name, key in (("categories.csv", "category"), ("sdgs.csv", "sdg")):
        shares = read(out, name)
        for scope, total in shares.groupby("scope")["share"].sum().items():
            assert math.isclose(total, 1.0, rel_tol=1e-9), (name, scope)
    status_shares = read(out, "reporting_status_shares.csv")
    assert status_shares.groupby("scope")["share"].sum().to_numpy() == pytest.approx(1.0)


def test_greenium_ranking_and_correlation(run_dirs) -> None:
    _, out = run_dirs
    ranked = read(out, "greenium_impact.csv")
    for currency, group in ranked.drop_duplicates("green_isin").groupby("currency"):
        ordered = group.sort_values("greenium_rank")
        assert ordered["mean_greenium_bp"].is_monotonic_decreasing, currency
    correlation = read(out, "greenium_correlation.csv")
    assert (correlation["bonds"] >= 3).all()
    assert ((correlation["spearman_rho"] >= -1) & (correlation["spearman_rho"] <= 1)).all()
    defined = correlation.dropna(subset=["ci_low"])
    assert (defined["ci_low"] <= defined["ci_high"]).all()


def test_report_is_bilingual_with_embedded_charts(run_dirs) -> None:
    _, out = run_dirs
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "ポートフォリオ加重インパクト" in html and "Portfolio-weighted impact" in html
    assert html.count("data:image/png;base64,") >= 4
    assert "グリーニアムとインパクト" in html


def test_sample_is_reproducible(tmp_path: Path, run_dirs) -> None:
    data, _ = run_dirs
    result = CliRunner().invoke(app, ["impact", "sample", "--out", str(tmp_path), "--seed", "7"])
    assert result.exit_code == 0
    for name in ("bonds.csv", "impact_reports.csv", "allocations.csv"):
        assert (tmp_path / name).read_bytes() == (data / name).read_bytes()
