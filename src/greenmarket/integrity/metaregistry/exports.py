"""Readers for the registries' public CSV exports: each row becomes unit records or a rejection.

The column names are the registries' own (see docs/metaregistry.md for where each was verified).
Header names are matched ignoring case and repeated spaces (ACR writes ``Status Effective  (GMT)``).
A file whose header lacks a required column is refused as a whole (``FileFormatError``); a row that
cannot be read is kept as a ``Rejection`` with its CSV record number (the header is record 1).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from greenmarket.errors import FileFormatError
from greenmarket.integrity.metaregistry.records import (
    ANY_DESTINATION,
    KINDS,
    MIRROR_REGISTRY,
    REGISTRIES,
    Rejection,
    Role,
    UnitRecord,
    held_at,
)
from greenmarket.integrity.metaregistry.serials import (
    SCHEMES,
    SerialBlock,
    SerialFormatError,
    home_registry,
    make_block,
    parse_serial,
    parse_serials,
)


@dataclass(frozen=True, slots=True)
class Columns:
    """Where one export keeps what the meta-registry reads. ``None``: the export has no such column."""

    quantity: str
    serial: str | None = None
    project: str | None = None
    project_prefix: str = ""
    vintage: str | None = None
    date: str | None = None
    reasons: tuple[str, ...] = ()
    serial_required: bool = True


_VERRA = Columns(
    serial="Serial Number",
    quantity="Quantity Issued",
    project="ID",
    project_prefix="VCS",
    vintage="Vintage End",
    date="Retirement/Cancellation Date",
    reasons=("Retirement Reason", "Retirement Details"),
)
_GS = Columns(
    serial="Serial Number",
    quantity="Quantity",
    project="GSID",
    project_prefix="GS",
    vintage="Vintage",
    reasons=("Note",),
)
_ACR_RETIRED = Columns(
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    project="Project ID",
    vintage="Vintage",
    reasons=("Retirement Reason", "Purpose of Retirement"),
)
_ACR_CANCELLED = Columns(
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    project="Project ID",
    vintage="Vintage",
    reasons=("Cancellation Type", "Cancellation Details"),
)
_ACR_ISSUED = Columns(
    serial="Credit Serial Numbers",
    quantity="Total Credits Issued",
    project="Project ID",
    vintage="Vintage",
    serial_required=False,
)
_CAR_RETIRED = Columns(
    serial="Offset Credit Serial Numbers",
    quantity="Quantity of Offset Credits",
    project="Project ID",
    vintage="Vintage",
    reasons=("Retirement Reason", "Retirement Reason Details"),
)
_CAR_CANCELLED = Columns(
    serial="Offset Credit Serial Numbers",
    quantity="Quantity of Offset Credits",
    project="Project ID",
    vintage="Vintage",
    reasons=("Cancellation Reason", "Export Notes"),
)
_CAR_ISSUED = Columns(
    serial="Offset Credit Serial Numbers",
    quantity="Total Offset Credits Issued",
    project="Project ID",
    vintage="Vintage",
    serial_required=False,
)
_ART_RETIRED = Columns(
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    project="Program ID",
    vintage="Vintage",
    reasons=("Retirement Reason", "Purpose of Retirement"),
)
_ART_CANCELLED = Columns(
    serial="Credit Serial Numbers",
    quantity="Quantity of Credits",
    project="Program ID",
    vintage="Vintage",
    reasons=("Cancellation Reason", "Cancellation Details"),
)
_ART_ISSUED = Columns(
    serial="Credit Serial Numbers",
    quantity="Credits Verified",
    project="Program ID",
    vintage="Vintage",
    serial_required=False,
)

# (registry, kind) -> columns. Verra's VCU export serves every kind (one row per block, dated when
# retired or cancelled); the other registries publish one file per kind.
EXPORTS: dict[tuple[str, str], Columns] = {
    ("verra", "transactions"): _VERRA,
    ("verra", "issuances"): _VERRA,
    ("verra", "retirements"): _VERRA,
    ("verra", "cancellations"): _VERRA,
    ("gold-standard", "issuances"): _GS,
    ("gold-standard", "retirements"): _GS,
    ("gold-standard", "cancellations"): _GS,
    ("acr", "issuances"): _ACR_ISSUED,
    ("acr", "retirements"): _ACR_RETIRED,
    ("acr", "cancellations"): _ACR_CANCELLED,
    ("car", "issuances"): _CAR_ISSUED,
    ("car", "retirements"): _CAR_RETIRED,
    ("car", "cancellations"): _CAR_CANCELLED,
    ("art", "issuances"): _ART_ISSUED,
    ("art", "retirements"): _ART_RETIRED,
    ("art", "cancellations"): _ART_CANCELLED,
}

_KIND_ROLE = {
    "issuances": Role.ISSUANCE,
    "retirements": Role.RETIREMENT,
    "cancellations": Role.CANCELLATION,
}


@dataclass(slots=True)
class ParsedExport:
    """Everything one file said: its records, its rejected rows and how many rows were read."""

    source: str
    registry: str
    kind: str
    records: list[UnitRecord] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    rows: int = 0

    @property
    def imported_rows(self) -> int:
        return self.rows - len(self.rejections)


class RowError(Exception):
    """A row that cannot be read; becomes a ``Rejection``."""


# --- cell readers -----------------------------------------------------------------------------

_WHOLE = re.compile(r"^\d+(?:\.0+)?$")


def whole_number(text: str, what: str) -> int | None:
    """Read a count such as ``85847``, ``1,454,054`` or ``260294.0``; blank gives ``None``."""
    cleaned = text.replace(",", "").replace(" ", "").strip()
    if not cleaned:
        return None
    if not _WHOLE.match(cleaned):
        raise RowError(f"{what} {text.strip()!r} is not a whole number")
    return int(cleaned.split(".")[0])


_DESTINATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("arb", re.compile(r"\b(arb|carb|california)\b", re.IGNORECASE)),
    ("wa-ecology", re.compile(r"\b(wa eco|ecology|washington)\b", re.IGNORECASE)),
    ("verra", re.compile(r"\b(verra|vcs|vcus?)\b", re.IGNORECASE)),
    ("gold-standard", re.compile(r"\bgold standard\b", re.IGNORECASE)),
    ("acr", re.compile(r"\b(ACR|American Carbon Registry)\b")),
    ("car", re.compile(r"\b(CAR|Climate Action Reserve)\b")),
    ("art", re.compile(r"\bART\b")),
    ("greenmarket", re.compile(r"\bgreenmarket\b", re.IGNORECASE)),
)
_TRANSFER_WORDS = re.compile(
    r"\b(convert\w*|conversion|transfer\w*|export\w*|mov\w+|re-?issu\w*)\b", re.IGNORECASE
)


def transfer_destination(texts: Iterable[str], own_registry: str) -> str | None:
    """Name the registry a cancellation moved its units to, when its reason says so.

    A reason counts when it *is* a destination (CAR's cancellation reason ``ARB``) or names one next
    to a transfer word (ACR's ``Convert to ARB offset credits``, a remark ``transferred to
    greenmarket``). A use claim such as ``CORSIA Compliance`` names no registry and stays a claim.
    """
    for text in texts:
        stripped = text.strip()
        if not stripped:
            continue
        for name, pattern in _DESTINATIONS:
            match = pattern.search(stripped)
            if not match or name == own_registry:
                continue
            if match.group(0).strip().casefold() == stripped.casefold() or _TRANSFER_WORDS.search(
                stripped
            ):
                return name
    return None


# --- header handling --------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


class Header:
    """Column positions by normalized name."""

    def __init__(self, names: Sequence[str], source: str) -> None:
        self.positions: dict[str, int] = {}
        for index, name in enumerate(names):
            self.positions.setdefault(_norm(name.lstrip("\ufeff")), index)
        self.source = source

    def has(self, name: str | None) -> bool:
        return name is not None and _norm(name) in self.positions

    def require(self, *names: str | None) -> None:
        for name in names:
            if name is not None and not self.has(name):
                raise FileFormatError(
                    f"required column {name!r} is missing", source=self.source, line=1, column=name
                )

    def cell(self, row: Sequence[str], name: str | None) -> str:
        if name is None:
            return ""
        index = self.positions.get(_norm(name))
        if index is None or index >= len(row):
            return ""
        return row[index]


# --- one row ----------------------------------------------------------------------------------


def _project(header: Header, row: Sequence[str], columns: Columns) -> str:
    raw = header.cell(row, columns.project).strip()
    if raw and columns.project_prefix and raw.isdigit():
        return f"{columns.project_prefix}{raw}"
    return raw


def _vintage(header: Header, row: Sequence[str], columns: Columns) -> str:
    raw = header.cell(row, columns.vintage).strip()
    return raw[:4] if len(raw) >= 4 and raw[:4].isdigit() else raw


def _registry_roles(
    registry: str, kind: str, columns: Columns, header: Header, row: Sequence[str]
) -> list[tuple[Role, str | None]]:
    """The roles a registry row plays, with the transfer destination of a cancellation."""
    reasons = [header.cell(row, name) for name in columns.reasons]
    if registry != "verra":
        role = _KIND_ROLE[kind]
        destination = transfer_destination(reasons, registry) if role is Role.CANCELLATION else None
        return [(role, destination)]
    dated = bool(header.cell(row, columns.date).strip())
    if kind == "issuances":
        return [(Role.ISSUANCE, None)]
    if kind in ("retirements", "cancellations") and not dated:
        raise RowError(f"no Retirement/Cancellation Date in a Verra {kind} file")
    destination = transfer_destination(reasons, registry) if dated else None
    if not dated:
        status: tuple[Role, str | None] = (Role.ACTIVE, None)
    elif kind == "cancellations" or destination is not None:
        status = (Role.CANCELLATION, destination)
    else:
        status = (Role.RETIREMENT, None)
    return [(Role.ISSUANCE, None), status] if kind == "transactions" else [status]


def _registry_row(
    parsed: ParsedExport, columns: Columns, header: Header, row: Sequence[str], line: int
) -> list[UnitRecord]:
    quantity = whole_number(header.cell(row, columns.quantity), "quantity")
    serial_text = header.cell(row, columns.serial).strip()
    roles = _registry_roles(parsed.registry, parsed.kind, columns, header, row)
    detail = " | ".join(
        text.strip() for text in (header.cell(row, n) for n in columns.reasons) if text.strip()
    )
    base = {
        "source": parsed.source,
        "line": line,
        "registry": parsed.registry,
        "detail": detail[:500],
    }
    if not serial_text:
        if quantity is None:
            raise RowError("neither a serial number nor a quantity")
        project, vintage = _project(header, row, columns), _vintage(header, row, columns)
        return [
            UnitRecord(
                role=role,
                block=None,
                quantity=quantity,
                row_quantity=quantity,
                transfer_to=dest,
                project=project,
                vintage=vintage,
                **base,
            )
            for role, dest in roles
        ]
    blocks = _serial_blocks(serial_text, parsed.registry)
    _agree_with_columns(blocks, _project(header, row, columns), _vintage(header, row, columns))
    return _block_records(blocks, roles, quantity, base)


def _agree_with_columns(blocks: list[SerialBlock], project: str, vintage: str) -> None:
    """A serial that names another project or vintage than its own row is not trusted."""
    for item in blocks:
        if project and item.project != project:
            raise RowError(f"serial names project {item.project} but the row says {project}")
        if vintage and item.vintage != vintage:
            raise RowError(f"serial names vintage {item.vintage} but the row says {vintage}")


def _serial_blocks(text: str, registry: str) -> list[SerialBlock]:
    schemes = (registry,) if registry in SCHEMES else None
    try:
        return parse_serials(text, schemes)
    except SerialFormatError as error:
        raise RowError(error.message) from error


def _block_records(
    blocks: list[SerialBlock],
    roles: list[tuple[Role, str | None]],
    quantity: int | None,
    base: dict[str, object],
) -> list[UnitRecord]:
    records = []
    for index, (role, destination) in enumerate(roles):
        for item in blocks:
            records.append(
                UnitRecord(
                    role=role,
                    block=item,
                    quantity=item.quantity,
                    row_quantity=quantity,
                    primary=index == 0,
                    transfer_to=destination,
                    program=item.program,
                    project=item.project,
                    vintage=item.vintage,
                    **base,  # type: ignore[arg-type]
                )
            )
    return records


# --- CADT unit records ------------------------------------------------------------------------

_CADT_LIVE = {"held", "for sale", "buffer", "pending export", "inactive"}
_CADT_CANCELLED = {"cancelled", "canceled", "expired", "rejected"}
# registryOfOrigin values whose plain unit-block numbers are program-wide (no per-batch restart).
_PLAIN_NUMBERING = {"verra": "VCS"}
CADT_COLUMNS = ("unitCount", "unitStatus")


def _cadt_role(header: Header, row: Sequence[str]) -> tuple[Role, str | None]:
    status = " ".join(header.cell(row, "unitStatus").split()).casefold()
    reason = header.cell(row, "unitStatusReason")
    if status in _CADT_LIVE:
        tokenized = (
            header.cell(row, "marketplaceIdentifier").strip()
            or header.cell(row, "marketplace").strip()
        )
        return (Role.TOKENIZED if tokenized else Role.ACTIVE), None
    if status == "retired":
        return Role.RETIREMENT, None
    if status in _CADT_CANCELLED:
        return Role.CANCELLATION, None
    if status == "exported":
        return Role.CANCELLATION, transfer_destination([reason], "cadt") or ANY_DESTINATION
    raise RowError(
        f"unitStatus {header.cell(row, 'unitStatus').strip()!r} is not a CADT unit status"
    )


def _cadt_block(header: Header, row: Sequence[str]) -> SerialBlock:
    """The origin registry's block a CADT unit record carries."""
    block_text = header.cell(row, "serialNumberBlock").strip()
    first, last = (
        header.cell(row, "unitBlockStart").strip(),
        header.cell(row, "unitBlockEnd").strip(),
    )
    if block_text:
        try:
            return parse_serial(block_text)
        except SerialFormatError:
            if not (first and last):
                plain = re.fullmatch(r"(\d+)\s*-\s*(\d+)", block_text)
                if not plain:
                    raise RowError(
                        f"serialNumberBlock {block_text!r} matches no known format"
                    ) from None
                first, last = plain.groups()
    if not (first and last):
        raise RowError("no serialNumberBlock and no unitBlockStart/unitBlockEnd")
    if first.isdigit() and last.isdigit():
        return _cadt_plain_block(header, row, int(first), int(last))
    try:
        low, high = parse_serial(first), parse_serial(last)
    except SerialFormatError as error:
        raise RowError(error.message) from error
    if low.key != high.key:
        raise RowError(
            "unitBlockStart and unitBlockEnd lie in different projects, vintages or batches"
        )
    try:
        return make_block(*low.key, low.start, high.end)
    except SerialFormatError as error:
        raise RowError(error.message) from error


def _cadt_plain_block(header: Header, row: Sequence[str], first: int, last: int) -> SerialBlock:
    """Plain unit numbers: only for registries that number units across the whole program."""
    origin = " ".join(header.cell(row, "registryOfOrigin").split()).casefold()
    project = header.cell(row, "originProjectId").strip()
    vintage = header.cell(row, "vintageYear").strip()
    if not vintage.isdigit() or not project:
        raise RowError("plain unit numbers need originProjectId and a numeric vintageYear")
    if origin == "greenmarket":
        code = header.cell(row, "program").strip()
        if not code:
            raise RowError("plain greenmarket unit numbers need the program column")
        program, project_id = f"GM:{code}", project
    elif origin in _PLAIN_NUMBERING and project.isdigit():
        program = _PLAIN_NUMBERING[origin]
        project_id = f"{program}{int(project)}"
    else:
        raise RowError(
            f"plain unit numbers {first}-{last} need the origin registry's full serial "
            f"(registryOfOrigin {header.cell(row, 'registryOfOrigin').strip() or 'missing'!r} "
            "does not number units across its whole program)"
        )
    try:
        return make_block(program, project_id, vintage, "", first, last)
    except SerialFormatError as error:
        raise RowError(error.message) from error


# Hosts of ``unitRegistryLink`` that are the registries' own public sites (see docs).
_REGISTRY_HOSTS = {
    "registry.verra.org": "verra",
    "registry.goldstandard.org": "gold-standard",
    "acr2.apx.com": "acr",
    "thereserve2.apx.com": "car",
    "art.apx.com": "art",
}


def cadt_holder(link: str, program: str) -> str:
    """Where a CADT unit record says the units are held: ``cadt`` when that is their home registry.

    CADT's required ``unitRegistryLink`` points into the registry that holds the units. A link into
    the units' own registry (or none) makes the record a mirror of that registry; any other host is
    a registry of its own (units moved or tokenized elsewhere), named by its host.
    """
    host = urlsplit(link.strip() if "//" in link else f"//{link.strip()}").hostname or ""
    holder = _REGISTRY_HOSTS.get(host, host)
    return MIRROR_REGISTRY if not holder or held_at(home_registry(program), holder) else holder


def _cadt_row(
    parsed: ParsedExport, header: Header, row: Sequence[str], line: int
) -> list[UnitRecord]:
    role, destination = _cadt_role(header, row)
    quantity = whole_number(header.cell(row, "unitCount"), "unitCount")
    item = _cadt_block(header, row)
    holder = cadt_holder(header.cell(row, "unitRegistryLink"), item.program)
    detail = " | ".join(
        f"{name}={header.cell(row, name).strip()}"
        for name in (
            "unitStatus",
            "unitStatusReason",
            "correspondingAdjustmentDeclaration",
            "correspondingAdjustmentStatus",
            "marketplace",
            "marketplaceIdentifier",
        )
        if header.cell(row, name).strip()
    )
    base = {"source": parsed.source, "line": line, "registry": holder, "detail": detail[:500]}
    return _block_records([item], [(role, destination)], quantity, base)


# --- files ------------------------------------------------------------------------------------


def _rows(lines: Iterable[str], source: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (CSV record number, fields); the header is record 1."""
    reader = csv.reader(lines)
    number = 0
    try:
        for row in reader:
            number += 1
            yield number, row
    except csv.Error as error:
        raise FileFormatError(f"unreadable CSV: {error}", source=source, line=number + 1) from error


def parse_export(lines: Iterable[str], *, source: str, registry: str, kind: str) -> ParsedExport:
    """Read one export; raise ``FileFormatError`` when the file as a whole breaks its format."""
    if registry not in REGISTRIES:
        raise FileFormatError(
            f"unknown registry {registry!r}; expected one of {', '.join(REGISTRIES)}", source=source
        )
    if kind not in KINDS:
        raise FileFormatError(
            f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", source=source
        )
    columns = EXPORTS.get((registry, kind))
    if registry != "cadt" and columns is None:
        raise FileFormatError(
            f"{registry} publishes no {kind} export that the meta-registry reads", source=source
        )
    rows = _rows(lines, source)
    first = next(rows, None)
    if first is None:
        raise FileFormatError("the file is empty (no header)", source=source, line=1)
    header = Header(first[1], source)
    if columns is None:
        header.require(*CADT_COLUMNS)
    else:
        header.require(
            columns.quantity,
            columns.serial if columns.serial_required else None,
            columns.date if registry == "verra" and kind != "issuances" else None,
        )
    parsed = ParsedExport(source=source, registry=registry, kind=kind)
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        parsed.rows += 1
        try:
            if columns is None:
                parsed.records.extend(_cadt_row(parsed, header, row, line))
            else:
                parsed.records.extend(_registry_row(parsed, columns, header, row, line))
        except RowError as error:
            parsed.rejections.append(Rejection(source=source, line=line, reason=str(error)))
    return parsed


def read_export(path: Path, *, source: str, registry: str, kind: str) -> ParsedExport:
    """Read an export file; ``source`` is the path as the user gave it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return parse_export(handle, source=source, registry=registry, kind=kind)
    except FileNotFoundError as error:
        raise FileFormatError("no such file", source=source) from error
    except UnicodeDecodeError as error:
        raise FileFormatError(f"not UTF-8 text: {error.reason}", source=source) from error
