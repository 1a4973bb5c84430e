"""Assess an issuer framework against the GBP and CTFH checklists.

The status rule, in one place (:func:`grade`):

- **met** — every sub-element of the item is stated and at least one evidence reference is given;
- **partly met** — some but not all sub-elements are stated, or all are stated without any evidence;
- **not met** — nothing is stated (or, for carbon credits, credits go beyond residual emissions);
- **not applicable** — the item is for another instrument, outside the assessed timings, or the issuer
  gives a reason and the standard allows the item not to apply (``not_applicable_when``).

Items assessed from structured parts of the framework (eligible categories, external reviews, carbon
credits) build their sub-elements from those parts and then use the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from greenmarket.frameworks.checklist import Checklist, Item, Text, load_checklists
from greenmarket.frameworks.credits import (
    ClaimCheck,
    ClaimStatus,
    RetirementLedger,
    not_checked,
    reconcile_claims,
)
from greenmarket.frameworks.framework import EvidenceRef, IssuerFramework


class Status(StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"


STATUS_TEXT = {
    Status.MET: Text(ja="充足", en="met"),
    Status.PARTLY_MET: Text(ja="一部充足", en="partly met"),
    Status.NOT_MET: Text(ja="未充足", en="not met"),
    Status.NOT_APPLICABLE: Text(ja="対象外", en="not applicable"),
}


@dataclass(frozen=True)
class ItemResult:
    """The verdict on one checklist item, with the evidence seen and what is missing."""

    checklist: str
    item: Item
    status: Status
    stated: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    evidence: tuple[EvidenceRef, ...] = ()
    gaps: tuple[Text, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class GroupSummary:
    """Counts per status and a score for one GBP component or CTFH element (or a whole checklist)."""

    checklist: str
    group: str | None
    title: Text
    counts: Mapping[Status, int]
    core_not_met: int

    @property
    def score(self) -> float | None:
        """(met + ½ partly met) ÷ applicable items, in percent; None when nothing applies."""
        applicable = self.counts[Status.MET] + self.counts[Status.PARTLY_MET] + self.counts[Status.NOT_MET]
        if applicable == 0:
            return None
        return round(100 * (self.counts[Status.MET] + 0.5 * self.counts[Status.PARTLY_MET]) / applicable, 1)


@dataclass(frozen=True)
class Assessment:
    framework: IssuerFramework
    checklists: Mapping[str, Checklist]
    results: tuple[ItemResult, ...]
    claim_checks: tuple[ClaimCheck, ...] = field(default=())

    def result(self, item_id: str) -> ItemResult:
        return next(r for r in self.results if r.item.id == item_id)

    def summaries(self) -> list[GroupSummary]:
        """One summary per group, then one per checklist (``group`` None)."""
        out = []
        for cid in self.framework.checklists:
            checklist = self.checklists[cid]
            for group in checklist.groups:
                out.append(_summary(cid, group.id, group.title, [r for r in self.results if r.checklist == cid and r.item.group == group.id]))
            out.append(_summary(cid, None, checklist.title, [r for r in self.results if r.checklist == cid]))
        return out

    def to_dict(self) -> dict[str, Any]:
        fw = self.framework
        docs = fw.documents
        return {
            "framework": {
                "source": fw.source, "issuer": fw.issuer_name, "issuer_en": fw.issuer_name_en, "lei": fw.lei,
                "title": fw.title, "version": fw.version, "published": fw.published,
                "instrument": fw.instrument, "bond_type": fw.bond_type, "scope": list(fw.scope),
            },
            "checklists": {cid: {"version": self.checklists[cid].version, "edition": self.checklists[cid].edition}
                           for cid in fw.checklists},
            "summary": [
                {"checklist": s.checklist, "group": s.group, "title": {"ja": s.title.ja, "en": s.title.en},
                 "counts": {status.value: s.counts[status] for status in Status}, "score": s.score,
                 "core_not_met": s.core_not_met}
                for s in self.summaries()
            ],
            "items": [
                {"id": r.item.id, "checklist": r.checklist, "group": r.item.group, "level": r.item.level,
                 "status": r.status.value, "text": {"ja": r.item.text.ja, "en": r.item.text.en},
                 "source": {"section": r.item.source_section, "page": r.item.source_page},
                 "stated": list(r.stated), "missing": list(r.missing),
                 "evidence": [e.cite(docs) for e in r.evidence],
                 "gaps": [{"ja": g.ja, "en": g.en} for g in r.gaps], "note": r.note}
                for r in self.results
            ],
            "carbon_credit_claims": [c.as_dict() for c in self.claim_checks],
        }


def _summary(checklist: str, group: str | None, title: Text, results: Sequence[ItemResult]) -> GroupSummary:
    counts = {status: sum(1 for r in results if r.status is status) for status in Status}
    core_not_met = sum(1 for r in results if r.item.level == "core" and r.status in (Status.NOT_MET, Status.PARTLY_MET))
    return GroupSummary(checklist, group, title, counts, core_not_met)


def _names(item: Item, ids: Iterable[str]) -> Text:
    by_id = {e.id: e.text for e in item.elements}
    ids = list(ids)
    return Text(ja="、".join(by_id[i].ja if i in by_id else i for i in ids),
                en=", ".join(by_id[i].en if i in by_id else i for i in ids))


def grade(item: Item, stated: Iterable[str], has_evidence: bool) -> tuple[Status, tuple[str, ...], tuple[str, ...], tuple[Text, ...]]:
    """The met / partly met / not met rule: sub-elements stated, and evidence given."""
    stated_set = set(stated)
    said = tuple(e for e in item.element_ids if e in stated_set)
    missing = tuple(e for e in item.element_ids if e not in stated_set)
    gaps: list[Text] = []
    if missing:
        names = _names(item, missing)
        gaps.append(Text(ja=f"未記載: {names.ja}", en=f"not stated: {names.en}"))
    if said and not has_evidence:
        gaps.append(Text(ja="根拠資料（文書・頁／節）の参照がない", en="no evidence reference (document, page/section)"))
    if not said:
        return Status.NOT_MET, said, missing, tuple(gaps)
    if missing or not has_evidence:
        return Status.PARTLY_MET, said, missing, tuple(gaps)
    return Status.MET, said, missing, ()


def _result(checklist: str, item: Item, stated: Iterable[str], evidence: tuple[EvidenceRef, ...],
            note: str | None = None, extra_gaps: Sequence[Text] = (), has_evidence: bool | None = None) -> ItemResult:
    """Grade the item; findings beyond the rule (``extra_gaps``) keep it from being fully met."""
    status, said, missing, gaps = grade(item, stated, bool(evidence) if has_evidence is None else has_evidence)
    if extra_gaps and status is Status.MET:
        status = Status.PARTLY_MET
    return ItemResult(checklist, item, status, said, missing, evidence, gaps + tuple(extra_gaps), note)


def _not_applicable(checklist: str, item: Item, reason: str) -> ItemResult:
    return ItemResult(checklist, item, Status.NOT_APPLICABLE, note=reason)


def _out_of_scope(item: Item, fw: IssuerFramework) -> str | None:
    if fw.instrument not in item.instruments:
        return f"applies to {' / '.join(item.instruments)} instruments only"
    if not set(item.timing) & set(fw.scope):
        return f"timing {' / '.join(item.timing)} is outside the assessed scope ({' / '.join(fw.scope)})"
    return None


def _disclosure(checklist: str, item: Item, fw: IssuerFramework) -> ItemResult:
    disclosure = fw.disclosures.get(item.id)
    if disclosure is None:
        return _result(checklist, item, (), ())
    if disclosure.not_applicable is not None:
        return _not_applicable(checklist, item, disclosure.not_applicable)
    return _result(checklist, item, disclosure.elements, disclosure.evidence, disclosure.note)


def _eligible_categories(checklist: str, item: Item, fw: IssuerFramework) -> ItemResult:
    stated = ("categories_listed",) if fw.eligible_categories else ()
    note = ", ".join(fw.eligible_categories) or None
    return _result(checklist, item, stated, fw.category_evidence, note)


def _external_review(checklist: str, item: Item, fw: IssuerFramework) -> ItemResult:
    """Covered groups are the sub-elements; a review counts as evidence once published with credentials."""
    reviews = [r for r in fw.external_reviews if set(r.scope) & set(item.covers)]
    covered = {g for r in reviews for g in r.scope if g in item.covers}
    gaps: list[Text] = []
    if missing := [g for g in item.covers if g not in covered]:
        gaps.append(Text(ja=f"外部評価の対象外: {', '.join(missing)}", en=f"no external review covers: {', '.join(missing)}"))
    for review in reviews:
        if not review.published:
            gaps.append(Text(ja=f"{review.provider} の評価結果が公表されていない", en=f"review by {review.provider} is not published"))
        if not review.credentials_disclosed:
            gaps.append(Text(ja=f"{review.provider} の実績・専門性と評価範囲が開示されていない",
                             en=f"{review.provider} does not disclose its credentials and review scope"))
    evidence = tuple(EvidenceRef(r.document, section=f"{r.type}: {r.provider}") for r in reviews
                     if r.published and r.credentials_disclosed and r.document)
    status = Status.NOT_MET if not covered else Status.PARTLY_MET if gaps else Status.MET
    note = "; ".join(f"{r.type} by {r.provider} ({', '.join(r.scope)})" for r in reviews) or None
    return ItemResult(checklist, item, status, tuple(sorted(covered)), tuple(missing), evidence, tuple(gaps), note)


def _carbon_credits(checklist: str, item: Item, fw: IssuerFramework, checks: Sequence[ClaimCheck]) -> ItemResult:
    plan = fw.carbon_credits
    if plan is None or plan.use == "none":
        return _not_applicable(checklist, item, "no carbon credits are used / クレジット不使用")
    if plan.residual_emissions_only is False:
        return ItemResult(checklist, item, Status.NOT_MET, gaps=(Text(
            ja="クレジットを残余排出以外の相殺にも使う計画である（CTFH 脚注14：残余排出のみ）",
            en="credits offset more than residual emissions (CTFH footnote 14: residual emissions only)"),))
    stated = [name for name, present in (
        ("residual_emissions_only", plan.residual_emissions_only is True),
        ("rationale", plan.rationale is not None),
        ("procurement_policy", plan.procurement_policy is not None),
        ("quality_standards", bool(plan.quality_standards)),
    ) if present]
    statements = [s for s in (plan.rationale, plan.procurement_policy) if s is not None]
    evidence = tuple(e for s in statements for e in s.evidence)
    has_evidence = bool(statements) and all(s.evidence for s in statements)
    failed = [Text(ja=f"{c.claim.label()}: {c.detail.ja}", en=f"{c.claim.label()}: {c.detail.en}")
              for c in checks if c.status not in (ClaimStatus.CONFIRMED, ClaimStatus.NOT_CHECKED)]
    note = ("standards: " + ", ".join(plan.quality_standards)) if plan.quality_standards else None
    return _result(checklist, item, stated, evidence, note, extra_gaps=failed, has_evidence=has_evidence)


def check_claims(fw: IssuerFramework, ledger: RetirementLedger | None) -> list[ClaimCheck]:
    """Reconcile the plan's claimed retirements with the ledger (IOSCO GP 21), when both exist."""
    plan = fw.carbon_credits
    if plan is None or not plan.claims:
        return []
    if plan.registry_participant is None:
        return not_checked(plan.claims, Text(ja="登録簿の口座が示されていない", en="no registry participant given"))
    if ledger is None:
        return not_checked(plan.claims, Text(ja="登録簿を照会していない", en="no registry was consulted"))
    return reconcile_claims(plan.claims, ledger.retirements_of(plan.registry_participant))


def assess(fw: IssuerFramework, *, ledger: RetirementLedger | None = None,
           checklists: Mapping[str, Checklist] | None = None) -> Assessment:
    """Assess every item of the framework's checklists; pure apart from reading ``ledger``."""
    checklists = checklists or load_checklists()
    checks = check_claims(fw, ledger)
    results = []
    for cid in fw.checklists:
        for item in checklists[cid].items:
            reason = _out_of_scope(item, fw)
            if reason is not None:
                results.append(_not_applicable(cid, item, reason))
            elif item.evaluator == "eligible_categories":
                results.append(_eligible_categories(cid, item, fw))
            elif item.evaluator == "external_review":
                results.append(_external_review(cid, item, fw))
            elif item.evaluator == "carbon_credits":
                results.append(_carbon_credits(cid, item, fw, checks))
            else:
                results.append(_disclosure(cid, item, fw))
    return Assessment(fw, {cid: checklists[cid] for cid in fw.checklists}, tuple(results), tuple(checks))
