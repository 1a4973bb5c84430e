"""The issuer framework: what an issuer says it discloses, with evidence (``schemas/issuer_framework.schema.json``).

:func:`load_framework` reads a YAML or JSON file, checks it against the JSON Schema and then against the
checklists (known item ids and sub-elements, documents that exist, "not applicable" only where the
standard allows it). Every problem is reported with its JSON path in one
:class:`~greenmarket.errors.ValidationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from greenmarket.frameworks.checklist import Checklist, Instrument, Timing, load_checklists
from greenmarket.frameworks.credits import ClaimedRetirement
from greenmarket.frameworks.documents import (
    Problem,
    json_path,
    read_document,
    reject,
    schema_problems,
)

SCHEMA = "issuer_framework.schema.json"
DEFAULT_CHECKLISTS = ("gbp2017", "ctfh2023")
DEFAULT_SCOPE: tuple[Timing, ...] = ("at_issuance", "annual")
STRUCTURED_FROM = {
    "eligible_categories": "$.eligible_categories",
    "external_review": "$.external_reviews",
    "carbon_credits": "$.carbon_credits",
}


@dataclass(frozen=True)
class Document:
    """A public document the issuer cites (framework, annual report, SPO, ...)."""

    id: str
    title: str
    url: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class EvidenceRef:
    """Where a disclosure can be read: a document, page and/or section, optional URL."""

    document: str
    page: str | None = None
    section: str | None = None
    url: str | None = None

    def cite(self, documents: Mapping[str, Document]) -> str:
        doc = documents.get(self.document)
        parts = [doc.title if doc else self.document]
        if self.section:
            parts.append(f"§ {self.section}")
        if self.page:
            parts.append(f"p. {self.page}")
        url = self.url or (doc.url if doc else None)
        if url:
            parts.append(url)
        return ", ".join(parts)


@dataclass(frozen=True)
class Disclosure:
    """The issuer's statement for one checklist item."""

    item_id: str
    elements: frozenset[str]
    evidence: tuple[EvidenceRef, ...]
    note: str | None = None
    not_applicable: str | None = None


@dataclass(frozen=True)
class Statement:
    text: str
    evidence: tuple[EvidenceRef, ...]


@dataclass(frozen=True)
class ExternalReview:
    type: str
    provider: str
    scope: tuple[str, ...]
    published: bool
    credentials_disclosed: bool
    document: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class CarbonCreditPlan:
    """The issuer's planned or actual use of carbon credits (CTFH footnote 14)."""

    use: str
    residual_emissions_only: bool | None
    rationale: Statement | None
    procurement_policy: Statement | None
    quality_standards: tuple[str, ...]
    registry_participant: str | None
    claims: tuple[ClaimedRetirement, ...]


@dataclass(frozen=True)
class IssuerFramework:
    """A validated issuer framework."""

    source: str
    issuer_name: str
    issuer_name_en: str | None
    lei: str | None
    title: str
    version: str | None
    published: str
    instrument: Instrument
    bond_type: str | None
    checklists: tuple[str, ...]
    scope: tuple[Timing, ...]
    documents: Mapping[str, Document]
    eligible_categories: tuple[str, ...]
    category_evidence: tuple[EvidenceRef, ...]
    disclosures: Mapping[str, Disclosure]
    external_reviews: tuple[ExternalReview, ...]
    carbon_credits: CarbonCreditPlan | None


def _evidence(raw: list[dict[str, Any]] | None) -> tuple[EvidenceRef, ...]:
    return tuple(
        EvidenceRef(e["document"], str(e["page"]) if "page" in e else None, e.get("section"), e.get("url"))
        for e in raw or []
    )


def _statement(raw: dict[str, Any] | None) -> Statement | None:
    return Statement(raw["text"], _evidence(raw.get("evidence"))) if raw else None


def _document_refs(raw: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every (path, document id) the framework cites."""
    refs: list[tuple[tuple[str | int, ...], str]] = []

    def evidence(path: tuple[str | int, ...], items: list[dict[str, Any]] | None) -> None:
        for i, e in enumerate(items or []):
            refs.append(((*path, i, "document"), e["document"]))

    for item_id, d in raw.get("disclosures", {}).items():
        evidence(("disclosures", item_id, "evidence"), d.get("evidence"))
    evidence(("eligible_categories", "evidence"), raw.get("eligible_categories", {}).get("evidence"))
    credits = raw.get("carbon_credits", {})
    for key in ("rationale", "procurement_policy"):
        if key in credits:
            evidence(("carbon_credits", key, "evidence"), credits[key].get("evidence"))
    for i, review in enumerate(raw.get("external_reviews", [])):
        if "document" in review:
            refs.append((("external_reviews", i, "document"), review["document"]))
    return refs


def _disclosure_problems(raw: Mapping[str, Any], checklists: Mapping[str, Checklist]) -> list[Problem]:
    items = {item.id: item for cid in raw.get("checklists", DEFAULT_CHECKLISTS) for item in checklists[cid].items}
    problems: list[Problem] = []
    for item_id, d in raw.get("disclosures", {}).items():
        where = ("disclosures", item_id)
        item = items.get(item_id)
        if item is None:
            problems.append(Problem(json_path(where), f"unknown checklist item {item_id!r} (see `greenmarket frameworks checklist`)"))
            continue
        if item.evaluator != "disclosure":
            problems.append(Problem(json_path(where), f"item {item_id} is assessed from {STRUCTURED_FROM[item.evaluator]}, not from disclosures"))
            continue
        for i, element in enumerate(d.get("elements", [])):
            if element not in item.element_ids:
                problems.append(Problem(json_path((*where, "elements", i)),
                                        f"unknown sub-element {element!r} of {item_id}; known: {', '.join(item.element_ids)}"))
        if "not_applicable" in d and item.not_applicable_when is None:
            problems.append(Problem(json_path((*where, "not_applicable")),
                                    f"{item_id} applies to every issuer; it cannot be declared not applicable"))
    return problems


def _other_problems(raw: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    ids = [d["id"] for d in raw.get("documents", [])]
    for i, doc_id in enumerate(ids):
        if doc_id in ids[:i]:
            problems.append(Problem(json_path(("documents", i, "id")), f"duplicate document id {doc_id!r}"))
    for path, doc_id in _document_refs(raw):
        if doc_id not in ids:
            problems.append(Problem(json_path(path), f"document {doc_id!r} is not listed in $.documents"))
    if raw.get("instrument") == "sustainability_linked" and "bond_type" in raw:
        problems.append(Problem("$.bond_type", "a GBP bond type applies to use-of-proceeds bonds only"))
    credits = raw.get("carbon_credits", {})
    if credits.get("use") == "none" and credits.get("claimed_retirements"):
        problems.append(Problem("$.carbon_credits.claimed_retirements", "retirements are claimed but use is 'none'"))
    for i, claim in enumerate(credits.get("claimed_retirements", [])):
        if "serial_start" in claim and "serial_end" in claim:
            span = claim["serial_end"] - claim["serial_start"] + 1
            if span != claim["quantity"]:
                problems.append(Problem(json_path(("carbon_credits", "claimed_retirements", i, "quantity")),
                                        f"quantity {claim['quantity']} does not equal the serial range's {span} credits"))
    return problems


def _build(raw: Mapping[str, Any], source: str) -> IssuerFramework:
    categories = raw.get("eligible_categories")
    credits = raw.get("carbon_credits")
    return IssuerFramework(
        source=source,
        issuer_name=raw["issuer"]["name"],
        issuer_name_en=raw["issuer"].get("name_en"),
        lei=raw["issuer"].get("lei"),
        title=raw["framework"]["title"],
        version=raw["framework"].get("version"),
        published=raw["framework"]["published"],
        instrument=raw["instrument"],
        bond_type=raw.get("bond_type"),
        checklists=tuple(raw.get("checklists", DEFAULT_CHECKLISTS)),
        scope=tuple(raw.get("scope", DEFAULT_SCOPE)),
        documents={d["id"]: Document(d["id"], d["title"], d.get("url"), d.get("published")) for d in raw["documents"]},
        eligible_categories=tuple(categories["categories"]) if categories else (),
        category_evidence=_evidence(categories.get("evidence")) if categories else (),
        disclosures={
            item_id: Disclosure(item_id, frozenset(d.get("elements", [])), _evidence(d.get("evidence")),
                                d.get("note"), d.get("not_applicable"))
            for item_id, d in raw.get("disclosures", {}).items()
        },
        external_reviews=tuple(
            ExternalReview(r["type"], r["provider"], tuple(r["scope"]), r["published"], r["credentials_disclosed"],
                           r.get("document"), r.get("date"))
            for r in raw.get("external_reviews", [])
        ),
        carbon_credits=None if credits is None else CarbonCreditPlan(
            use=credits["use"],
            residual_emissions_only=credits.get("residual_emissions_only"),
            rationale=_statement(credits.get("rationale")),
            procurement_policy=_statement(credits.get("procurement_policy")),
            quality_standards=tuple(credits.get("quality_standards", [])),
            registry_participant=credits.get("registry_participant"),
            claims=tuple(
                ClaimedRetirement(c["reporting_year"], c["quantity"], c["project"], str(c["vintage"]),
                                  c["beneficiary"], c.get("serial_start"), c.get("serial_end"))
                for c in credits.get("claimed_retirements", [])
            ),
        ),
    )


def parse_framework(raw: Any, *, source: str = "<framework>", checklists: Mapping[str, Checklist] | None = None) -> IssuerFramework:
    """Validate raw framework data and build the IssuerFramework; reject it listing every problem."""
    reject(schema_problems(raw, SCHEMA), source=source, what="issuer framework")
    checklists = checklists or load_checklists()
    reject(sorted(_disclosure_problems(raw, checklists) + _other_problems(raw)), source=source, what="issuer framework")
    return _build(raw, source)


def load_framework(path: Path) -> IssuerFramework:
    """Read and validate an issuer framework file (YAML or JSON)."""
    return parse_framework(read_document(path), source=str(path))
