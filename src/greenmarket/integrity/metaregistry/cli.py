"""``greenmarket metaregistry import`` and ``check``: the meta-registry's command line."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from greenmarket.clock import SystemClock
from greenmarket.integrity.metaregistry.exports import read_export
from greenmarket.integrity.metaregistry.finder import BlockTable, FindingType, find
from greenmarket.integrity.metaregistry.records import KINDS, REGISTRIES
from greenmarket.integrity.metaregistry.report import report_document, report_html
from greenmarket.integrity.metaregistry.store import load, save_export
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import require_current_schema

app = typer.Typer(
    help="Meta-registry: import other registries' exports and find double counting. "
    "メタレジストリ：他の登録簿の公開データを取り込み、二重計上を検出します。",
    no_args_is_help=True,
)


def _database() -> Database:
    db = Database()
    require_current_schema(db.engine)
    return db


@app.command("import")
def import_export(
    file: Path = typer.Argument(..., help="The registry's CSV export / 登録簿の CSV エクスポート"),
    registry: str = typer.Option(..., "--registry", help=" | ".join(REGISTRIES)),
    kind: str = typer.Option(..., "--kind", help=" | ".join(KINDS)),
) -> None:
    """Load one public export into the database (replaces an earlier import of the same file)."""
    source = str(file)
    parsed = read_export(file, source=source, registry=registry, kind=kind)
    db = _database()
    try:
        save_export(db, parsed, SystemClock())
    finally:
        db.dispose()
    blocks = sum(1 for record in parsed.records if record.block is not None and record.primary)
    typer.echo(
        f"{source}: {parsed.imported_rows} rows imported ({blocks} serial blocks), "
        f"{len(parsed.rejections)} rejected / 取込 {parsed.imported_rows} 行, 不可 {len(parsed.rejections)} 行"
    )


@app.command("check")
def check(
    out: Path = typer.Option(..., "--out", help="report.json"),
    html: Path | None = typer.Option(
        None, "--html", help="HTML summary (default: beside --out, .html)"
    ),
) -> None:
    """Find double counting across everything imported; write the JSON report and an HTML summary."""
    db = _database()
    try:
        with db.read() as session:
            loaded = load(session)
    finally:
        db.dispose()
    findings = find(BlockTable.from_frame(loaded.frame))
    document = report_document(findings, loaded.rejections, loaded.imported)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path = html or out.with_suffix(".html")
    if html_path.resolve() == out.resolve():
        html_path = out.with_name(out.name + ".html")
    html_path.write_text(report_html(document), encoding="utf-8")
    counts = {kind.value: 0 for kind in FindingType}
    for finding in findings:
        counts[finding.type.value] += 1
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    typer.echo(f"{out}: {summary}; rejected {len(document['rejected'])} / 検出 {len(findings)} 件")
    typer.echo(f"{html_path}: HTML summary / HTML 概要")
