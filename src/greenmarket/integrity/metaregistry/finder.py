"""Find double counting across registries with exact interval arithmetic: sort, then sweep (pure).

Every record with serials is an inclusive interval ``[start, end]`` in a numbering space ``key``
(see ``serials.py``). Two records can only concern the same units when their keys are equal and
their intervals overlap; the overlap is then exactly ``[max(starts), min(ends)]``.

Most overlaps in real data are normal — a retirement inside its own issuance, a CADT record that
mirrors the status its origin registry shows — so the finder never enumerates all overlapping
pairs. It splits the records into groups that are disjoint inside themselves when the data is
clean, and sweeps each group (or each pair of groups) once:

- issuances against issuances;
- status records of the units' home registry (live or used up) against each other;
- CADT mirror records against each other;
- CADT mirrors against home status records, only where one says used up and the other live;
- records held outside the units' home registry ("foreign") against every record of their keys.

A sweep sorts the group by (key, start) and keeps a running maximum of the ends seen so far within
the key (one ``numpy.maximum.accumulate`` over key-offset values); a record whose start is not above
that maximum overlaps an earlier one. Only those few records are then matched to their partners, so
a sweep costs O(n log n) for the sort plus O(overlaps) — clean data costs nothing more.

Rules for a pair (in ``classify``):

- a cancellation that names a destination (``transfer_to``) and a record in that destination:
  ``linked_transfer`` (units moved between registries legitimately);
- two issuances: ``double_issuance`` — unless the overlap was moved from one to the other by
  cancellations naming the other (then the pair is the two ends of a linked transfer);
- an issuance and a status record of the same registry (or a CADT mirror): normal; the home
  registry's issuance and a status held elsewhere: left to the status records of both places;
- used up in two places: ``double_retirement`` — except a CADT mirror agreeing with its origin;
- used up in one place, live (held, tokenized) or issued (outside the units' home) in another:
  ``retired_and_active``;
- live in two registries (neither a mirror): ``double_issuance``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from greenmarket.integrity.metaregistry.records import (
    ANY_DESTINATION,
    MIRROR_REGISTRY,
    Role,
    UnitRecord,
    held_at,
)
from greenmarket.integrity.metaregistry.serials import home_registry


class FindingType(StrEnum):
    DOUBLE_ISSUANCE = "double_issuance"
    DOUBLE_RETIREMENT = "double_retirement"
    RETIRED_AND_ACTIVE = "retired_and_active"
    LINKED_TRANSFER = "linked_transfer"
    QUANTITY_MISMATCH = "quantity_mismatch"


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: the overlapping range (or the row's range for a quantity mismatch) and its records."""

    type: FindingType
    quantity: int
    program: str
    project: str
    vintage: str
    serial_start: int
    serial_end: int
    records: tuple[tuple[str, int], ...]


ROLES: tuple[Role, ...] = tuple(Role)
_ROLE_CODE = {role: code for code, role in enumerate(ROLES)}
_ISSUANCE = _ROLE_CODE[Role.ISSUANCE]
_CONSUMED = np.array([role.consumed for role in ROLES])
_LIVE = np.array([role.live for role in ROLES])

HOME, MIRROR, FOREIGN = 0, 1, 2
NO_TRANSFER = -1


@dataclass(slots=True)
class BlockTable:
    """Interval records as parallel arrays (one element per record), with their dictionaries.

    ``keys[key[i]]`` is record i's (program, project, vintage, series); ``registries[registry[i]]``
    where it is held; ``rows[row[i]]`` its (source, line); ``transfer[i]`` the registry code it was
    cancelled to move into, ``NO_TRANSFER`` or the code of ``ANY_DESTINATION``.
    """

    key: NDArray[np.int64]
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    role: NDArray[np.int8]
    registry: NDArray[np.int16]
    transfer: NDArray[np.int16]
    row: NDArray[np.int64]
    row_quantity: NDArray[np.int64]
    primary: NDArray[np.bool_]
    keys: Sequence[tuple[str, str, str, str]]
    registries: Sequence[str]
    rows: Sequence[tuple[str, int]]
    group: NDArray[np.int8] = field(init=False)

    def __post_init__(self) -> None:
        codes = {name: code for code, name in enumerate(self.registries)}
        home_of_key = np.array(
            [codes.get(home_registry(k[0]), -1) for k in self.keys] or [0], dtype=np.int16
        )
        mirror = codes.get(MIRROR_REGISTRY, -2)
        group = np.where(home_of_key[self.key] == self.registry, HOME, FOREIGN).astype(np.int8)
        group[self.registry == mirror] = MIRROR
        self.group = group

    def __len__(self) -> int:
        return int(self.key.size)

    @classmethod
    def from_records(cls, records: Sequence[UnitRecord]) -> BlockTable:
        """Collect the records that carry serials (quantity-only records have nothing to overlap)."""
        return cls.from_frame(records_frame(records))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> BlockTable:
        """Build the arrays from a frame with the ``FRAME_COLUMNS`` (rows without serials are skipped)."""
        frame = frame[frame["serial_start"].notna()]
        keys = pd.MultiIndex.from_frame(
            frame[["program", "project", "vintage", "series"]].fillna("").astype(str)
        )
        key_codes, key_names = keys.factorize()
        rows = pd.MultiIndex.from_arrays(
            [frame["source"].astype(str), frame["line"].astype(np.int64)]
        )
        row_codes, row_names = rows.factorize()
        transfer_to = frame["transfer_to"]
        names = pd.unique(
            pd.concat(
                [pd.Series([ANY_DESTINATION]), frame["registry"], transfer_to.dropna()],
                ignore_index=True,
            )
        )
        places = pd.CategoricalDtype(categories=names)
        roles = pd.CategoricalDtype(categories=[role.value for role in ROLES])
        return cls(
            key=np.asarray(key_codes, dtype=np.int64),
            start=frame["serial_start"].to_numpy(dtype=np.int64),
            end=frame["serial_end"].to_numpy(dtype=np.int64),
            role=frame["role"].astype(str).astype(roles).cat.codes.to_numpy(dtype=np.int8),
            registry=frame["registry"].astype(places).cat.codes.to_numpy(dtype=np.int16),
            transfer=transfer_to.astype(places).cat.codes.to_numpy(dtype=np.int16),
            row=np.asarray(row_codes, dtype=np.int64),
            row_quantity=frame["row_quantity"].fillna(-1).to_numpy(dtype=np.int64),
            primary=frame["is_primary"].to_numpy(dtype=bool),
            keys=list(key_names),
            registries=[str(name) for name in names],
            rows=[(str(source), int(line)) for source, line in row_names],
        )


FRAME_COLUMNS = (
    "program",
    "project",
    "vintage",
    "series",
    "serial_start",
    "serial_end",
    "role",
    "registry",
    "transfer_to",
    "source",
    "line",
    "row_quantity",
    "is_primary",
)


def records_frame(records: Sequence[UnitRecord]) -> pd.DataFrame:
    """The records that carry serials, one row each, in the ``FRAME_COLUMNS`` (as stored in the database)."""
    data = [
        (
            r.block.program,
            r.block.project,
            r.block.vintage,
            r.block.series,
            r.block.start,
            r.block.end,
            r.role.value,
            r.registry,
            r.transfer_to,
            r.source,
            r.line,
            r.row_quantity,
            r.primary,
        )
        for r in records
        if r.block is not None
    ]
    frame = pd.DataFrame(data, columns=list(FRAME_COLUMNS))
    return frame.astype(
        {
            "serial_start": "int64",
            "serial_end": "int64",
            "line": "int64",
            "row_quantity": "Int64",
            "is_primary": bool,
        }
    )


# --- the sweep --------------------------------------------------------------------------------


def _coordinates(
    start: NDArray[np.int64], end: NDArray[np.int64], keys: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
    """Shift (or, if needed, rank-compress) serials to >= 1 so that key * span + value fits int64."""
    low = int(start.min())
    span = int(end.max()) - low + 2
    if keys * span < 2**62:
        return start - low + 1, end - low + 1, span
    values = np.unique(np.concatenate([start, end]))
    return (
        (np.searchsorted(values, start) + 1).astype(np.int64),
        (np.searchsorted(values, end) + 1).astype(np.int64),
        values.size + 2,
    )


def overlapping_pairs(
    table: BlockTable, mask_a: NDArray[np.bool_], mask_b: NDArray[np.bool_] | None = None
) -> NDArray[np.int64]:
    """All pairs (i, j) of overlapping records with i in ``mask_a`` and j in ``mask_b`` (default: a).

    Returns an (m, 2) array of record indices. The masks of a cross sweep must be disjoint.
    """
    selected = np.flatnonzero(mask_a if mask_b is None else (mask_a | mask_b))
    if selected.size < 2:
        return np.empty((0, 2), dtype=np.int64)
    key = table.key[selected]
    keys = int(key.max()) + 1
    if keys > selected.size:  # sparse key ids: renumber densely so that key * span stays small
        key = np.unique(key, return_inverse=True)[1].astype(np.int64)
        keys = int(key.max()) + 1
    start, end, span = _coordinates(table.start[selected], table.end[selected], keys)
    order = np.argsort(key * span + start)
    idx, base = selected[order], key[order] * span
    start, end = start[order], end[order]
    target = base + start
    in_a = mask_a[idx]
    in_b = in_a if mask_b is None else mask_b[idx]
    found = [_partners(idx, in_a, in_b, base, start, end, target)]
    if mask_b is not None:
        found.append(_partners(idx, in_b, in_a, base, start, end, target))
    return np.concatenate(found)


def _partners(idx, earlier, later, base, start, end, target) -> NDArray[np.int64]:  # type: ignore[no-untyped-def]
    """Pairs (earlier-class record, later-class record) where the later one starts inside the earlier."""
    reach = np.maximum.accumulate(np.where(earlier, base + end, base))
    previous = np.empty_like(reach)
    previous[0] = -1
    previous[1:] = reach[:-1]
    flagged = np.flatnonzero(later & (previous >= target))
    pairs: list[tuple[int, int]] = []
    for position in flagged.tolist():
        low = int(np.searchsorted(reach, target[position], side="left"))
        window = slice(low, position)
        hits = low + np.flatnonzero(earlier[window] & (end[window] >= start[position]))
        pairs.extend((int(idx[hit]), int(idx[position])) for hit in hits)
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def candidate_pairs(table: BlockTable) -> NDArray[np.int64]:
    """Every pair that may be a finding, each once (smaller index first)."""
    if len(table) == 0:
        return np.empty((0, 2), dtype=np.int64)
    issuance = table.role == _ISSUANCE
    consumed, live = _CONSUMED[table.role], _LIVE[table.role]
    home, mirror, foreign = table.group == HOME, table.group == MIRROR, table.group == FOREIGN
    found = [
        overlapping_pairs(table, issuance),
        overlapping_pairs(table, home & ~issuance),
        overlapping_pairs(table, mirror),
    ]
    if mirror.any():
        near = np.isin(table.key, np.unique(table.key[mirror]))
        found.append(overlapping_pairs(table, mirror & consumed, home & live & near))
        found.append(overlapping_pairs(table, mirror & live, home & consumed & near))
    if foreign.any():
        near = np.isin(table.key, np.unique(table.key[foreign]))
        found.append(overlapping_pairs(table, foreign))
        found.append(overlapping_pairs(table, foreign, ~foreign & near))
    pairs = np.sort(np.concatenate(found), axis=1)
    return np.unique(pairs, axis=0) if pairs.size else pairs


# --- classification ---------------------------------------------------------------------------


class _Transfers:
    """Cancellations that name a destination, by key, for coverage checks."""

    def __init__(self, table: BlockTable) -> None:
        self.table = table
        self.by_key: dict[int, list[int]] = defaultdict(list)
        for index in np.flatnonzero(table.transfer != NO_TRANSFER).tolist():
            self.by_key[int(table.key[index])].append(index)

    def covers(self, key: int, low: int, high: int, origin: int, holder: int) -> bool:
        """True when ``[low, high]`` was moved out of ``origin`` (or per a CADT mirror) into ``holder``."""
        t = self.table
        place = t.registries[holder]
        pieces = sorted(
            (int(t.start[i]), int(t.end[i]))
            for i in self.by_key.get(key, ())
            if (t.registry[i] == origin or t.group[i] == MIRROR)
            and (
                t.registries[t.transfer[i]] == ANY_DESTINATION
                or held_at(t.registries[t.transfer[i]], place)
            )
        )
        reached = low - 1
        for first, last in pieces:
            if first > reached + 1:
                break
            reached = max(reached, last)
            if reached >= high:
                return True
        return reached >= high


def _destination_matches(table: BlockTable, moved: int, other: int) -> bool:
    """Does record ``other`` lie where cancellation ``moved`` sent its units?"""
    if table.group[other] == MIRROR or table.registry[other] == table.registry[moved]:
        return False
    destination = table.registries[table.transfer[moved]]
    if destination == ANY_DESTINATION:
        return bool(table.group[other] == FOREIGN)
    return held_at(destination, table.registries[table.registry[other]])


def classify(table: BlockTable, a: int, b: int, transfers: _Transfers) -> FindingType | None:
    """The finding an overlapping pair of records makes, or ``None`` when the overlap is normal."""
    if table.row[a] == table.row[b]:
        return None
    for moved, other in ((a, b), (b, a)):
        if table.transfer[moved] != NO_TRANSFER and _destination_matches(table, moved, other):
            return FindingType.LINKED_TRANSFER
    role_a, role_b = ROLES[table.role[a]], ROLES[table.role[b]]
    if role_a is Role.ISSUANCE or role_b is Role.ISSUANCE:
        return _with_issuance(table, a, b, transfers)
    one_mirror = (table.group[a] == MIRROR) != (table.group[b] == MIRROR)
    if role_a.consumed and role_b.consumed:
        return None if one_mirror else FindingType.DOUBLE_RETIREMENT
    if role_a.consumed or role_b.consumed:
        return FindingType.RETIRED_AND_ACTIVE
    if one_mirror or _moved_between(table, a, b, transfers):
        return None
    return FindingType.DOUBLE_ISSUANCE


def _overlap(table: BlockTable, a: int, b: int) -> tuple[int, int]:
    return max(int(table.start[a]), int(table.start[b])), min(int(table.end[a]), int(table.end[b]))


def _moved_between(table: BlockTable, a: int, b: int, transfers: _Transfers) -> bool:
    """Were the overlapping units moved from a's registry to b's, or back, by named cancellations?"""
    if table.registry[a] == table.registry[b]:
        return False
    low, high = _overlap(table, a, b)
    key = int(table.key[a])
    return transfers.covers(
        key, low, high, int(table.registry[a]), int(table.registry[b])
    ) or transfers.covers(key, low, high, int(table.registry[b]), int(table.registry[a]))


def _with_issuance(table: BlockTable, a: int, b: int, transfers: _Transfers) -> FindingType | None:
    issued, other = (a, b) if table.role[a] == _ISSUANCE else (b, a)
    if table.role[other] == _ISSUANCE:
        return None if _moved_between(table, a, b, transfers) else FindingType.DOUBLE_ISSUANCE
    if table.registry[other] == table.registry[issued] or table.group[other] == MIRROR:
        return None
    if table.group[issued] == HOME or _moved_between(table, a, b, transfers):
        return None  # units held elsewhere than their home: their status records there tell
    return (
        FindingType.RETIRED_AND_ACTIVE
        if ROLES[table.role[other]].consumed
        else FindingType.DOUBLE_ISSUANCE
    )


# --- findings ---------------------------------------------------------------------------------


def _finding(
    table: BlockTable, kind: FindingType, low: int, high: int, key: int, rows: Sequence[int]
) -> Finding:
    program, project, vintage, _series = table.keys[key]
    records = tuple(sorted({table.rows[r] for r in rows}))
    return Finding(kind, high - low + 1, program, project, vintage, low, high, records)


def quantity_mismatches(table: BlockTable) -> list[Finding]:
    """Rows whose stated quantity differs from the units their serial blocks hold."""
    chosen = np.flatnonzero(table.primary & (table.row_quantity >= 0))
    if chosen.size == 0:
        return []
    chosen = chosen[np.argsort(table.row[chosen], kind="stable")]
    rows = table.row[chosen]
    firsts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    units = np.add.reduceat(table.end[chosen] - table.start[chosen] + 1, firsts)
    stated = table.row_quantity[chosen[firsts]]
    findings = []
    for group in np.flatnonzero(units != stated).tolist():
        members = chosen[
            firsts[group] : (firsts[group + 1] if group + 1 < firsts.size else chosen.size)
        ]
        first = int(members[0])
        low, high = int(table.start[members].min()), int(table.end[members].max())
        program, project, vintage, _ = table.keys[int(table.key[first])]
        findings.append(
            Finding(
                FindingType.QUANTITY_MISMATCH,
                int(units[group]),
                program,
                project,
                vintage,
                low,
                high,
                (table.rows[int(table.row[first])],),
            )
        )
    return findings


def find(table: BlockTable) -> list[Finding]:
    """All findings, in a stable order (type, program, project, vintage, range, records)."""
    transfers = _Transfers(table)
    findings = quantity_mismatches(table)
    for a, b in candidate_pairs(table).tolist():
        kind = classify(table, a, b, transfers)
        if kind is not None:
            low, high = _overlap(table, a, b)
            findings.append(
                _finding(
                    table,
                    kind,
                    low,
                    high,
                    int(table.key[a]),
                    (int(table.row[a]), int(table.row[b])),
                )
            )
    return sorted(
        set(findings),
        key=lambda f: (
            f.type,
            f.program,
            f.project,
            f.vintage,
            f.serial_start,
            f.serial_end,
            f.records,
        ),
    )
