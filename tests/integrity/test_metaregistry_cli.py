"""``greenmarket metaregistry import`` / ``check`` end to end on small fixture exports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.errors import FileFormatError
from greenmarket.integrity.metaregistry.finder import BlockTable, overlapping_pairs
from greenmarket.integrity.metaregistry.records import Role, UnitRecord
from greenmarket.integrity.metaregistry.serials import SerialBlock
from greenmarket.integrity.metaregistry.tables import metaregistry_records, metaregistry_sources
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

FIXTURES = Path(__file__).parent / "fixtures" / "metaregistry"
IMPORTS = [
    ("verra", "transactions", "verra_vcus.csv"),
    ("gold-standard", "issuances", "gs_issuances.csv"),
    ("gold-standard", "retirements", "gs_retirements.csv"),
    ("acr", "issuances", "acr_issuances.csv"),
    ("acr", "cancellations", "acr_cancellations.csv"),
    ("acr", "retirements", "acr_retirements.csv"),
    ("car", "cancellations", "car_cancellations.csv"),
    ("car", "retirements", "car_retirements.csv"),
    ("art", "retirements", "art_retirements.csv"),
    ("cadt", "transactions", "cadt_units.csv"),
]


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", database_url)
    migrated(database_url)
    return CliRunner()


def migrated(url: str) -> None:
    database = Database(url)
    upgrade(database.engine)
    database.dispose()


def _import(runner: CliRunner, registry: str, kind: str, name: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        ["metaregistry", "import", "--registry", registry, "--kind", kind, str(FIXTURES / name)],
    )


def _check(runner: CliRunner, out: Path) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["metaregistry", "check", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _summary(report: dict) -> list[tuple[str, int, int, int, list[tuple[str, int]]]]:  # type: ignore[type-arg]
    return [
        (
            f["type"],
            f["quantity"],
            f["serial_start"],
            f["serial_end"],
            [(Path(r["source"]).name, r["line"]) for r in f["records"]],
        )
        for f in report["findings"]
    ]


def test_import_and_check_find_every_kind_of_problem(runner: CliRunner, tmp_path: Path) -> None:
    for registry, kind, name in IMPORTS:
        result = _import(runner, registry, kind, name)
        assert result.exit_code == 0, result.output
    report = _check(runner, tmp_path / "out" / "report.json")
    assert _summary(report) == [
        (
            "double_issuance",
            126,
            941441000,
            941441125,
            [("verra_vcus.csv", 9), ("verra_vcus.csv", 10)],
        ),
        (
            "double_retirement",
            100,
            80001,
            80100,
            [("acr_cancellations.csv", 2), ("acr_retirements.csv", 2)],
        ),
        (
            "double_retirement",
            401,
            5000,
            5400,
            [("gs_retirements.csv", 2), ("gs_retirements.csv", 4)],
        ),
        (
            "linked_transfer",
            537,
            937614363,
            937614899,
            [("cadt_units.csv", 4), ("verra_vcus.csv", 5)],
        ),
        ("quantity_mismatch", 18, 935995787, 935995804, [("verra_vcus.csv", 6)]),
        (
            "retired_and_active",
            1000,
            941467432,
            941468431,
            [("cadt_units.csv", 3), ("verra_vcus.csv", 3)],
        ),
        (
            "retired_and_active",
            500,
            937603490,
            937603989,
            [("cadt_units.csv", 5), ("verra_vcus.csv", 4)],
        ),
    ]
    first = report["findings"][0]
    assert set(first) == {
        "type",
        "quantity",
        "program",
        "project",
        "vintage",
        "serial_start",
        "serial_end",
        "records",
    }
    assert (first["program"], first["project"], first["vintage"]) == ("VCS", "VCS3005", "2022")
    assert [(Path(r["source"]).name, r["line"]) for r in report["rejected"]] == [
        ("cadt_units.csv", 7),
        ("cadt_units.csv", 8),
        ("verra_vcus.csv", 7),
    ]
    assert report["imported"][str(FIXTURES / "verra_vcus.csv")] == 8
    assert report["imported"][str(FIXTURES / "gs_retirements.csv")] == 3
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "メタレジストリ検査報告 / Meta-registry check report" in html and "二重発行" in html


def test_reimporting_a_source_replaces_it(
    runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    for _ in range(2):
        assert _import(runner, "gold-standard", "retirements", "gs_retirements.csv").exit_code == 0
    report = _check(runner, tmp_path / "report.json")
    assert [f["type"] for f in report["findings"]] == ["double_retirement"]
    db = Database(database_url)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(metaregistry_records)) == 3
    db.dispose()


def test_a_file_with_fatal_problems_writes_nothing(
    runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    assert _import(runner, "car", "retirements", "car_retirements.csv").exit_code == 0
    broken = tmp_path / "broken.csv"
    broken.write_text("Vintage,Quantity of Offset Credits\n2025,5000\n", encoding="utf-8")
    result = runner.invoke(
        app, ["metaregistry", "import", "--registry", "car", "--kind", "retirements", str(broken)]
    )
    assert isinstance(result.exception, FileFormatError)
    assert result.exception.column == "Offset Credit Serial Numbers" and result.exception.line == 1
    db = Database(database_url)
    with db.read() as session:
        assert session.scalars(select(metaregistry_sources.c.source)).all() == [
            str(FIXTURES / "car_retirements.csv")
        ]
    db.dispose()


def test_the_console_entry_point_reports_a_refused_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from greenmarket.cli import main

    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    migrated(sqlite_url)
    monkeypatch.setattr(
        "sys.argv",
        [
            "greenmarket",
            "metaregistry",
            "import",
            "--registry",
            "verra",
            "--kind",
            "transactions",
            str(tmp_path / "nowhere.csv"),
        ],
    )
    with pytest.raises(SystemExit) as exited:
        main()
    message = " ".join(capsys.readouterr().err.split())
    assert exited.value.code == 2 and "file_format" in message and "no such file" in message


def test_serials_beyond_the_offset_range_are_compressed() -> None:
    huge = 2**61
    records = [
        UnitRecord(
            source="x",
            line=n,
            registry="verra",
            role=Role.RETIREMENT,
            block=SerialBlock("VCS", f"VCS{n % 3}", "2020", "", start, end),
            quantity=end - start + 1,
        )
        for n, (start, end) in enumerate(
            [(1, huge), (huge - 5, huge + 10), (3, 4), (huge + 11, huge + 20)] * 3
        )
    ]
    table = BlockTable.from_records(records)
    pairs = {
        tuple(sorted(p)) for p in overlapping_pairs(table, np.ones(len(table), dtype=bool)).tolist()
    }
    brute = {
        (i, j)
        for i in range(len(table))
        for j in range(i + 1, len(table))
        if table.key[i] == table.key[j]
        and table.start[i] <= table.end[j]
        and table.start[j] <= table.end[i]
    }
    assert pairs == brute and brute


def test_greenmarket_serial_blocks_join_the_check_as_a_source(
    runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    """The registry's own serial blocks meet CADT mirrors of them."""
    from datetime import UTC, datetime

    from greenmarket.clock import FixedClock
    from greenmarket.registry import ledger
    from greenmarket.registry.ledger import Selection
    from greenmarket.registry.service import RegistryService
    from greenmarket.registry.tables import serial_blocks

    db = Database(database_url)
    run = lambda op: RegistryService(db, FixedClock(datetime(2026, 1, 5, tzinfo=UTC))).execute(  # noqa: E731
        "admin:test", op)
    run(lambda c: ledger.create_program(c, code="JCR", name="J-Credit", governmental=True,
                                        unit="tCO2e", serial_format="{project}-{start}-{end}"))
    run(lambda c: ledger.register_project(
        c, id="JCR-0042", program="JCR", name="p", country="JP", category="energy_efficiency",
        methodology="m", verifier="v", verifier_accreditation="none"))
    for participant, kinds in (("holder", ("holding", "retirement")), ("bridgeco", ("bridge",))):
        run(lambda c, p=participant: ledger.register_participant(
            c, id=p, name=p, type="corporate", kyc_state="verified"))
        for kind in kinds:
            opened = run(lambda c, p=participant, k=kind: ledger.open_account(c, p, k))
            run(lambda c, a=opened["id"]: ledger.set_account_state(c, a, "open"))
    run(lambda c: ledger.issue(c, project_id="JCR-0042", vintage=2024, quantity=160, account_id=1))
    run(lambda c: ledger.retire(c, account_id=1, selection=Selection(serial_ranges=((101, 150),)),
                                beneficiary="b", purpose="other", claim="c"))
    run(lambda c: ledger.lock(c, from_account_id=1, bridge_account_id=3,
                              selection=Selection(serial_ranges=((151, 160),))))
    with db.read() as session:
        block_of = dict(session.execute(select(serial_blocks.c.serial_start, serial_blocks.c.id)).all())
    db.dispose()
    units = tmp_path / "cadt.csv"
    units.write_text(
        "unitCount,unitStatus,unitBlockStart,unitBlockEnd,registryOfOrigin,program,originProjectId,vintageYear,unitRegistryLink\n"
        "100,Retired,1,100,greenmarket,JCR,JCR-0042,2024,https://registry.greenmarket.example/b/7\n"
        "50,Retired,101,150,greenmarket,JCR,JCR-0042,2024,https://registry.greenmarket.example/b/8\n"
        "5,Cancelled,156,160,greenmarket,JCR,JCR-0042,2024,https://registry.greenmarket.example/b/9\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["metaregistry", "import", "--registry", "cadt", "--kind", "transactions", str(units)]
    )
    assert result.exit_code == 0, result.output
    report = _check(runner, tmp_path / "report.json")
    assert report["imported"]["greenmarket"] == 3
    where = {"program": "GM:JCR", "project": "JCR-0042", "vintage": "2024"}
    assert report["findings"] == [
        {
            "type": "retired_and_active",
            "quantity": 100,
            **where,
            "serial_start": 1,
            "serial_end": 100,
            "records": [{"source": str(units), "line": 2},
                        {"source": "greenmarket", "line": block_of[1]}],
        },
        {
            "type": "retired_and_active",
            "quantity": 5,
            **where,
            "serial_start": 156,
            "serial_end": 160,
            "records": [{"source": str(units), "line": 4},
                        {"source": "greenmarket", "line": block_of[151]}],
        },
    ]


def test_check_on_an_empty_meta_registry(runner: CliRunner, tmp_path: Path) -> None:
    assert _check(runner, tmp_path / "report.json") == {
        "findings": [],
        "rejected": [],
        "imported": {},
    }
    assert "検出事項はありません。 / No findings." in (tmp_path / "report.html").read_text(
        encoding="utf-8"
    )
