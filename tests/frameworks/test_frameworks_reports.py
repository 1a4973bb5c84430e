"""Issuer allocation/impact reports and the assessment outputs (JSON, Markdown, HTML)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenmarket.errors import ValidationError
from greenmarket.frameworks import assess, load_framework
from greenmarket.frameworks.allocation import impact_totals, load_allocations, parse_allocations
from greenmarket.frameworks.cli import app
from greenmarket.frameworks.documents import read_document
from greenmarket.frameworks.report import (
    allocation_html,
    allocation_markdown,
    assessment_html,
    assessment_json,
    assessment_markdown,
    impact_markdown,
)

SAMPLES = Path(__file__).parents[2] / "src" / "greenmarket" / "frameworks" / "samples"


def test_allocation_figures_add_up_exactly():
    data = load_allocations(SAMPLES / "allocations.yaml")
    assert data.allocated + data.unallocated_total == data.net_proceeds
    assert data.share(data.allocated) == Decimal("75.00")
    assert data.refinanced == Decimal("1200000000")
    assert [c for c, _, _ in data.by_category()] == ["renewable_energy", "energy_efficiency", "clean_transportation"]
    ghg = next(t for t in impact_totals(data) if t.indicator == "ghg_reduced")
    assert (ghg.expected, ghg.expected_projects, ghg.achieved, ghg.achieved_projects) == (65700.0, 3, 1950.0, 1)


def test_allocation_reports_show_projects_categories_and_placement():
    data = load_allocations(SAMPLES / "allocations.yaml")
    md = allocation_markdown(data)
    assert "| 再生可能エネルギー / Renewable energy | 1 | 4,200,000,000 JPY | 42.00 |" in md
    assert "日本国債（1年以内）/ JGBs under 1 year | 1,000,000,000 JPY | 10.00 |" in md
    assert "リファイナンス refinancing" in md
    assert "4,200,000,000 JPY" in allocation_html(data)
    assert "| ghg_reduced | tCO2e | 65,700 | 3 | 1,950 | 1 |" in impact_markdown(data)
    assert "| renewable_generation | MWh | 126,000 | 1 | 41,800 | 1 |" in impact_markdown(data)  # 41.8 GWh


def test_allocations_that_do_not_add_up_are_refused_with_paths():
    raw = read_document(SAMPLES / "allocations.yaml")
    broken = copy.deepcopy(raw)
    broken["unallocated"][0]["amount"] = "1"
    broken["projects"][1]["id"] = broken["projects"][0]["id"]
    broken["projects"][2]["category"] = "coal"
    with pytest.raises(ValidationError) as caught:
        parse_allocations(broken, source="a.yaml")
    assert {p["path"] for p in caught.value.details["problems"]} == {"$.projects[2].category"}
    broken["projects"][2]["category"] = "clean_transportation"
    with pytest.raises(ValidationError) as caught:
        parse_allocations(broken, source="a.yaml")
    assert {p["path"] for p in caught.value.details["problems"]} == {"$.projects[1].id", "$.unallocated"}


def test_assessment_outputs_in_three_formats():
    a = assess(load_framework(SAMPLES / "weak.yaml"))
    data = json.loads(assessment_json(a))
    assert {s["group"] for s in data["summary"]} >= {"uop", "pes", "mop", "rep", "e1", "e2", "e3", "e4", None}
    item = next(i for i in data["items"] if i["id"] == "gbp2017.pes.eligibility_criteria")
    assert item["status"] == "partly_met" and item["missing"] == ["exclusion_criteria", "es_risk_process"]
    md = assessment_markdown(a)
    assert "◐ 一部充足 partly met" in md and "`gbp2017.pes.eligibility_criteria`" in md
    html = assessment_html(a)
    assert '<tr class="partly_met">' in html and "北陸みらい建設株式会社" in html


def test_cli_writes_the_chosen_formats(tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["assess", str(SAMPLES / "strong.yaml"), "--out", str(tmp_path / "a")])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["assessment.html", "assessment.json", "assessment.md"]
    assert "gbp2017: score 100.0" in done.output
    done = runner.invoke(app, ["assess", str(SAMPLES / "strong.yaml"), "--format", "json"])
    assert json.loads(done.output)["framework"]["instrument"] == "use_of_proceeds"
    done = runner.invoke(app, ["report", "--allocations", str(SAMPLES / "allocations.yaml"), "--out", str(tmp_path / "r")])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "allocation_report.html", "allocation_report.md", "impact_report.html", "impact_report.md"]


def test_checklist_command_lists_items_with_level_instrument_and_timing():
    done = CliRunner().invoke(app, ["checklist", "ctfh2023"])
    assert done.exit_code == 0
    line = next(l for l in done.output.splitlines() if l.startswith("ctfh2023.e2.slb.kpi_coverage "))
    assert "[core; sustainability_linked; at_issuance]" in line and "majority_demonstrated" in line
    assert "gbp2017." not in done.output


def test_allocation_data_may_be_json(tmp_path):
    path = tmp_path / "allocations.json"
    path.write_text(json.dumps(read_document(SAMPLES / "allocations.yaml"), ensure_ascii=False), encoding="utf-8")
    assert load_allocations(path).net_proceeds == Decimal("10000000000")


def test_impacts_use_the_impact_catalogue_and_its_units():
    raw = read_document(SAMPLES / "allocations.yaml")
    raw["projects"][0]["expected_impact"][0] = {"indicator": "happiness", "value": 1, "unit": "smile"}
    raw["projects"][2]["achieved_impact"][1]["unit"] = "litre"
    with pytest.raises(ValidationError) as caught:
        parse_allocations(raw, source="a.yaml")
    assert [p["path"] for p in caught.value.details["problems"]] == [
        "$.projects[0].expected_impact[0].indicator", "$.projects[2].achieved_impact[1].unit"]


def test_gbp_categories_are_the_impact_areas_green_categories():
    """One name per concept: the impact area's category table uses the same ids for the GBP categories."""
    from greenmarket.frameworks.checklist import vocabulary
    from greenmarket.impact.catalogue import categories

    green = [c.id for c in categories().values() if c.group == "green"]
    assert green == [t.id for t in vocabulary("eligible_categories")]
