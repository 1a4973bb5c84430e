"""REST v1 for block trades and sealed-bid auctions of new supply (thin over ``OffBookService``).

A participant acts for itself only (the token names it). Confirming a block and bidding reserve
credits or cash, so they need an ``Idempotency-Key``, as do orders. Bids stay hidden: only the
bidder learns its bid id; after the close the public view shows the clearing price and the demand
curve, never who bid.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from greenmarket.api.auth import Principal, Role, principal_from_request, require
from greenmarket.exchange.api import DECIMAL
from greenmarket.exchange.offbook import OffBookService
from greenmarket.registry.service import IdempotencyKey

router = APIRouter(prefix="/v1", tags=["block trades and supply auctions"])
Caller = Annotated[Principal, Depends(principal_from_request)]
IdemHeader = Annotated[str | None, Header(alias="Idempotency-Key")]
Price = Annotated[str, Field(pattern=DECIMAL, max_length=32)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BlockIn(Body):
    contract_id: str = Field(min_length=1, max_length=64)
    buyer: str = Field(min_length=1, max_length=64)
    seller: str = Field(min_length=1, max_length=64)
    price: Price
    quantity: int = Field(gt=0)


class SupplyAuctionIn(Body):
    contract_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0)
    reserve_price: Price
    closes_at: AwareDatetime


class BidIn(Body):
    price: Price
    quantity: int = Field(gt=0)


def _desk(request: Request) -> OffBookService:
    return request.app.state.offbook  # type: ignore[no-any-return]


def _trader(caller: Principal) -> str:
    require(caller, Role.PARTICIPANT)
    return caller.participant_id or ""


def _report_view(result: dict[str, Any]) -> dict[str, Any]:
    return {"sequence": result["sequence"], "contract_id": result["contract_id"],
            **result["outcome"]}


@router.post("/blocks", status_code=201)
def post_block(body: BlockIn, request: Request, caller: Caller) -> dict[str, Any]:
    """Report an agreed off-book trade; the counterparty confirms it. ブロック取引の報告。"""
    reporter = _trader(caller)
    result = _desk(request).report_block(reporter, body.contract_id, buyer=body.buyer,
                                         seller=body.seller, price=Decimal(body.price),
                                         quantity=body.quantity)
    return _report_view(result)


@router.post("/blocks/{contract_id}/{trading_day}/{report_id}/confirm", status_code=201)
def post_block_confirm(contract_id: str, trading_day: date, report_id: int, request: Request,
                       caller: Caller, idempotency_key: IdemHeader = None) -> dict[str, Any]:
    """The counterparty confirms: both sides are reserved and settlement is instructed."""
    participant = _trader(caller)
    key = IdempotencyKey.for_request(caller.actor, idempotency_key, "block-confirm",
               {"contract_id": contract_id, "day": trading_day.isoformat(), "id": report_id})
    result = _desk(request).confirm_block(participant, contract_id, trading_day, report_id, key)
    return _report_view(result)


@router.post("/blocks/{contract_id}/{trading_day}/{report_id}/reject")
def post_block_reject(contract_id: str, trading_day: date, report_id: int, request: Request,
                      caller: Caller) -> dict[str, Any]:
    return _report_view(_desk(request).reject_block(_trader(caller), contract_id, trading_day,
                                                    report_id))


@router.post("/blocks/{contract_id}/{trading_day}/{report_id}/withdraw")
def post_block_withdraw(contract_id: str, trading_day: date, report_id: int, request: Request,
                        caller: Caller) -> dict[str, Any]:
    return _report_view(_desk(request).withdraw_block(_trader(caller), contract_id, trading_day,
                                                      report_id))


@router.post("/supply-auctions", status_code=201)
def post_supply_auction(body: SupplyAuctionIn, request: Request, caller: Caller,
                        idempotency_key: IdemHeader = None) -> dict[str, Any]:
    """Offer new supply in a sealed-bid, uniform-price auction (the credits are held now)."""
    seller = _trader(caller)
    key = IdempotencyKey.for_request(caller.actor, idempotency_key, "supply-auction",
                                     body.model_dump(mode="json"))
    desk = _desk(request)
    result = desk.open_supply_auction(seller, body.contract_id, quantity=body.quantity,
                                      reserve_price=Decimal(body.reserve_price),
                                      closes_at=body.closes_at, idempotency=key)
    return desk.auction_view(result["outcome"]["auction_id"])


@router.get("/supply-auctions/{auction_id}")
def get_supply_auction(auction_id: int, request: Request) -> dict[str, Any]:
    """Public: the offer; after the close, the clearing price and the demand curve."""
    return _desk(request).auction_view(auction_id)


@router.post("/supply-auctions/{auction_id}/bids", status_code=201)
def post_bid(auction_id: int, body: BidIn, request: Request, caller: Caller,
             idempotency_key: IdemHeader = None) -> dict[str, Any]:
    """Enter a hidden bid; its cash is reserved until the close."""
    bidder = _trader(caller)
    key = IdempotencyKey.for_request(caller.actor, idempotency_key, f"bid:{auction_id}",
                                     body.model_dump(mode="json"))
    result = _desk(request).bid(bidder, auction_id, price=Decimal(body.price),
                                quantity=body.quantity, idempotency=key)
    return {"auction_id": auction_id, "bid_id": result["outcome"]["bid_id"]}


@router.delete("/supply-auctions/{auction_id}/bids/{bid_id}")
def delete_bid(auction_id: int, bid_id: int, request: Request, caller: Caller) -> dict[str, Any]:
    _desk(request).withdraw_bid(_trader(caller), auction_id, bid_id)
    return {"auction_id": auction_id, "bid_id": bid_id, "state": "withdrawn"}


@router.post("/supply-auctions/{auction_id}/close")
def post_close_supply_auction(auction_id: int, request: Request, caller: Caller) -> dict[str, Any]:
    """Operator: clear at one price, instruct the winners' settlement, release the rest."""
    require(caller, Role.ADMIN)
    desk = _desk(request)
    desk.close_supply_auction(auction_id, actor=caller.actor)
    return desk.auction_view(auction_id)


__all__ = ["router"]
