"""``greenmarket marketdata …``: project the journal, export public market data.

Every export first brings the tables up to date with the journal (the projector runs once), then
writes the history since the first trade (or the chosen days) as CSV, JSON or Parquet.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from greenmarket.errors import NotFound
from greenmarket.exchange.venue import CONTRACTS
from greenmarket.marketdata import export, queries
from greenmarket.marketdata.projector import Projector
from greenmarket.marketdata.streaming import nats_publisher_from_environment
from greenmarket.storage.db import Database

app = typer.Typer(
    help="Public market data: trade tape, daily reports, registry statistics. "
    "市場データ（約定履歴・日次データ・登録簿統計）。",
    no_args_is_help=True,
)

Format = Annotated[str, typer.Option("--format", help="csv, json or parquet. 出力形式。")]
Out = Annotated[Path, typer.Option("--out", help="Output file. 出力ファイル。")]
Since = Annotated[str | None, typer.Option("--since", help="First trading day (YYYY-MM-DD).")]
Until = Annotated[str | None, typer.Option("--until", help="Last trading day (YYYY-MM-DD).")]


def _projector(database: Database) -> tuple[Projector, int]:
    """Run the projector once; what it folds is published to NATS when configured, whichever
    command ran it (the cursor moves only once)."""
    nats = nats_publisher_from_environment()
    projector = Projector(database, CONTRACTS, publishers=[nats] if nats else [])
    try:
        return projector, projector.run_once()
    finally:
        if nats is not None:
            nats.close()


def _project(database: Database) -> int:
    return _projector(database)[1]


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _export(rows: list[dict], columns: tuple[str, ...], fmt: str, out: Path, what: str) -> None:
    export.write(rows, columns, fmt, out)
    typer.echo(f"{len(rows)} {what} rows -> {out} ({fmt})")


@app.command("project")
def project(
    rebuild: Annotated[bool, typer.Option(help="Replay from sequence 0. 先頭から再構築。")] = False,
) -> None:
    """Fold new journal entries into the market-data tables (once); publish to NATS when
    GREENMARKET_NATS_URL is set. 仕訳帳を市場データに反映。"""
    database = Database()
    if rebuild:
        count = Projector(database, CONTRACTS).rebuild()
    else:
        count = _project(database)
    cursor = Projector(database, CONTRACTS).cursor()
    typer.echo(f"projected {count} journal entries; cursor at sequence {cursor}")


@app.command("daily")
def daily(out: Out, contract: Annotated[str | None, typer.Option(
              "--contract", help="Contract id (all when omitted). 銘柄。")] = None,
          format: Format = "csv", since: Since = None, until: Until = None) -> None:
    """Daily reports: OHLC, VWAP, volume, trades, closing quote, spread, deliveries. 日次データ。"""
    database = Database()
    _project(database)
    with database.read() as session:
        rows = queries.daily(session, contract_id=contract, since=_day(since), until=_day(until))
    _export(rows, queries.DAILY_COLUMNS, format, out, "daily")


@app.command("tape")
def tape(out: Out, contract: Annotated[str | None, typer.Option(
             "--contract", help="Contract id (all when omitted). 銘柄。")] = None,
         format: Format = "csv", since: Since = None, until: Until = None) -> None:
    """The trade tape, never the counterparties. 約定履歴（取引相手は非公開）。"""
    database = Database()
    _project(database)
    with database.read() as session:
        rows = queries.tape(session, contract_id=contract, since=_day(since), until=_day(until))
    _export(rows, queries.TAPE_COLUMNS, format, out, "tape")


@app.command("depth")
def depth(contract: Annotated[str, typer.Option("--contract", help="Contract id. 銘柄。")],
          levels: Annotated[int | None, typer.Option(help="Price levels per side.")] = None
          ) -> None:
    """Order-book depth, best bid/offer and the indicative auction price, as JSON.
    板情報・最良気配・参考気配。"""
    projector, _ = _projector(Database())
    if contract not in projector.contracts:
        raise NotFound(f"contract {contract} does not exist", field="contract")
    typer.echo(json.dumps(projector.book(contract).snapshot(levels), ensure_ascii=False,
                          indent=1))


@app.command("registry-stats")
def registry_stats(
    out: Out,
    by: Annotated[str, typer.Option("--by", help="program, category or vintage.")] = "program",
    period: Annotated[str, typer.Option("--period", help="day, month or year.")] = "month",
    format: Format = "csv",
) -> None:
    """Credits issued, retired and cancelled per period. 発行・無効化・取消の統計。"""
    database = Database()
    _project(database)
    with database.read() as session:
        rows = queries.registry_stats(session, by=by, period=period)
    _export(rows, export.columns_of("registry", by), format, out, "registry-stats")
