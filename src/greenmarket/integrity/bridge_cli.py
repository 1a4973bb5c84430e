"""``greenmarket bridge …``: lock → mint, burn → unlock, retire through the bridge, status.

The in-process token ledger lives in the journal: each command rebuilds it from the journal,
applies one operation in one registry transaction, and journals the token event with it.
"""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from greenmarket.integrity.bridge import Bridge, rebuild_ledger, reserve_report
from greenmarket.integrity.tokens import TokenClass
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database

app = typer.Typer(
    help="Token bridge: lock → mint, burn → unlock, retire through the bridge. "
    "トークン・ブリッジ：ロックして発行、焼却して解除、ブリッジ経由の償却。",
    no_args_is_help=True,
)
console = Console()

BridgeAccount = Annotated[
    int,
    typer.Option(
        "--bridge-account",
        envvar="GREENMARKET_BRIDGE_ACCOUNT",
        help="The registry's bridge account id. ブリッジ口座。",
    ),
]
Program = Annotated[str, typer.Option(help="Program code, e.g. JCREDIT.")]
Project = Annotated[str, typer.Option(help="Project id.")]
Vintage = Annotated[int, typer.Option(help="Vintage year.")]
Address = Annotated[str, typer.Option("--address", help="Token address. トークンアドレス。")]
Quantity = Annotated[int, typer.Option(min=1, help="Credits = tokens. 数量。")]
Key = Annotated[str | None, typer.Option(help="Idempotency key: a repeat is applied once.")]


def _actor() -> str:
    return f"bridge:cli-{getpass.getuser()}"


def _bridge(bridge_account: int) -> Bridge:
    database = Database()
    with database.read() as session:
        tokens = rebuild_ledger(session)
    return Bridge(RegistryService(database), tokens, bridge_account_id=bridge_account)


def _print(result: dict[str, Any]) -> None:
    console.print_json(json.dumps(result, ensure_ascii=False, default=str))


def _ranges(serials: list[str] | None) -> tuple[tuple[int, int], ...]:
    ranges = []
    for text in serials or ():
        start, sep, end = text.partition("-")
        try:
            ranges.append((int(start), int(end if sep else start)))
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not START-END", param_hint="--serials") from None
    return tuple(ranges)


@app.command("lock")
def lock_command(
    bridge_account: BridgeAccount,
    from_account: Annotated[int, typer.Option(help="Holder's registry account. 保有口座。")],
    address: Address,
    program: Program,
    project: Project,
    vintage: Vintage,
    quantity: Annotated[int | None, typer.Option(min=1, help="Credits to lock.")] = None,
    serials: Annotated[
        list[str] | None, typer.Option("--serials", help="Serial range START-END (repeatable).")
    ] = None,
    key: Key = None,
) -> None:
    """Lock credits in the bridge account and mint as many tokens. ロックしてトークンを発行。"""
    _print(
        _bridge(bridge_account).lock(
            _actor(),
            from_account_id=from_account,
            token_address=address,
            token_class=TokenClass(program, project, vintage),
            quantity=quantity,
            serial_ranges=_ranges(serials),
            key=key,
        )
    )


@app.command("unlock")
def unlock_command(
    bridge_account: BridgeAccount,
    address: Address,
    program: Program,
    project: Project,
    vintage: Vintage,
    quantity: Quantity,
    to_account: Annotated[int, typer.Option(help="Registry account receiving the credits.")],
    key: Key = None,
) -> None:
    """Burn tokens and release as many locked credits. 焼却してクレジットを解除。"""
    _print(
        _bridge(bridge_account).unlock(
            _actor(),
            token_address=address,
            token_class=TokenClass(program, project, vintage),
            quantity=quantity,
            to_account_id=to_account,
            key=key,
        )
    )


@app.command("retire")
def retire_command(
    bridge_account: BridgeAccount,
    address: Address,
    program: Program,
    project: Project,
    vintage: Vintage,
    quantity: Quantity,
    beneficiary: Annotated[str, typer.Option(help="Who the retirement is for. 受益者。")],
    claim: Annotated[str, typer.Option(help="The use claim. 主張内容。")],
    purpose: Annotated[
        str, typer.Option(help="voluntary_offset, gx_ets, corsia, ndc, other")
    ] = "voluntary_offset",
    reporting_year: Annotated[int | None, typer.Option()] = None,
    key: Key = None,
) -> None:
    """Burn tokens and retire as many locked credits. 焼却して償却。"""
    _print(
        _bridge(bridge_account).retire(
            _actor(),
            token_address=address,
            token_class=TokenClass(program, project, vintage),
            quantity=quantity,
            beneficiary=beneficiary,
            purpose=purpose,
            claim=claim,
            reporting_year=reporting_year,
            key=key,
        )
    )


@app.command("transfer")
def transfer_command(
    bridge_account: BridgeAccount,
    source: Annotated[str, typer.Option("--from-address")],
    target: Annotated[str, typer.Option("--to-address")],
    program: Program,
    project: Project,
    vintage: Vintage,
    quantity: Quantity,
    key: Key = None,
) -> None:
    """Move tokens between addresses. トークンの移転。"""
    _print(
        _bridge(bridge_account).transfer(
            _actor(),
            source=source,
            target=target,
            token_class=TokenClass(program, project, vintage),
            quantity=quantity,
            key=key,
        )
    )


@app.command("status")
def status_command(bridge_account: BridgeAccount) -> None:
    """Tokens outstanding against credits locked, per class; exit 1 unless all are 1:1.

    トークン残高とロック中クレジットの照合（不一致なら終了コード 1）。
    """
    with Database().read() as session:
        report = reserve_report(session, bridge_account)
    table = Table(title="bridge / ブリッジ")
    for column in ("token class", "tokens outstanding", "credits locked", "1:1"):
        table.add_column(column)
    for row in report["classes"]:
        backed = "yes" if row["backed_one_to_one"] else "NO"
        table.add_row(
            row["token_class"], str(row["tokens_outstanding"]), str(row["credits_locked"]), backed
        )
    console.print(table)
    balances = Table(title="token balances / トークン残高")
    for column in ("address", "token class", "tokens"):
        balances.add_column(column)
    for row in report["balances"]:
        balances.add_row(row["address"], row["token_class"], str(row["tokens"]))
    console.print(balances)
    if not report["backed_one_to_one"]:
        raise typer.Exit(1)
