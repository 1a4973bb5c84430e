"""``greenmarket frameworks``: assess issuer frameworks against GBP/CTFH, list checklists, write issuer reports."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from greenmarket.frameworks.allocation import load_allocations
from greenmarket.frameworks.assessment import assess
from greenmarket.frameworks.checklist import load_checklists
from greenmarket.frameworks.framework import load_framework
from greenmarket.frameworks.report import (
    allocation_html,
    allocation_markdown,
    assessment_html,
    assessment_json,
    assessment_markdown,
    impact_html,
    impact_markdown,
)

app = typer.Typer(
    help="GBP / CTFH framework alignment and issuer reports. GBP・CTFH 適合性評価と発行体レポート。",
    no_args_is_help=True,
)


class Format(StrEnum):
    json = "json"
    md = "md"
    html = "html"


def _write(out: Path, files: dict[str, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out / name}")


@app.command("assess")
def assess_command(
    framework: Path = typer.Argument(..., help="Issuer framework, YAML or JSON. 発行体フレームワーク。"),
    out: Path | None = typer.Option(None, "--out", help="Write assessment.{json,md,html} here."),
    output_format: Format | None = typer.Option(None, "--format", help="Only this format (default: all three with --out, md on stdout)."),
) -> None:
    """Assess FRAMEWORK item by item: met / partly met / not met / not applicable, with evidence and gaps."""
    assessment = assess(load_framework(framework))
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
