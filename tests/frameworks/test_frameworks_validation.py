"""An invalid issuer framework is refused with the JSON path of each problem; the CLI prints all of them."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from frameworks_kit import empty_framework

from greenmarket.errors import FileFormatError, ValidationError
from greenmarket.frameworks import load_framework, parse_framework


def _broken() -> dict:
    raw = empty_framework()
    del raw["issuer"]["name"]
    raw["instrument"] = "green_loan"
    raw["documents"].append({"id": "fw", "title": "again"})
    raw["disclosures"] = {
        "gbp2017.uop.no_such_item": {"elements": ["x"]},
        "gbp2017.uop.environmental_benefits": {"elements": ["benefits_described", "benefits_guessed"],
                                               "evidence": [{"document": "nowhere", "page": 2}]},
        "gbp2017.mop.tracking": {"not_applicable": "we do not track"},
        "gbp2017.pes.selection_process": {"elements": ["process_described"], "evidence": [{"document": "fw"}]},
        "gbp2017.uop.eligible_categories": {"elements": ["categories_listed"]},
    }
    raw["carbon_credits"] = {"use": "used", "claimed_retirements": [
        {"reporting_year": 2025, "quantity": 10, "project": "P", "vintage": "2024", "beneficiary": "B",
         "serial_start": 1, "serial_end": 5}]}
    return raw


def test_schema_problems_are_all_listed_with_their_paths():
    with pytest.raises(ValidationError) as caught:
        parse_framework(_broken(), source="broken.yaml")
    paths = [p["path"] for p in caught.value.details["problems"]]
    assert paths == sorted(paths)
    assert set(paths) == {"$.issuer", "$.instrument", "$.disclosures['gbp2017.pes.selection_process'].evidence[0]"}
    for path in paths:
        assert path in caught.value.message


def test_checklist_problems_are_all_listed_with_their_paths():
    raw = _broken()
    raw["issuer"]["name"] = "ok"
    raw["instrument"] = "use_of_proceeds"
    raw["disclosures"]["gbp2017.pes.selection_process"]["evidence"][0]["page"] = 4
    with pytest.raises(ValidationError) as caught:
        parse_framework(raw, source="broken.yaml")
    assert caught.value.code == "issuer_framework_invalid"
    assert {p["path"] for p in caught.value.details["problems"]} == {
        "$.documents[1].id",
        "$.disclosures['gbp2017.uop.no_such_item']",
        "$.disclosures['gbp2017.uop.environmental_benefits'].elements[1]",
        "$.disclosures['gbp2017.uop.environmental_benefits'].evidence[0].document",
        "$.disclosures['gbp2017.mop.tracking'].not_applicable",
        "$.disclosures['gbp2017.uop.eligible_categories']",
        "$.carbon_credits.claimed_retirements[0].quantity",
    }


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("format: x\nissuer: [unclosed\n", encoding="utf-8")
    with pytest.raises(FileFormatError) as caught:
        load_framework(path)
    assert caught.value.line is not None and str(path) in caught.value.message


def test_json_frameworks_are_read_too(tmp_path):
    path = tmp_path / "fw.json"
    path.write_text(json.dumps(empty_framework()), encoding="utf-8")
    assert load_framework(path).issuer_name == "テスト発行体"


def test_cli_prints_every_problem_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from greenmarket.cli import main

    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(_broken(), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["greenmarket", "frameworks", "assess", str(path), "--out", str(out)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    stderr = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    for fragment in ("$.issuer", "$.instrument", "$.disclosures['gbp2017.pes.selection_process'].evidence[0]", "3 problem(s)"):
        assert fragment in stderr
    assert not out.exists()
