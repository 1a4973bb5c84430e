"""``greenmarket log``: export, checkpoint and verify a journal offline, and catch tampering."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenmarket.cli import app, main
from greenmarket.errors import DomainError
from greenmarket.integrity.checkpoint import Checkpoint, public_key_pem, sign
from greenmarket.integrity.merkle import MerkleTree

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, ["log", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def refused(*args: str) -> DomainError:
    with pytest.raises(DomainError) as error:
        runner.invoke(app, ["log", *args], catch_exceptions=False)
    return error.value


@pytest.fixture
def exported(migrated_journal_db, signing_key, append_to, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """A journal of 20 entries appended through the store, exported with a checkpoint and key."""
    append_to(migrated_journal_db, 20)
    run("checkpoint", "--out", str(tmp_path / "cp.json"))
    run("public-key", "--out", str(tmp_path / "key.pub"))
    assert "wrote 20 entries" in run("export", "--out", str(tmp_path / "journal.jsonl"))
    return tmp_path


def verify_args(folder: Path, journal: str = "journal.jsonl") -> list[str]:
    return [
        "verify",
        "--journal",
        str(folder / journal),
        "--checkpoint",
        str(folder / "cp.json"),
        "--public-key",
        str(folder / "key.pub"),
    ]


def test_an_exported_journal_verifies_offline(exported: Path) -> None:
    output = run(*verify_args(exported))
    assert "OK: signature valid; hash chain intact over 20 entries" in output
    assert "検証成功" in output
    checkpoint = json.loads((exported / "cp.json").read_text())
    assert checkpoint["tree_size"] == 20 and checkpoint["root_hash"] in output


def test_a_tampered_export_fails_verification(exported: Path) -> None:
    lines = (exported / "journal.jsonl").read_text().splitlines()
    entry = json.loads(lines[7])
    entry["payload"]["quantity"] = 5_000_000
    (exported / "changed.jsonl").write_text("\n".join(lines[:7] + [json.dumps(entry)] + lines[8:]))
    assert refused(*verify_args(exported, "changed.jsonl")).code == "journal_tampered"
    (exported / "deleted.jsonl").write_text("\n".join(lines[:3] + lines[4:]))
    assert refused(*verify_args(exported, "deleted.jsonl")).code == "journal_gap"
    (exported / "reordered.jsonl").write_text("\n".join([lines[1], lines[0]] + lines[2:]))
    assert refused(*verify_args(exported, "reordered.jsonl")).code in {
        "journal_gap",
        "journal_broken_link",
    }
    (exported / "bad.jsonl").write_text("\n".join(lines[:2] + ["{oops"] + lines[3:]))
    error = refused(*verify_args(exported, "bad.jsonl"))
    assert error.code == "file_format" and "bad.jsonl:3" in error.message


def test_a_checkpoint_with_a_changed_root_fails(exported: Path) -> None:
    checkpoint = json.loads((exported / "cp.json").read_text())
    checkpoint["root_hash"] = "00" * 32
    del checkpoint["note"]
    (exported / "cp.json").write_text(json.dumps(checkpoint))
    assert refused(*verify_args(exported)).code == "log_bad_signature"


def test_proofs_from_the_cli_verify_and_a_fork_is_reported(
    exported: Path, migrated_journal_db, append_to
) -> None:  # type: ignore[no-untyped-def]
    folder = exported
    run(
        "inclusion-proof", "--sequence", "7", "--tree-size", "20", "--out", str(folder / "inc.json")
    )
    common = ["--checkpoint", str(folder / "cp.json"), "--public-key", str(folder / "key.pub")]
    assert "entry 7 is in the signed tree of size 20" in run(
        "verify-proof", "--proof", str(folder / "inc.json"), *common
    )
    append_to(migrated_journal_db, 5, tag="later")
    run("checkpoint", "--out", str(folder / "cp2.json"))
    run("consistency-proof", "--first", "20", "--second", "25", "--out", str(folder / "cons.json"))
    newer = ["--checkpoint", str(folder / "cp2.json"), "--public-key", str(folder / "key.pub")]
    assert "extends the signed tree of size 20" in run(
        "verify-proof",
        "--proof",
        str(folder / "cons.json"),
        *newer,
        "--previous",
        str(folder / "cp.json"),
    )
    proof = json.loads((folder / "cons.json").read_text())
    proof["proof"][0] = "11" * 32
    (folder / "forged.json").write_text(json.dumps(proof))
    error = refused(
        "verify-proof",
        "--proof",
        str(folder / "forged.json"),
        *newer,
        "--previous",
        str(folder / "cp.json"),
    )
    assert error.code == "log_fork_detected"


def test_a_journal_sealed_outside_any_database_verifies(
    make_chain, signing_key, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    entries = make_chain(33)
    (tmp_path / "journal.jsonl").write_bytes(b"".join(e.to_bytes() + b"\n" for e in entries))
    tree = MerkleTree(e.to_bytes() for e in entries[:30])
    signed = sign(
        Checkpoint("greenmarket/journal", 30, tree.root(), "2026-04-01T12:00:00.000000Z"),
        signing_key,
    )
    (tmp_path / "cp.json").write_text(json.dumps(signed.to_dict()))
    (tmp_path / "key.pub").write_text(public_key_pem(signing_key.public_key()))
    output = run(*verify_args(tmp_path))
    assert "entries 1…30 hash to the signed root" in output
    assert "entries 31…33 are chained but not yet covered" in output


def test_the_console_command_exits_2_with_the_error_code(
    exported: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    lines = (exported / "journal.jsonl").read_text().splitlines()
    (exported / "short.jsonl").write_text("\n".join(lines[:15]))
    monkeypatch.setattr(sys, "argv", ["greenmarket", "log", *verify_args(exported, "short.jsonl")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "log_journal_short" in capsys.readouterr().err
