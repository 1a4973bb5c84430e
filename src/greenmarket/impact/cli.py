"""``greenmarket impact``: the impact pipeline and its sample data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from greenmarket.impact import pipeline, sample
from greenmarket.impact.portfolio import DEFAULT_PORTFOLIO_USD

app = typer.Typer(help="Green-bond impact assessment. グリーンボンドのインパクト評価。", no_args_is_help=True)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not an ISO date (YYYY-MM-DD)") from error


@app.command()
def run(
    data: Path = typer.Option(..., "--data", help="Input directory (bonds.csv, commitments.csv, "
                              "impact_reports.csv, allocations.csv, fx.csv). 入力ディレクトリ。"),
    out: Path = typer.Option(..., "--out", help="Output directory. 出力ディレクトリ。"),
    as_of: str = typer.Option(..., "--as-of", help="Evaluation date, e.g. 2024-06-30. 評価日。"),
    portfolio_usd: float = typer.Option(DEFAULT_PORTFOLIO_USD, "--portfolio-usd",
                                        help="Portfolio value V in USD. ポートフォリオ金額（米ドル）。"),
    greenium: Path | None = typer.Option(None, "--greenium", help="Greenium output directory "
                                         "(greenium_by_bond.csv). グリーニアム出力ディレクトリ。"),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap. ブートストラップの乱数シード。"),
) -> None:
    """Compute portfolio impact, reporting status and category/SDG shares; write CSV and report.html.

    ポートフォリオ加重インパクト、レポーティング状況、カテゴリー・SDGs 配分を計算し出力します。
    """
    if portfolio_usd <= 0:
        raise typer.BadParameter("--portfolio-usd must be greater than 0")
    result = pipeline.compute(data, _date(as_of), portfolio_usd=portfolio_usd, greenium_dir=greenium,
                              seed=seed)
    written = pipeline.write(result, out)
    console = Console()
    impact = result.tables["portfolio_impact.csv"]
    table = Table(title=f"Portfolio-weighted impact (ALL), USD {portfolio_usd:,.0f}, as of {as_of}")
    for column in ("indicator", "unit", "weighted_impact", "bonds_reporting"):
        table.add_column(column, justify="right" if column != "indicator" else "left")
    for row in impact[impact["scope"] == "ALL"].itertuples():
        table.add_row(row.indicator, row.unit, f"{row.weighted_impact:,.2f}", str(row.bonds_reporting))
    console.print(table)
    shares = result.tables["reporting_status_shares.csv"]
    summary = ", ".join(f"{row.status} {row.bonds} ({row.share:.0%})"
                        for row in shares[shares["scope"] == "ALL"].itertuples())
    console.print(f"reporting status: {summary}")
    console.print(f"flags: {len(result.tables['flags.csv'])} reports left out")
    console.print(f"wrote {len(written)} files to {out}")


@app.command("sample")
def sample_command(
    out: Path = typer.Option(..., "--out", help="Directory to write the sample inputs. 出力先。"),
    seed: int = typer.Option(1, "--seed", help="Random seed. 乱数シード。"),
    as_of: str = typer.Option(sample.DEFAULT_AS_OF.isoformat(), "--as-of",
                              help="Date the reporting history is built around. 基準日。"),
) -> None:
    """Write a synthetic portfolio of ~80 green bonds (EUR/JPY/USD). 合成サンプルデータを生成します。"""
    counts = sample.write_sample(out, seed=seed, as_of=_date(as_of))
    for name, count in counts.items():
        typer.echo(f"{out / name}: {count} rows")
