"""Delivery versus payment: each trade settles credits and cash together, or not at all.

A trade creates an instruction due on trade date + N business days of the venue's calendar. On the
due date ``settle`` moves the seller's held serial blocks to the buyer (registry) and the buyer's
reserved cash to the seller, less fees to the venue (cash ledger), in the caller's one
transaction. If any step is refused, the transaction rolls back whole and ``settle_due`` records
the instruction as failed with the reason, to be tried again on the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update

from greenmarket.errors import Conflict, DomainError, NotFound, ValidationError
from greenmarket.registry import ledger
from greenmarket.registry.ledger import Context
from greenmarket.settlement import cash
from greenmarket.settlement.tables import settlement_instructions

AREA = "settlement"


def instruct(
    ctx: Context,
    *,
    trade_reference: str,
    currency: str,
    quantity: int,
    price: int,
    buyer_fee: int,
    seller_fee: int,
    seller_hold_id: int,
    buyer_account_id: int,
    buyer_reservation_id: int,
    seller_cash_account_id: int,
    trade_date: date,
    settlement_date: date,
) -> dict[str, Any]:
    """Record what a trade owes: credits from a hold, cash from a reservation, on a date."""
    if quantity <= 0 or price <= 0:
        raise ValidationError("quantity and price must be positive", field="quantity")
    if settlement_date < trade_date:
        raise ValidationError("settlement_date is before trade_date", field="settlement_date")
    if ctx.session.execute(select(settlement_instructions.c.id).where(
            settlement_instructions.c.trade_reference == trade_reference)).first():
        raise Conflict(f"trade {trade_reference} already has an instruction", code="duplicate",
                       field="trade_reference")
    row = {
        "trade_reference": trade_reference, "currency": currency, "quantity": quantity,
        "price": price, "amount": price * quantity, "buyer_fee": buyer_fee,
        "seller_fee": seller_fee, "seller_hold_id": seller_hold_id,
        "buyer_account_id": buyer_account_id, "buyer_reservation_id": buyer_reservation_id,
        "seller_cash_account_id": seller_cash_account_id,
        "venue_cash_account_id": cash.system_account(ctx, "venue_fees", currency),
        "trade_date": trade_date, "settlement_date": settlement_date, "state": "pending",
        "attempts": 0, "last_error": None, "settled_at": None,
    }
    instruction_id = ctx.session.execute(
        insert(settlement_instructions).values(**row)).inserted_primary_key[0]
    result = {"id": instruction_id, **row, "trade_date": trade_date.isoformat(),
              "settlement_date": settlement_date.isoformat()}
    ctx.journal("instruction_created", result, area=AREA)
    return result


def settle(ctx: Context, instruction_id: int) -> dict[str, Any]:
    """Deliver and pay one instruction in the caller's transaction (all or nothing)."""
    instruction = ctx.session.execute(
        select(settlement_instructions).where(settlement_instructions.c.id == instruction_id)
        .with_for_update()
    ).first()
    if instruction is None:
        raise NotFound(f"instruction {instruction_id} does not exist", field="instruction_id")
    if instruction.state == "settled":
        raise Conflict(f"instruction {instruction_id} is already settled",
                       code="already_settled", field="instruction_id")
    delivery = ledger.consume_hold(ctx, instruction.seller_hold_id,
                                   to_account_id=instruction.buyer_account_id,
                                   quantity=instruction.quantity)
    payment = cash.pay_from_reservation(
        ctx, instruction.buyer_reservation_id,
        payments={instruction.seller_cash_account_id: instruction.amount - instruction.seller_fee,
                  instruction.venue_cash_account_id: instruction.buyer_fee + instruction.seller_fee},
        reference=instruction.trade_reference,
    )
    ctx.session.execute(
        update(settlement_instructions).where(settlement_instructions.c.id == instruction_id)
        .values(state="settled", attempts=instruction.attempts + 1, last_error=None,
                settled_at=ctx.stamp))
    result = {"id": instruction_id, "trade_reference": instruction.trade_reference,
              "state": "settled", "transfer_id": delivery["transfer_id"],
              "cash_movement_id": payment["id"], "settled_at": ctx.stamp}
    ctx.journal("settled", result, area=AREA)
    return result


def mark_failed(ctx: Context, instruction_id: int, reason: str) -> dict[str, Any]:
    """Record a failed attempt (in a fresh transaction, after the attempt rolled back)."""
    instruction = ctx.session.execute(
        select(settlement_instructions.c.attempts).where(
            settlement_instructions.c.id == instruction_id).with_for_update()).one()
    ctx.session.execute(
        update(settlement_instructions).where(settlement_instructions.c.id == instruction_id)
        .values(state="failed", attempts=instruction.attempts + 1, last_error=reason))
    result = {"id": instruction_id, "state": "failed", "reason": reason,
              "attempts": instruction.attempts + 1}
    ctx.journal("settlement_failed", result, area=AREA)
    return result


def due_instructions(ctx: Context, on: date) -> list[int]:
    """Ids of instructions due on or before ``on`` and not yet settled, oldest first."""
    return list(ctx.session.execute(
        select(settlement_instructions.c.id)
        .where(settlement_instructions.c.settlement_date <= on,
               settlement_instructions.c.state != "settled")
        .order_by(settlement_instructions.c.settlement_date, settlement_instructions.c.id)
    ).scalars())


def settle_due(execute: Callable[[Callable[[Context], Any]], Any], on: date) -> dict[str, int]:
    """Settle every due instruction, each in its own transaction; failures are recorded.

    ``execute`` runs one operation in one transaction (e.g. ``RegistryService(...).execute`` with
    the operator as actor).
    """
    settled = failed = 0
    for instruction_id in execute(lambda c: due_instructions(c, on)):
        try:
            execute(lambda c, i=instruction_id: settle(c, i))
            settled += 1
        except DomainError as error:
            execute(lambda c, i=instruction_id, e=error: mark_failed(c, i, f"{e.code}: {e.message}"))
            failed += 1
    return {"settled": settled, "failed": failed}


def owed_by_reservation(ctx: Context, reservation_id: int) -> int:
    """Cash a buyer's reservation still owes to instructions not yet settled (amount + fee)."""
    return int(ctx.session.execute(
        select(func.coalesce(func.sum(settlement_instructions.c.amount
                                      + settlement_instructions.c.buyer_fee), 0))
        .where(settlement_instructions.c.buyer_reservation_id == reservation_id,
               settlement_instructions.c.state != "settled")).scalar_one())


def undelivered_by_hold(ctx: Context, hold_id: int) -> int:
    """Credits a seller's hold still owes to instructions not yet settled."""
    return int(ctx.session.execute(
        select(func.coalesce(func.sum(settlement_instructions.c.quantity), 0))
        .where(settlement_instructions.c.seller_hold_id == hold_id,
               settlement_instructions.c.state != "settled")).scalar_one())
