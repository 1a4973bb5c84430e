"""The greenium pipeline end to end on a generated universe with a known injected greenium."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from greenmarket.bonds.pipeline import PipelineOptions, PipelineResult, run
from greenmarket.bonds.synthetic import UniverseSpec, write_universe
from greenmarket.cli import app
from greenmarket.errors import FileFormatError

SPEC = UniverseSpec(seed=11, issuers_per_currency=4, noise_bp=0.5)
OPTIONS = PipelineOptions(bootstrap_resamples=500)
FORMATS_COLUMNS = {
    "pairs.csv": ["currency", "issuer", "green_isin", "brown_isin", "match_score"],
    "greenium_daily.csv": ["date", "currency", "green_isin", "brown_isin", "green_z_bp", "brown_z_bp", "greenium_bp"],
    "greenium_by_bond.csv": ["currency", "issuer", "green_isin", "brown_isin", "days", "mean_greenium_bp"],
    "portfolio_daily.csv": ["currency", "date", "pairs", "mean_bp", "median_bp", "q25_bp", "q75_bp"],
    "quarterly.csv": ["currency", "quarter", "pairs", "mean_bp", "median_bp", "q25_bp", "q75_bp",
                      "whisker_low_bp", "whisker_high_bp"],
    "disclosure_effects.csv": ["currency", "disclosure", "n_with", "mean_with_bp", "n_without", "mean_without_bp",
                               "welch_p", "mannwhitney_p", "diff_ci_low_bp", "diff_ci_high_bp"],
}


@pytest.fixture(scope="module")
def universe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("universe")
    write_universe(SPEC, folder)
    return folder


@pytest.fixture(scope="module")
def analysed(universe: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PipelineResult]:
    out = tmp_path_factory.mktemp("out")
    return out, run(universe, out, OPTIONS)


def test_outputs_have_the_formats_columns(analysed: tuple[Path, PipelineResult]) -> None:
    out, _ = analysed
    for name, columns in FORMATS_COLUMNS.items():
        header = pd.read_csv(out / name, nrows=0).columns.tolist()
        assert header[: len(columns)] == columns, name


def test_pipeline_recovers_the_injected_greenium_per_currency(universe: Path, analysed: tuple[Path, PipelineResult]) -> None:
    _, result = analysed
    truth = pd.read_csv(universe / "truth_bonds.csv").set_index("isin")["injected_greenium_bp"]
    by_bond = result.by_bond.assign(truth=result.by_bond["green_isin"].map(truth))
    assert by_bond["truth"].notna().all()
    # each pair: brown Z − green Z = injected + noise of two bonds, averaged over its days
    bound = 5 * SPEC.noise_bp * np.sqrt(2) / np.sqrt(by_bond["days"])
    assert ((by_bond["mean_greenium_bp"] - by_bond["truth"]).abs() < bound).all()
    for currency, group in by_bond.groupby("currency"):
        error = abs(group["mean_greenium_bp"].mean() - group["truth"].mean())
        tolerance = 5 * SPEC.noise_bp * np.sqrt(2) / np.sqrt(group["days"].min() * len(group))
        assert error < tolerance, (currency, error, tolerance)
        summary = result.currencies.set_index("currency").loc[currency]
        assert summary["mean_bp"] == pytest.approx(group["mean_greenium_bp"].mean())


def test_screening_refuses_distractors_and_cleansing_drops_the_thin_pair(
    universe: Path, analysed: tuple[Path, PipelineResult]
) -> None:
    _, result = analysed
    bonds = pd.read_csv(universe / "bonds.csv").set_index("isin")
    screened = bonds.loc[result.screened["isin"]]
    assert set(screened["esg_type"]) <= {"green", "blue", "sustainability"}
    assert not screened["perpetual"].any() and not screened["strip"].any()
    assert (screened["coupon_type"] != "floating").all() and set(screened["currency"]) <= {"EUR", "JPY", "USD"}
    assert pd.to_datetime(screened["issue_date"]).dt.year.between(2021, 2023).all()
    dropped = set(result.matched["green_isin"]) - set(result.pairs["green_isin"])
    assert dropped, "the thin-history green bond is matched but dropped by cleansing"
    days = result.by_bond.set_index("green_isin")["days"]
    assert (days >= OPTIONS.min_days).all()
    stale = result.screened[result.screened["last_price_date"] < result.screened["last_price_date"].max() - pd.Timedelta(days=31)]
    assert len(stale) and set(stale["step"]) == {"relaxed"}


def test_daily_tables_agree_with_each_other(analysed: tuple[Path, PipelineResult]) -> None:
    out, result = analysed
    daily = pd.read_csv(out / "greenium_daily.csv", parse_dates=["date"])
    np.testing.assert_allclose(daily["greenium_bp"], daily["brown_z_bp"] - daily["green_z_bp"], atol=1e-9)
    assert len(daily) == result.summary["pair_days"]
    grouped = daily.groupby(["currency", "date"])["greenium_bp"]
    portfolio = pd.read_csv(out / "portfolio_daily.csv", parse_dates=["date"]).set_index(["currency", "date"])
    np.testing.assert_allclose(portfolio["median_bp"], grouped.median().reindex(portfolio.index), atol=1e-9)
    np.testing.assert_allclose(portfolio["q75_bp"], grouped.quantile(0.75).reindex(portfolio.index), atol=1e-9)
    by_bond = pd.read_csv(out / "greenium_by_bond.csv").set_index("green_isin")
    np.testing.assert_allclose(
        by_bond["mean_greenium_bp"], daily.groupby("green_isin")["greenium_bp"].mean().reindex(by_bond.index), atol=1e-9
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pairs_after_cleansing"] == len(by_bond)


def _frames(out: Path) -> dict[str, pd.DataFrame]:
    return {path.name: pd.read_csv(path) for path in sorted(out.glob("*.csv"))}


def test_results_do_not_depend_on_partitioning(universe: Path, analysed: tuple[Path, PipelineResult], tmp_path: Path) -> None:
    out, _ = analysed
    small = tmp_path / "small"
    result = run(universe, small, PipelineOptions(bootstrap_resamples=500, partition_rows=3000))
    assert result.summary["partitions"] > 3  # more partitions than issuers: some stay empty
    one, many = _frames(out), _frames(small)
    assert one.keys() == many.keys()
    for name in one:
        keys = [c for c in ("currency", "green_isin", "date", "quarter", "disclosure", "scope", "term", "measure", "label",
                            "isin") if c in one[name].columns]
        left = one[name].sort_values(keys).reset_index(drop=True)
        right = many[name].sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, obj=name)


def test_dask_cluster_gives_identical_files(universe: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    options = PipelineOptions(bootstrap_resamples=500, partition_rows=10_000)
    local, clustered = tmp_path / "local", tmp_path / "dask"
    run(universe, local, options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            result = run(universe, clustered, options, client=client)
    assert result.summary["partitions"] > 1
    names = sorted(path.name for path in local.glob("*.csv"))
    assert names == sorted(path.name for path in clustered.glob("*.csv"))
    for name in names:
        assert (local / name).read_bytes() == (clustered / name).read_bytes(), name


def test_a_bad_price_row_is_named_and_nothing_is_written(universe: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("bonds.csv", "curves.csv", "disclosures.csv"):
        (data / name).write_bytes((universe / name).read_bytes())
    lines = (universe / "prices.csv").read_text().splitlines()
    lines[1000] = lines[1000].rsplit(",", 1)[0] + ",-3.5"
    (data / "prices.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    with pytest.raises(FileFormatError) as caught:
        run(data, out, OPTIONS)
    assert caught.value.line == 1001 and caught.value.column == "clean_price"
    assert not out.exists()

    lines = (universe / "prices.csv").read_text().splitlines()
    lines.insert(500, lines[400])
    (data / "prices.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(FileFormatError) as caught:
        run(data, out, OPTIONS)
    assert caught.value.line == 501 and "duplicate" in caught.value.message
    assert not out.exists()


def test_cli_generate_and_run_write_the_report(tmp_path: Path) -> None:
    runner = CliRunner()
    data, out = tmp_path / "data", tmp_path / "out"
    generated = runner.invoke(app, ["greenium", "generate", "--out", str(data), "--seed", "3", "--issuers", "1",
                                    "--prices-format", "parquet"])
    assert generated.exit_code == 0, generated.output
    assert (data / "prices.parquet").exists() and (data / "truth.json").exists()
    ran = runner.invoke(app, ["greenium", "run", "--data", str(data), "--out", str(out), "--resamples", "200",
                              "--min-days", "30", "--bonds-per-group", "2"])
    assert ran.exit_code == 0, ran.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "グリーニアム分析" in html and "Greenium analysis" in html
    assert html.count("data:image/png;base64,") >= 4
    assert (out / "quarterly_EUR.png").exists()
    screened = pd.read_csv(out / "screening.csv")
    assert screened.groupby(["currency", "issue_year"]).size().max() <= 2
