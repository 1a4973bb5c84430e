"""Serial-number formats of the registries, parsed into exact integer intervals (pure).

A serial block names a contiguous run of units inside one *numbering space*: the space in which the
registry counts its serial numbers. Two blocks can only be the same units when they lie in the same
space, so the space is the comparison key of the meta-registry:

    key = (program, project, vintage, series)

- ``program``: the program whose serial scheme the block uses (``VCS``, ``GS``, ``ACR``, ``CAR``,
  ``ART``, ``GM:<code>`` for greenmarket's own registry);
- ``project``: the program-normalized project id (``VCS1340``, ``GS11603``, ``ACR1185``…);
- ``vintage``: the vintage year (Verra: the year the serial's vintage period ends);
- ``series``: the issuance batch for schemes that restart numbering at 1 in every batch (Gold
  Standard, ACR, CAR, ART); empty where numbers are unique across the whole program (Verra,
  greenmarket).

Formats (verified against the registries' public exports; see docs/metaregistry.md):

- Verra VCU: ``19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1``
  (batch, start, end, program, unit type, …, country, sectoral scope, project, vintage start and
  end as DDMMYYYY, label flag); older serials omit the ``VCS-`` part.
- Gold Standard: ``GS1-1-KE-GS11603-16-2025-30256-110-5463`` (country, project, product type,
  vintage, batch, start, end).
- ACR: ``ACR-US-1185-2025-3078-1 to 85847`` (country, project, vintage, batch, start ``to`` end;
  a ``-`` in place of `` to `` is accepted).
- CAR: ``CAR-1-US-1335-31-983-KS-2025-9205-1 to 5000`` (``1`` or ``ROC``, country, project, two
  protocol codes, state, vintage, batch, start ``to`` end).
- ART TREES: ``ART-GY-102-2019-3-2500001 to 2600000``; FCPF credits held in the ART registry use
  the same layout with prefix ``FCPF``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from greenmarket.errors import ValidationError


class SerialFormatError(ValidationError):
    """A serial number that matches no known format, or describes an impossible block."""

    code = "serial_format"


@dataclass(frozen=True, slots=True)
class SerialBlock:
    """An inclusive run ``[start, end]`` of units in the numbering space ``key``."""

    program: str
    project: str
    vintage: str
    series: str
    start: int
    end: int

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.program, self.project, self.vintage, self.series)

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1


def make_block(
    program: str, project: str, vintage: str, series: str, start: int, end: int
) -> SerialBlock:
    """Build a block, refusing empty or reversed ranges."""
    if start < 1 or end < start:
        raise SerialFormatError(f"serial range {start}–{end} is empty or reversed")
    return SerialBlock(program, project, vintage, series, start, end)


_RANGE = r"(?P<start>\d+)\s*(?:to|-)\s*(?P<end>\d+)"

_VERRA = re.compile(
    r"^(?P<batch>\d+)-(?P<start>\d+)-(?P<end>\d+)-(?:[A-Z]+-)?VCU-(?P<seq>\d+)-(?P<reg>[A-Z]+)-"
    r"(?P<country>[A-Z]{2})-(?P<scope>\d+)-(?P<project>\d+)-(?P<vstart>\d{8})-(?P<vend>\d{8})-\d+$"
)
_GOLD_STANDARD = re.compile(
    r"^GS\d+-\d+-(?P<country>[A-Z]{2})-GS(?P<project>\d+)-(?P<type>\d+)-(?P<vintage>\d{4})-"
    r"(?P<batch>\d+)-(?P<start>\d+)-(?P<end>\d+)$"
)
_ACR = re.compile(
    r"^ACR-(?P<country>[A-Z]{2})-(?P<project>\d+)-(?P<vintage>\d{4})-(?P<batch>\d+)-" + _RANGE + "$"
)
_CAR = re.compile(
    r"^CAR-(?P<kind>[A-Z0-9]+)-(?P<country>[A-Z]{2})-(?P<project>\d+)-\d+-\d+-(?P<state>[A-Z]{2})-"
    r"(?P<vintage>\d{4})-(?P<batch>\d+)-(?P<start>\d+)\s*to\s*(?P<end>\d+)$"
)
_ART = re.compile(
    r"^(?:ART|FCPF)-(?P<country>[A-Z]{2})-(?P<project>\d+)-(?P<vintage>\d{4})-(?P<batch>\d+)-"
    r"(?P<start>\d+)\s*to\s*(?P<end>\d+)$"
)


def _ddmmyyyy(text: str) -> date:
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError as error:
        raise SerialFormatError(f"vintage date {text} is not a DDMMYYYY date") from error


def _verra(match: re.Match[str]) -> SerialBlock:
    first, last = _ddmmyyyy(match["vstart"]), _ddmmyyyy(match["vend"])
    if last < first:
        raise SerialFormatError(f"vintage period ends ({last}) before it starts ({first})")
    return make_block(
        "VCS",
        f"VCS{int(match['project'])}",
        str(last.year),
        "",
        int(match["start"]),
        int(match["end"]),
    )


def _batched(program: str) -> Callable[[re.Match[str]], SerialBlock]:
    def build(match: re.Match[str]) -> SerialBlock:
        project = f"{program}{int(match['project'])}"
        return make_block(
            program,
            project,
            match["vintage"],
            str(int(match["batch"])),
            int(match["start"]),
            int(match["end"]),
        )

    return build


# Scheme name -> (pattern, builder). The names are the ``--registry`` names of their home registry.
SCHEMES: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], SerialBlock]]] = {
    "verra": (_VERRA, _verra),
    "gold-standard": (_GOLD_STANDARD, _batched("GS")),
    "acr": (_ACR, _batched("ACR")),
    "car": (_CAR, _batched("CAR")),
    "art": (_ART, _batched("ART")),
}

# The registry that issues each program's serials: a block held anywhere else came from there.
HOME_REGISTRY: dict[str, str] = {
    "VCS": "verra",
    "GS": "gold-standard",
    "ACR": "acr",
    "CAR": "car",
    "ART": "art",
}


def home_registry(program: str) -> str:
    """Name the registry whose serial scheme ``program`` is (greenmarket's programs: ``greenmarket``)."""
    if program.startswith("GM:"):
        return "greenmarket"
    return HOME_REGISTRY.get(program, program.lower())


def parse_serial(text: str, schemes: tuple[str, ...] | None = None) -> SerialBlock:
    """Parse one serial block; ``schemes`` limits the formats tried (default: all)."""
    cleaned = " ".join(text.split())
    for name in schemes or tuple(SCHEMES):
        pattern, build = SCHEMES[name]
        match = pattern.match(cleaned)
        if match:
            return build(match)
    tried = ", ".join(schemes or tuple(SCHEMES))
    raise SerialFormatError(f"serial {cleaned!r} matches no known format ({tried})")


_SEPARATORS = re.compile(r"[;,\n]+")


def parse_serials(text: str, schemes: tuple[str, ...] | None = None) -> list[SerialBlock]:
    """Parse a cell that may list several blocks separated by ``;``, ``,`` or new lines."""
    parts = [part.strip() for part in _SEPARATORS.split(text) if part.strip()]
    if not parts:
        raise SerialFormatError("empty serial number")
    return [parse_serial(part, schemes) for part in parts]
