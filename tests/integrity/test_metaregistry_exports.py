"""The registries' own CSV exports become unit records; bad rows are kept with their line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenmarket.errors import FileFormatError
from greenmarket.integrity.metaregistry.exports import (
    RowError,
    cadt_holder,
    parse_export,
    read_export,
    transfer_destination,
    whole_number,
)
from greenmarket.integrity.metaregistry.records import ANY_DESTINATION, Role

FIXTURES = Path(__file__).parent / "fixtures" / "metaregistry"


def _read(name: str, registry: str, kind: str):  # type: ignore[no-untyped-def]
    return read_export(FIXTURES / name, source=name, registry=registry, kind=kind)


def test_verra_vcu_rows_are_issued_blocks_with_their_status() -> None:
    parsed = _read("verra_vcus.csv", "verra", "transactions")
    by_line: dict[int, list[tuple[Role, int, int]]] = {}
    for record in parsed.records:
        if record.block is not None:
            by_line.setdefault(record.line, []).append(
                (record.role, record.block.start, record.block.end)
            )
    assert by_line[2] == [
        (Role.ISSUANCE, 941467007, 941467431),
        (Role.RETIREMENT, 941467007, 941467431),
    ]
    assert by_line[3] == [
        (Role.ISSUANCE, 941467432, 941468431),
        (Role.ACTIVE, 941467432, 941468431),
    ]
    assert by_line[5][1][0] is Role.CANCELLATION
    assert parsed.rows == 9 and parsed.imported_rows == 8


def test_verra_thousands_separators_and_cancellation_destination() -> None:
    parsed = _read("verra_vcus.csv", "verra", "transactions")
    line3 = next(r for r in parsed.records if r.line == 3)
    assert line3.row_quantity == 1000
    moved = [r for r in parsed.records if r.line == 5 and r.role is Role.CANCELLATION]
    assert [r.transfer_to for r in moved] == ["greenmarket"]


def test_a_row_without_serial_is_kept_as_a_quantity_record() -> None:
    parsed = _read("verra_vcus.csv", "verra", "transactions")
    quantity_only = [r for r in parsed.records if r.line == 8]
    assert {r.block for r in quantity_only} == {None}
    assert {r.quantity for r in quantity_only} == {500}
    assert {r.project for r in quantity_only} == {"VCS513"}


def test_rejected_rows_carry_source_line_and_reason() -> None:
    parsed = _read("verra_vcus.csv", "verra", "transactions")
    assert [(r.source, r.line) for r in parsed.rejections] == [("verra_vcus.csv", 7)]
    assert "matches no known format" in parsed.rejections[0].reason


def test_line_numbers_count_csv_records_not_physical_lines() -> None:
    # The Gold Standard "Note" of records 2 and 3 spans two physical lines each.
    parsed = _read("gs_retirements.csv", "gold-standard", "retirements")
    assert [(r.line, r.block.start, r.block.end) for r in parsed.records if r.block] == [
        (2, 110, 5463),
        (3, 485, 12623),
        (4, 5000, 5400),
    ]
    assert {r.role for r in parsed.records} == {Role.RETIREMENT}


def test_gold_standard_issuances_are_batches() -> None:
    parsed = _read("gs_issuances.csv", "gold-standard", "issuances")
    assert [(r.role, r.block.key, r.block.quantity) for r in parsed.records if r.block] == [
        (Role.ISSUANCE, ("GS", "GS11603", "2025", "30256"), 5485),
        (Role.ISSUANCE, ("GS", "GS11603", "2024", "30255"), 24247),
    ]


def test_acr_issuance_export_has_no_serials_so_rows_are_quantity_records() -> None:
    parsed = _read("acr_issuances.csv", "acr", "issuances")
    assert [(r.project, r.vintage, r.quantity, r.block) for r in parsed.records] == [
        ("ACR1185", "2025", 85847, None),
        ("ACR681", "2023", 7955, None),
    ]


def test_acr_conversion_to_a_compliance_program_is_a_named_transfer() -> None:
    parsed = _read("acr_cancellations.csv", "acr", "cancellations")
    (record,) = parsed.records
    assert record.role is Role.CANCELLATION and record.transfer_to == "wa-ecology"
    assert record.block is not None and record.block.quantity == 85847


def test_acr_multi_block_row_adds_up_to_its_quantity() -> None:
    parsed = _read("acr_retirements.csv", "acr", "retirements")
    row = [r for r in parsed.records if r.line == 3]
    assert [(r.block.start, r.block.end) for r in row] == [(1, 669), (670, 7955)]
    assert {r.row_quantity for r in row} == {7955}


def test_car_and_art_exports() -> None:
    (cancelled,) = _read("car_cancellations.csv", "car", "cancellations").records
    assert cancelled.transfer_to == "arb" and cancelled.block.series == "8969"
    retired = _read("art_retirements.csv", "art", "retirements").records
    assert [r.block.project for r in retired] == ["ART102", "ART130"]


def test_cadt_units_mirror_their_home_registry_or_name_their_holder() -> None:
    parsed = _read("cadt_units.csv", "cadt", "transactions")
    records = {r.line: r for r in parsed.records}
    assert records[2].registry == "cadt" and records[2].role is Role.RETIREMENT
    assert records[4].registry == "registry.greenmarket.example" and records[4].role is Role.ACTIVE
    assert records[5].role is Role.TOKENIZED
    assert (records[5].block.start, records[5].block.end) == (937603490, 937603989)
    assert [r.line for r in parsed.rejections] == [7, 8]
    assert "does not number units across its whole program" in parsed.rejections[0].reason
    assert "not a CADT unit status" in parsed.rejections[1].reason


def test_cadt_exported_without_destination_goes_anywhere() -> None:
    text = [
        "unitCount,unitStatus,serialNumberBlock,unitRegistryLink\n",
        "10,Exported,ACR-US-1185-2025-3078-1 to 10,https://acr2.apx.com/x\n",
    ]
    (record,) = parse_export(text, source="s.csv", registry="cadt", kind="transactions").records
    assert record.role is Role.CANCELLATION and record.transfer_to == ANY_DESTINATION
    assert record.registry == "cadt"


def test_cadt_plain_numbers_for_a_program_wide_scheme() -> None:
    text = [
        "unitCount,unitStatus,unitBlockStart,unitBlockEnd,registryOfOrigin,originProjectId,vintageYear\n",
        "100,Held,941467432,941467531,Verra,1340,2020\n",
    ]
    (record,) = parse_export(text, source="s.csv", registry="cadt", kind="transactions").records
    assert record.block.key == ("VCS", "VCS1340", "2020", "")


@pytest.mark.parametrize(
    ("holder", "expected"),
    [
        ("https://registry.verra.org/app/projectDetail/VCS/1340", "cadt"),
        ("", "cadt"),
        ("https://registry.goldstandard.org/projects/1", "gold-standard"),
        ("registry.greenmarket.example/units/1", "registry.greenmarket.example"),
    ],
)
def test_cadt_holder_from_the_unit_registry_link(holder: str, expected: str) -> None:
    assert cadt_holder(holder, "VCS") == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Convert to ARB offset credits"], "arb"),
        (["ARB"], "arb"),
        (["WA ECO"], "wa-ecology"),
        (["Convert to Ecology offset credits"], "wa-ecology"),
        (["Other", "transferred to greenmarket for re-issuance"], "greenmarket"),
        (["CORSIA Compliance", "Japan Airlines Co., Ltd.;First Phase: 2024-2026"], None),
        (["Removal of credits from the registry", "Premature issuance"], None),
        (["Retired on behalf of a California company"], None),
    ],
)
def test_transfer_destination_only_when_the_record_says_so(
    texts: list[str], expected: str | None
) -> None:
    assert transfer_destination(texts, "acr") == expected


def test_own_registry_is_never_a_destination() -> None:
    assert transfer_destination(["Transfer to ACR account"], "acr") is None


@pytest.mark.parametrize(
    ("text", "value"), [("85847", 85847), ("1,454,054", 1454054), ("260294.0", 260294), (" ", None)]
)
def test_whole_numbers(text: str, value: int | None) -> None:
    assert whole_number(text, "quantity") == value


def test_fractional_quantity_is_a_row_error() -> None:
    with pytest.raises(RowError, match="not a whole number"):
        whole_number("12.5", "quantity")


def test_missing_required_column_refuses_the_whole_file() -> None:
    with pytest.raises(FileFormatError, match="Serial Number") as error:
        parse_export(
            ["Quantity Issued,Retirement/Cancellation Date\n", "5,\n"],
            source="v.csv",
            registry="verra",
            kind="transactions",
        )
    assert error.value.line == 1 and error.value.column == "Serial Number"


@pytest.mark.parametrize(
    ("registry", "kind", "message"),
    [
        ("verra", "leases", "unknown kind"),
        ("apx", "issuances", "unknown registry"),
        ("acr", "transactions", "no transactions export"),
    ],
)
def test_unknown_or_unsupported_exports_are_refused(registry: str, kind: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        parse_export(["a\n"], source="x.csv", registry=registry, kind=kind)


def test_empty_and_undecodable_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(FileFormatError, match="empty"):
        read_export(empty, source="empty.csv", registry="verra", kind="transactions")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Serial Number,Quantity Issued\nSalto Pil\xe3o,1\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match="not UTF-8"):
        read_export(latin, source="latin.csv", registry="verra", kind="issuances")


def test_verra_retirements_file_needs_a_date_on_every_row() -> None:
    text = [
        "Serial Number,Quantity Issued,Retirement/Cancellation Date\n",
        "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1,425,\n",
    ]
    parsed = parse_export(text, source="r.csv", registry="verra", kind="retirements")
    assert parsed.records == [] and [r.line for r in parsed.rejections] == [2]


def test_a_serial_of_another_project_or_vintage_than_its_row_is_rejected() -> None:
    text = [
        "Vintage,Credit Serial Numbers,Quantity of Credits,Program ID\n",
        "2019,ART-GY-102-2019-3-1 to 10,10,ART102\n",
        "2019,ART-GY-102-2019-3-11 to 20,10,ART130\n",
        "2020,ART-GY-102-2019-3-21 to 30,10,ART102\n",
    ]
    parsed = parse_export(text, source="a.csv", registry="art", kind="retirements")
    assert [r.line for r in parsed.records] == [2]
    assert [(r.line, r.reason) for r in parsed.rejections] == [
        (3, "serial names project ART102 but the row says ART130"),
        (4, "serial names vintage 2019 but the row says 2020"),
    ]
