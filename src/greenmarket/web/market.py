"""Market pages: contracts, the live book and auction, the tape, a chart, daily reports, and a
participant's orders, reservations and settlements.

Every read and every action goes through the exchange, market-data and settlement API handlers,
so a page shows and does exactly what the API allows the same user.
"""

from __future__ import annotations

import io
import threading
import warnings
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from greenmarket.api.auth import Principal, Role, require
from greenmarket.errors import NotFound
from greenmarket.exchange import api as exchange_api
from greenmarket.marketdata import api as marketdata_api
from greenmarket.registry import api as registry_api
from greenmarket.settlement import api as settlement_api
from greenmarket.web.forms import attempt, form_fields, new_idempotency_key
from greenmarket.web.i18n import Translator, request_language
from greenmarket.web.registry import category_namer
from greenmarket.web.render import page
from greenmarket.web.session import checked_form, web_principal

router = APIRouter(prefix="/market", include_in_schema=False)
ORDER_FIELDS = ("side", "order_type", "price", "quantity", "time_in_force", "client_order_id")
AMEND_FIELDS = ("price", "quantity")
RECENT_TRADES = 8
SESSION_ACTIONS = {
    "open": exchange_api.post_session,
    "auction": exchange_api.post_auction,
    "close": exchange_api.post_close,
}
# Notices a page may show after an action (``?done=``): never free text from the query string.
NOTICES = ("placed", "amended", "cancelled", "open", "auction", "close")


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _notice(request: Request, t: Translator) -> str | None:
    done = request.query_params.get("done")
    if done not in NOTICES:
        return None
    order = request.query_params.get("order", "")
    traded = request.query_params.get("traded", "")
    text = t(f"market.done.{done}", order=order if order.isdigit() else "?")
    if traded.isdigit() and int(traded) > 0:
        text += " " + t("market.done.traded", quantity=int(traded))
    return text


def _after(contract_id: str, done: str, result: dict[str, Any], order_id: Any = None) -> str:
    query = f"done={done}"
    if order_id is not None:
        query += f"&order={order_id}"
    traded = (result.get("traded") or {}).get("quantity")
    if traded:
        query += f"&traded={traded}"
    return f"/market/{contract_id}?{query}#orders"


# --- reading ---------------------------------------------------------------------------------


def _tape(request: Request, contract_id: str, newest: int = 100_000) -> list[dict[str, Any]]:
    """The contract's last ``newest`` trades, oldest first."""
    return marketdata_api.get_tape(request, contract=contract_id, since=None, until=None,
                                   limit=newest, newest=True, format="json")


def live_view(request: Request, contract_id: str) -> dict[str, Any]:
    """The parts of a contract page that move: session, indicative auction, book, recent trades."""
    contract = exchange_api.get_contract(contract_id, request)
    trades = _tape(request, contract_id, RECENT_TRADES)
    return {"contract": contract, "book": exchange_api.get_book(contract_id, request),
            "recent": list(reversed(trades)),
            "last": trades[-1] if trades else None}


def _my_orders(request: Request, principal: Principal, contract_id: str) -> list[dict[str, Any]]:
    if principal.role is not Role.PARTICIPANT:
        return []
    return exchange_api.get_orders(request, principal, contract_id=contract_id, open=True)


@router.get("")
def contracts_page(request: Request) -> Response:
    rows = []
    for contract in exchange_api.get_contracts(request):
        live = live_view(request, contract["contract_id"])
        rows.append({**live, "bid": (live["book"]["bids"] or [None])[0],
                     "ask": (live["book"]["asks"] or [None])[0]})
    return page(request, "market/contracts.html", rows=rows)


@router.get("/mine")
def mine_page(request: Request) -> Response:
    """A participant's orders, reservations (credit holds, reserved cash) and settlements."""
    principal = web_principal(request)
    orders = exchange_api.get_orders(request, principal, contract_id=None, open=False)
    holds = [h for h in registry_api.get_holds(request, principal)
             if h["managed_by"] == "exchange"]
    return page(request, "market/mine.html", principal=principal, orders=orders, holds=holds,
                cash=settlement_api.get_cash_accounts(request, principal),
                settlements=settlement_api.get_settlements(request, principal, state=None))


def contract_page_response(request: Request, contract_id: str, *, errors: dict[str, str] | None = None,
                           values: dict[str, str] | None = None, amend_errors: dict[str, Any] | None = None,
                           status_code: int = 200) -> Response:
    principal = web_principal(request)
    t = Translator(request_language(request))
    return page(
        request, "market/contract.html", status_code=status_code, principal=principal,
        **live_view(request, contract_id),
        daily=list(reversed(marketdata_api.get_daily(request, contract=contract_id, since=None,
                                                     until=None, format="json"))),
        orders=_my_orders(request, principal, contract_id),
        errors=errors or {}, values=values or {"side": "buy", "order_type": "limit",
                                               "time_in_force": "day"},
        amend_errors=amend_errors or {}, idempotency_key=new_idempotency_key(),
        notice=_notice(request, t), category_name=category_namer(t.language))


@router.get("/{contract_id}")
def contract_page(contract_id: str, request: Request) -> Response:
    return contract_page_response(request, contract_id)


@router.get("/{contract_id}/live")
def live_fragment(contract_id: str, request: Request) -> Response:
    """The live region of a contract page, refreshed by static/live.js."""
    return page(request, "market/live.html", **live_view(request, contract_id))


@router.get("/{contract_id}/chart.svg")
def chart(contract_id: str, request: Request) -> Response:
    """Trade prices (line) and quantities (bars) of the contract, as SVG."""
    contract = exchange_api.get_contract(contract_id, request)
    svg = price_volume_svg(_tape(request, contract_id), contract["currency"],
                           contract["time_zone"], Translator(request_language(request)))
    return Response(svg, media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


#: Fonts measuring Japanese labels, where the server has them (Debian: fonts-noto-cjk).
CJK_FONTS = ["Noto Sans CJK JP", "IPAexGothic", "IPAGothic"]
#: pyplot, its settings and the warning filters are process-wide, and the server answers from
#: several threads: one chart is drawn at a time.
_CHART_LOCK = threading.Lock()


def price_volume_svg(trades: list[dict[str, Any]], currency: str, time_zone: str,
                     t: Translator) -> bytes:
    """A two-panel chart: the price of each trade over time, the quantity traded at each time
    (an auction's trades make one bar), on the venue's clock. Its text is left as SVG text for
    the browser's fonts to draw, so Japanese labels need no CJK font on the server."""
    import matplotlib

    matplotlib.use("Agg")
    from collections import Counter
    from datetime import datetime
    from decimal import Decimal

    import matplotlib.pyplot as plt

    with _CHART_LOCK, plt.rc_context({"svg.fonttype": "none", "timezone": time_zone,
                                      "font.family": ["DejaVu Sans", *CJK_FONTS, "sans-serif"]}), \
            warnings.catch_warnings():
        # without a CJK font on the server the labels are only measured roughly; the browser
        # draws them with its own fonts
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        figure, (upper, lower) = plt.subplots(2, 1, figsize=(7.5, 3.6), sharex=True,
                                              gridspec_kw={"height_ratios": [3, 1]})
        if trades:
            times = [datetime.fromisoformat(trade["time"]) for trade in trades]
            upper.step(times, [float(Decimal(trade["price"])) for trade in trades], where="post",
                       color="#1f6f4a", marker="o", markersize=3)
            volume = Counter[datetime]()
            for moment, trade in zip(times, trades, strict=True):
                volume[moment] += trade["quantity"]
            span_days = (times[-1] - times[0]).total_seconds() / 86_400
            lower.bar(list(volume), list(volume.values()), color="#0b5cab",
                      width=max(span_days / 150, 0.002))
        else:
            upper.text(0.5, 0.5, t("market.chart_empty"), ha="center", va="center",
                       transform=upper.transAxes, color="#5b6b63")
        upper.set_ylabel(t("market.chart_price", currency=currency))
        lower.set_ylabel(t("market.chart_quantity"))
        for axis in (upper, lower):
            axis.grid(alpha=0.3)
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
        plt.close(figure)
    return buffer.getvalue().encode("utf-8")


# --- acting ----------------------------------------------------------------------------------


@router.post("/{contract_id}/orders")
async def place_order(contract_id: str, request: Request) -> Response:
    """Enter an order (the API's ``POST /v1/orders``); refusals are shown next to the fields."""
    form = await checked_form(request)
    principal = web_principal(request)
    t = Translator(request_language(request))
    values = form_fields(form, ORDER_FIELDS)
    key = form.get("idempotency_key") or None

    def submit() -> dict[str, Any]:
        body = exchange_api.OrderIn(contract_id=contract_id, **values)
        return exchange_api.post_order(body, request, principal, idempotency_key=key)

    result, errors = attempt(submit, t, ORDER_FIELDS)
    if errors:
        return contract_page_response(request, contract_id, errors=errors, values=values,
                                      status_code=422)
    order_id = next((e.get("order_id") for e in result["events"]
                     if e["type"] == "OrderAccepted"), None)
    return _see(_after(contract_id, "placed", result, order_id))


@router.post("/{contract_id}/orders/{order_id}/amend")
async def amend_order(contract_id: str, order_id: int, request: Request) -> Response:
    form = await checked_form(request)
    principal = web_principal(request)
    t = Translator(request_language(request))
    values = form_fields(form, AMEND_FIELDS)
    # Someone else's (or no) order is a missing page, as in the API, not a form error.
    exchange_api.own_order(request, principal, contract_id, order_id)

    def submit() -> dict[str, Any]:
        body = exchange_api.AmendIn(**values)
        return exchange_api.patch_order(contract_id, order_id, body, request, principal)

    result, errors = attempt(submit, t, AMEND_FIELDS)
    if errors:
        return contract_page_response(request, contract_id, amend_errors={order_id: errors},
                                      status_code=422)
    return _see(_after(contract_id, "amended", result, order_id))


@router.post("/{contract_id}/orders/{order_id}/cancel")
async def cancel_order(contract_id: str, order_id: int, request: Request) -> Response:
    await checked_form(request)
    principal = web_principal(request)
    result = exchange_api.delete_order(contract_id, order_id, request, principal)
    return _see(_after(contract_id, "cancelled", result, order_id))


@router.post("/{contract_id}/session/{action}")
async def session_action(contract_id: str, action: str, request: Request) -> Response:
    """Operator controls: open the session, run the call auction now, close the session."""
    await checked_form(request)
    command = SESSION_ACTIONS.get(action)
    if command is None:
        raise NotFound(f"unknown session action {action!r}", field="action")
    principal = require(web_principal(request), Role.ADMIN)
    t = Translator(request_language(request))
    result, errors = attempt(lambda: command(contract_id, request, principal), t)
    if errors:
        return contract_page_response(request, contract_id, errors=errors, status_code=409)
    return _see(_after(contract_id, action, result))
