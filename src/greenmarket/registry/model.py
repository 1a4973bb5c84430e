"""Registry concepts and the rules that decide who may do what (pure: no I/O).

Each rule of the registry lives here once: who may take part, who may move credits, which credits
a regulated financial institution may hold, what a retirement must state.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

import yaml

from greenmarket.errors import Conflict, Forbidden, ValidationError


class ParticipantType(StrEnum):
    """Who may hold a registry account (individuals are not admitted, as on the TSE market)."""

    CORPORATE = "corporate"
    FINANCIAL_INSTITUTION = "financial_institution"
    GOVERNMENT = "government"
    LOCAL_GOVERNMENT = "local_government"
    ASSOCIATION = "association"


class KycState(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class AccountKind(StrEnum):
    HOLDING = "holding"
    RETIREMENT = "retirement"
    VENUE_CUSTODY = "venue_custody"
    BRIDGE = "bridge"  # credits locked 1:1 against tokens on a token ledger


class AccountState(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    BLOCKED = "blocked"


class BlockStatus(StrEnum):
    """A serial block's state. Retired and cancelled are final: such credits never move again."""

    ACTIVE = "active"
    HELD = "held"
    LOCKED = "locked"  # in a bridge account, backing tokens; moves only by unlock or retirement
    RETIRED = "retired"
    CANCELLED = "cancelled"


FINAL_STATUSES = (BlockStatus.RETIRED, BlockStatus.CANCELLED)

LARGEST_NUMBER = 2**63 - 1
"""The largest id, quantity or serial number the database stores (a signed 64-bit integer)."""


class RetirementPurpose(StrEnum):
    VOLUNTARY_OFFSET = "voluntary_offset"
    GX_ETS = "gx_ets"
    CORSIA = "corsia"
    NDC = "ndc"
    OTHER = "other"


class Accreditation(StrEnum):
    """How the project's validation/verification body is accredited (FSA Q&A, seed 001)."""

    DOE = "doe"  # designated operational entity under Kyoto or Paris Article 6.4
    ISO14065 = "iso14065"  # ISO 14065-accredited verification body
    NONE = "none"


class HoldState(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    CONSUMED = "consumed"


SERIAL_FIELDS = {"program", "project", "vintage", "start", "end"}


def ensure_serial_format(serial_format: str) -> str:
    """A serial format names only the five fields, each plain or as a zero-padded integer
    (``{start:010d}``): no conversions, no nested or unbounded widths."""
    import re
    from string import Formatter

    try:
        parts = list(Formatter().parse(serial_format))
    except ValueError as error:
        raise ValidationError(f"serial_format does not parse: {error}", field="serial_format") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in SERIAL_FIELDS or conversion or not re.fullmatch(r"(0[1-9][0-9]?d)?", spec or ""):
            raise ValidationError(
                "serial_format may use only {program}, {project}, {vintage}, {start}, {end}, "
                "optionally zero-padded like {start:010d}", field="serial_format")
    return serial_format


@dataclass(frozen=True, slots=True)
class Program:
    code: str
    name: str
    governmental: bool
    unit: str
    serial_format: str

    def render_serial(self, project_id: str, vintage: int, start: int, end: int) -> str:
        """Render a serial block in the program's own format."""
        return self.serial_format.format(
            program=self.code, project=project_id, vintage=vintage, start=start, end=end
        )


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    program: str
    category: str
    verifier_accreditation: Accreditation


def fi_eligible(program: Program, accreditation: Accreditation) -> bool:
    """May a regulated financial institution handle these credits? (FSA Q&A, seed 001)

    Yes for governmental programs (J-Credit, JCM) and for voluntary credits whose projects were
    validated and verified by a Kyoto/Article 6.4 DOE or an ISO 14065-accredited body.
    """
    return program.governmental or accreditation in (Accreditation.DOE, Accreditation.ISO14065)


def ensure_may_move(kyc_state: str, account_state: str, *, role: str = "account") -> None:
    """Every move needs a KYC-verified participant and an open account on each side."""
    if kyc_state != KycState.VERIFIED:
        raise Forbidden(
            f"the {role} holder's KYC is {kyc_state}; only verified participants may move credits",
            code="kyc_not_verified",
            field=f"{role}_id",
        )
    if account_state != AccountState.OPEN:
        raise Conflict(
            f"the {role} is {account_state}; credits move only between open accounts",
            code="account_not_open",
            field=f"{role}_id",
        )


def ensure_may_hold(participant_type: str, eligible: bool, project_id: str) -> None:
    """Financial institutions may hold only FSA-eligible credits."""
    if participant_type == ParticipantType.FINANCIAL_INSTITUTION and not eligible:
        raise Forbidden(
            f"project {project_id}'s credits are not eligible for financial institutions "
            "(verifier is neither a DOE nor ISO 14065-accredited, and the program is not governmental)",
            code="not_eligible_for_holder",
            field="to_account_id",
        )


def ensure_participant_type(value: str) -> ParticipantType:
    if value == "individual":
        raise ValidationError(
            "individuals are not admitted as participants", code="individual_not_admitted", field="type"
        )
    try:
        return ParticipantType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in ParticipantType)
        raise ValidationError(f"type must be one of {allowed}", field="type") from None


def ensure_vintage(vintage: int) -> int:
    if not 1990 <= vintage <= 2100:
        raise ValidationError("vintage must be a year between 1990 and 2100", field="vintage")
    return vintage


def ensure_reporting_year(year: int | None) -> int | None:
    if year is not None and not 1990 <= year <= 2100:
        raise ValidationError("reporting_year must be a year between 1990 and 2100", field="reporting_year")
    return year


@cache
def categories() -> dict[str, dict[str, dict[str, str]]]:
    """Project categories per program, from ``data/categories.yaml``: program → code → names."""
    text = resources.files("greenmarket.registry").joinpath("data/categories.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return {program: {c["code"]: c for c in entries} for program, entries in data.items()}


def ensure_category(program: str, category: str) -> str:
    known = categories()
    allowed = known.get(program, known["default"])
    if category not in allowed:
        raise ValidationError(
            f"category {category!r} is not a category of {program}; one of {', '.join(allowed)}",
            field="category",
        )
    return category


@cache
def known_programs() -> tuple[dict[str, object], ...]:
    """The programs greenmarket ships with (``data/programs.yaml``)."""
    text = resources.files("greenmarket.registry").joinpath("data/programs.yaml").read_text("utf-8")
    return tuple(yaml.safe_load(text))
