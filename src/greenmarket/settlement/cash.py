"""The participants' cash ledger, inside the caller's unit of work.

Double entry: a movement is a set of postings that sum to zero. Deposits and withdrawals move money
between a participant and the designated bank account (the operator records what the bank
confirmed); settlement moves it between buyer, seller and the venue's fee account. A reservation
sets aside free cash for a pending buy order; it is released, or consumed by settlement.
Every change is journaled (area ``settlement``) with the balances after it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update

from greenmarket.errors import Conflict, InsufficientFunds, NotFound, ValidationError
from greenmarket.registry.ledger import Context
from greenmarket.registry.tables import participants
from greenmarket.settlement.money import ensure_currency
from greenmarket.settlement.tables import (
    cash_accounts,
    cash_movements,
    cash_postings,
    cash_reservations,
)

AREA = "settlement"


def open_cash_account(ctx: Context, *, participant_id: str | None, currency: str,
                      kind: str = "participant") -> dict[str, Any]:
    """Open a cash account: a participant's, the venue's fee account, or the bank account."""
    ensure_currency(currency)
    if kind not in ("participant", "venue_fees", "bank"):
        raise ValidationError("kind must be participant, venue_fees or bank", field="kind")
    if (kind == "participant") != (participant_id is not None):
        raise ValidationError("participant accounts, and only they, name a participant",
                              field="participant_id")
    if participant_id is not None and ctx.session.execute(
        select(participants.c.id).where(participants.c.id == participant_id)
    ).first() is None:
        raise NotFound(f"participant {participant_id} does not exist", field="participant_id")
    existing = ctx.session.execute(
        select(cash_accounts.c.id).where(cash_accounts.c.participant_id.is_(None)
                                         if participant_id is None else
                                         cash_accounts.c.participant_id == participant_id,
                                         cash_accounts.c.currency == currency,
                                         cash_accounts.c.kind == kind)
    ).first()
    if existing is not None:
        raise Conflict(f"a {kind} {currency} cash account exists (id {existing.id})",
                       code="duplicate", field="currency")
    row = {"participant_id": participant_id, "currency": currency, "kind": kind, "balance": 0,
           "reserved": 0, "may_go_negative": kind == "bank"}
    account_id = ctx.session.execute(insert(cash_accounts).values(**row)).inserted_primary_key[0]
    ctx.journal("cash_account_opened", {"id": account_id, **row}, area=AREA)
    return {"id": account_id, **row}


def system_account(ctx: Context, kind: str, currency: str) -> int:
    """The bank or venue-fee account of ``currency``, opened on first use."""
    account_id = ctx.session.execute(
        select(cash_accounts.c.id).where(cash_accounts.c.kind == kind,
                                         cash_accounts.c.currency == currency)
    ).scalar()
    if account_id is None:
        return int(open_cash_account(ctx, participant_id=None, currency=currency, kind=kind)["id"])
    return int(account_id)


def deposit(ctx: Context, *, account_id: int, amount: int, reference: str) -> dict[str, Any]:
    """Credit a participant with money the designated bank account received."""
    _positive(amount)
    account = _participant_account(ctx, account_id)
    bank = system_account(ctx, "bank", account.currency)
    return _move(ctx, "deposit", account.currency, reference, {bank: -amount, account_id: amount})


def withdraw(ctx: Context, *, account_id: int, amount: int, reference: str) -> dict[str, Any]:
    """Pay free cash out to the participant's bank account."""
    _positive(amount)
    account = _participant_account(ctx, account_id)
    bank = system_account(ctx, "bank", account.currency)
    return _move(ctx, "withdrawal", account.currency, reference, {account_id: -amount, bank: amount})


def reserve(ctx: Context, *, account_id: int, amount: int, reference: str | None) -> dict[str, Any]:
    """Set aside ``amount`` of free cash (a buy order's price × quantity + fees)."""
    _positive(amount)
    account = _participant_account(ctx, account_id)
    free = account.balance - account.reserved
    if amount > free:
        raise InsufficientFunds(
            f"{amount} needed but only {free} free in cash account {account_id}",
            field="amount", requested=amount, available=free)
    reservation_id = ctx.session.execute(
        insert(cash_reservations).values(account_id=account_id, amount=amount, remaining=amount,
                                         reference=reference, state="active",
                                         created_at=ctx.stamp)
    ).inserted_primary_key[0]
    _set_reserved(ctx, account_id, account.reserved + amount)
    result = {"id": reservation_id, "account_id": account_id, "amount": amount,
              "remaining": amount, "reference": reference, "state": "active"}
    ctx.journal("cash_reserved", {**result, "reserved_after": account.reserved + amount},
                area=AREA)
    return result


def extend(ctx: Context, reservation_id: int, amount: int) -> dict[str, Any]:
    """Reserve ``amount`` more free cash under an active reservation (an order amended up)."""
    _positive(amount)
    reservation = _active_reservation(ctx, reservation_id)
    account = _lock_account(ctx, reservation.account_id)
    free = account.balance - account.reserved
    if amount > free:
        raise InsufficientFunds(
            f"{amount} more needed but only {free} free in cash account {account.id}",
            field="amount", requested=amount, available=free)
    ctx.session.execute(update(cash_reservations).where(cash_reservations.c.id == reservation_id)
                        .values(amount=reservation.amount + amount,
                                remaining=reservation.remaining + amount))
    _set_reserved(ctx, account.id, account.reserved + amount)
    result = {**reservation._mapping, "amount": reservation.amount + amount,
              "remaining": reservation.remaining + amount}
    ctx.journal("cash_reservation_extended", {**result, "extended": amount,
                                              "reserved_after": account.reserved + amount},
                area=AREA)
    return result


def release(ctx: Context, reservation_id: int, amount: int | None = None) -> dict[str, Any]:
    """Give back part or all of what remains reserved (cancel, expiry, better fill price)."""
    reservation = _active_reservation(ctx, reservation_id)
    amount = reservation.remaining if amount is None else amount
    _within(amount, reservation.remaining)
    account = _lock_account(ctx, reservation.account_id)
    result = _shrink(ctx, reservation, amount, "released")
    _set_reserved(ctx, account.id, account.reserved - amount)
    ctx.journal("cash_released", {**result, "released": amount,
                                  "reserved_after": account.reserved - amount}, area=AREA)
    return result


def pay_from_reservation(
    ctx: Context, reservation_id: int, *, payments: dict[int, int], reference: str
) -> dict[str, Any]:
    """Pay ``payments`` (account → amount) out of a reservation, in one settlement movement."""
    reservation = _active_reservation(ctx, reservation_id)
    total = sum(payments.values())
    _within(total, reservation.remaining)
    payer = _lock_account(ctx, reservation.account_id)
    _shrink(ctx, reservation, total, "consumed")
    _set_reserved(ctx, payer.id, payer.reserved - total)
    legs = {payer.id: -total}
    for account_id, amount in payments.items():
        if amount:
            legs[account_id] = legs.get(account_id, 0) + amount
    # a payer paying itself (a wash trade in a call auction) nets to nothing: no zero postings
    return _move(ctx, "settlement", payer.currency, reference,
                 {account_id: amount for account_id, amount in legs.items() if amount})


def reservation_remaining(ctx: Context, reservation_id: int) -> int:
    return int(ctx.session.execute(select(cash_reservations.c.remaining)
                                   .where(cash_reservations.c.id == reservation_id)).scalar_one())


def release_spare(ctx: Context, reservation_id: int, owed: int) -> None:
    """Release whatever a reservation holds beyond ``owed`` (an order or bid that is done)."""
    spare = reservation_remaining(ctx, reservation_id) - owed
    if spare > 0:
        release(ctx, reservation_id, spare)


# --- helpers --------------------------------------------------------------------------------


def _positive(amount: int) -> None:
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError("amount must be a positive whole number of minor units",
                              field="amount")


def _within(amount: int, remaining: int) -> None:
    if not 0 < amount <= remaining:
        raise ValidationError(f"amount must be between 1 and {remaining}", field="amount")


def _lock_account(ctx: Context, account_id: int) -> Row[Any]:
    row = ctx.session.execute(
        select(cash_accounts).where(cash_accounts.c.id == account_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"cash account {account_id} does not exist", field="account_id")
    return row


def _participant_account(ctx: Context, account_id: int) -> Row[Any]:
    account = _lock_account(ctx, account_id)
    if account.kind != "participant":
        raise Conflict(f"cash account {account_id} is the {account.kind} account",
                       code="wrong_account_kind", field="account_id")
    return account


def _set_reserved(ctx: Context, account_id: int, reserved: int) -> None:
    ctx.session.execute(
        update(cash_accounts).where(cash_accounts.c.id == account_id).values(reserved=reserved)
    )


def _active_reservation(ctx: Context, reservation_id: int) -> Row[Any]:
    row = ctx.session.execute(
        select(cash_reservations).where(cash_reservations.c.id == reservation_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"cash reservation {reservation_id} does not exist",
                       field="reservation_id")
    if row.state != "active":
        raise Conflict(f"cash reservation {reservation_id} is {row.state}",
                       code="reservation_not_active", field="reservation_id")
    return row


def _shrink(ctx: Context, reservation: Row[Any], amount: int, final: str) -> dict[str, Any]:
    remaining = reservation.remaining - amount
    state = final if remaining == 0 else "active"
    ctx.session.execute(update(cash_reservations).where(cash_reservations.c.id == reservation.id)
                        .values(remaining=remaining, state=state))
    return {**reservation._mapping, "remaining": remaining, "state": state}


def _move(ctx: Context, kind: str, currency: str, reference: str,
          legs: dict[int, int]) -> dict[str, Any]:
    """Post a balanced movement; lock accounts in id order; refuse overdrafts of free cash."""
    if sum(legs.values()) != 0:
        raise AssertionError(f"unbalanced cash movement {legs}")
    for amount in legs.values():
        if amount == 0:
            raise ValidationError("amount must not be zero", field="amount")
    movement_id = ctx.session.execute(
        insert(cash_movements).values(kind=kind, currency=currency, reference=reference,
                                      created_at=ctx.stamp)
    ).inserted_primary_key[0]
    balances: dict[int, int] = {}
    for account_id in sorted(legs):
        account = _lock_account(ctx, account_id)
        if account.currency != currency:
            raise Conflict(f"cash account {account_id} is in {account.currency}, not {currency}",
                           code="currency_mismatch", field="account_id")
        amount = legs[account_id]
        balance = account.balance + amount
        if amount < 0 and not account.may_go_negative and balance < account.reserved:
            free = account.balance - account.reserved
            raise InsufficientFunds(f"{-amount} needed but only {free} free in cash account "
                                    f"{account_id}", field="amount", requested=-amount,
                                    available=free)
        ctx.session.execute(insert(cash_postings).values(movement_id=movement_id,
                                                         account_id=account_id, amount=amount))
        ctx.session.execute(update(cash_accounts).where(cash_accounts.c.id == account_id)
                            .values(balance=balance))
        balances[account_id] = balance
    result = {"id": movement_id, "kind": kind, "currency": currency, "reference": reference,
              "postings": {str(k): v for k, v in legs.items()}, "created_at": ctx.stamp}
    ctx.journal(f"cash_{kind}", {**result, "balances_after": {str(k): v for k, v in
                                                              balances.items()}}, area=AREA)
    return result
