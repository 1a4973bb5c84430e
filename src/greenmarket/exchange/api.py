"""Exchange REST API v1: contracts, orders, the public book and trade tape, session control.

Thin handlers over :class:`~greenmarket.exchange.service.ExchangeService` (``app.state.exchange``).
Prices travel as decimal strings in the contract currency (``"3250"``, ``"1.55"``), never floats;
the engine's integer ticks stay inside. A participant trades for itself only: the caller's token
names the participant, and a body naming another one is refused as if it did not exist (404), as is
any order of another participant. The book and the tape are public and never name participants.

Placing an order needs an ``Idempotency-Key``. The key is claimed and the acknowledgement stored
in the order's own transaction: a retry with the same key and body returns the first
acknowledgement, the same key with another body is refused (``idempotency_key_reused``), and an
order the market refuses leaves the key unused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from greenmarket.api.auth import Principal, Role, principal_from_request, require
from greenmarket.errors import NotFound
from greenmarket.exchange.contracts import Contract, DeliverySpecification
from greenmarket.exchange.service import AREA, ExchangeService
from greenmarket.exchange.tables import exchange_orders
from greenmarket.journal import store as journal_store
from greenmarket.registry.service import IdempotencyKey
from greenmarket.settlement.money import from_minor

router = APIRouter(prefix="/v1", tags=["exchange"])
Caller = Annotated[Principal, Depends(principal_from_request)]
IdemHeader = Annotated[str | None, Header(alias="Idempotency-Key")]
DECIMAL = r"^[0-9]+(\.[0-9]+)?$"


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contract_id: str = Field(min_length=1, max_length=64)
    participant_id: str | None = Field(default=None, description="must be the caller's own")
    side: Literal["buy", "sell"]
    order_type: Literal["limit", "market"] = "limit"
    price: str | None = Field(default=None, pattern=DECIMAL, max_length=32,
                              description="decimal string in the contract currency")
    quantity: int = Field(gt=0)
    time_in_force: Literal["day", "ioc", "fok"] = "day"
    client_order_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._:-]{1,64}$")


# --- views ----------------------------------------------------------------------------------


def _exchange(request: Request) -> ExchangeService:
    return request.app.state.exchange  # type: ignore[no-any-return]


def _contract(service: ExchangeService, contract_id: str) -> Contract:
    contract = service.contracts.get(contract_id)
    if contract is None:
        raise NotFound(f"contract {contract_id} does not exist", field="contract_id")
    return contract


def _money(contract: Contract, ticks: int | None) -> str | None:
    return None if ticks is None else str(contract.to_money(ticks))


def _in_each_language(names: dict[str, str], name: str) -> dict[str, str]:
    """Japanese and English names, ``name`` where one is missing."""
    return {language: names.get(language, name) for language in ("ja", "en")}


def contract_view(service: ExchangeService, contract: Contract) -> dict[str, Any]:
    """Everything a trader needs to know about a contract, in plain JSON."""
    spec = contract.specification
    if isinstance(spec, DeliverySpecification):
        delivery: dict[str, Any] = {
            "kind": "standardized", "programs": sorted(spec.programs),
            "categories": sorted(spec.categories), "vintage_from": spec.vintage_from,
            "vintage_to": spec.vintage_to, "eligibility": sorted(spec.eligibility)}
    else:
        delivery = {"kind": "project", "program": spec.program, "project": spec.project,
                    "vintage": spec.vintage}
    venue = contract.venue
    return {
        "contract_id": contract.contract_id,
        "names": _in_each_language(contract.names, contract.name),
        "venue": venue.name, "venue_names": _in_each_language(venue.names, venue.name),
        "time_zone": venue.time_zone, "calendar": venue.calendar_code,
        "currency": contract.currency, "tick": str(contract.tick), "lot": contract.lot,
        "price_band": str(contract.price_band),
        "base_price": _money(contract, service.base_prices.get(contract.contract_id)),
        "market_orders": contract.market_orders, "allocation": contract.allocation.value,
        "sessions": [{"name": s.name, "mechanism": s.mechanism.value,
                      "opens": s.opens.strftime("%H:%M"), "closes": s.closes.strftime("%H:%M"),
                      "auction_at": s.auction_at.strftime("%H:%M") if s.auction_at else None}
                     for s in venue.sessions],
        "settlement_cycle": contract.settlement_cycle,
        "delivery": delivery,
        "session_open": service.snapshot(contract.contract_id)["open"],
    }


def event_view(contract: Contract, event: dict[str, Any], viewer: Principal) -> dict[str, Any]:
    """An engine event for ``viewer``: prices as money; a participant never sees counterparties."""
    view = dict(event)
    if "price" in view:
        view["price"] = _money(contract, view["price"])
    if viewer.role is not Role.PARTICIPANT:
        return view
    if view["type"] == "Trade":
        mine_buy = view["buyer"] == viewer.participant_id
        view["side"] = "buy" if mine_buy else "sell"
        view["order_id"] = view["buy_order_id"] if mine_buy else view["sell_order_id"]
        for key in ("buyer", "seller", "buy_order_id", "sell_order_id"):
            view.pop(key)
    for key in ("participant", "owner"):
        view.pop(key, None)
    return view


def result_view(service: ExchangeService, result: dict[str, Any],
                viewer: Principal) -> dict[str, Any]:
    """A command's acknowledgement: journal sequence, contract and the events it caused."""
    contract = service.contracts[result["contract_id"]]
    events = [event_view(contract, e, viewer) for e in result["events"]]
    trades = [e for e in result["events"] if e["type"] == "Trade"]
    view = {"sequence": result["sequence"], "contract_id": contract.contract_id,
            "currency": contract.currency, "events": events}
    if trades:
        view["traded"] = {"quantity": sum(t["quantity"] for t in trades),
                          "trades": len(trades)}
    return view


# --- contracts and the public book ----------------------------------------------------------


@router.get("/contracts")
def get_contracts(request: Request) -> list[dict[str, Any]]:
    """Public: the contracts the venue lists."""
    service = _exchange(request)
    return [contract_view(service, c) for c in service.contracts.values()]


@router.get("/contracts/{contract_id}")
def get_contract(contract_id: str, request: Request) -> dict[str, Any]:
    service = _exchange(request)
    return contract_view(service, _contract(service, contract_id))


@router.get("/contracts/{contract_id}/book")
def get_book(contract_id: str, request: Request) -> dict[str, Any]:
    """Public depth: price levels with quantities and order counts; the indicative auction price.

    With no session open the book is empty (``session`` is null).
    """
    return book_view(_exchange(request), contract_id)


def book_view(service: ExchangeService, contract_id: str) -> dict[str, Any]:
    """The public book of a contract: levels, band and (call sessions) the indicative price."""
    contract = _contract(service, contract_id)
    view: dict[str, Any] = {"contract_id": contract_id, "currency": contract.currency,
                            "session": None, "bids": [], "asks": [], "indicative": None}
    snapshot = service.snapshot(contract_id)  # read under the book's lock
    if not snapshot["open"]:
        return view
    low, high = snapshot["band"]
    view["session"] = {"mechanism": snapshot["mechanism"],
                       "price_band": {"low": _money(contract, low), "high": _money(contract, high)}}
    for side, key in (("buy", "bids"), ("sell", "asks")):
        view[key] = [{"price": _money(contract, price), "quantity": quantity, "orders": orders}
                     for price, quantity, orders in snapshot["depth"][side]]
    indicative = snapshot["indicative"]
    if indicative is not None:
        view["indicative"] = {
            "price": _money(contract, indicative.price), "volume": indicative.volume,
            "surplus": indicative.surplus,
            "surplus_side": indicative.surplus_side.value if indicative.surplus_side else None}
    return view


# --- orders ---------------------------------------------------------------------------------


@router.post("/orders", status_code=201)
def post_order(body: OrderIn, request: Request, caller: Caller,
               idempotency_key: IdemHeader = None) -> dict[str, Any]:
    """Place an order for the caller's own participant (reserves credits or cash first)."""
    require(caller, Role.PARTICIPANT)
    if body.participant_id not in (None, caller.participant_id):
        raise NotFound(f"participant {body.participant_id} does not exist", field="participant_id")
    service = _exchange(request)
    contract = _contract(service, body.contract_id)
    price = None if body.price is None else Decimal(body.price)

    idempotency = IdempotencyKey.for_request(caller.actor, idempotency_key, "order",
                                             body.model_dump(mode="json"))
    result = service.submit(
        caller.participant_id or "", contract.contract_id, side=body.side,
        quantity=body.quantity, price=price, order_type=body.order_type,
        time_in_force=body.time_in_force, client_order_id=body.client_order_id,
        idempotency=idempotency)
    return result_view(service, result, caller)


class AmendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    price: str = Field(pattern=DECIMAL, max_length=32,
                       description="new limit price, decimal string in the contract currency")
    quantity: int = Field(gt=0, description="new total quantity (filled part included)")


def own_order(request: Request, caller: Principal, contract_id: str, order_id: int) -> str:
    """The caller's participant if it owns the order; anyone else's order answers 404."""
    require(caller, Role.PARTICIPANT)
    _contract(_exchange(request), contract_id)
    with request.app.state.db.read() as session:
        owner = session.execute(select(exchange_orders.c.participant_id).where(
            exchange_orders.c.contract_id == contract_id,
            exchange_orders.c.order_id == order_id)).scalar()
    if owner is None or owner != caller.participant_id:
        raise NotFound(f"order {order_id} does not exist", field="order_id")
    return owner


@router.delete("/orders/{contract_id}/{order_id}")
def delete_order(contract_id: str, order_id: int, request: Request,
                 caller: Caller) -> dict[str, Any]:
    """Cancel the open part of one of the caller's orders; its reservation is released."""
    owner = own_order(request, caller, contract_id, order_id)
    service = _exchange(request)
    return result_view(service, service.cancel(owner, contract_id, order_id), caller)


@router.patch("/orders/{contract_id}/{order_id}")
def patch_order(contract_id: str, order_id: int, body: AmendIn, request: Request,
                caller: Caller) -> dict[str, Any]:
    """Amend one of the caller's resting orders: new price and total quantity.

    Only a smaller quantity at the same price keeps time priority. The reservation is resized
    first, so growing an order can be refused for want of credits or cash.
    """
    owner = own_order(request, caller, contract_id, order_id)
    service = _exchange(request)
    result = service.amend(owner, contract_id, order_id, price=Decimal(body.price),
                           quantity=body.quantity)
    return result_view(service, result, caller)


@router.get("/orders")
def get_orders(request: Request, caller: Caller, contract_id: str | None = None,
               open: bool = Query(False, description="only orders with quantity still open"),
               ) -> list[dict[str, Any]]:
    """The caller's orders (admin and auditor: everyone's) with what is still open."""
    require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)
    service = _exchange(request)
    query = select(exchange_orders).order_by(exchange_orders.c.id)
    if not caller.can_read_all():
        query = query.where(exchange_orders.c.participant_id == caller.participant_id)
    if contract_id is not None:
        query = query.where(exchange_orders.c.contract_id == contract_id)
    if open:
        query = query.where(exchange_orders.c.open_quantity > 0)
    with request.app.state.db.read() as session:
        rows = session.execute(query).all()
    views = []
    for row in rows:
        contract = service.contracts.get(row.contract_id)
        currency = contract.currency if contract else None
        views.append({
            "contract_id": row.contract_id, "order_id": row.order_id,
            "participant_id": row.participant_id, "side": row.side,
            "limit_price": str(from_minor(row.limit_price, currency)) if currency else None,
            "currency": currency, "open_quantity": row.open_quantity,
            "state": "open" if row.open_quantity > 0 else "done"})
    return views


# --- the public trade tape ------------------------------------------------------------------


@router.get("/trades")
def get_trades(request: Request, caller: Caller, contract_id: str | None = None,
               mine: bool = False, after: int = Query(0, ge=0, description="journal sequence"),
               limit: int = Query(500, ge=1, le=5000)) -> list[dict[str, Any]]:
    """Public: every trade (time, contract, price, quantity), never the counterparties.

    ``mine=true`` (a participant) lists the caller's own trades with its side and order.
    """
    if mine:
        require(caller, Role.PARTICIPANT)
    service = _exchange(request)
    tape: list[dict[str, Any]] = []
    with request.app.state.db.read() as session:
        for sequence, contract, trade in _trades(session, service, after):
            if contract_id is not None and contract.contract_id != contract_id:
                continue
            row = {"sequence": sequence, "contract_id": contract.contract_id,
                   "trade_id": trade["trade_id"], "time": trade["time"],
                   "price": _money(contract, trade["price"]), "currency": contract.currency,
                   "quantity": trade["quantity"]}
            if mine:
                if caller.participant_id not in (trade["buyer"], trade["seller"]):
                    continue
                own = event_view(contract, trade, caller)
                row.update(side=own["side"], order_id=own["order_id"])
            tape.append(row)
            if len(tape) == limit:
                break
    return tape


def _trades(session: Any, service: ExchangeService,
            after: int) -> Iterator[tuple[int, Contract, dict[str, Any]]]:
    for entry in journal_store.read(session, after=after, area=AREA):
        contract = service.contracts.get(entry.payload.get("contract_id", ""))
        if contract is None:
            continue
        for event in entry.payload.get("events", []):
            if event["type"] == "Trade":
                yield entry.sequence, contract, event


# --- session control (operator) -------------------------------------------------------------


def _admin_command(request: Request, caller: Principal, contract_id: str,
                   command: Callable[[ExchangeService, str, str], dict[str, Any]]
                   ) -> dict[str, Any]:
    require(caller, Role.ADMIN)
    service = _exchange(request)
    _contract(service, contract_id)
    return result_view(service, command(service, contract_id, caller.actor), caller)


@router.post("/contracts/{contract_id}/session")
def post_session(contract_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Open the session taking orders now (``market_closed`` outside the venue's hours)."""
    return _admin_command(request, caller, contract_id,
                          lambda s, c, actor: s.open_session(c, actor))


@router.post("/contracts/{contract_id}/auction")
def post_auction(contract_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """Uncross the call auction now: trades at one price, settlement instructions, session ends."""
    return _admin_command(request, caller, contract_id, lambda s, c, actor: s.uncross(c, actor))


@router.post("/contracts/{contract_id}/close")
def post_close(contract_id: str, request: Request, caller: Caller) -> dict[str, Any]:
    """End a continuous session: resting orders expire and their reservations are freed."""
    return _admin_command(request, caller, contract_id,
                          lambda s, c, actor: s.close_session(c, actor))


__all__ = ["book_view", "contract_view", "event_view", "result_view", "router"]
