"""``greenmarket analyses``: run the greenium and impact analyses into the runs directory.

``greenium`` and ``impact`` run ``greenmarket greenium run`` / ``greenmarket impact run`` with the
options given (every option of those commands is accepted and recorded) into a new run folder of
:mod:`greenmarket.analyses.runs`; ``demo`` does both on small synthetic inputs; ``list`` shows the
runs. The web pages under ``/analytics`` show the latest run of each kind.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from greenmarket.analyses.runs import KINDS, Run, analysis_dir, list_runs, record_run
from greenmarket.clock import SystemClock
from greenmarket.errors import ValidationError

app = typer.Typer(help="Analysis runs shown on the web pages. Web で表示する分析の実行。",
                  no_args_is_help=True)
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}
RUN_ID_HELP = "Run id (default: the UTC time, YYYYMMDD-HHMMSS). 実行 ID。"
ROOT_HELP = "Runs directory (default: GREENMARKET_ANALYSIS_DIR or var/analysis). 保存先。"


def _root(root: Path | None) -> Path:
    return root if root is not None else analysis_dir()


def _invoke(group_path: str, arguments: list[str]) -> None:
    """Run a sub-command of another area's Typer app as if typed on the command line."""
    from importlib import import_module

    module, _, attribute = group_path.partition(":")
    command = typer.main.get_command(getattr(import_module(module), attribute))
    command.main(arguments, prog_name="greenmarket", standalone_mode=False)


def _refuse_out(options: list[str]) -> None:
    if any(option == "--out" or option.startswith("--out=") for option in options):
        raise ValidationError("the run folder is chosen here; leave out --out", field="out")


def run_greenium(root: Path, data: Path, options: list[str], run_id: str | None = None,
                 data_label: str | None = None) -> Run:
    """``greenmarket greenium run --data DATA --out <new run folder> OPTIONS``, recorded."""
    _refuse_out(options)

    def write(folder: Path) -> None:
        _invoke("greenmarket.bonds.greenium_cli:app",
                ["run", "--data", str(data), "--out", str(folder), *options])

    return record_run(root, "greenium", run_id, write, now=SystemClock().now,
                      data=data_label or str(data), parameters={}, options=options)


def run_impact(root: Path, data: Path, as_of: date, portfolio_usd: float, options: list[str],
               run_id: str | None = None, data_label: str | None = None) -> Run:
    """``greenmarket impact run --data DATA --as-of … --out <new run folder> OPTIONS``, recorded."""
    _refuse_out(options)

    def write(folder: Path) -> None:
        _invoke("greenmarket.impact.cli:app",
                ["run", "--data", str(data), "--out", str(folder), "--as-of", as_of.isoformat(),
                 "--portfolio-usd", repr(portfolio_usd), *options])

    return record_run(root, "impact", run_id, write, now=SystemClock().now,
                      data=data_label or str(data),
                      parameters={"as_of": as_of.isoformat(), "portfolio_usd": portfolio_usd},
                      options=options)


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not an ISO date (YYYY-MM-DD)") from error


def _done(run: Run) -> None:
    typer.echo(f"{run.kind} run {run.run_id} -> {run.folder}")


@app.command("greenium", context_settings=PASS_THROUGH)
def greenium_command(
    context: typer.Context,
    data: Path = typer.Option(..., "--data", help="Input folder of greenium run. 入力フォルダ。"),
    run_id: str | None = typer.Option(None, "--id", help=RUN_ID_HELP),
    root: Path | None = typer.Option(None, "--runs", help=ROOT_HELP),
) -> None:
    """Run the greenium analysis into a new run; other options go to `greenium run`.

    グリーニアム分析を実行し、新しい実行フォルダに保存します（その他のオプションは greenium run へ）。
    """
    _done(run_greenium(_root(root), data, list(context.args), run_id))


@app.command("impact", context_settings=PASS_THROUGH)
def impact_command(
    context: typer.Context,
    data: Path = typer.Option(..., "--data", help="Input folder of impact run. 入力フォルダ。"),
    as_of: str = typer.Option(..., "--as-of", help="Evaluation date. 評価日。"),
    portfolio_usd: float = typer.Option(1e9, "--portfolio-usd", help="Portfolio value V (USD)."),
    run_id: str | None = typer.Option(None, "--id", help=RUN_ID_HELP),
    root: Path | None = typer.Option(None, "--runs", help=ROOT_HELP),
) -> None:
    """Run the impact analysis into a new run; other options go to `impact run`.

    インパクト分析を実行し、新しい実行フォルダに保存します（その他のオプションは impact run へ）。
    """
    _done(run_impact(_root(root), data, _as_of(as_of), portfolio_usd, list(context.args), run_id))


def demo_runs(root: Path, seed: int, progress: Callable[[str], None] = lambda _: None) -> list[Run]:
    """A small synthetic greenium run and an impact run of the impact sample (a few seconds)."""
    from greenmarket.bonds.synthetic import UniverseSpec, write_universe
    from greenmarket.impact import sample

    spec = UniverseSpec(seed=seed, issuers_per_currency=2, start=date(2022, 1, 3),
                        end=date(2022, 12, 30), distractors=False)
    with tempfile.TemporaryDirectory(prefix="greenmarket-demo-") as work:
        universe, portfolio = Path(work) / "universe", Path(work) / "impact"
        progress("greenium: synthetic universe")
        write_universe(spec, universe)
        greenium = run_greenium(root, universe, ["--resamples", "999"],
                                data_label=f"synthetic universe (greenium generate --seed {seed})")
        progress("impact: synthetic sample")
        sample.write_sample(portfolio, seed=seed, as_of=sample.DEFAULT_AS_OF)
        impact = run_impact(root, portfolio, sample.DEFAULT_AS_OF, 1e9,
                            ["--greenium", str(portfolio / "greenium")],
                            data_label=f"synthetic sample (impact sample --seed {seed})")
    return [greenium, impact]


@app.command("demo")
def demo_command(
    seed: int = typer.Option(1, "--seed", help="Random seed. 乱数シード。"),
    root: Path | None = typer.Option(None, "--runs", help=ROOT_HELP),
    if_empty: bool = typer.Option(False, "--if-empty",
                                  help="Do nothing when runs exist. 実行済みなら何もしない。"),
) -> None:
    """Write a small greenium run and an impact run from synthetic data. 合成データで分析を実行。"""
    if if_empty and any(list_runs(_root(root), kind) for kind in KINDS):
        typer.echo("analysis runs exist / 分析は実行済み")
        return
    for run in demo_runs(_root(root), seed, progress=typer.echo):
        _done(run)


@app.command("list")
def list_command(root: Path | None = typer.Option(None, "--runs", help=ROOT_HELP)) -> None:
    """List the runs, newest first. 実行の一覧（新しい順）。"""
    table = Table(title=f"analysis runs / 分析の実行 ({_root(root)})")
    for column in ("kind", "run", "finished (UTC)", "data", "parameters"):
        table.add_column(column)
    for kind in KINDS:
        for run in list_runs(_root(root), kind):
            parameters = " ".join([*(f"{k}={v}" for k, v in run.parameters.items()), *run.options])
            table.add_row(kind, run.run_id, run.finished_at.isoformat(timespec="seconds"),
                          run.data, parameters)
    Console().print(table)
