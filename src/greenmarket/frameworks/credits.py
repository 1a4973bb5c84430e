"""Carbon credits in an issuer's plan: the ledger protocol and the claim-versus-retirement check.

CTFH 2023 footnote 14 limits credits to residual emissions and asks for the rationale, the procurement
policy and the quality standards (the rule itself is graded in :mod:`assessment`). IOSCO good practice
21 asks that claims match what a registry actually retired: :func:`reconcile_claims` compares what an
issuer's plan claims with the retirements a :class:`RetirementLedger` holds for its participant.

Any ledger of retirements can be checked: the greenmarket registry (see :mod:`registry_ledger`), or an
in-memory one in tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from greenmarket.frameworks.checklist import Text


@dataclass(frozen=True)
class Retirement:
    """A retirement as a registry records it (a quantity of one project and vintage, used for a claim)."""

    retirement_id: str
    participant: str
    quantity: int
    project: str
    vintage: str
    beneficiary: str
    purpose: str
    claim: str
    reporting_year: int | None
    retired_at: datetime
    serial_start: int | None = None
    serial_end: int | None = None

    @property
    def year(self) -> int:
        """The reporting year the retirement counts for (its retirement year when none was given)."""
        return self.reporting_year if self.reporting_year is not None else self.retired_at.year


@dataclass(frozen=True)
class RetirementRequest:
    """Ask a ledger to retire ``quantity`` credits of a project and vintage held by ``participant``."""

    participant: str
    quantity: int
    project: str
    vintage: str
    beneficiary: str
    purpose: str
    claim: str
    reporting_year: int


class RetirementLedger(Protocol):
    """Anything that lists a participant's retirements."""

    def retirements_of(self, participant: str) -> Sequence[Retirement]: ...


RetirementCheck = Callable[[Sequence[Retirement]], None]


class RetiringLedger(RetirementLedger, Protocol):
    """A ledger that can also retire credits (the registry).

    ``check`` is called inside the retirement's own transaction with the participant's retirements,
    the new one included; if it raises, the retirement is undone and the error propagates. Limits
    over several retirements (an offset-linked bond's cap) are enforced this way without a race.
    """

    def retire(self, request: RetirementRequest, *, check: RetirementCheck | None = None) -> Retirement: ...


@dataclass(frozen=True)
class ClaimedRetirement:
    """A retirement an issuer's plan or report says was made."""

    reporting_year: int
    quantity: int
    project: str
    vintage: str
    beneficiary: str
    serial_start: int | None = None
    serial_end: int | None = None

    def label(self) -> str:
        serials = f" serials {self.serial_start}-{self.serial_end}" if self.serial_start is not None else ""
        return f"{self.quantity} t {self.project} vintage {self.vintage} ({self.reporting_year}){serials}"


class ClaimStatus(StrEnum):
    """What the registry says about one claimed retirement."""

    CONFIRMED = "confirmed"
    MISSING = "missing"
    OTHER_BENEFICIARY = "other_beneficiary"
    QUANTITY_SHORT = "quantity_short"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class ClaimCheck:
    """The outcome of checking one claim: the quantity found and the retirements that back it."""

    claim: ClaimedRetirement
    status: ClaimStatus
    found_quantity: int
    retirement_ids: tuple[str, ...]
    detail: Text

    def as_dict(self) -> dict[str, object]:
        return {
            "claim": {
                "reporting_year": self.claim.reporting_year,
                "quantity": self.claim.quantity,
                "project": self.claim.project,
                "vintage": self.claim.vintage,
                "beneficiary": self.claim.beneficiary,
                "serial_start": self.claim.serial_start,
                "serial_end": self.claim.serial_end,
            },
            "status": self.status.value,
            "found_quantity": self.found_quantity,
            "retirement_ids": list(self.retirement_ids),
            "detail": {"ja": self.detail.ja, "en": self.detail.en},
        }


def _same_party(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _usable(claim: ClaimedRetirement, retirement: Retirement) -> int:
    """How many credits of ``retirement`` (same project, vintage and year) can back ``claim``."""
    if claim.serial_start is None or claim.serial_end is None:
        return retirement.quantity
    if retirement.serial_start is None or retirement.serial_end is None:
        return 0
    low, high = max(claim.serial_start, retirement.serial_start), min(claim.serial_end, retirement.serial_end)
    return max(0, high - low + 1)


def not_checked(claims: Sequence[ClaimedRetirement], reason: Text) -> list[ClaimCheck]:
    """Mark claims that could not be checked (no registry account, or no registry given)."""
    return [ClaimCheck(claim, ClaimStatus.NOT_CHECKED, 0, (), reason) for claim in claims]


def reconcile_claims(claims: Sequence[ClaimedRetirement], retirements: Sequence[Retirement]) -> list[ClaimCheck]:
    """Check each claim against the participant's retirements; a retired credit backs one claim only.

    Claims are matched in the order given, retirements oldest first. A claim is ``confirmed`` when
    retirements of its project, vintage and reporting year for its beneficiary (and inside its serial
    range, when it gives one) cover its quantity; ``quantity_short`` when they cover part of it;
    ``other_beneficiary`` when matching retirements exist but name someone else; ``missing`` otherwise.
    """
    # A claim is backed only by retirements of its project, vintage and reporting year.
    by_key: dict[tuple[str, str, int], list[Retirement]] = defaultdict(list)
    for retirement in sorted(retirements, key=lambda r: (r.retired_at, r.retirement_id)):
        by_key[(retirement.project, retirement.vintage, retirement.year)].append(retirement)
    left = {r.retirement_id: r.quantity for r in retirements}
    checks: list[ClaimCheck] = []
    for claim in claims:
        found, used = 0, []
        others: list[Retirement] = []
        for retirement in by_key.get((claim.project, claim.vintage, claim.reporting_year), ()):
            usable = min(_usable(claim, retirement), left[retirement.retirement_id])
            if usable <= 0:
                continue
            if not _same_party(retirement.beneficiary, claim.beneficiary):
                others.append(retirement)
                continue
            take = min(usable, claim.quantity - found)
            if take <= 0:
                break
            left[retirement.retirement_id] -= take
            found += take
            used.append(retirement.retirement_id)
        checks.append(_outcome(claim, found, tuple(used), others))
    return checks


def _outcome(claim: ClaimedRetirement, found: int, used: tuple[str, ...], others: list[Retirement]) -> ClaimCheck:
    if found >= claim.quantity:
        return ClaimCheck(claim, ClaimStatus.CONFIRMED, found, used,
                          Text(ja=f"登録簿で確認（{found} t）", en=f"confirmed in the registry ({found} t)"))
    if found > 0:
        return ClaimCheck(claim, ClaimStatus.QUANTITY_SHORT, found, used, Text(
            ja=f"登録簿の償却は {found} t のみ（主張 {claim.quantity} t）",
            en=f"registry holds only {found} t of the {claim.quantity} t claimed"))
    if others:
        names = ", ".join(sorted({r.beneficiary for r in others}))
        ids = tuple(r.retirement_id for r in others)
        return ClaimCheck(claim, ClaimStatus.OTHER_BENEFICIARY, 0, ids, Text(
            ja=f"該当する償却の受益者が異なる（{names}）",
            en=f"matching retirements name another beneficiary ({names})"))
    return ClaimCheck(claim, ClaimStatus.MISSING, 0, (), Text(
        ja="該当する償却が登録簿にない", en="no matching retirement in the registry"))
