"""``greenmarket exchange …``: the operator's commands for sessions, books, settlement and cash.

The same service functions as the REST API, on the configured database (``GREENMARKET_DATABASE_URL``)
and the wall clock. Output is a Rich table, or JSON with ``--json``.

The exchange keeps its books in memory and rebuilds them from the journal when it starts. Session
commands (open-session, uncross, close-session) change the books: give them to the server
(``POST /v1/contracts/{id}/…``) while it runs, and use these commands when it is stopped (a
running server would keep its own, older copy of the book). Settlement and cash commands work
on the database alone and are safe at any time.

取引所の運用コマンド。セッション操作はサーバー停止中に実行すること（稼働中は REST API を使用）。
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from greenmarket import config
from greenmarket.api.auth import Principal, Role
from greenmarket.exchange.api import book_view, contract_view, result_view
from greenmarket.exchange.service import ExchangeService
from greenmarket.exchange.venue import build_exchange
from greenmarket.registry.service import IdempotencyKey, RegistryService
from greenmarket.settlement import dvp
from greenmarket.settlement.api import bank_movement
from greenmarket.storage.db import Database

app = typer.Typer(help="Exchange operations: sessions, books, settlement, cash. 取引所の運用。",
                  no_args_is_help=True)
cash_app = typer.Typer(help="Cash the designated bank account confirmed. 指定口座の入出金。",
                       no_args_is_help=True)
app.add_typer(cash_app, name="cash")
console = Console()
OPERATOR = Principal(name="cli", role=Role.ADMIN)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON. JSON で出力。")]
ContractArg = Annotated[str, typer.Argument(help="Contract id, e.g. TSE-JCR-FORESTRY. 銘柄コード。")]


def _exchange() -> ExchangeService:
    return build_exchange(Database(), config.clock())


def _registry() -> RegistryService:
    return RegistryService(Database(), config.clock())


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def _events(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"{result['contract_id']} · journal #{result['sequence']}")
    for column in ("event", "order", "price", "quantity", "detail"):
        table.add_column(column)
    for event in result["events"]:
        order = event.get("order_id") or f"{event.get('buy_order_id')}/{event.get('sell_order_id')}"
        detail = (f"{event['buyer']} ← {event['seller']}" if event["type"] == "Trade"
                  else event.get("reason") or event.get("code") or "")
        table.add_row(event["type"], str(order), event.get("price") or "",
                      str(event.get("quantity", "")), detail)
    console.print(table)
    if not result["events"]:
        console.print("no events / イベントなし")


@app.command("contracts")
def contracts(as_json: JsonFlag = False) -> None:
    """List the venue's contracts. 上場銘柄の一覧。"""
    service = _exchange()
    views = [contract_view(service, c) for c in service.contracts.values()]
    if as_json:
        _print_json(views)
        return
    table = Table(title="Contracts / 銘柄")
    for column in ("contract", "ccy", "tick", "lot", "base", "band", "T+N", "sessions",
                   "zone", "open"):
        table.add_column(column, overflow="fold")
    for v in views:
        sessions = " ".join(f"{s['opens']}-{s['closes']}"
                            + (f"@{s['auction_at']}" if s["auction_at"] else "")
                            for s in v["sessions"])
        table.add_row(v["contract_id"], v["currency"], v["tick"], str(v["lot"]),
                      v["base_price"], f"±{v['price_band']}", str(v["settlement_cycle"]),
                      sessions, v["time_zone"], "yes" if v["session_open"] else "no")
    console.print(table)


@app.command("open-session")
def open_session(contract_id: ContractArg, as_json: JsonFlag = False) -> None:
    """Open the session taking orders now. セッションを開始。"""
    service = _exchange()
    _events(result_view(service, service.open_session(contract_id, OPERATOR.actor), OPERATOR),
             as_json)


@app.command("uncross")
def uncross(contract_id: ContractArg, as_json: JsonFlag = False) -> None:
    """Run the call auction now (板寄せ) and end the session. 板寄せを実行。"""
    service = _exchange()
    _events(result_view(service, service.uncross(contract_id, OPERATOR.actor), OPERATOR), as_json)


@app.command("close-session")
def close_session(contract_id: ContractArg, as_json: JsonFlag = False) -> None:
    """End a continuous session; resting orders expire. ザラバ取引を終了。"""
    service = _exchange()
    _events(result_view(service, service.close_session(contract_id, OPERATOR.actor), OPERATOR),
            as_json)


@app.command("book")
def book(contract_id: ContractArg, as_json: JsonFlag = False) -> None:
    """Show the public book (and the indicative auction price). 板情報。"""
    view = book_view(_exchange(), contract_id)
    if as_json:
        _print_json(view)
        return
    if view["session"] is None:
        console.print(f"{contract_id}: no session open / セッションなし")
        return
    table = Table(title=f"{contract_id} ({view['session']['mechanism']}, {view['currency']})")
    for column in ("bid orders", "bid qty", "price", "ask qty", "ask orders"):
        table.add_column(column, justify="right")
    for level in reversed(view["asks"]):
        table.add_row("", "", level["price"], str(level["quantity"]), str(level["orders"]))
    for level in view["bids"]:
        table.add_row(str(level["orders"]), str(level["quantity"]), level["price"], "", "")
    console.print(table)
    if view["indicative"]:
        i = view["indicative"]
        console.print(f"indicative / 参考気配: {i['price']} volume {i['volume']} "
                      f"surplus {i['surplus']} ({i['surplus_side'] or '-'})")


@app.command("settle")
def settle(
    on: Annotated[str, typer.Option("--date", help="Settle what is due by this date "
                                    "(YYYY-MM-DD). この日までの決済を実行。")],
    as_json: JsonFlag = False,
) -> None:
    """Delivery versus payment of every due instruction. 期日到来分の DvP 決済。"""
    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise typer.BadParameter("the date must be YYYY-MM-DD", param_hint="--date") from None
    registry = _registry()
    outcome = {"date": day.isoformat(),
               **dvp.settle_due(lambda op: registry.execute(OPERATOR.actor, op), day)}
    if as_json:
        _print_json(outcome)
    else:
        console.print(f"{outcome['date']}: settled {outcome['settled']}, failed "
                      f"{outcome['failed']} / 決済 {outcome['settled']} 件、失敗 "
                      f"{outcome['failed']} 件")


def _bank(kind: str, account_id: int, amount: str, reference: str, as_json: bool) -> None:
    """Apply once per bank reference: running the same command again changes nothing."""
    key = IdempotencyKey.for_request(OPERATOR.actor, f"{kind}:{reference}", kind,
                                     {"account_id": account_id, "amount": amount})
    result = _registry().execute(OPERATOR.actor,
                                 bank_movement(kind, account_id, amount, reference),
                                 idempotency=key)
    if as_json:
        _print_json(result)
        return
    account = result["account"]
    console.print(f"{kind} {result['amount']} {result['currency']} → cash account "
                  f"{account['id']} ({account['participant_id']}): balance {account['balance']}, "
                  f"free {account['free']}")


AccountArg = Annotated[int, typer.Argument(help="Cash account id. 資金口座番号。")]
AmountArg = Annotated[str, typer.Argument(help="Amount in the account's currency, e.g. 1250.50.")]
ReferenceOpt = Annotated[str, typer.Option(help="The bank's reference; one movement per "
                                           "reference. 銀行の参照番号。")]


@cash_app.command("deposit")
def deposit(account_id: AccountArg, amount: AmountArg, reference: ReferenceOpt,
            as_json: JsonFlag = False) -> None:
    """Record money the designated bank account received. 入金を記録。"""
    _bank("deposit", account_id, amount, reference, as_json)


@cash_app.command("withdraw")
def withdraw(account_id: AccountArg, amount: AmountArg, reference: ReferenceOpt,
             as_json: JsonFlag = False) -> None:
    """Record a payment out of a participant's free cash. 出金を記録。"""
    _bank("withdrawal", account_id, amount, reference, as_json)
