"""Each finding type on hand-made records; no false positive on clean data; the sweep finds every overlap."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.integrity.metaregistry.finder import (
    BlockTable,
    FindingType,
    find,
    overlapping_pairs,
)
from greenmarket.integrity.metaregistry.records import Role, UnitRecord
from greenmarket.integrity.metaregistry.serials import SerialBlock

VCS = ("VCS", "VCS1340", "2020", "")


def rec(
    source: str,
    line: int,
    registry: str,
    role: Role,
    start: int,
    end: int,
    *,
    key=VCS,  # type: ignore[no-untyped-def]
    transfer_to: str | None = None,
    row_quantity: int | None = None,
    primary: bool = True,
) -> UnitRecord:
    block = SerialBlock(*key, start, end)
    return UnitRecord(
        source=source,
        line=line,
        registry=registry,
        role=role,
        block=block,
        quantity=block.quantity,
        row_quantity=row_quantity,
        primary=primary,
        transfer_to=transfer_to,
        program=key[0],
        project=key[1],
        vintage=key[2],
    )


def findings(*records: UnitRecord):  # type: ignore[no-untyped-def]
    return find(BlockTable.from_records(records))


def test_retirement_inside_its_own_issuance_is_normal() -> None:
    assert (
        findings(
            rec("v.csv", 2, "verra", Role.ISSUANCE, 1, 1000),
            rec("v.csv", 3, "verra", Role.RETIREMENT, 1, 400),
            rec("v.csv", 4, "verra", Role.CANCELLATION, 401, 500),
            rec("v.csv", 5, "verra", Role.ACTIVE, 501, 1000),
        )
        == []
    )


def test_double_issuance_within_a_registry_reports_the_overlap() -> None:
    (finding,) = findings(
        rec("v.csv", 2, "verra", Role.ISSUANCE, 100, 600),
        rec("v.csv", 9, "verra", Role.ISSUANCE, 500, 900),
    )
    assert finding.type is FindingType.DOUBLE_ISSUANCE
    assert (finding.serial_start, finding.serial_end, finding.quantity) == (500, 600, 101)
    assert finding.records == (("v.csv", 2), ("v.csv", 9))
    assert (finding.program, finding.project, finding.vintage) == VCS[:3]


def test_issuance_in_another_registry_of_units_carrying_verra_serials() -> None:
    (finding,) = findings(
        rec("v.csv", 2, "verra", Role.ISSUANCE, 1, 100),
        rec("c.csv", 5, "registry.other.example", Role.ISSUANCE, 50, 150),
    )
    assert finding.type is FindingType.DOUBLE_ISSUANCE and finding.quantity == 51


def test_same_units_retired_twice() -> None:
    (finding,) = findings(
        rec("v.csv", 2, "verra", Role.RETIREMENT, 10, 20),
        rec("v.csv", 3, "verra", Role.RETIREMENT, 15, 30),
    )
    assert finding.type is FindingType.DOUBLE_RETIREMENT and (
        finding.serial_start,
        finding.serial_end,
    ) == (15, 20)


def test_retired_at_home_and_live_elsewhere() -> None:
    (finding,) = findings(
        rec("v.csv", 2, "verra", Role.ISSUANCE, 1, 100),
        rec("v.csv", 2, "verra", Role.RETIREMENT, 1, 100, primary=False),
        rec("t.csv", 4, "marketplace.example.org", Role.TOKENIZED, 90, 120),
    )
    assert finding.type is FindingType.RETIRED_AND_ACTIVE
    assert (finding.serial_start, finding.serial_end) == (90, 100)
    assert finding.records == (("t.csv", 4), ("v.csv", 2))


def test_cadt_mirror_that_disagrees_with_its_origin() -> None:
    agree = rec("cadt.csv", 2, "cadt", Role.RETIREMENT, 1, 10)
    disagree = rec("cadt.csv", 3, "cadt", Role.RETIREMENT, 11, 20)
    origin = [
        rec("v.csv", 2, "verra", Role.RETIREMENT, 1, 10),
        rec("v.csv", 3, "verra", Role.ACTIVE, 11, 20),
    ]
    (finding,) = findings(agree, disagree, *origin)
    assert finding.type is FindingType.RETIRED_AND_ACTIVE and finding.records == (
        ("cadt.csv", 3),
        ("v.csv", 3),
    )


def test_cadt_mirrors_retired_twice_among_themselves() -> None:
    (finding,) = findings(
        rec("a.csv", 2, "cadt", Role.RETIREMENT, 1, 10),
        rec("b.csv", 2, "cadt", Role.CANCELLATION, 5, 10),
    )
    assert finding.type is FindingType.DOUBLE_RETIREMENT


def test_linked_transfer_is_recognized_and_not_double_counting() -> None:
    records = [
        rec("v.csv", 2, "verra", Role.ISSUANCE, 1, 100),
        rec(
            "v.csv", 2, "verra", Role.CANCELLATION, 1, 100, transfer_to="greenmarket", primary=False
        ),
        rec("g.csv", 7, "registry.greenmarket.example", Role.ISSUANCE, 1, 100),
        rec("g.csv", 8, "registry.greenmarket.example", Role.RETIREMENT, 1, 40),
    ]
    result = findings(*records)
    assert {f.type for f in result} == {FindingType.LINKED_TRANSFER}
    assert {f.records for f in result} == {
        (("g.csv", 7), ("v.csv", 2)),
        (("g.csv", 8), ("v.csv", 2)),
    }


def test_transfer_to_one_place_does_not_excuse_another() -> None:
    records = [
        rec(
            "a.csv",
            2,
            "acr",
            Role.CANCELLATION,
            1,
            100,
            key=("ACR", "ACR1", "2025", "7"),
            transfer_to="arb",
        ),
        rec("a.csv", 3, "acr", Role.RETIREMENT, 90, 100, key=("ACR", "ACR1", "2025", "7")),
        rec(
            "x.csv",
            2,
            "registry.greenmarket.example",
            Role.ACTIVE,
            1,
            5,
            key=("ACR", "ACR1", "2025", "7"),
        ),
    ]
    kinds = sorted((f.type, f.quantity) for f in findings(*records))
    assert kinds == [(FindingType.DOUBLE_RETIREMENT, 11), (FindingType.RETIRED_AND_ACTIVE, 5)]


def test_quantity_that_disagrees_with_its_serials() -> None:
    (finding,) = findings(
        rec("v.csv", 6, "verra", Role.ISSUANCE, 1, 18, row_quantity=20),
        rec("v.csv", 6, "verra", Role.RETIREMENT, 1, 18, row_quantity=20, primary=False),
    )
    assert finding.type is FindingType.QUANTITY_MISMATCH
    assert (finding.quantity, finding.records) == (18, (("v.csv", 6),))


def test_multi_block_row_is_checked_as_a_whole() -> None:
    key = ("ACR", "ACR681", "2023", "3338")
    assert (
        findings(
            rec("a.csv", 3, "acr", Role.RETIREMENT, 1, 669, key=key, row_quantity=7955),
            rec("a.csv", 3, "acr", Role.RETIREMENT, 670, 7955, key=key, row_quantity=7955),
        )
        == []
    )


def test_different_batches_never_overlap() -> None:
    assert (
        findings(
            rec(
                "g.csv",
                2,
                "gold-standard",
                Role.ISSUANCE,
                1,
                5485,
                key=("GS", "GS11603", "2025", "30256"),
            ),
            rec(
                "g.csv",
                3,
                "gold-standard",
                Role.ISSUANCE,
                1,
                24247,
                key=("GS", "GS11603", "2025", "30257"),
            ),
        )
        == []
    )


# --- properties -------------------------------------------------------------------------------


@st.composite
def clean_registry(draw):  # type: ignore[no-untyped-def]
    """Non-overlapping issuances per key, each split into retired, cancelled and active parts."""
    records: list[UnitRecord] = []
    line = 1
    for key_index in range(draw(st.integers(1, 4))):
        key = ("VCS", f"VCS{key_index}", "2021", "")
        cursor = draw(st.integers(1, 50))
        for _ in range(draw(st.integers(1, 6))):
            size = draw(st.integers(1, 60))
            start, end = cursor, cursor + size - 1
            cursor = end + 1 + draw(st.integers(0, 20))
            line += 1
            records.append(
                rec("i.csv", line, "verra", Role.ISSUANCE, start, end, key=key, row_quantity=size)
            )
            cuts = sorted(set(draw(st.lists(st.integers(start, end), max_size=4)) + [start]))
            bounds = list(zip(cuts, [c - 1 for c in cuts[1:]] + [end], strict=True))
            for low, high in bounds:
                line += 1
                role = draw(st.sampled_from([Role.RETIREMENT, Role.CANCELLATION, Role.ACTIVE]))
                records.append(
                    rec(
                        "s.csv",
                        line,
                        "verra",
                        role,
                        low,
                        high,
                        key=key,
                        row_quantity=high - low + 1,
                    )
                )
                if draw(st.booleans()):
                    records.append(rec("cadt.csv", line, "cadt", role, low, high, key=key))
    return records


@settings(max_examples=150, deadline=None)
@given(clean_registry())
def test_no_false_positive_on_clean_data(records: list[UnitRecord]) -> None:
    assert findings(*records) == []


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 200), st.integers(0, 40), st.booleans()),
        min_size=0,
        max_size=60,
    )
)
def test_the_sweep_finds_exactly_the_overlapping_pairs(
    items: list[tuple[int, int, int, bool]],
) -> None:
    records = [
        rec(
            "p.csv",
            n + 2,
            "verra",
            Role.RETIREMENT if side else Role.ACTIVE,
            start,
            start + length,
            key=("VCS", f"VCS{key}", "2020", ""),
        )
        for n, (key, start, length, side) in enumerate(items)
    ]
    table = BlockTable.from_records(records)
    if len(table) == 0:
        return
    left = table.role == table.role.max()
    brute_self = {
        (i, j)
        for i in range(len(table))
        for j in range(i + 1, len(table))
        if table.key[i] == table.key[j]
        and table.start[i] <= table.end[j]
        and table.start[j] <= table.end[i]
    }
    got_self = {
        tuple(sorted(p)) for p in overlapping_pairs(table, np.ones(len(table), dtype=bool)).tolist()
    }
    assert got_self == brute_self
    brute_cross = {(i, j) for i, j in brute_self if left[i] != left[j]}
    got_cross = {tuple(sorted(p)) for p in overlapping_pairs(table, left, ~left).tolist()}
    assert got_cross == brute_cross


def test_the_benchmark_data_yields_exactly_its_injected_problems() -> None:
    """The benchmark's generator at a small size: the same exactness it asserts at 10M blocks."""
    import importlib.util
    from collections import Counter
    from pathlib import Path

    path = Path(__file__).parents[2] / "benchmarks" / "metaregistry.py"
    spec = importlib.util.spec_from_file_location("metaregistry_benchmark", path)
    assert spec is not None and spec.loader is not None
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    table, expected, mismatched = benchmark.generate(30_000, seed=3)
    result = find(table)
    assert len(table) == 30_000
    assert Counter(f.type for f in result) == expected
    assert {f.records[0] for f in result if f.type is FindingType.QUANTITY_MISMATCH} == mismatched
