"""Each registry's serial format parses into exact intervals; anything else is refused."""

from __future__ import annotations

import pytest

from greenmarket.integrity.metaregistry.serials import (
    SerialBlock,
    SerialFormatError,
    parse_serial,
    parse_serials,
)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        # Verra VCU export (2026), with and without the program part; numbers are Verra-wide.
        (
            "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1",
            SerialBlock("VCS", "VCS1340", "2020", "", 941467007, 941467431),
        ),
        (
            "7011-363474489-363474638-VCU-034-APX-IN-1-1748-01012016-31122016-0",
            SerialBlock("VCS", "VCS1748", "2016", "", 363474489, 363474638),
        ),
        # Vintage of a part-year period: the year it ends.
        (
            "19368-940602844-940604553-VCS-VCU-1289-VER-VN-1-1975-01022023-31122023-0",
            SerialBlock("VCS", "VCS1975", "2023", "", 940602844, 940604553),
        ),
        # Gold Standard: numbering restarts in every issuance batch, so the batch is the series.
        (
            "GS1-1-KE-GS11603-16-2025-30256-110-5463",
            SerialBlock("GS", "GS11603", "2025", "30256", 110, 5463),
        ),
        ("GS1-1-CR-GS2913-22-2025-30184-3-3", SerialBlock("GS", "GS2913", "2025", "30184", 3, 3)),
        # ACR: "to" ranges, and the dashed form some listings use.
        (
            "ACR-US-1185-2025-3078-1 to 85847",
            SerialBlock("ACR", "ACR1185", "2025", "3078", 1, 85847),
        ),
        ("ACR-US-192-2010-203-1-5000", SerialBlock("ACR", "ACR192", "2010", "203", 1, 5000)),
        # CAR: voluntary (1) and compliance (ROC) credits.
        (
            "CAR-1-US-1335-31-983-KS-2025-9659-43177 to 43276",
            SerialBlock("CAR", "CAR1335", "2025", "9659", 43177, 43276),
        ),
        (
            "CAR-ROC-US-1316-105-276-CA-2025-9388-1 to 1",
            SerialBlock("CAR", "CAR1316", "2025", "9388", 1, 1),
        ),
        # ART TREES, and FCPF credits held in the ART registry.
        (
            "ART-GY-102-2019-3-2500001 to 2600000",
            SerialBlock("ART", "ART102", "2019", "3", 2500001, 2600000),
        ),
        ("FCPF-CI-130-2023-20-1 to 46404", SerialBlock("ART", "ART130", "2023", "20", 1, 46404)),
    ],
)
def test_each_format_parses_into_an_exact_interval(serial: str, expected: SerialBlock) -> None:
    parsed = parse_serial(serial)
    assert parsed == expected
    assert parsed.quantity == expected.end - expected.start + 1


def test_a_cell_with_several_blocks_gives_each_block() -> None:
    cell = "ACR-US-681-2023-3338-1 to 669; ACR-US-681-2023-3338-670 to 7955"
    blocks = parse_serials(cell, ("acr",))
    assert [(b.start, b.end) for b in blocks] == [(1, 669), (670, 7955)]
    assert sum(b.quantity for b in blocks) == 7955


def test_blocks_separated_by_commas_and_new_lines() -> None:
    cell = "CAR-1-US-866-34-386-WA-2024-9108-1 to 300,\nCAR-1-US-866-34-386-WA-2024-9108-301 to 995"
    assert [b.quantity for b in parse_serials(cell)] == [300, 695]


def test_spaces_inside_a_serial_are_tolerated() -> None:
    assert parse_serial("  ACR-US-1185-2025-3078-1   to  85847 ").end == 85847


@pytest.mark.parametrize(
    ("serial", "message"),
    [
        ("ACR-US-1185-2025-3078-900 to 100", "empty or reversed"),
        ("19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-32012020-31122020-1", "DDMMYYYY"),
        (
            "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012021-31122020-1",
            "before it starts",
        ),
        ("GS1-1-KE-GS11603-16-2025-30256-110", "matches no known format"),
        ("VCS-1340-2020-1-100", "matches no known format"),
        ("", "empty serial"),
    ],
)
def test_impossible_or_unknown_serials_are_refused(serial: str, message: str) -> None:
    with pytest.raises(SerialFormatError, match=message):
        parse_serials(serial)


def test_limiting_the_schemes_refuses_another_registrys_serial() -> None:
    with pytest.raises(SerialFormatError, match=r"\(verra\)"):
        parse_serial("ACR-US-1185-2025-3078-1 to 85847", ("verra",))
