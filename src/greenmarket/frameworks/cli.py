"""``greenmarket frameworks``: assess issuer frameworks against GBP/CTFH, list checklists, write issuer reports."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from greenmarket.frameworks.allocation import load_allocations
from greenmarket.frameworks.assessment import assess
from greenmarket.frameworks.checklist import load_checklists
from greenmarket.frameworks.framework import load_framework
from greenmarket.frameworks.offset import load_offset_bond, retire_for_bond, retired_for, summary
from greenmarket.frameworks.registry_ledger import RegistryLedger
from greenmarket.frameworks.report import (
    allocation_html,
    allocation_markdown,
    assessment_html,
    assessment_json,
    assessment_markdown,
    impact_html,
    impact_markdown,
)
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database

app = typer.Typer(
    help="GBP / CTFH framework alignment and issuer reports. GBP・CTFH 適合性評価と発行体レポート。",
    no_args_is_help=True,
)
offset_app = typer.Typer(
    help="Offset-linked bonds: credits retired for up to x % of the issue amount. カーボンオフセット型債券。",
    no_args_is_help=True,
)
app.add_typer(offset_app, name="offset")


class Format(StrEnum):
    json = "json"
    md = "md"
    html = "html"


def _write(out: Path, files: dict[str, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out / name}")


def _registry(actor: str) -> RegistryLedger:
    """The configured registry (GREENMARKET_DATABASE_URL) as a retirement ledger."""
    return RegistryLedger(RegistryService(Database()), actor=actor)


@app.command("assess")
def assess_command(
    framework: Path = typer.Argument(..., help="Issuer framework, YAML or JSON. 発行体フレームワーク。"),
    out: Path | None = typer.Option(None, "--out", help="Write assessment.{json,md,html} here."),
    output_format: Format | None = typer.Option(None, "--format", help="Only this format (default: all three with --out, md on stdout)."),
    registry: bool = typer.Option(False, "--registry", help="Check claimed retirements against the configured registry. 登録簿で償却を照合。"),
) -> None:
    """Assess FRAMEWORK item by item: met / partly met / not met / not applicable, with evidence and gaps."""
    parsed = load_framework(framework)
    assessment = assess(parsed, ledger=_registry("frameworks:assess") if registry else None)
    renderers = {Format.json: assessment_json, Format.md: assessment_markdown, Format.html: assessment_html}
    if out is None:
        typer.echo(renderers[output_format or Format.md](assessment))
        return
    chosen = [output_format] if output_format else list(Format)
    _write(out, {f"assessment.{f.value}": renderers[f](assessment) for f in chosen})
    total = [s for s in assessment.summaries() if s.group is None]
    for s in total:
        typer.echo(f"{s.checklist}: score {s.score} " + " ".join(f"{k.value}={v}" for k, v in s.counts.items()))


@app.command("checklist")
def checklist_command(
    checklist_id: str | None = typer.Argument(None, help="gbp2017 or ctfh2023 (default: both)."),
) -> None:
    """Print the checklist items: id, level, instruments, timing, sub-elements and wording."""
    for cid, checklist in load_checklists().items():
        if checklist_id and cid != checklist_id:
            continue
        typer.echo(f"# {checklist.title.en} / {checklist.title.ja} (data v{checklist.version}, {checklist.edition})")
        for item in checklist.items:
            typer.echo(f"{item.id}  [{item.level}; {','.join(item.instruments)}; {','.join(item.timing)}]"
                       f"  elements: {','.join(item.element_ids) or '(from ' + item.evaluator + ')'}")
            typer.echo(f"    {item.text.en} / {item.text.ja}")


@app.command("report")
def report_command(
    allocations: Path = typer.Option(..., "--allocations", help="Allocation data, YAML or JSON. 充当データ。"),
    out: Path = typer.Option(..., "--out", help="Write allocation_report.{md,html} and impact_report.{md,html} here."),
) -> None:
    """Write the issuer's allocation report and impact report (GBP section 4) from allocation data."""
    data = load_allocations(allocations)
    _write(out, {
        "allocation_report.md": allocation_markdown(data), "allocation_report.html": allocation_html(data),
        "impact_report.md": impact_markdown(data), "impact_report.html": impact_html(data),
    })
    typer.echo(f"{data.isin}: allocated {data.allocated:,} of {data.net_proceeds:,} {data.currency} "
               f"({data.share(data.allocated)} %), {len(data.projects)} projects")


@offset_app.command("status")
def offset_status(bond: Path = typer.Argument(..., help="Bond terms, YAML or JSON. 債券条件。")) -> None:
    """Show the bond's credit cap and the retirements the registry holds for it."""
    terms = load_offset_bond(bond)
    typer.echo(json.dumps(summary(terms, retired_for(terms, _registry("frameworks:offset"))), ensure_ascii=False, indent=2))


@offset_app.command("retire")
def offset_retire(
    bond: Path = typer.Argument(..., help="Bond terms, YAML or JSON. 債券条件。"),
    quantity: int = typer.Option(..., "--quantity", help="Credits to retire (t-CO2e). 数量。"),
    project: str = typer.Option(..., "--project", help="Registry project id. プロジェクト。"),
    vintage: int = typer.Option(..., "--vintage", help="Vintage year. ビンテージ。"),
    reporting_year: int = typer.Option(..., "--reporting-year", help="Year the offset is claimed for. 報告年。"),
) -> None:
    """Retire credits from the underwriter's registry account for the bond, refusing anything past its cap."""
    terms = load_offset_bond(bond)
    registry = _registry(f"{terms.procuring_participant}:cli")
    done = retire_for_bond(terms, registry, quantity=quantity, project=project, vintage=str(vintage),
                           reporting_year=reporting_year)
    typer.echo(f"retired {done.quantity} t ({done.project} {done.vintage}) as retirement {done.retirement_id}: {done.claim}")
    typer.echo(json.dumps(summary(terms, retired_for(terms, registry)), ensure_ascii=False, indent=2))
