"""Shared builders for the frameworks tests: an in-memory retirement ledger and framework documents."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from greenmarket.errors import InsufficientCredits
from greenmarket.frameworks.checklist import load_checklists
from greenmarket.frameworks.credits import Retirement, RetirementCheck, RetirementRequest

T0 = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)


class InMemoryLedger:
    """A RetiringLedger over a dict: holdings per (participant, project, vintage) and a list of retirements."""

    def __init__(self, holdings: dict[tuple[str, str, str], int] | None = None) -> None:
        self.holdings = dict(holdings or {})
        self.retirements: list[Retirement] = []

    def add(self, participant: str, quantity: int, project: str, vintage: str, beneficiary: str,
            reporting_year: int = 2025, serials: tuple[int, int] | None = None) -> Retirement:
        retirement = Retirement(
            retirement_id=f"R{len(self.retirements) + 1}", participant=participant, quantity=quantity,
            project=project, vintage=vintage, beneficiary=beneficiary, purpose="offset", claim="test",
            reporting_year=reporting_year, retired_at=T0 + timedelta(minutes=len(self.retirements)),
            serial_start=serials[0] if serials else None, serial_end=serials[1] if serials else None,
        )
        self.retirements.append(retirement)
        return retirement

    def retirements_of(self, participant: str) -> Sequence[Retirement]:
        return [r for r in self.retirements if r.participant == participant]

    def retire(self, request: RetirementRequest, *, check: RetirementCheck | None = None) -> Retirement:
        """Retire, then run ``check`` over the participant's retirements; undo everything if it raises."""
        key = (request.participant, request.project, request.vintage)
        if self.holdings.get(key, 0) < request.quantity:
            raise InsufficientCredits(f"{request.participant} holds {self.holdings.get(key, 0)} of {request.project}")
        self.holdings[key] -= request.quantity
        retirement = Retirement(
            retirement_id=f"R{len(self.retirements) + 1}", participant=request.participant, quantity=request.quantity,
            project=request.project, vintage=request.vintage, beneficiary=request.beneficiary,
            purpose=request.purpose, claim=request.claim, reporting_year=request.reporting_year,
            retired_at=T0 + timedelta(minutes=len(self.retirements)),
        )
        self.retirements.append(retirement)
        if check is not None:
            try:
                check(self.retirements_of(request.participant))
            except Exception:
                self.retirements.pop()
                self.holdings[key] += request.quantity
                raise
        return retirement


def empty_framework(instrument: str = "use_of_proceeds") -> dict[str, Any]:
    """The smallest valid framework: nothing disclosed."""
    return {
        "format": "greenmarket.issuer_framework/1",
        "issuer": {"name": "テスト発行体"},
        "framework": {"title": "Empty", "published": "2025-01-01"},
        "instrument": instrument,
        "documents": [{"id": "fw", "title": "Framework"}],
    }


def complete_framework(instrument: str = "use_of_proceeds") -> dict[str, Any]:
    """A framework stating every sub-element of every item, with evidence, reviews of every group and a credit plan."""
    raw = empty_framework(instrument)
    disclosures = {}
    for checklist in load_checklists().values():
        for item in checklist.items:
            if item.evaluator == "disclosure":
                disclosures[item.id] = {"elements": list(item.element_ids), "evidence": [{"document": "fw", "page": 3}]}
    raw["disclosures"] = disclosures
    raw["eligible_categories"] = {"categories": ["renewable_energy"], "evidence": [{"document": "fw", "section": "2"}]}
    raw["external_reviews"] = [{
        "type": "second_opinion", "provider": "Reviewer", "scope": ["uop", "pes", "mop", "rep", "e1", "e2", "e3", "e4"],
        "published": True, "credentials_disclosed": True, "document": "fw",
    }]
    raw["carbon_credits"] = {
        "use": "planned", "residual_emissions_only": True,
        "rationale": {"text": "residual only", "evidence": [{"document": "fw", "page": 9}]},
        "procurement_policy": {"text": "board-approved policy", "evidence": [{"document": "fw", "page": 10}]},
        "quality_standards": ["ICVCM CCP"],
    }
    return raw


def with_changes(raw: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    out.update(changes)
    return out
