"""Framework alignment: GBP 2017 and CTFH 2023 checklists, issuer-framework assessment, issuer reports.

The checklists are data (``data/*.yaml``); an issuer framework (``schemas/issuer_framework.schema.json``)
states what the issuer discloses; :func:`assess` decides, per checklist item, met / partly met / not met
/ not applicable. Carbon-credit claims are reconciled against a :class:`RetirementLedger` (the
greenmarket registry or any other ledger of retirements).
"""

from greenmarket.frameworks.assessment import Assessment, ItemResult, Status, assess
from greenmarket.frameworks.checklist import Checklist, Item, load_checklist, load_checklists
from greenmarket.frameworks.credits import (
    ClaimCheck,
    ClaimStatus,
    Retirement,
    RetirementLedger,
    RetirementRequest,
    RetiringLedger,
    reconcile_claims,
)
from greenmarket.frameworks.framework import IssuerFramework, load_framework, parse_framework

__all__ = [
    "Assessment",
    "Checklist",
    "ClaimCheck",
    "ClaimStatus",
    "IssuerFramework",
    "Item",
    "ItemResult",
    "Retirement",
    "RetirementLedger",
    "RetirementRequest",
    "RetiringLedger",
    "Status",
    "assess",
    "load_checklist",
    "load_checklists",
    "load_framework",
    "parse_framework",
    "reconcile_claims",
]
