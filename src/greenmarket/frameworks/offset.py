"""Offset-linked bonds: bond terms under which credits are retired for up to x % of the issue amount.

Seed 001 describes a regional bank's product (January 2024): the bank takes up a private placement
issued by a client company and, within an amount equal to 0.20 % of the issue amount, procures carbon
credits that offset emissions of local facilities run by the municipality. The terms cap money, not
tonnes, so a bond records both the cap rate and the price per credit its terms use to turn that money
into credits (:attr:`OffsetLinkedBond.credit_price`); the credit cap is ``floor(issue_amount × rate ÷
price)``.

A retirement for the bond is executed through a :class:`~greenmarket.frameworks.credits.RetiringLedger`
(the registry) and linked to the bond by its claim text, which names the bond's ISIN; the credits
already retired for the bond are read back from the same ledger, so the registry stays the one record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from greenmarket.bonds.isin import is_valid_isin
from greenmarket.errors import Conflict, ValidationError
from greenmarket.frameworks.credits import (
    Retirement,
    RetirementLedger,
    RetirementRequest,
    RetiringLedger,
)
from greenmarket.frameworks.documents import read_document, reject, schema_problems

OFFSET_PURPOSE = "voluntary_offset"  # the registry's purpose for a voluntary offset claim


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros (600000, 0.2)."""
    return format(value.normalize(), "f")


class OffsetCapExceeded(Conflict):
    """A retirement would take the bond's offset past the cap its terms set."""

    code = "offset_cap_exceeded"


@dataclass(frozen=True)
class OffsetLinkedBond:
    """A bond whose terms retire credits worth up to ``offset_cap_rate`` of the issue amount."""

    isin: str
    issuer: str
    underwriter: str
    procuring_participant: str
    beneficiary: str
    currency: str
    issue_amount: Decimal
    issue_date: date
    offset_cap_rate: Decimal
    credit_price: Decimal

    def __post_init__(self) -> None:
        if not is_valid_isin(self.isin):
            raise ValidationError(f"{self.isin!r} is not a valid ISIN", field="isin")
        if self.issue_amount <= 0:
            raise ValidationError("issue amount must be positive", field="issue_amount")
        if not Decimal(0) < self.offset_cap_rate <= Decimal(1):
            raise ValidationError("offset cap rate must be in (0, 1] (0.002 = 0.20 %)", field="offset_cap_rate")
        if self.credit_price <= 0:
            raise ValidationError("credit price must be positive", field="credit_price")

    @property
    def cap_amount(self) -> Decimal:
        """The money the terms allow for offsets: issue amount × cap rate (exact)."""
        return self.issue_amount * self.offset_cap_rate

    @property
    def max_credits(self) -> int:
        """The credit cap: whole credits the cap amount buys at the terms' price."""
        return int(self.cap_amount // self.credit_price)

    @property
    def claim_prefix(self) -> str:
        """How every retirement claim for this bond begins; it names the ISIN (the link to the bond)."""
        return f"Offset under offset-linked bond {self.isin} "

    def claim_text(self) -> str:
        """The retirement's use claim for this bond."""
        return (f"{self.claim_prefix}issued by {self.issuer} "
                f"(up to {_plain(self.offset_cap_rate * 100)} % of {_plain(self.issue_amount)} {self.currency}) / "
                f"カーボンオフセット型債券 {self.isin} による相殺")

    def is_linked(self, retirement: Retirement) -> bool:
        return retirement.claim.startswith(self.claim_prefix)


def retired_for(bond: OffsetLinkedBond, ledger: RetirementLedger) -> list[Retirement]:
    """The retirements the ledger holds for this bond (procuring participant, claim naming the ISIN)."""
    return [r for r in ledger.retirements_of(bond.procuring_participant) if bond.is_linked(r)]


def check_within_cap(bond: OffsetLinkedBond, already: int, quantity: int) -> None:
    """Refuse a retirement that would take the bond's offset past its credit cap."""
    if quantity <= 0:
        raise ValidationError("quantity must be a positive number of credits", field="quantity")
    if already + quantity > bond.max_credits:
        raise OffsetCapExceeded(
            f"bond {bond.isin}: {quantity} more credits would make {already + quantity}, over the cap of "
            f"{bond.max_credits} ({_plain(bond.offset_cap_rate * 100)} % of {_plain(bond.issue_amount)} {bond.currency} "
            f"at {_plain(bond.credit_price)} {bond.currency}/t)",
            field="quantity", isin=bond.isin, already_retired=already, requested=quantity, cap=bond.max_credits,
        )


def retire_for_bond(bond: OffsetLinkedBond, ledger: RetiringLedger, *, quantity: int, project: str,
                    vintage: str, reporting_year: int) -> Retirement:
    """Retire ``quantity`` credits from the underwriter's account for the bond, within its cap.

    The cap is checked twice: before asking the ledger (a clear early refusal) and inside the
    retirement's transaction over everything retired for the bond, the new retirement included,
    so two concurrent requests cannot both pass it.
    """
    check_within_cap(bond, sum(r.quantity for r in retired_for(bond, ledger)), quantity)

    def within_cap(retirements: Sequence[Retirement]) -> None:
        total = sum(r.quantity for r in retirements if bond.is_linked(r))
        check_within_cap(bond, total - quantity, quantity)

    return ledger.retire(RetirementRequest(
        participant=bond.procuring_participant, quantity=quantity, project=project, vintage=vintage,
        beneficiary=bond.beneficiary, purpose=OFFSET_PURPOSE, claim=bond.claim_text(), reporting_year=reporting_year,
    ), check=within_cap)


def parse_offset_bond(raw: Any, *, source: str = "<bond>") -> OffsetLinkedBond:
    """Build a bond from its file form (``schemas/offset_bond.schema.json``), listing every problem."""
    reject(schema_problems(raw, "offset_bond.schema.json"), source=source, what="offset bond")
    assert isinstance(raw, Mapping)
    return OffsetLinkedBond(
        isin=raw["isin"], issuer=raw["issuer"], underwriter=raw["underwriter"],
        procuring_participant=raw["procuring_participant"], beneficiary=raw["beneficiary"],
        currency=raw["currency"], issue_amount=Decimal(str(raw["issue_amount"])),
        issue_date=date.fromisoformat(raw["issue_date"]), offset_cap_rate=Decimal(str(raw["offset_cap_rate"])),
        credit_price=Decimal(str(raw["credit_price"])),
    )


def load_offset_bond(path: Path) -> OffsetLinkedBond:
    return parse_offset_bond(read_document(path), source=str(path))


def summary(bond: OffsetLinkedBond, retirements: Sequence[Retirement]) -> dict[str, Any]:
    """The bond's offset position: cap, retired so far, headroom, and the linked retirements."""
    retired = sum(r.quantity for r in retirements)
    return {
        "isin": bond.isin, "issuer": bond.issuer, "underwriter": bond.underwriter, "beneficiary": bond.beneficiary,
        "currency": bond.currency, "issue_amount": _plain(bond.issue_amount),
        "offset_cap_rate": _plain(bond.offset_cap_rate), "cap_amount": _plain(bond.cap_amount),
        "credit_price": _plain(bond.credit_price), "max_credits": bond.max_credits,
        "retired": retired, "headroom": bond.max_credits - retired,
        "retirements": [{"retirement_id": r.retirement_id, "quantity": r.quantity, "project": r.project,
                         "vintage": r.vintage, "reporting_year": r.year, "retired_at": r.retired_at.isoformat()}
                        for r in retirements],
    }
