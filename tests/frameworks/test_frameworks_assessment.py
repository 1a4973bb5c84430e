"""Assessment: complete (all met), empty (all not met), realistic partial frameworks, and the partly-met rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from frameworks_kit import complete_framework, empty_framework, with_changes
from hypothesis import given
from hypothesis import strategies as st

from greenmarket.frameworks import Status, assess, load_framework, parse_framework
from greenmarket.frameworks.assessment import grade
from greenmarket.frameworks.checklist import load_checklist

SAMPLES = Path(__file__).parents[2] / "src" / "greenmarket" / "frameworks" / "samples"


@pytest.mark.parametrize("instrument", ["use_of_proceeds", "sustainability_linked"])
def test_a_complete_framework_meets_every_applicable_item(instrument):
    assessment = assess(parse_framework(complete_framework(instrument)))
    statuses = {r.item.id: r.status for r in assessment.results}
    assert set(statuses.values()) == {Status.MET, Status.NOT_APPLICABLE}
    applicable = [r for r in assessment.results if r.status is Status.MET]
    assert all(r.item.instruments and instrument in r.item.instruments for r in applicable)
    # N/A only where the item is for the other instrument
    assert all(instrument not in r.item.instruments for r in assessment.results if r.status is Status.NOT_APPLICABLE)
    assert all(s.score in (100.0, None) and s.core_not_met == 0 for s in assessment.summaries())


def test_an_empty_framework_meets_nothing():
    assessment = assess(parse_framework(empty_framework()))
    for result in assessment.results:
        if result.item.id == "ctfh2023.e3.carbon_credits":
            assert result.status is Status.NOT_APPLICABLE  # no credits used
        elif "use_of_proceeds" in result.item.instruments:
            assert result.status is Status.NOT_MET, result.item.id
            assert result.gaps, result.item.id
        else:
            assert result.status is Status.NOT_APPLICABLE
    gbp_total = next(s for s in assessment.summaries() if s.checklist == "gbp2017" and s.group is None)
    assert gbp_total.score == 0.0
    assert gbp_total.counts[Status.NOT_MET] == len(load_checklist("gbp2017").items)


def test_the_weak_sample_is_assessed_item_by_item():
    a = assess(load_framework(SAMPLES / "weak.yaml"))
    assert a.result("gbp2017.uop.legal_documentation").status is Status.MET
    benefits = a.result("gbp2017.uop.environmental_benefits")
    assert benefits.status is Status.PARTLY_MET and benefits.missing == ("benefits_quantified",)
    categories = a.result("gbp2017.uop.eligible_categories")
    assert categories.status is Status.PARTLY_MET  # listed without evidence
    assert any("no evidence" in g.en for g in categories.gaps)
    criteria = a.result("gbp2017.pes.eligibility_criteria")
    assert criteria.status is Status.PARTLY_MET
    assert criteria.missing == ("exclusion_criteria", "es_risk_process")
    assert len(criteria.gaps) == 2  # missing sub-elements, and no evidence
    assert a.result("gbp2017.mop.unallocated_placement").status is Status.NOT_MET
    assert a.result("gbp2017.ext.alignment_review").status is Status.NOT_MET
    credits = a.result("ctfh2023.e3.carbon_credits")
    assert credits.status is Status.NOT_MET and "residual" in credits.gaps[0].en
    assert a.result("ctfh2023.e3.targets_short_medium_long").missing == ("short_term", "medium_term")
    assert a.result("ctfh2023.e2.slb.kpi_coverage").status is Status.NOT_APPLICABLE


def test_the_strong_sample_is_almost_all_met():
    a = assess(load_framework(SAMPLES / "strong.yaml"))
    not_met = [r.item.id for r in a.results if r.status in (Status.NOT_MET, Status.PARTLY_MET)]
    assert not_met == ["ctfh2023.e4.locked_in_emissions"]
    refinancing = a.result("gbp2017.uop.refinancing")
    assert refinancing.status is Status.NOT_APPLICABLE and "no refinancing" in refinancing.note


def test_scope_at_issuance_makes_annual_items_not_applicable():
    a = assess(parse_framework(with_changes(complete_framework(), scope=["at_issuance"])))
    annual_only = [r for r in a.results if r.item.timing == ("annual",)]
    assert annual_only and all(r.status is Status.NOT_APPLICABLE for r in annual_only)
    assert a.result("gbp2017.mop.tracking").status is Status.MET


def test_an_unpublished_review_or_a_missing_group_is_partly_met():
    raw = complete_framework()
    raw["external_reviews"] = [
        {"type": "second_opinion", "provider": "A", "scope": ["uop", "pes"], "published": True, "credentials_disclosed": True, "document": "fw"},
        {"type": "verification", "provider": "B", "scope": ["mop"], "published": False, "credentials_disclosed": True},
    ]
    a = assess(parse_framework(raw))
    alignment = a.result("gbp2017.ext.alignment_review")
    assert alignment.status is Status.PARTLY_MET
    assert alignment.missing == ("rep",)
    assert {g.en for g in alignment.gaps} == {"no external review covers: rep", "review by B is not published"}
    assert a.result("gbp2017.pes.external_review").status is Status.MET
    assert a.result("gbp2017.mop.third_party_verification").status is Status.PARTLY_MET
    assert a.result("ctfh2023.e1.independent_review").status is Status.NOT_MET


def test_carbon_credits_missing_policy_is_partly_met():
    raw = complete_framework()
    del raw["carbon_credits"]["procurement_policy"]
    result = assess(parse_framework(raw)).result("ctfh2023.e3.carbon_credits")
    assert result.status is Status.PARTLY_MET and result.missing == ("procurement_policy",)


item_strategy = st.sampled_from([i for i in load_checklist("ctfh2023").items if len(i.elements) > 1])


@given(item=item_strategy, data=st.data(), has_evidence=st.booleans())
def test_grade_rule(item, data, has_evidence):
    stated = data.draw(st.sets(st.sampled_from(item.element_ids)))
    status, said, missing, gaps = grade(item, stated, has_evidence)
    assert set(said) | set(missing) == set(item.element_ids) and not set(said) & set(missing)
    if not stated:
        assert status is Status.NOT_MET
    elif len(stated) == len(item.element_ids) and has_evidence:
        assert status is Status.MET and gaps == ()
    else:
        assert status is Status.PARTLY_MET and gaps
