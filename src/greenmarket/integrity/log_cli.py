"""``greenmarket log …``: issue checkpoints, export the journal, prove and verify offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from greenmarket.clock import SystemClock
from greenmarket.errors import FileFormatError
from greenmarket.integrity import log
from greenmarket.integrity.checkpoint import (
    SignedCheckpoint,
    load_signing_key,
    parse_public_key,
    public_key_pem,
    verify_signature,
)
from greenmarket.integrity.proofs import (
    ConsistencyProof,
    parse_journal_lines,
    parse_proof,
    verify_journal,
)
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import require_current_schema

app = typer.Typer(
    help="Transparency log over the journal: checkpoints, proofs, offline verification. "
    "ジャーナルの透明性ログ：チェックポイント・証明・オフライン検証。",
    no_args_is_help=True,
)

InputFile = Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True)]
OutputFile = Annotated[Path | None, typer.Option(dir_okay=False, help="write here, not stdout")]


def _database() -> Database:
    database = Database()
    require_current_schema(database.engine)
    return database


def _emit(document: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise FileFormatError(
            f"not JSON: {error.msg}", source=str(path), line=error.lineno
        ) from None
    except UnicodeDecodeError:
        raise FileFormatError("not UTF-8 text", source=str(path)) from None


def _verified_checkpoint(path: Path, public_key: Path) -> SignedCheckpoint:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise FileFormatError("a checkpoint is a JSON object", source=str(path), line=1)
    signed = SignedCheckpoint.from_dict(data)
    verify_signature(signed, parse_public_key(public_key.read_bytes(), source=str(public_key)))
    return signed


@app.command("checkpoint")
def checkpoint_command(out: OutputFile = None) -> None:
    """Sign a checkpoint of the whole journal. / ジャーナル全体のチェックポイントに署名する。"""
    with _database().unit_of_work() as session:
        signed = log.issue_checkpoint(session, clock=SystemClock(), key=load_signing_key())
    _emit(signed.to_dict(), out)


@app.command("public-key")
def public_key_command(out: OutputFile = None) -> None:
    """Print the log's Ed25519 public key (PEM). / 検証用の公開鍵を出力する。"""
    pem = public_key_pem(load_signing_key().public_key())
    if out is None:
        typer.echo(pem, nl=False)
    else:
        out.write_text(pem, encoding="ascii")
        typer.echo(f"wrote {out}")


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(dir_okay=False, help="journal.jsonl to write")],
    tree_size: Annotated[int | None, typer.Option(min=1, help="entries 1…N (default: all)")] = None,
) -> None:
    """Export the journal as JSON Lines. / ジャーナルを JSON Lines で書き出す。"""
    with _database().read() as session, out.open("wb") as handle:
        count = log.export_journal(session, handle, tree_size=tree_size)
    typer.echo(f"wrote {count} entries to {out}")


@app.command("inclusion-proof")
def inclusion_proof_command(
    sequence: Annotated[int, typer.Option(min=1)],
    tree_size: Annotated[int, typer.Option(min=1)],
    out: OutputFile = None,
) -> None:
    """Prove that one entry is in the tree of a size. / エントリの包含証明を出力する。"""
    with _database().read() as session:
        _emit(log.inclusion_proof(session, sequence, tree_size).to_dict(), out)


@app.command("consistency-proof")
def consistency_proof_command(
    first: Annotated[int, typer.Option(min=1)],
    second: Annotated[int, typer.Option(min=1)],
    out: OutputFile = None,
) -> None:
    """Prove that one tree extends an older one. / 二つの木の整合性証明を出力する。"""
    with _database().read() as session:
        _emit(log.consistency_proof(session, first, second).to_dict(), out)


@app.command("verify")
def verify_command(
    journal: InputFile,
    checkpoint: InputFile,
    public_key: InputFile,
) -> None:
    """Check an exported journal offline against a signed checkpoint.

    ハッシュチェーン・マークルルート・署名をオフラインで検証する。
    """
    signed = _verified_checkpoint(checkpoint, public_key)
    with journal.open(encoding="utf-8") as lines:
        entries = parse_journal_lines(lines, source=str(journal))
    verdict = verify_journal(entries, signed.checkpoint)
    typer.echo(
        f"OK: signature valid; hash chain intact over {verdict.entries} entries; "
        f"entries 1…{verdict.covered} hash to the signed root {verdict.root_hash.hex()} "
        f"({signed.checkpoint.origin}, {signed.checkpoint.time})"
    )
    typer.echo("検証成功：署名・ハッシュチェーン・マークルルートが一致しました。")
    if verdict.entries > verdict.covered:
        typer.echo(
            f"note: entries {verdict.covered + 1}…{verdict.entries} are chained but not yet "
            "covered by this checkpoint"
        )


@app.command("verify-proof")
def verify_proof_command(
    proof: InputFile,
    checkpoint: InputFile,
    public_key: InputFile,
    previous: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="older checkpoint (consistency proofs)"),
    ] = None,
) -> None:
    """Check an inclusion or consistency proof against signed checkpoints.

    包含証明・整合性証明を署名付きチェックポイントで検証する。
    """
    signed = _verified_checkpoint(checkpoint, public_key)
    document = parse_proof(_read_json(proof))
    if isinstance(document, ConsistencyProof):
        if previous is None:
            raise typer.BadParameter("a consistency proof needs --previous CHECKPOINT")
        older = _verified_checkpoint(previous, public_key)
        document.verify(older.checkpoint, signed.checkpoint)
        typer.echo(
            f"OK: the signed tree of size {document.second} extends the signed tree of size "
            f"{document.first} (append-only). / 整合性を確認しました。"
        )
        return
    document.verify(signed.checkpoint)
    typer.echo(
        f"OK: entry {document.sequence} is in the signed tree of size {document.tree_size}. "
        "/ 包含を確認しました。"
    )
