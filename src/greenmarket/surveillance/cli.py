"""``greenmarket surveillance …``: scan an event file, evaluate the rules on labelled scenarios."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
import yaml

from greenmarket.errors import FileFormatError, ValidationError
from greenmarket.surveillance.engine import Engine, SurveillanceConfig
from greenmarket.surveillance.events import VENUE_TIMEZONE, read_events
from greenmarket.surveillance.rules import RULE_CLASSES

app = typer.Typer(
    help="Market surveillance: alerts over orders, trades and transfers. 市場監視（アラート）。",
    no_args_is_help=True,
)


def load_config(path: Path | None, timezone: str) -> SurveillanceConfig:
    """Thresholds from a YAML file ``{rule: {threshold: value}}``; unnamed ones keep their defaults."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {timezone!r}", field="timezone") from None
    if path is None:
        return SurveillanceConfig(timezone=timezone)
    source = str(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise FileFormatError(f"cannot read the configuration: {error}", source=source) from None
    if not isinstance(document, dict):
        raise FileFormatError("the configuration is a mapping of rule names", source=source)
    thresholds: dict[str, object] = {}
    for name, values in document.items():
        rule = RULE_CLASSES.get(name)
        if rule is None:
            raise FileFormatError(f"unknown rule; expected one of {', '.join(RULE_CLASSES)}",
                                  source=source, column=str(name))
        config_class = rule.Config  # type: ignore[attr-defined]
        known = {f.name: f.type for f in fields(config_class)}
        if not isinstance(values, dict) or set(values) - set(known):
            raise FileFormatError(f"thresholds of {name} are among {', '.join(known)}",
                                  source=source, column=str(name))
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise FileFormatError("a threshold is a non-negative number", source=source,
                                      column=f"{name}.{key}")
        thresholds[name] = config_class(**values)
    return SurveillanceConfig(thresholds=thresholds, timezone=timezone)


def scan_file(events: Path, config: SurveillanceConfig) -> list[dict[str, Any]]:
    """Run every rule over ``events`` and return the alerts as FORMATS.md objects."""
    _, records = read_events(str(events))
    return [alert.to_dict() for alert in Engine(config).run(records)]


@app.command()
def scan(
    events: Annotated[Path, typer.Option("--events", help="Event file (JSON Lines, FORMATS.md). イベントファイル。")],
    out: Annotated[Path, typer.Option("--out", help="Where to write alerts.json. 出力先。")],
    config: Annotated[Path | None, typer.Option("--config", help="YAML thresholds per rule. 閾値設定。")] = None,
    timezone: Annotated[str, typer.Option(help="Venue time zone: its local date is the trading day. 取引所の時間帯。")] = VENUE_TIMEZONE,
) -> None:
    """Scan an event file and write {"alerts": [...]}. イベントを監視し、アラートを書き出す。"""
    alerts = scan_file(events, load_config(config, timezone))
    out.write_text(json.dumps({"alerts": alerts}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for alert in alerts:
        counts[alert["rule"]] = counts.get(alert["rule"], 0) + 1
    summary = ", ".join(f"{rule} {count}" for rule, count in sorted(counts.items())) or "none"
    typer.echo(f"{len(alerts)} alerts / アラート ({summary}) -> {out}")


@app.command()
def evaluate(
    days: Annotated[int, typer.Option(min=1, help="Trading days to generate. 生成する営業日数。")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed. 乱数シード。")] = 1,
    write_events: Annotated[Path | None, typer.Option("--write-events", help="Also write the generated events (JSONL). 生成イベントも保存。")] = None,
) -> None:
    """Generate labelled days with injected abuse and print precision and recall per rule.
    注入した不正に対するルールごとの適合率・再現率を表示。"""
    from greenmarket.surveillance.scenarios import ScenarioConfig
    from greenmarket.surveillance.scenarios import evaluate as run_evaluation

    report = run_evaluation(ScenarioConfig(days=days, seed=seed), write_events=write_events)
    typer.echo(report.table())


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Event file to write (JSON Lines). 出力先。")],
    timezone: Annotated[str, typer.Option(help="Venue time zone of the times written. 取引所の時間帯。")] = VENUE_TIMEZONE,
) -> None:
    """Export the journal (participants, registry transfers) as surveillance events.
    仕訳帳を監視イベント形式で書き出す。"""
    from greenmarket.storage.db import Database
    from greenmarket.surveillance.export import export_journal

    database = Database()
    with database.read() as session:
        records = list(export_journal(session, timezone=timezone))
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    typer.echo(f"{len(records)} records / 件 -> {out}")


cases_app = typer.Typer(help="Cases opened by alerts (compliance). アラート案件の管理（コンプライアンス）。",
                        no_args_is_help=True)
app.add_typer(cases_app, name="cases")

Actor = Annotated[str, typer.Option("--actor", help="Compliance officer making the change (recorded). 担当者名。")]


def _database() -> Any:
    from greenmarket.storage.db import Database

    return Database()


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=1, default=str))


@cases_app.command("open")
def cases_open(
    alerts: Annotated[Path, typer.Option("--alerts", help="alerts.json written by scan. scan の出力。")],
    actor: Actor,
) -> None:
    """Open a case for every alert of an alerts.json. アラートごとに案件を開く。"""
    from greenmarket.clock import SystemClock
    from greenmarket.surveillance.cases import open_cases

    try:
        document = json.loads(alerts.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise FileFormatError(f"not an alerts.json: {error}", source=str(alerts)) from None
    if not isinstance(document, dict) or not isinstance(document.get("alerts"), list):
        raise FileFormatError('expected {"alerts": [...]}', source=str(alerts), column="alerts")
    with _database().unit_of_work() as session:
        ids = open_cases(session, document["alerts"], source=alerts.name, actor=f"compliance:{actor}",
                         now=SystemClock().now())
    typer.echo(f"{len(ids)} cases opened / 件の案件: {', '.join(map(str, ids)) or '-'}")


@cases_app.command("list")
def cases_list(status: Annotated[str | None, typer.Option(help="open, under_review, escalated, closed")] = None) -> None:
    """List cases (newest alert first). 案件一覧。"""
    from greenmarket.surveillance.cases import list_cases

    with _database().read() as session:
        rows = list_cases(session, status=status)
    for row in rows:
        typer.echo(f"{row['id']:>6}  {row['status']:<13}{row['rule']:<19}{row['time']:<34}"
                   f"{row['contract'] or '-':<10}{row['score']:.2f}  {row['assignee'] or '-'}")


@cases_app.command("show")
def cases_show(case_id: int) -> None:
    """A case with its alert, notes and audit trail. 案件の詳細と監査証跡。"""
    from greenmarket.surveillance.cases import get_case

    with _database().read() as session:
        _print(get_case(session, case_id))


@cases_app.command("update")
def cases_update(
    case_id: int,
    actor: Actor,
    status: Annotated[str | None, typer.Option(help="open, under_review, escalated, closed")] = None,
    assignee: Annotated[str | None, typer.Option(help="Who works the case. 担当者。")] = None,
    note: Annotated[str | None, typer.Option(help="A note (needed to close). メモ（クローズ時は必須）。")] = None,
) -> None:
    """Move, assign or annotate a case; every change is recorded. 案件の更新（記録される）。"""
    from greenmarket.clock import SystemClock
    from greenmarket.surveillance.cases import update_case

    with _database().unit_of_work() as session:
        case = update_case(session, case_id, actor=f"compliance:{actor}", now=SystemClock().now(),
                           status=status, assignee=assignee, note=note)
    typer.echo(f"case {case_id}: {case['status']}, assignee {case['assignee'] or '-'}")
