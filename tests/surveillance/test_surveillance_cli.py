"""The scan command on a small file and on bad files; evaluate on a short seeded run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from surveillance_kit import Tape
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.errors import FileFormatError
from greenmarket.surveillance.scenarios import ScenarioConfig, evaluate

runner = CliRunner()


def write(tmp_path: Path, tape: Tape) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text(tape.text(), encoding="utf-8")
    return path


def test_scan_writes_exactly_the_alerts_document(tmp_path: Path) -> None:
    tape = Tape()
    buy, sell, trade = tape.cross(0, "B", "C", 1000, 50)  # B and C are linked
    out = tmp_path / "alerts.json"
    result = runner.invoke(app, ["surveillance", "scan", "--events", str(write(tmp_path, tape)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert list(document) == ["alerts"]
    [alert] = document["alerts"]
    assert alert == {"rule": "wash_trade", "time": "2026-03-02T09:00:01+09:00", "contract": "K",
                     "participants": ["B", "C"], "evidence": [trade, buy, sell], "score": 0.8}


@pytest.mark.parametrize(
    ("change", "line", "field"),
    [
        (lambda lines: lines.insert(11, {"type": "participant", "id": "Z", "beneficial_owner": "Z",
                                         "kind": "member"}), 12, "type"),
        (lambda lines: lines[10].update(quantity=0), 11, "quantity"),
        (lambda lines: lines[10].update(time="2026-03-02T09:00:00"), 11, "time"),
        (lambda lines: lines[10].update(side="short"), 11, "side"),
        (lambda lines: lines[10].update(participant="NOBODY"), 11, "participant"),
        (lambda lines: lines[12].update(sell_order_id="o99"), 13, "sell_order_id"),
        (lambda lines: lines[12].update(time="2026-03-02T08:00:00+09:00"), 13, "time"),
        (lambda lines: lines[10].update(capacity="agent"), 11, "client"),
    ],
)
def test_bad_lines_name_the_line_and_field_and_nothing_is_written(tmp_path: Path, change, line, field) -> None:
    tape = Tape()
    tape.cross(0, "B", "C", 1000, 50)
    change(tape.lines)
    out = tmp_path / "alerts.json"
    with pytest.raises(FileFormatError) as error:
        runner.invoke(app, ["surveillance", "scan", "--events", str(write(tmp_path, tape)), "--out", str(out)],
                      catch_exceptions=False)
    assert error.value.line == line and error.value.column == field
    assert not out.exists()


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "participant"\n', encoding="utf-8")
    out = tmp_path / "alerts.json"
    with pytest.raises(FileFormatError, match="bad.jsonl:1"):
        runner.invoke(app, ["surveillance", "scan", "--events", str(path), "--out", str(out)], catch_exceptions=False)
    with pytest.raises(FileFormatError, match="file not found"):
        runner.invoke(app, ["surveillance", "scan", "--events", str(tmp_path / "none.jsonl"), "--out", str(out)],
                      catch_exceptions=False)


def test_the_trading_day_is_the_venue_date() -> None:
    """23:xx UTC and 00:xx UTC are one morning in Tokyo: one venue day, but two UTC days."""
    from greenmarket.surveillance.engine import Engine, SurveillanceConfig
    from greenmarket.surveillance.events import EventReader

    tape = Tape()
    for i in range(40):
        tape.cross(i, "A", "D", 1000, 100)
    timed = [r for r in tape.lines if "time" in r]
    for n, record in enumerate(timed):
        k = n // 3
        day, hour, minute = ("01", 23, k) if k < 20 else ("02", 0, k - 20)
        record["time"] = f"2026-03-{day}T{hour:02d}:{minute:02d}:{n % 3:02d}+00:00"
    records = list(EventReader("t").read(json.dumps(r) for r in tape.lines))
    tokyo = [a for a in Engine().run(records) if a.rule == "concentration"]
    utc = [a for a in Engine(SurveillanceConfig(timezone="UTC")).run(records) if a.rule == "concentration"]
    assert len(tokyo) == 2 and len(utc) == 4  # A and D, half of the volume each, per trading day
    assert {len(a.evidence) for a in tokyo} == {40} and {len(a.evidence) for a in utc} == {20}


def test_evaluate_meets_the_targets_on_a_short_run() -> None:
    report = evaluate(ScenarioConfig(days=3, seed=3))
    for rule in report.rows:
        assert report.recall(rule) >= 0.9, (rule, report.table())
        assert report.precision(rule) >= 0.8, (rule, report.table())
        assert report.rows[rule][0] >= 3  # every pattern was injected a few times
    assert report.events > 10_000


def test_generated_days_are_valid_event_files_and_scan_like_the_evaluation(tmp_path: Path) -> None:
    events, out = tmp_path / "day.jsonl", tmp_path / "alerts.json"
    report = evaluate(ScenarioConfig(days=2, seed=5, orders_per_contract=300), write_events=events)
    result = runner.invoke(app, ["surveillance", "scan", "--events", str(events), "--out", str(out)])
    assert result.exit_code == 0, result.output
    alerts = json.loads(out.read_text())["alerts"]
    for rule, (_, _, fired, _) in report.rows.items():
        assert sum(1 for a in alerts if a["rule"] == rule) == fired


def test_thresholds_come_from_a_yaml_file(tmp_path: Path) -> None:
    tape = Tape()
    tape.cross(0, "B", "C", 1000, 50)  # linked: a wash trade at the default score 0.8
    events, out, config = write(tmp_path, tape), tmp_path / "alerts.json", tmp_path / "rules.yaml"
    config.write_text("wash_trade:\n  linked_score: 0.6\n", encoding="utf-8")
    args = ["surveillance", "scan", "--events", str(events), "--out", str(out), "--config", str(config)]
    assert runner.invoke(app, args).exit_code == 0
    assert [a["score"] for a in json.loads(out.read_text())["alerts"]] == [0.6]
    config.write_text("wash_trade:\n  linked_scroe: 0.6\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="thresholds of wash_trade"):
        runner.invoke(app, args, catch_exceptions=False)
