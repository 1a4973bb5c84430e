"""Settlement and cash REST API v1: cash accounts, deposits, withdrawals, DvP instructions.

Amounts travel as decimal strings in the account's currency (``"50000000"`` yen, ``"1250.50"``
dollars), converted exactly to minor units. Deposits and withdrawals are operator actions: the
administrator records what the designated bank account confirmed, once per ``Idempotency-Key``
(the key is claimed in the same transaction as the movement). A participant sees only its own cash
accounts and the instructions where it is the buyer or the seller, without the counterparty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from greenmarket.api.auth import Principal, Role, principal_from_request, require
from greenmarket.errors import NotFound, ValidationError
from greenmarket.registry import queries
from greenmarket.registry.ledger import Context
from greenmarket.registry.service import IdempotencyKey, RegistryService
from greenmarket.settlement import cash, dvp
from greenmarket.settlement.money import from_minor, to_minor
from greenmarket.settlement.tables import cash_accounts, settlement_instructions

router = APIRouter(prefix="/v1", tags=["settlement"])
Caller = Annotated[Principal, Depends(principal_from_request)]
IdemHeader = Annotated[str | None, Header(alias="Idempotency-Key")]
AMOUNT = r"^[0-9]+(\.[0-9]+)?$"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CashAccountIn(Body):
    participant_id: str = Field(min_length=1, max_length=64)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class CashMovementIn(Body):
    account_id: int
    amount: str = Field(pattern=AMOUNT, max_length=32,
                        description="decimal string in the account's currency")
    reference: str = Field(min_length=1, max_length=128,
                           description="the bank's reference for the transfer it confirmed")


def _service(request: Request) -> RegistryService:
    return RegistryService(request.app.state.db, request.app.state.clock)


def account_view(row: Any) -> dict[str, Any]:
    currency = row.currency
    return {"id": row.id, "participant_id": row.participant_id, "currency": currency,
            "kind": row.kind, "balance": str(from_minor(row.balance, currency)),
            "reserved": str(from_minor(row.reserved, currency)),
            "free": str(from_minor(row.balance - row.reserved, currency))}


# --- cash accounts --------------------------------------------------------------------------


@router.get("/cash/accounts")
def get_cash_accounts(request: Request, caller: Caller) -> list[dict[str, Any]]:
    """The caller's cash accounts (admin and auditor: all, with the bank and fee accounts)."""
    require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)
    query = select(cash_accounts).order_by(cash_accounts.c.id)
    if not caller.can_read_all():
        query = query.where(cash_accounts.c.participant_id == caller.participant_id)
    with request.app.state.db.read() as session:
        return [account_view(row) for row in session.execute(query)]


@router.post("/cash/accounts", status_code=201)
def post_cash_account(body: CashAccountIn, request: Request, caller: Caller) -> dict[str, Any]:
    """Open a participant's cash account in one currency (administrator)."""
    require(caller, Role.ADMIN)
    opened = _service(request).execute(caller.actor, lambda c: cash.open_cash_account(
        c, participant_id=body.participant_id, currency=body.currency))
    return {**opened, "balance": "0", "reserved": "0"}


def _movement(request: Request, caller: Principal, body: CashMovementIn, key: str | None,
              name: str, response: Response) -> dict[str, Any]:
    require(caller, Role.ADMIN)
    idempotency = IdempotencyKey.for_request(caller.actor, key, name, body.model_dump())
    response.status_code = 201
    return _service(request).execute(
        caller.actor, bank_movement(name, body.account_id, body.amount, body.reference),
        idempotency=idempotency)


@router.post("/cash/deposits", status_code=201)
def post_deposit(body: CashMovementIn, request: Request, response: Response, caller: Caller,
                 idempotency_key: IdemHeader = None) -> dict[str, Any]:
    """Record money the designated bank account received for a participant."""
    return _movement(request, caller, body, idempotency_key, "deposit", response)


@router.post("/cash/withdrawals", status_code=201)
def post_withdrawal(body: CashMovementIn, request: Request, response: Response, caller: Caller,
                    idempotency_key: IdemHeader = None) -> dict[str, Any]:
    """Record a payment out of a participant's free cash to its bank account."""
    return _movement(request, caller, body, idempotency_key, "withdrawal", response)


def bank_movement(kind: str, account_id: int, amount: str,
                  reference: str) -> Callable[[Context], dict[str, Any]]:
    """A deposit or withdrawal of ``amount`` (decimal string, the account's currency)."""
    if not re.fullmatch(AMOUNT, amount):
        raise ValidationError("amount must be a decimal number such as 1250.50", field="amount")
    move = {"deposit": cash.deposit, "withdrawal": cash.withdraw}[kind]

    def operation(c: Context) -> dict[str, Any]:
        currency = c.session.execute(select(cash_accounts.c.currency).where(
            cash_accounts.c.id == account_id)).scalar()
        if currency is None:
            raise NotFound(f"cash account {account_id} does not exist", field="account_id")
        movement = move(c, account_id=account_id,
                        amount=to_minor(amount, currency, field="amount"), reference=reference)
        balance = c.session.execute(select(cash_accounts).where(
            cash_accounts.c.id == account_id)).one()
        return {"movement_id": movement["id"], "kind": movement["kind"],
                "reference": reference, "amount": amount, "currency": currency,
                "account": account_view(balance)}

    return operation


# --- settlement instructions ----------------------------------------------------------------


def instruction_view(row: Any, viewer: Principal, own_holding: set[int],
                     own_cash: set[int]) -> dict[str, Any]:
    currency = row.currency
    view: dict[str, Any] = {
        "id": row.id, "trade_reference": row.trade_reference, "currency": currency,
        "quantity": row.quantity, "price": str(from_minor(row.price, currency)),
        "amount": str(from_minor(row.amount, currency)),
        "buyer_fee": str(from_minor(row.buyer_fee, currency)),
        "seller_fee": str(from_minor(row.seller_fee, currency)),
        "trade_date": row.trade_date.isoformat(),
        "settlement_date": row.settlement_date.isoformat(), "state": row.state,
        "attempts": row.attempts, "last_error": row.last_error, "settled_at": row.settled_at}
    if viewer.role is Role.PARTICIPANT:
        buyer = row.buyer_account_id in own_holding
        seller = row.seller_cash_account_id in own_cash
        view["role"] = "buyer_and_seller" if buyer and seller else "buyer" if buyer else "seller"
        if not buyer:
            view.pop("buyer_fee")
        if not seller:
            view.pop("seller_fee")
    else:
        view.update(buyer_account_id=row.buyer_account_id,
                    seller_cash_account_id=row.seller_cash_account_id,
                    seller_hold_id=row.seller_hold_id)
    return view


@router.get("/settlements")
def get_settlements(request: Request, caller: Caller, state: str | None = None,
                    ) -> list[dict[str, Any]]:
    """The caller's instructions as buyer or seller (admin and auditor: all)."""
    require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)
    query = select(settlement_instructions).order_by(settlement_instructions.c.id)
    if state is not None:
        query = query.where(settlement_instructions.c.state == state)
    with request.app.state.db.read() as session:
        own_holding: set[int] = set()
        own_cash: set[int] = set()
        if not caller.can_read_all():
            own_holding = set(queries.account_ids_of(session, caller.participant_id or ""))
            own_cash = set(session.execute(select(cash_accounts.c.id).where(
                cash_accounts.c.participant_id == caller.participant_id)).scalars())
            query = query.where(or_(
                settlement_instructions.c.buyer_account_id.in_(own_holding),
                settlement_instructions.c.seller_cash_account_id.in_(own_cash)))
        rows = session.execute(query).all()
    return [instruction_view(row, caller, own_holding, own_cash) for row in rows]


@router.post("/settlements/run")
def post_settlement_run(request: Request, caller: Caller,
                        on: Annotated[date, Query(alias="date", description="YYYY-MM-DD")],
                        ) -> dict[str, Any]:
    """Settle every instruction due on or before ``date`` (DvP, each in its own transaction)."""
    require(caller, Role.ADMIN)
    service = _service(request)
    outcome = dvp.settle_due(lambda op: service.execute(caller.actor, op), on)
    return {"date": on.isoformat(), **outcome}


__all__ = ["account_view", "bank_movement", "instruction_view", "router"]
