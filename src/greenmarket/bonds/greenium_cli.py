"""``greenmarket greenium``: the greenium analysis and its synthetic universe.

``run`` reads ``bonds.csv``, ``prices.csv`` (or ``prices.parquet``), ``curves.csv`` and
``disclosures.csv`` from ``--data`` and writes the FORMATS tables, charts and ``report.html`` to
``--out``; every screening and matching default (the report's) is an option. ``generate`` writes a
synthetic universe with a known injected greenium.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from greenmarket.errors import ValidationError

if TYPE_CHECKING:
    from greenmarket.bonds.pipeline import PipelineOptions, PipelineResult

# The analysis modules (pandas, scipy, statsmodels, matplotlib, pyarrow) are imported inside the
# commands, so that registering this group does not slow down every other ``greenmarket`` command.

app = typer.Typer(help="Greenium analysis (seed 003). グリーニアム分析。", no_args_is_help=True)


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as error:
        raise ValidationError(f"{name} must be a date YYYY-MM-DD, got {text!r}", field=name) from error


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@app.command("run")
def run_command(
    data: Path = typer.Option(..., "--data", help="folder with bonds.csv, prices.csv|prices.parquet, curves.csv, disclosures.csv"),
    out: Path = typer.Option(..., "--out", help="output folder (created)"),
    years: str = typer.Option("2021-2023", "--years", help="issue years of the green bonds, e.g. 2021-2023"),
    currencies: str = typer.Option("EUR,JPY,USD", "--currencies", help="currencies, comma-separated"),
    esg_types: str = typer.Option("green,blue,sustainability", "--esg-types", help="ESG types that count as green"),
    bonds_per_group: int = typer.Option(20, "--bonds-per-group", help="green bonds per currency and issue year"),
    top_issuers: int = typer.Option(20, "--top-issuers", help="issuers ranked by number of green bonds"),
    issuer_step: int = typer.Option(20, "--issuer-step", help="issuers added when too few bonds qualify"),
    max_expansions: int = typer.Option(1, "--max-expansions", help="how many times the issuer list may grow"),
    min_pricing_sources: int = typer.Option(2, "--min-pricing-sources", help="liquidity: dealers quoting (strict tier)"),
    price_recency_days: int = typer.Option(31, "--price-recency-days", help="a recent evaluated price is this recent"),
    as_of: str | None = typer.Option(None, "--as-of", help="date for price recency (default: latest price date)"),
    exclude_duplicates: bool = typer.Option(
        True, "--exclude-duplicates/--keep-duplicates", help="drop duplicate issues (same issuer, maturity, coupon)"
    ),
    maturity_months: int = typer.Option(6, "--maturity-months", help="matching: maturity window in months"),
    min_score: int = typer.Option(0, "--min-score", help="matching: minimum score of a pair (0-9)"),
    min_days: int = typer.Option(20, "--min-days", help="data cleansing: minimum days with both Z-spreads"),
    date_from: str | None = typer.Option(None, "--from", help="first price date analysed"),
    date_to: str | None = typer.Option(None, "--to", help="last price date analysed"),
    disclosures_as_of: str | None = typer.Option(None, "--disclosures-as-of", help="count documents dated on or before"),
    seed: int = typer.Option(0, "--seed", help="bootstrap seed"),
    resamples: int = typer.Option(9999, "--resamples", help="bootstrap resamples"),
    partition_rows: int = typer.Option(2_000_000, "--partition-rows", help="bond-days per partition (memory bound)"),
    compounding: str = typer.Option("continuous", "--compounding", help="Z-spread compounding (FORMATS: continuous)"),
    dask: str | None = typer.Option(None, "--dask", help="Dask scheduler address, or 'local' for a local cluster"),
    report: bool = typer.Option(True, "--report/--no-report", help="write charts and report.html"),
) -> None:
    """Screen, match, compute the daily greenium and its statistics, write tables and the report.

    スクリーニング、マッチング、日次グリーニアムと統計を計算し、表とレポートを出力します。
    """
    from greenmarket.bonds.matching import MatchingRules
    from greenmarket.bonds.pipeline import PipelineOptions
    from greenmarket.bonds.screening import ScreeningCriteria, parse_list, parse_years

    options = PipelineOptions(
        screening=ScreeningCriteria(
            esg_types=parse_list(esg_types),
            years=parse_years(years),
            currencies=parse_list(currencies),
            bonds_per_group=bonds_per_group,
            top_issuers=top_issuers,
            issuer_step=issuer_step,
            max_expansions=max_expansions,
            min_pricing_sources=min_pricing_sources,
            price_recency_days=price_recency_days,
            as_of=_date(as_of, "as_of"),
            exclude_duplicates=exclude_duplicates,
        ),
        matching=MatchingRules(maturity_window_months=maturity_months, min_score=min_score),
        min_days=min_days,
        date_from=_date(date_from, "from"),
        date_to=_date(date_to, "to"),
        seed=seed,
        bootstrap_resamples=resamples,
        disclosures_as_of=_date(disclosures_as_of, "disclosures_as_of"),
        partition_rows=partition_rows,
        compounding=compounding,
    )
    console = Console(stderr=True)
    result = _run_with_progress(data, out, options, dask, report, console)
    _print_summary(result, out, console)


def _run_with_progress(
    data: Path, out: Path, options: PipelineOptions, dask: str | None, report: bool, console: Console
) -> PipelineResult:
    from greenmarket.bonds.pipeline import run
    from greenmarket.bonds.price_stream import estimated_rows, prices_path

    render = None
    if report:
        from greenmarket.bonds.report import write_report

        def render(result: PipelineResult, folder: Path) -> None:
            write_report(result, folder, options)

    with _progress(console) as progress:
        tasks = {
            "read": progress.add_task("reading prices", total=estimated_rows(prices_path(data))),
            "partitions": progress.add_task("Z-spreads and greenium by partition", total=None),
            "assemble": progress.add_task("daily statistics by currency", total=None),
        }

        def advance(stage: str, amount: float) -> None:
            if stage == "partitions_planned":
                progress.update(tasks["partitions"], total=amount)
            else:
                progress.advance(tasks[stage], amount)

        client = _client(dask)
        try:
            result = run(data, out, options, client=client, advance=advance, render=render)
        finally:
            if client is not None:
                cluster = client.cluster if dask == "local" else None
                client.close()
                if cluster is not None:
                    cluster.close()
        for task in progress.tasks:
            progress.update(task.id, total=task.completed)
        return result


def _client(address: str | None) -> Any:
    if address is None:
        return None
    from dask.distributed import Client, LocalCluster

    if address == "local":
        return Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
    return Client(address)


def _print_summary(result: PipelineResult, out: Path, console: Console) -> None:
    summary = result.summary
    console.print(
        f"{summary['screened_green_bonds']} green bonds screened, {summary['matched_pairs']} matched, "
        f"{summary['pairs_after_cleansing']} pairs kept, {summary['pair_days']} pair-days → {out}",
        highlight=False,
    )
    for row in result.currencies.itertuples(index=False):
        console.print(
            f"  {row.currency}: {row.pairs} pairs, mean greenium {row.mean_bp:.2f} bp, "
            f"median {row.median_bp:.2f} bp, p(mean=0) {row.t_p:.3f}",
            highlight=False,
        )


@app.command("generate")
def generate_command(
    out: Path = typer.Option(..., "--out", help="folder to write the universe into"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    issuers: int = typer.Option(6, "--issuers", help="issuers per currency"),
    greens: str = typer.Option("1-4", "--greens", help="green bonds per issuer, min-max"),
    browns: str = typer.Option("2-5", "--browns", help="conventional bonds per issuer, min-max"),
    greenium: str = typer.Option("EUR=3,JPY=0.5,USD=-2", "--greenium", help="injected mean greenium (bp) per currency"),
    dispersion: float = typer.Option(2.0, "--dispersion", help="per-bond greenium dispersion (bp, sd)"),
    noise: float = typer.Option(0.5, "--noise", help="daily Z-spread noise per bond (bp, sd)"),
    disclosure_effect: str = typer.Option("second_opinion=1.5", "--disclosure-effect", help="extra greenium (bp) per document"),
    prices_format: str = typer.Option("csv", "--prices-format", help="csv or parquet"),
) -> None:
    """Write a synthetic universe with a known greenium. 既知のグリーニアムを持つ合成データを生成します。"""
    from greenmarket.bonds.synthetic import UniverseSpec, build_universe, write_universe

    spec = UniverseSpec(
        seed=seed,
        issuers_per_currency=issuers,
        greens_per_issuer=_range(greens, "greens"),
        browns_per_issuer=_range(browns, "browns"),
        greenium_mean_bp=_mapping(greenium, "greenium"),
        greenium_dispersion_bp=dispersion,
        noise_bp=noise,
        disclosure_effect_bp=_mapping(disclosure_effect, "disclosure_effect") if disclosure_effect else {},
    )
    console = Console(stderr=True)
    universe = build_universe(spec)
    with _progress(console) as progress:
        total = int(sum(((universe.price_plan["last"] - universe.price_plan["first"]).dt.days * 5 / 7).clip(lower=0)))
        task = progress.add_task("pricing bond-days", total=total)
        summary = write_universe(
            spec, out, prices_format=prices_format, on_batch=lambda rows: progress.advance(task, rows), universe=universe
        )
    console.print(f"{summary['bond_days']} bond-days written to {out}; injected mean greenium (bp): "
                  f"{summary['injected_mean_bp']}", highlight=False)


def _range(text: str, name: str) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in text.split("-", 1)) if "-" in text else (int(text), int(text))
    except ValueError as error:
        raise ValidationError(f"{name} must look like 1-4, got {text!r}", field=name) from error
    if not 0 <= low <= high:
        raise ValidationError(f"{name} must be a range min-max with 0 ≤ min ≤ max", field=name)
    return low, high


def _mapping(text: str, name: str) -> dict[str, float]:
    try:
        pairs = (part.split("=", 1) for part in text.split(",") if part.strip())
        return {key.strip(): float(value) for key, value in pairs}
    except ValueError as error:
        raise ValidationError(f"{name} must look like KEY=NUMBER,KEY=NUMBER, got {text!r}", field=name) from error
