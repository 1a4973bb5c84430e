"""Review of the registry CLI: bad arguments end in a clear message and a non-zero exit.

Numbers past what the database stores (signed 64-bit) and a report file that cannot be written
used to end in a Python traceback.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from greenmarket.cli import app, main
from greenmarket.demo import DemoLoader
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade

runner = CliRunner()
HUGE = str(2**70)


@pytest.fixture
def demo_url(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    database = Database(sqlite_url)
    upgrade(database.engine)
    DemoLoader(database).load()
    database.dispose()
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    return sqlite_url


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["registry", "transfer", "1", HUGE, "--quantity", "1"], "'to_account'"),
        (["registry", "transfer", "1", "9", "--serials", f"1-{HUGE}"], "--serials"),
        (["registry", "holdings", HUGE], "'account'"),
        (["registry", "issue", "JCR-R001", "2024", "10", "1", "--serial-start", HUGE],
         "'--serial-start'"),
        (["registry", "consume", HUGE, "9", "1"], "'hold_id'"),
        (["registry", "journal", "--after", HUGE], "'--after'"),
    ],
)
def test_a_number_too_large_to_store_is_a_bad_argument(demo_url: str, args: list[str],
                                                        named: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, OverflowError)
    assert f"Invalid value for {named}" in " ".join(result.output.split())


def test_a_report_file_that_cannot_be_written_is_a_bad_argument(demo_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "no-such-folder" / "retirements.csv"
    result = runner.invoke(app, ["report", "retirements", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, OSError)
    assert "--out" in result.output
    assert not out.exists()


@pytest.mark.parametrize("args", [["registry", "list", "accounts"], ["registry", "holdings", "1"],
                                  ["report", "issuance"], ["users", "create", "ops", "auditor"]])
def test_an_unmigrated_database_is_named_not_a_traceback(sqlite_url: str, args: list[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    monkeypatch.setattr("sys.argv", ["greenmarket", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
