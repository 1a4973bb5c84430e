"""The checklist data files: complete, consistent, and in step with the issuer-framework schema."""

from __future__ import annotations

import pytest

from greenmarket.errors import ValidationError
from greenmarket.frameworks.checklist import load_checklist, load_checklists, parse_checklist
from greenmarket.frameworks.documents import load_schema


def test_gbp_has_four_core_components_and_the_vocabularies():
    gbp = load_checklist("gbp2017")
    assert [g.id for g in gbp.groups if g.kind == "core_component"] == ["uop", "pes", "mop", "rep"]
    for group in ("uop", "pes", "mop", "rep"):
        assert any(i.level == "core" for i in gbp.items if i.group == group)
    assert len(gbp.vocabularies["eligible_categories"]) == 10
    assert [t.id for t in gbp.vocabularies["external_review_types"]] == ["second_opinion", "verification", "certification", "rating"]
    assert [t.id for t in gbp.vocabularies["bond_types"]] == ["standard_use_of_proceeds", "revenue", "project", "securitized"]


def test_ctfh_appendix_table_has_every_instrument_and_timing_cell_for_every_element():
    ctfh = load_checklist("ctfh2023")
    assert [g.id for g in ctfh.groups] == ["e1", "e2", "e3", "e4"]
    for element in ("e1", "e2", "e3", "e4"):
        for instrument in ("use_of_proceeds", "sustainability_linked"):
            for timing in ("at_issuance", "annual"):
                assert any(i.group == element and instrument in i.instruments and timing in i.timing
                           for i in ctfh.items), (element, instrument, timing)
    assert ctfh.item("ctfh2023.e3.targets_short_medium_long").element_ids == ("short_term", "medium_term", "long_term")
    assert ctfh.item("ctfh2023.e3.carbon_credits").evaluator == "carbon_credits"


def test_every_item_names_its_seed_section_and_has_both_languages():
    for checklist in load_checklists().values():
        for item in checklist.items:
            assert item.source_section and item.text.ja and item.text.en
            assert all(e.text.ja and e.text.en for e in item.elements)


def test_schema_enums_match_the_checklist_vocabularies():
    """The issuer-framework schema repeats the vocabularies; this keeps the two in step."""
    gbp = load_checklist("gbp2017")
    schema = load_schema("issuer_framework.schema.json")["properties"]
    assert schema["eligible_categories"]["properties"]["categories"]["items"]["enum"] == [
        t.id for t in gbp.vocabularies["eligible_categories"]]
    assert schema["external_reviews"]["items"]["properties"]["type"]["enum"] == [
        t.id for t in gbp.vocabularies["external_review_types"]]
    assert schema["bond_type"]["enum"] == [t.id for t in gbp.vocabularies["bond_types"]]
    groups = [g.id for c in load_checklists().values() for g in c.groups if g.kind != "recommendation"]
    assert schema["external_reviews"]["items"]["properties"]["scope"]["items"]["enum"] == groups
    allocation_schema = load_schema("allocations.schema.json")
    assert allocation_schema["properties"]["projects"]["items"]["properties"]["category"]["enum"] == [
        t.id for t in gbp.vocabularies["eligible_categories"]]


def test_a_broken_checklist_is_refused_with_each_problem():
    gbp = load_checklist("gbp2017")
    raw = {
        "id": "gbp2017", "version": 1, "edition": "x", "title": {"ja": "a", "en": "b"}, "publisher": "ICMA",
        "seed": "s", "instruments": ["use_of_proceeds"],
        "groups": [{"id": "uop", "kind": "core_component", "title": {"ja": "a", "en": "b"}}],
        "items": [
            {"id": "gbp2017.uop.a", "group": "uop", "level": "core", "timing": ["at_issuance"],
             "text": {"ja": "a", "en": "b"}, "source": {"section": "1"}, "elements": [{"id": "x", "ja": "x", "en": "x"}]},
            {"id": "gbp2017.uop.a", "group": "uop", "level": "core", "timing": ["at_issuance"],
             "text": {"ja": "a", "en": "b"}, "source": {"section": "1"}},
        ],
    }
    with pytest.raises(ValidationError) as caught:
        parse_checklist(raw, source="broken.yaml")
    paths = {p["path"] for p in caught.value.details["problems"]}
    assert paths == {"$.items[1].id", "$.items[1].elements"}
    assert gbp.item("gbp2017.uop.legal_documentation").level == "core"
