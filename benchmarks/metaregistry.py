"""Meta-registry benchmark: find double counting among 10,000,000 generated serial blocks.

    .venv/bin/python benchmarks/metaregistry.py [--blocks 10000000] [--seed 7]

The data is a clean registry — issuances split into retired, cancelled and active blocks, CADT
records mirroring most of them, units moved to another registry by cancellations that name it —
with a known number of problems injected: double issuances, double retirements, CADT records saying
retired where the registry says active, and rows whose quantity disagrees with their serials. The
finder must report exactly those (and one linked transfer per moved block), nothing else. Prints the
generation and check times and the peak resident memory (``resource.getrusage``); the target is
under 60 s and 4 GiB for the check of 10,000,000 blocks.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import overload

import numpy as np

from greenmarket.integrity.metaregistry.finder import ROLES, BlockTable, FindingType, find
from greenmarket.integrity.metaregistry.records import ANY_DESTINATION, Role

SPLIT = 8  # status blocks per issuance
PER_KEY = 4  # issuances per project-vintage
INJECTED = 100  # problems of each injected type
MOVED = 10_000  # blocks moved to another registry (linked transfers)
REGISTRIES = [ANY_DESTINATION, "verra", "cadt", "greenmarket", "registry.greenmarket.example"]
VERRA, CADT, GREENMARKET, ELSEWHERE = 1, 2, 3, 4
CODE = {role: code for code, role in enumerate(ROLES)}


class Lines(Sequence[tuple[str, int]]):
    """(source, line) of record i without holding ten million tuples: one generated file, header first."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> tuple[str, int]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, int]]: ...
    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        return ("generated.csv", int(index) + 2)


def generate(
    blocks: int, seed: int
) -> tuple[BlockTable, Counter[FindingType], set[tuple[str, int]]]:
    """A clean registry plus injected problems; returns the table and what must be found."""
    rng = np.random.default_rng(seed)
    injected = 3 * INJECTED
    issuances = (blocks - MOVED - injected) // (1 + SPLIT + 1)
    mirrors = blocks - issuances * (1 + SPLIT) - MOVED - injected
    sizes = rng.integers(SPLIT, 5000, issuances)
    gaps = rng.integers(0, 100, issuances)
    i_end = np.cumsum(sizes + gaps)
    i_start = i_end - sizes - gaps + 1
    i_end = i_start + sizes - 1
    i_key = np.arange(issuances) // PER_KEY

    part = sizes // SPLIT
    offsets = np.arange(SPLIT)
    s_start = (i_start[:, None] + part[:, None] * offsets).ravel()
    s_end = np.where(
        offsets == SPLIT - 1, i_end[:, None], i_start[:, None] + part[:, None] * (offsets + 1) - 1
    ).ravel()
    s_key = np.repeat(i_key, SPLIT)
    s_role = rng.choice(
        np.array(
            [CODE[Role.RETIREMENT], CODE[Role.CANCELLATION], CODE[Role.ACTIVE]], dtype=np.int8
        ),
        size=s_start.size,
        p=[0.5, 0.1, 0.4],
    )
    s_transfer = np.full(s_start.size, -1, dtype=np.int16)

    order = rng.permutation(s_start.size)
    moved, rest = order[:MOVED], order[MOVED:]
    s_role[moved], s_transfer[moved] = CODE[Role.CANCELLATION], GREENMARKET
    mirrored, unmirrored = rest[:mirrors], rest[mirrors:]
    retired = unmirrored[s_role[unmirrored] == CODE[Role.RETIREMENT]][:INJECTED]
    active = unmirrored[s_role[unmirrored] == CODE[Role.ACTIVE]][:INJECTED]
    doubled = rng.choice(issuances, INJECTED, replace=False)

    parts = [
        # key, start, end, role, registry, transfer
        (i_key, i_start, i_end, np.full(issuances, CODE[Role.ISSUANCE], np.int8), VERRA, -1),
        (s_key, s_start, s_end, s_role, VERRA, s_transfer),
        (s_key[mirrored], s_start[mirrored], s_end[mirrored], s_role[mirrored], CADT, -1),
        (
            s_key[moved],
            s_start[moved],
            s_end[moved],
            np.full(MOVED, CODE[Role.ACTIVE], np.int8),
            ELSEWHERE,
            -1,
        ),
        (
            i_key[doubled],
            i_start[doubled] + 1,
            i_start[doubled] + 5,
            np.full(INJECTED, CODE[Role.ISSUANCE], np.int8),
            VERRA,
            -1,
        ),
        (
            s_key[retired],
            s_start[retired],
            s_start[retired],
            np.full(INJECTED, CODE[Role.RETIREMENT], np.int8),
            VERRA,
            -1,
        ),
        (
            s_key[active],
            s_start[active],
            s_start[active],
            np.full(INJECTED, CODE[Role.RETIREMENT], np.int8),
            CADT,
            -1,
        ),
    ]
    key = np.concatenate([p[0] for p in parts]).astype(np.int64)
    start = np.concatenate([p[1] for p in parts]).astype(np.int64)
    end = np.concatenate([p[2] for p in parts]).astype(np.int64)
    role = np.concatenate([p[3] for p in parts]).astype(np.int8)
    registry = np.concatenate([np.full(p[0].size, p[4], np.int16) for p in parts])
    transfer = np.concatenate(
        [np.broadcast_to(np.asarray(p[5], np.int16), p[0].shape) for p in parts]
    )
    row_quantity = end - start + 1
    mismatched = issuances + rng.choice(s_start.size, INJECTED, replace=False)
    row_quantity[mismatched] += 1
    table = BlockTable(
        key=key,
        start=start,
        end=end,
        role=role,
        registry=registry,
        transfer=transfer,
        row=np.arange(key.size, dtype=np.int64),
        row_quantity=row_quantity,
        primary=np.ones(key.size, dtype=bool),
        keys=[("VCS", f"VCS{k}", "2021", "") for k in range(int(i_key[-1]) + 1)],
        registries=REGISTRIES,
        rows=Lines(key.size),
    )
    expected = Counter(
        {
            FindingType.DOUBLE_ISSUANCE: INJECTED,
            FindingType.DOUBLE_RETIREMENT: INJECTED,
            FindingType.RETIRED_AND_ACTIVE: INJECTED,
            FindingType.LINKED_TRANSFER: MOVED,
            FindingType.QUANTITY_MISMATCH: INJECTED,
        }
    )
    lines = {("generated.csv", int(i) + 2) for i in mismatched}
    return table, expected, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    table, expected, mismatched_lines = generate(args.blocks, args.seed)
    generated = time.perf_counter()
    findings = find(table)
    checked = time.perf_counter()
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    found = Counter(f.type for f in findings)
    mismatch_lines = {f.records[0] for f in findings if f.type is FindingType.QUANTITY_MISMATCH}
    print(f"serial blocks:   {len(table):,}")
    print(f"generate:        {generated - began:6.1f} s")
    print(
        f"check (sweep):   {checked - generated:6.1f} s   ({len(table) / (checked - generated) / 1e6:.2f} M blocks/s)"
    )
    print(f"peak RSS:        {peak_gib:6.2f} GiB")
    for kind in FindingType:
        print(f"  {kind.value:<20} found {found[kind]:>6,}   injected {expected[kind]:>6,}")
    ok = found == expected and mismatch_lines == mismatched_lines
    print("result:          " + ("exactly the injected problems found" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
