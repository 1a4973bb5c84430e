"""Public market-data REST API v1 (no token): tape, daily reports, depth, registry statistics,
and a server-sent-events stream of tape, depth and daily updates.

Nothing here names a participant: the tables and book views behind it hold no participant ids.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from greenmarket.errors import NotFound
from greenmarket.marketdata import export, queries
from greenmarket.marketdata.service import MarketDataService
from greenmarket.marketdata.streaming import KINDS, check_kinds, message_id

router = APIRouter(prefix="/v1/marketdata", tags=["marketdata"])
Format = Literal["json", "csv"]
KEEP_ALIVE_SECONDS = 15.0
_SETUP = threading.Lock()  # one service per app, even when the first requests race


def service_of(request: Request) -> MarketDataService:
    """The app's market-data service, made on first use over the app's database and the
    contracts its exchange trades."""
    state = request.app.state
    with _SETUP:
        if getattr(state, "marketdata", None) is None:
            exchange = getattr(state, "exchange", None)
            state.marketdata = MarketDataService(
                state.db, None if exchange is None else exchange.contracts.values())
    return state.marketdata


def _rows(request: Request, reader: Any) -> list[dict[str, Any]]:
    service_of(request).catch_up()
    with request.app.state.db.read() as session:
        return reader(session)


def _answer(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str, name: str) -> Any:
    if fmt == "json":
        return rows
    return Response(export.to_csv(rows, columns), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/tape", summary="Trade tape (約定履歴): time, price, quantity, block and auction flags")
def get_tape(request: Request, contract: str | None = None, since: date | None = None,
             until: date | None = None, limit: int = Query(10_000, ge=1, le=100_000),
             newest: bool = Query(False, description="keep the newest `limit` trades, not the first"),
             format: Format = "json") -> Any:
    rows = _rows(request, lambda s: queries.tape(s, contract_id=contract, since=since,
                                                 until=until, limit=limit, newest=newest))
    return _answer(rows, queries.TAPE_COLUMNS, format, "tape")


@router.get("/daily", summary="Daily reports (日次データ) since the first trade")
def get_daily(request: Request, contract: str | None = None, since: date | None = None,
              until: date | None = None, format: Format = "json") -> Any:
    rows = _rows(request, lambda s: queries.daily(s, contract_id=contract, since=since,
                                                  until=until))
    return _answer(rows, queries.DAILY_COLUMNS, format, "daily")


@router.get("/depth/{contract}", summary="Order-book depth, best bid/offer, indicative auction")
def get_depth(request: Request, contract: str,
              levels: int | None = Query(None, ge=1, le=1000)) -> dict[str, Any]:
    service = service_of(request)
    if contract not in service.projector.contracts:
        raise NotFound(f"contract {contract} does not exist", field="contract")
    return service.depth(contract, levels)


@router.get("/registry-stats", summary="Credits issued, retired, cancelled by period (発行・無効化・取消)")
def get_registry_stats(request: Request,
                       by: Literal["program", "category", "vintage"] = "program",
                       period: Literal["day", "month", "year"] = "month",
                       format: Format = "json") -> Any:
    rows = _rows(request, lambda s: queries.registry_stats(s, by=by, period=period))
    return _answer(rows, export.columns_of("registry", by), format, "registry-stats")


@router.get("/stream", summary="Server-sent events: tape, depth and daily updates",
            response_class=StreamingResponse)
async def stream(request: Request, kinds: str = ",".join(KINDS), contract: str | None = None,
                 limit: int | None = Query(None, ge=1),
                 max_seconds: float | None = Query(None, gt=0)) -> StreamingResponse:
    """``event: <kind>`` / ``id: <message id>`` / ``data: <json>``; a comment line every 15 s keeps
    the connection open. ``limit`` and ``max_seconds`` end the stream (for scripts and tests)."""
    service = service_of(request)
    wanted = check_kinds(frozenset(k.strip() for k in kinds.split(",") if k.strip()))

    async def events() -> AsyncIterator[str]:
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        sent = 0
        with service.hub.subscribe(wanted, contract) as subscription:
            service.follow()
            while limit is None or sent < limit:
                wait = KEEP_ALIVE_SECONDS if deadline is None else min(
                    KEEP_ALIVE_SECONDS, deadline - time.monotonic())
                if wait <= 0 or await request.is_disconnected():
                    return
                try:
                    kind, body = await asyncio.wait_for(subscription.queue.get(), wait)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                ident = message_id(kind, body["contract_id"], body)
                yield f"event: {kind}\nid: {ident}\ndata: {json.dumps(body, ensure_ascii=False)}\n\n"
                sent += 1

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
