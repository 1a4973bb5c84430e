"""What one imported row says about some units (pure value types)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from greenmarket.integrity.metaregistry.serials import SerialBlock

REGISTRIES = ("verra", "gold-standard", "acr", "car", "art", "cadt")
KINDS = ("issuances", "retirements", "cancellations", "transactions")
# CADT is a meta layer: its unit records mirror the status that the origin registry holds.
MIRROR_REGISTRY = "cadt"
# Any registry other than the units' own one (CADT ``unitStatus`` "Exported" names no destination).
ANY_DESTINATION = "*"


def held_at(place: str, registry: str) -> bool:
    """Is ``registry`` the place named ``place``? A holder host matches by one of its labels
    (``registry.greenmarket.example`` is at ``greenmarket``)."""
    if place == registry:
        return True
    return "." in registry and place in registry.split(".")


class Role(StrEnum):
    """What a record says the units are: created, live (held, tokenized) or used up."""

    ISSUANCE = "issuance"
    ACTIVE = "active"
    TOKENIZED = "tokenized"
    RETIREMENT = "retirement"
    CANCELLATION = "cancellation"

    @property
    def consumed(self) -> bool:
        return self in (Role.RETIREMENT, Role.CANCELLATION)

    @property
    def live(self) -> bool:
        return self in (Role.ACTIVE, Role.TOKENIZED)


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """One statement of one row: ``role`` for ``block`` (or for ``quantity`` units without serials).

    A row yields one record per serial block and role (a Verra VCU row is both an issued block and
    its current status). ``row_quantity`` is the quantity the row states for all its blocks together;
    ``primary`` marks the records whose blocks add up to it (one role per row).
    ``transfer_to`` names the registry the units were cancelled to be moved into, when the row says so.
    """

    source: str
    line: int
    registry: str
    role: Role
    block: SerialBlock | None
    quantity: int
    row_quantity: int | None = None
    primary: bool = True
    transfer_to: str | None = None
    program: str = ""
    project: str = ""
    vintage: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that could not be read, kept for the report: never silently dropped."""

    source: str
    line: int
    reason: str
