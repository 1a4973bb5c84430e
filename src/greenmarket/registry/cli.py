"""Operator commands for the registry, its public reports and its users.

登録簿の運用コマンド、公開レポート、利用者管理。
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from greenmarket.api.auth import create_user
from greenmarket.registry import ledger, queries
from greenmarket.registry.ledger import Context, CreditSpec, Selection
from greenmarket.registry.model import LARGEST_NUMBER
from greenmarket.registry.service import RegistryService, run_in_transaction
from greenmarket.rows import rows_to_csv
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import require_current_schema

app = typer.Typer(help="Registry operations (operator). 登録簿の操作（運用者向け）。",
                  no_args_is_help=True)
report_app = typer.Typer(help="Public registry reports as CSV or JSON. 公開レポート（CSV/JSON）。",
                         no_args_is_help=True)
users_app = typer.Typer(help="API users and their bearer tokens. API 利用者とトークン。",
                        no_args_is_help=True)
console = Console()

Ranges = Annotated[list[str] | None, typer.Option("--serials", help="Serial range START-END (repeatable). シリアル範囲。")]
Quantity = Annotated[int | None, typer.Option(help="Number of credits (t-CO2e). 数量。",
                                               max=LARGEST_NUMBER)]
# Ids, quantities, serials and years are stored as signed 64-bit integers: a larger one is a bad
# argument, named by the parser, rather than a crash in the database driver.
Number = Annotated[int, typer.Argument(max=LARGEST_NUMBER)]
NumberOption = Annotated[int | None, typer.Option(max=LARGEST_NUMBER)]


def _database() -> Database:
    """The configured database, refused with a clear message when it is not migrated."""
    database = Database()
    require_current_schema(database.engine)
    return database


def _actor() -> str:
    return f"admin:cli-{getpass.getuser()}"


def _run(operation: Callable[[Context], Any]) -> Any:
    result = RegistryService(_database()).execute(_actor(), operation)
    console.print_json(json.dumps(result, ensure_ascii=False, default=str))
    return result


def _selection(quantity: int | None, serials: list[str] | None, project: str | None,
               vintage: int | None) -> Selection:
    ranges = tuple(_parse_range(text) for text in serials or ())
    return Selection(quantity=quantity, spec=CreditSpec(project_id=project, vintage=vintage),
                     serial_ranges=ranges)


def _parse_range(text: str) -> tuple[int, int]:
    start, sep, end = text.partition("-")
    try:
        numbers = (int(start), int(end if sep else start))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not START-END", param_hint="--serials") from None
    if max(numbers) > LARGEST_NUMBER:
        raise typer.BadParameter(f"{text!r}: serial numbers end at {LARGEST_NUMBER}",
                                 param_hint="--serials")
    return numbers


def _show(rows: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for column in rows[0] if rows else ["(none)"]:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*(json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else str(v)
                        for v in row.values()))
    console.print(table)


# --- reference data and accounts ------------------------------------------------------------


@app.command("add-program")
def add_program(code: str, name: str, governmental: bool = False, unit: str = "tCO2e",
                serial_format: str = "{program}-{project}-{vintage}-{start}-{end}") -> None:
    """Register a crediting program. クレジット制度の登録。"""
    _run(lambda c: ledger.create_program(c, code=code, name=name, governmental=governmental,
                                         unit=unit, serial_format=serial_format))


@app.command("add-project")
def add_project(id: str, program: str, name: str, country: str, category: str,
                methodology: str, verifier: str,
                accreditation: Annotated[str, typer.Option(help="doe | iso14065 | none")]) -> None:
    """Register a project. プロジェクトの登録。"""
    _run(lambda c: ledger.register_project(
        c, id=id, program=program, name=name, country=country, category=category,
        methodology=methodology, verifier=verifier, verifier_accreditation=accreditation))


@app.command("add-participant")
def add_participant(id: str, name: str,
                    type: Annotated[str, typer.Option(help="corporate | financial_institution | government | local_government | association")]) -> None:
    """Register a participant (KYC starts pending). 口座名義人の登録。"""
    _run(lambda c: ledger.register_participant(c, id=id, name=name, type=type))


@app.command("kyc")
def kyc(participant: str, state: str) -> None:
    """Set a participant's KYC state: pending, verified, rejected, suspended. KYC 状態の変更。"""
    _run(lambda c: ledger.set_kyc_state(c, participant, state))


@app.command("open-account")
def open_account(participant: str, kind: str = "holding", approve: bool = True) -> None:
    """Open an account (holding, retirement, venue_custody). 口座の開設。"""
    def operation(c: Context) -> dict[str, Any]:
        account = ledger.open_account(c, participant, kind)
        return ledger.set_account_state(c, account["id"], "open") if approve else account
    _run(operation)


@app.command("account-state")
def account_state(account: Number, state: str) -> None:
    """Set an account's state: pending, open, blocked. 口座状態の変更。"""
    _run(lambda c: ledger.set_account_state(c, account, state))


# --- credit movements -----------------------------------------------------------------------


@app.command()
def issue(project: str, vintage: Number, quantity: Number, account: Number,
          serial_start: NumberOption = None) -> None:
    """Issue credits as one serial block. クレジットの発行。"""
    _run(lambda c: ledger.issue(c, project_id=project, vintage=vintage, quantity=quantity,
                                account_id=account, serial_start=serial_start))


@app.command()
def transfer(from_account: Number, to_account: Number, quantity: Quantity = None,
             serials: Ranges = None, project: str | None = None,
             vintage: NumberOption = None) -> None:
    """Transfer credits by quantity or serial ranges. クレジットの移転。"""
    selection = _selection(quantity, serials, project, vintage)
    _run(lambda c: ledger.transfer(c, from_account_id=from_account, to_account_id=to_account,
                                   selection=selection))


@app.command()
def retire(account: Number, beneficiary: str, claim: str, purpose: str = "voluntary_offset",
           quantity: Quantity = None, serials: Ranges = None, project: str | None = None,
           vintage: NumberOption = None, reporting_year: NumberOption = None) -> None:
    """Retire credits against a claim. クレジットの無効化（償却）。"""
    selection = _selection(quantity, serials, project, vintage)
    _run(lambda c: ledger.retire(c, account_id=account, selection=selection,
                                 beneficiary=beneficiary, purpose=purpose, claim=claim,
                                 reporting_year=reporting_year))


@app.command()
def cancel(account: Number, reason: str, quantity: Quantity = None, serials: Ranges = None,
           project: str | None = None, vintage: NumberOption = None) -> None:
    """Cancel credits without a use claim. クレジットの取消。"""
    selection = _selection(quantity, serials, project, vintage)
    _run(lambda c: ledger.cancel(c, account_id=account, selection=selection, reason=reason))


@app.command()
def hold(account: Number, quantity: Number, project: str | None = None,
         vintage: NumberOption = None,
         reference: str | None = None) -> None:
    """Reserve free credits for a pending order or settlement. クレジットの拘束。"""
    _run(lambda c: ledger.place_hold(c, account_id=account, quantity=quantity,
                                     spec=CreditSpec(project_id=project, vintage=vintage),
                                     reference=reference))


@app.command()
def release(hold_id: Number, quantity: Quantity = None) -> None:
    """Release a hold's credits (all that remain by default). 拘束の解除。"""
    _run(lambda c: ledger.release_hold(c, hold_id, quantity))


@app.command()
def consume(hold_id: Number, to_account: Number, quantity: Number) -> None:
    """Deliver held credits to another account (settlement). 拘束クレジットの引渡し。"""
    _run(lambda c: ledger.consume_hold(c, hold_id, to_account_id=to_account, quantity=quantity))


LISTS: dict[str, Callable[[Any], list[dict[str, Any]]]] = {
    "programs": queries.list_programs,
    "projects": queries.list_projects,
    "participants": queries.list_participants,
    "accounts": queries.list_accounts,
    "issuances": queries.list_issuances,
    "transfers": queries.list_transfers,
    "retirements": queries.list_retirements,
    "cancellations": queries.list_cancellations,
    "holds": queries.list_holds,
}


@app.command("list")
def list_records(what: Annotated[str, typer.Argument(help=" | ".join(LISTS))]) -> None:
    """List registry records of one kind. 登録簿の一覧。"""
    if what not in LISTS:
        raise typer.BadParameter(f"one of {', '.join(LISTS)}", param_hint="WHAT")
    with _database().read() as session:
        _show(LISTS[what](session), what)


@app.command()
def journal(after: Annotated[int, typer.Option(min=0, max=LARGEST_NUMBER)] = 0,
            limit: Annotated[int, typer.Option(min=1, max=LARGEST_NUMBER)] = 50) -> None:
    """Show journal entries after a sequence number. ジャーナルの表示。"""
    from greenmarket.journal import store

    with _database().read() as session:
        rows = [{"sequence": e.sequence, "time": e.time, "actor": e.actor, "area": e.area,
                 "type": e.type, "hash": e.hash[:16]} for e in
                store.read(session, after=after, limit=limit)]
    _show(rows, "journal")


@app.command()
def holdings(account: Number) -> None:
    """Show what an account holds. 口座の保有状況。"""
    with _database().read() as session:
        rows = queries.holdings(session, account)
    _show([{**r, "serials": [s["serial"] for s in r["serials"]]} for r in rows],
          f"account {account}")


@app.command()
def audit() -> None:
    """Check every registry invariant and the journal; exit 1 on any violation. 整合性検査。"""
    from greenmarket.registry.audit import check_invariants, compare_with_tables, verify_journal

    database = _database()
    with database.read() as session:
        problems = check_invariants(session) + compare_with_tables(session)
        entries = verify_journal(session)
    for problem in problems:
        console.print(f"[red]✗[/red] {problem}")
    if problems:
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] all invariants hold; journal of {entries} entries verifies "
                  "and rebuilds the holdings exactly")


# --- reports --------------------------------------------------------------------------------


def _emit(rows: list[dict[str, Any]], fmt: str, out: Path | None) -> None:
    if fmt == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = rows_to_csv(rows)
    else:
        raise typer.BadParameter("format must be csv or json", param_hint="--format")
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as error:
            raise typer.BadParameter(f"cannot write {out}: {error.strerror}",
                                     param_hint="--out") from None
        console.print(f"wrote {len(rows)} rows to {out}", highlight=False)


Format = Annotated[str, typer.Option("--format", help="csv | json")]
Out = Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")]


@report_app.command("issuance")
def report_issuance(by: Annotated[str, typer.Option(help="program | category | project | vintage")] = "program",
                    format: Format = "csv", out: Out = None) -> None:
    """Credits issued, outstanding, retired and cancelled. 発行・償却・取消の集計。"""
    with _database().read() as session:
        _emit(queries.issuance_report(session, by), format, out)


@report_app.command("retirements")
def report_retirements(format: Format = "csv", out: Out = None) -> None:
    """The public list of retirements with beneficiary and claim. 償却の公開一覧。"""
    with _database().read() as session:
        _emit(queries.public_retirements(session), format, out)


@users_app.command("create")
def users_create(name: str, role: str, participant: str | None = None) -> None:
    """Create an API user and print its bearer token (shown once). 利用者の作成。"""
    token = run_in_transaction(_database(), lambda s: create_user(s, name=name, role=role,
                                                                 participant_id=participant))
    console.print(token, highlight=False)
