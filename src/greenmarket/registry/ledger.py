"""Registry operations inside the caller's unit of work.

Each function checks the rules (``model``), locks what it reads in a fixed order (blocks by id),
changes the rows, and appends one journal entry whose payload carries the after-image of every
serial block it touched, so that the journal alone rebuilds who holds what (``replay``). Nothing
here commits: the service layer (or a settlement that also moves cash) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.journal import store as journal_store
from greenmarket.journal.entry import format_time
from greenmarket.registry import in_database, model
from greenmarket.registry.blocks import Block, Cut, take_quantity, take_ranges
from greenmarket.registry.model import (
    AccountKind,
    AccountState,
    BlockStatus,
    HoldState,
    KycState,
)
from greenmarket.registry.tables import (
    accounts,
    cancellations,
    holds,
    issuances,
    participants,
    programs,
    projects,
    retirements,
    serial_blocks,
    serial_counters,
    transfers,
)

AREA = "registry"


@dataclass(frozen=True, slots=True)
class Context:
    """Who acts, when, inside which transaction."""

    session: Session
    actor: str
    now: datetime

    @property
    def stamp(self) -> str:
        return format_time(self.now)

    def journal(self, type: str, payload: dict[str, Any], *, area: str = AREA) -> int:
        """Append the entry for this change; returns its sequence number."""
        entry = journal_store.append(
            self.session, time=self.now, actor=self.actor, area=area, type=type, payload=payload
        )
        return entry.sequence


@dataclass(frozen=True, slots=True)
class CreditSpec:
    """Which credits a quantity request may take (a contract's delivery specification)."""

    project_id: str | None = None
    vintage: int | None = None
    vintage_from: int | None = None
    vintage_to: int | None = None
    programs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    fi_eligible_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CreditSpec:
        data = dict(data or {})
        for name in ("programs", "categories"):
            data[name] = tuple(data.get(name) or ())
        return cls(**data)


_ANY_CREDIT = CreditSpec()


@dataclass(frozen=True, slots=True)
class Selection:
    """Either a quantity matching a spec, or named serial ranges (never both)."""

    quantity: int | None = None
    spec: CreditSpec = field(default_factory=CreditSpec)
    serial_ranges: tuple[tuple[int, int], ...] = ()

    def __post_init__(self) -> None:
        if (self.quantity is None) == (not self.serial_ranges):
            raise ValidationError(
                "give either quantity (with an optional specification) or serial_ranges",
                field="quantity",
            )


# --- reference data -------------------------------------------------------------------------


def create_program(
    ctx: Context, *, code: str, name: str, governmental: bool, unit: str, serial_format: str
) -> dict[str, Any]:
    """Register a crediting program with its unit and serial-number format."""
    if _exists(ctx, programs.c.code, code):
        raise Conflict(f"program {code} exists", code="duplicate", field="code")
    row = {"code": code, "name": name, "governmental": governmental, "unit": unit,
           "serial_format": model.ensure_serial_format(serial_format)}
    ctx.session.execute(insert(programs).values(**row))
    ctx.session.execute(insert(serial_counters).values(program=code, next_serial=1))
    ctx.journal("program_created", row)
    return row


def register_project(
    ctx: Context,
    *,
    id: str,
    program: str,
    name: str,
    country: str,
    category: str,
    methodology: str,
    verifier: str,
    verifier_accreditation: str,
) -> dict[str, Any]:
    """Register a project; whether FIs may handle its credits is derived, never set."""
    program_row = _program(ctx, program)
    if _exists(ctx, projects.c.id, id):
        raise Conflict(f"project {id} exists", code="duplicate", field="id")
    model.ensure_category(program, category)
    accreditation = _enum(model.Accreditation, verifier_accreditation, "verifier_accreditation")
    if len(country) != 2 or not country.isalpha():
        raise ValidationError("country must be an ISO 3166-1 alpha-2 code", field="country")
    row = {
        "id": id,
        "program": program,
        "name": name,
        "country": country.upper(),
        "category": category,
        "methodology": methodology,
        "verifier": verifier,
        "verifier_accreditation": accreditation.value,
        "fi_eligible": model.fi_eligible(program_row, accreditation),
        "created_at": ctx.stamp,
    }
    ctx.session.execute(insert(projects).values(**row))
    ctx.journal("project_registered", row)
    return row


def register_participant(
    ctx: Context, *, id: str, name: str, type: str, kyc_state: str = KycState.PENDING
) -> dict[str, Any]:
    participant_type = model.ensure_participant_type(type)
    state = _enum(KycState, kyc_state, "kyc_state")
    if _exists(ctx, participants.c.id, id):
        raise Conflict(f"participant {id} exists", code="duplicate", field="id")
    row = {"id": id, "name": name, "type": participant_type.value, "kyc_state": state.value,
           "created_at": ctx.stamp}
    ctx.session.execute(insert(participants).values(**row))
    ctx.journal("participant_registered", row)
    return row


def set_kyc_state(ctx: Context, participant_id: str, kyc_state: str) -> dict[str, Any]:
    state = _enum(KycState, kyc_state, "kyc_state")
    participant = _participant(ctx, participant_id, lock=True)
    ctx.session.execute(
        update(participants).where(participants.c.id == participant_id).values(kyc_state=state.value)
    )
    ctx.journal("kyc_changed", {"participant_id": participant_id, "from": participant.kyc_state,
                                "to": state.value})
    return {**participant._mapping, "kyc_state": state.value}


def open_account(ctx: Context, participant_id: str, kind: str) -> dict[str, Any]:
    """Open an account in the ``pending`` state; the administrator approves it."""
    account_kind = _enum(AccountKind, kind, "kind")
    _participant(ctx, participant_id)
    row = {"participant_id": participant_id, "kind": account_kind.value,
           "state": AccountState.PENDING.value, "created_at": ctx.stamp}
    account_id = ctx.session.execute(insert(accounts).values(**row)).inserted_primary_key[0]
    ctx.journal("account_opened", {"account_id": account_id, **row})
    return {"id": account_id, **row}


def set_account_state(ctx: Context, account_id: int, state: str) -> dict[str, Any]:
    new_state = _enum(AccountState, state, "state")
    account = _account(ctx, account_id, lock=True)
    ctx.session.execute(update(accounts).where(accounts.c.id == account_id).values(state=new_state))
    ctx.journal("account_state_changed", {"account_id": account_id, "from": account.state,
                                          "to": new_state.value})
    return {**account._mapping, "state": new_state.value}


# --- credit movements -----------------------------------------------------------------------


def issue(
    ctx: Context,
    *,
    project_id: str,
    vintage: int,
    quantity: int,
    account_id: int,
    serial_start: int | None = None,
) -> dict[str, Any]:
    """Issue ``quantity`` credits of a project and vintage as one new serial block.

    Serials come from the program's counter unless ``serial_start`` names them (credits brought
    from another registry keep their numbers); either way they must not overlap any block.
    """
    model.ensure_vintage(vintage)
    if quantity <= 0:
        raise ValidationError("quantity must be a positive whole number", field="quantity")
    project = _project(ctx, project_id)
    destination = _movable_account(ctx, account_id, role="account")
    _ensure_kind(destination, (AccountKind.HOLDING, AccountKind.VENUE_CUSTODY), "account_id")
    model.ensure_may_hold(destination.participant_type, project.fi_eligible, project_id)
    counter = ctx.session.execute(
        select(serial_counters.c.next_serial)
        .where(serial_counters.c.program == project.program)
        .with_for_update()
    ).scalar_one()
    start = counter if serial_start is None else serial_start
    if start < 1:
        raise ValidationError("serial_start must be at least 1", field="serial_start")
    end = start + quantity - 1
    if end > model.LARGEST_NUMBER:
        raise ValidationError(
            f"serials {start}-{end} would pass the largest serial number {model.LARGEST_NUMBER}",
            field="quantity",
        )
    if serial_start is not None:
        _ensure_no_overlap(ctx, project.program, start, end)
    issuance_id = ctx.session.execute(
        insert(issuances).values(
            project_id=project_id, program=project.program, vintage=vintage, quantity=quantity,
            serial_start=start, serial_end=end, account_id=account_id, created_at=ctx.stamp,
            actor=ctx.actor,
        )
    ).inserted_primary_key[0]
    block = _insert_block(
        ctx, program=project.program, project_id=project_id, vintage=vintage,
        issuance_id=issuance_id, serial_start=start, serial_end=end, account_id=account_id,
        status=BlockStatus.ACTIVE.value,
    )
    if end + 1 > counter:
        ctx.session.execute(
            update(serial_counters)
            .where(serial_counters.c.program == project.program)
            .values(next_serial=end + 1)
        )
    result = {"id": issuance_id, "project_id": project_id, "program": project.program,
              "vintage": vintage, "quantity": quantity, "serial_start": start, "serial_end": end,
              "account_id": account_id, "created_at": ctx.stamp}
    ctx.journal("issued", {**result, "blocks": [block]})
    return result


def transfer(
    ctx: Context, *, from_account_id: int, to_account_id: int, selection: Selection
) -> dict[str, Any]:
    """Move free credits between two open accounts, splitting blocks as needed.

    On PostgreSQL a quantity without a specification is moved by the database's twin of this
    function (``in_database``), in one round trip.
    """
    if from_account_id == to_account_id:
        raise ValidationError("from_account_id and to_account_id are the same", field="to_account_id")
    if (selection.quantity is not None and selection.spec == _ANY_CREDIT
            and in_database.runs_transfer(ctx.session, selection.quantity)):
        return in_database.transfer(
            ctx.session, actor=ctx.actor, stamp=ctx.stamp, from_account_id=from_account_id,
            to_account_id=to_account_id, quantity=selection.quantity)
    source, destination = _movable_accounts(
        ctx, (from_account_id, "from_account"), (to_account_id, "to_account")
    )
    _ensure_kind(source, (AccountKind.HOLDING, AccountKind.VENUE_CUSTODY), "from_account_id")
    _ensure_kind(destination, (AccountKind.HOLDING, AccountKind.VENUE_CUSTODY), "to_account_id")
    free = _lock_blocks(ctx, from_account_id, BlockStatus.ACTIVE, selection)
    cuts = _cut(free, selection)
    _ensure_destination_may_hold(ctx, destination, free, cuts)
    quantity = sum(cut.quantity for cut in cuts)
    transfer_id = ctx.session.execute(
        insert(transfers), {"from_account_id": from_account_id, "to_account_id": to_account_id,
                            "quantity": quantity, "created_at": ctx.stamp}
    ).inserted_primary_key[0]
    touched = _apply_cuts(ctx, free, cuts, account_id=to_account_id, status=BlockStatus.ACTIVE)
    result = {"id": transfer_id, "from_account_id": from_account_id,
              "to_account_id": to_account_id, "quantity": quantity, "created_at": ctx.stamp,
              "serials": _serials(cuts)}
    ctx.journal("transferred", {**result, "blocks": touched})
    return result


def retire(
    ctx: Context,
    *,
    account_id: int,
    selection: Selection,
    beneficiary: str,
    purpose: str,
    claim: str,
    reporting_year: int | None = None,
) -> dict[str, Any]:
    """Retire credits against a claim: they rest in the holder's retirement account for good.

    From a bridge account, the locked credits are retired (the bridge burns their tokens first).
    """
    purpose_value = _enum(model.RetirementPurpose, purpose, "purpose")
    model.ensure_reporting_year(reporting_year)
    if not beneficiary.strip():
        raise ValidationError("beneficiary is required (IOSCO GP 21: use is public)", field="beneficiary")
    source = _movable_account(ctx, account_id, role="account")
    _ensure_kind(source, (AccountKind.HOLDING, AccountKind.BRIDGE), "account_id")
    retirement_account = _retirement_account_of(ctx, source.participant_id)
    taken_from = BlockStatus.LOCKED if source.kind == AccountKind.BRIDGE else BlockStatus.ACTIVE
    free = _lock_blocks(ctx, account_id, taken_from, selection)
    cuts = _cut(free, selection)
    quantity = sum(cut.quantity for cut in cuts)
    retirement_id = ctx.session.execute(
        insert(retirements).values(
            account_id=account_id, participant_id=source.participant_id, quantity=quantity,
            beneficiary=beneficiary, purpose=purpose_value.value, claim=claim,
            reporting_year=reporting_year, created_at=ctx.stamp,
        )
    ).inserted_primary_key[0]
    touched = _apply_cuts(ctx, free, cuts, account_id=retirement_account,
                          status=BlockStatus.RETIRED, retirement_id=retirement_id)
    result = {"id": retirement_id, "account_id": account_id,
              "participant_id": source.participant_id, "quantity": quantity,
              "beneficiary": beneficiary, "purpose": purpose_value.value, "claim": claim,
              "reporting_year": reporting_year, "created_at": ctx.stamp,
              "serials": _serials(cuts)}
    ctx.journal("retired", {**result, "blocks": touched})
    return result


def cancel(ctx: Context, *, account_id: int, selection: Selection, reason: str) -> dict[str, Any]:
    """Cancel credits without a use claim (administrator action); they never move again."""
    if not reason.strip():
        raise ValidationError("reason is required", field="reason")
    account = _account(ctx, account_id)
    free = _lock_blocks(ctx, account_id, BlockStatus.ACTIVE, selection)
    cuts = _cut(free, selection)
    quantity = sum(cut.quantity for cut in cuts)
    cancellation_id = ctx.session.execute(
        insert(cancellations).values(account_id=account_id, quantity=quantity, reason=reason,
                                     created_at=ctx.stamp)
    ).inserted_primary_key[0]
    touched = _apply_cuts(ctx, free, cuts, account_id=account.id, status=BlockStatus.CANCELLED,
                          cancellation_id=cancellation_id)
    result = {"id": cancellation_id, "account_id": account_id, "quantity": quantity,
              "reason": reason, "created_at": ctx.stamp, "serials": _serials(cuts)}
    ctx.journal("cancelled", {**result, "blocks": touched})
    return result


# --- bridge (tokenization: lock → mint, burn → unlock) ---------------------------------------


def lock(
    ctx: Context, *, from_account_id: int, bridge_account_id: int, selection: Selection
) -> dict[str, Any]:
    """Lock free credits in a bridge account; the bridge then mints as many tokens."""
    source = _movable_account(ctx, from_account_id, role="from_account")
    _ensure_kind(source, (AccountKind.HOLDING, AccountKind.VENUE_CUSTODY), "from_account_id")
    bridge = _movable_account(ctx, bridge_account_id, role="bridge_account")
    _ensure_kind(bridge, (AccountKind.BRIDGE,), "bridge_account_id")
    free = _lock_blocks(ctx, from_account_id, BlockStatus.ACTIVE, selection)
    cuts = _cut(free, selection)
    touched = _apply_cuts(ctx, free, cuts, account_id=bridge_account_id, status=BlockStatus.LOCKED)
    result = {"from_account_id": from_account_id, "bridge_account_id": bridge_account_id,
              "quantity": sum(cut.quantity for cut in cuts), "created_at": ctx.stamp,
              "serials": _serials(cuts), "lots": _lots(touched, BlockStatus.LOCKED)}
    ctx.journal("locked", {**result, "blocks": touched})
    return result


def unlock(
    ctx: Context, *, bridge_account_id: int, to_account_id: int, selection: Selection
) -> dict[str, Any]:
    """Release locked credits to a registry account after the bridge burned their tokens."""
    bridge = _movable_account(ctx, bridge_account_id, role="bridge_account")
    _ensure_kind(bridge, (AccountKind.BRIDGE,), "bridge_account_id")
    destination = _movable_account(ctx, to_account_id, role="to_account")
    _ensure_kind(destination, (AccountKind.HOLDING, AccountKind.VENUE_CUSTODY), "to_account_id")
    locked = _lock_blocks(ctx, bridge_account_id, BlockStatus.LOCKED, selection)
    cuts = _cut(locked, selection)
    _ensure_destination_may_hold(ctx, destination, locked, cuts)
    touched = _apply_cuts(ctx, locked, cuts, account_id=to_account_id, status=BlockStatus.ACTIVE)
    result = {"bridge_account_id": bridge_account_id, "to_account_id": to_account_id,
              "quantity": sum(cut.quantity for cut in cuts), "created_at": ctx.stamp,
              "serials": _serials(cuts), "lots": _lots(touched, BlockStatus.ACTIVE)}
    ctx.journal("unlocked", {**result, "blocks": touched})
    return result


def _lots(touched: list[dict[str, Any]], status: BlockStatus) -> list[dict[str, Any]]:
    """Quantities per (program, project, vintage) among the rows that took ``status``."""
    lots: dict[tuple[str, str, int], int] = {}
    for block in touched:
        if block["status"] == status:
            key = (block["program"], block["project_id"], block["vintage"])
            lots[key] = lots.get(key, 0) + block["serial_end"] - block["serial_start"] + 1
    return [{"program": p, "project_id": j, "vintage": v, "quantity": q}
            for (p, j, v), q in sorted(lots.items())]


# --- holds (reservations for pending orders and settlement) --------------------------------


def place_hold(
    ctx: Context, *, account_id: int, quantity: int, spec: CreditSpec, reference: str | None = None,
    managed_by: str = "participant",
) -> dict[str, Any]:
    """Reserve ``quantity`` free credits matching ``spec``; they cannot move until released.

    ``managed_by="exchange"`` marks the reservation behind an order: only the exchange (or the
    registry administrator) may release it, never the holder, so an order stays backed.
    """
    if managed_by not in ("participant", "exchange"):
        raise ValidationError("managed_by must be participant or exchange", field="managed_by")
    account = _movable_account(ctx, account_id, role="account")
    _ensure_kind(account, (AccountKind.HOLDING, AccountKind.VENUE_CUSTODY), "account_id")
    selection = Selection(quantity=quantity, spec=spec)
    free = _lock_blocks(ctx, account_id, BlockStatus.ACTIVE, selection)
    cuts = _cut(free, selection)
    hold_id = ctx.session.execute(
        insert(holds).values(account_id=account_id, quantity=quantity, remaining=quantity,
                             specification=spec.to_dict(), reference=reference,
                             managed_by=managed_by, state=HoldState.ACTIVE.value,
                             created_at=ctx.stamp)
    ).inserted_primary_key[0]
    touched = _apply_cuts(ctx, free, cuts, account_id=account_id, status=BlockStatus.HELD,
                          hold_id=hold_id)
    result = {"id": hold_id, "account_id": account_id, "quantity": quantity,
              "remaining": quantity, "specification": spec.to_dict(), "reference": reference,
              "managed_by": managed_by, "state": HoldState.ACTIVE.value, "created_at": ctx.stamp}
    ctx.journal("hold_placed", {**result, "blocks": touched})
    return result


def extend_hold(ctx: Context, hold_id: int, quantity: int) -> dict[str, Any]:
    """Reserve ``quantity`` more credits under an active hold (an order amended upwards)."""
    hold = _active_hold(ctx, hold_id)
    spec = CreditSpec.from_dict(hold.specification)
    selection = Selection(quantity=quantity, spec=spec)
    free = _lock_blocks(ctx, hold.account_id, BlockStatus.ACTIVE, selection)
    cuts = _cut(free, selection)
    touched = _apply_cuts(ctx, free, cuts, account_id=hold.account_id, status=BlockStatus.HELD,
                          hold_id=hold_id)
    ctx.session.execute(update(holds).where(holds.c.id == hold_id).values(
        quantity=hold.quantity + quantity, remaining=hold.remaining + quantity))
    result = {**hold._mapping, "quantity": hold.quantity + quantity,
              "remaining": hold.remaining + quantity}
    ctx.journal("hold_extended", {**result, "extended": quantity, "blocks": touched})
    return result


def release_hold(ctx: Context, hold_id: int, quantity: int | None = None) -> dict[str, Any]:
    """Give back ``quantity`` (default: all that remains) of a hold's credits to free."""
    hold = _active_hold(ctx, hold_id)
    quantity = hold.remaining if quantity is None else quantity
    if not 0 < quantity <= hold.remaining:
        raise ValidationError(f"quantity must be between 1 and {hold.remaining}", field="quantity")
    held = _lock_held(ctx, hold_id)
    cuts = take_quantity(held, quantity)
    touched = _apply_cuts(ctx, held, cuts, account_id=hold.account_id, status=BlockStatus.ACTIVE)
    result = _shrink_hold(ctx, hold, quantity, HoldState.RELEASED)
    ctx.journal("hold_released", {**result, "released": quantity, "blocks": touched})
    return result


def consume_hold(
    ctx: Context, hold_id: int, *, to_account_id: int, quantity: int
) -> dict[str, Any]:
    """Deliver ``quantity`` of a hold's credits to another account (settlement of a trade)."""
    hold = _active_hold(ctx, hold_id)
    if not 0 < quantity <= hold.remaining:
        raise ValidationError(f"quantity must be between 1 and {hold.remaining}", field="quantity")
    source, destination = _movable_accounts(
        ctx, (hold.account_id, "from_account"), (to_account_id, "to_account")
    )
    _ensure_kind(destination, (AccountKind.HOLDING, AccountKind.VENUE_CUSTODY), "to_account_id")
    held = _lock_held(ctx, hold_id)
    cuts = take_quantity(held, quantity)
    _ensure_destination_may_hold(ctx, destination, held, cuts)
    transfer_id = ctx.session.execute(
        insert(transfers).values(from_account_id=source.id, to_account_id=to_account_id,
                                 quantity=quantity, hold_id=hold_id, created_at=ctx.stamp)
    ).inserted_primary_key[0]
    touched = _apply_cuts(ctx, held, cuts, account_id=to_account_id, status=BlockStatus.ACTIVE)
    result = _shrink_hold(ctx, hold, quantity, HoldState.CONSUMED)
    ctx.journal("hold_consumed", {**result, "transfer_id": transfer_id,
                                  "to_account_id": to_account_id, "delivered": quantity,
                                  "blocks": touched})
    return {**result, "transfer_id": transfer_id}


# --- helpers --------------------------------------------------------------------------------

_BLOCK_COLUMNS = (
    "id", "program", "project_id", "vintage", "issuance_id", "serial_start", "serial_end",
    "account_id", "status", "hold_id", "retirement_id", "cancellation_id",
)


def _exists(ctx: Context, column: Any, value: Any) -> bool:
    return ctx.session.execute(select(column).where(column == value)).first() is not None


def _enum(kind: Any, value: str, field_name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        raise ValidationError(f"{field_name} must be one of {allowed}", field=field_name) from None


def _program(ctx: Context, code: str) -> model.Program:
    row = ctx.session.execute(select(programs).where(programs.c.code == code)).first()
    if row is None:
        raise NotFound(f"program {code} does not exist", field="program")
    return model.Program(**row._mapping)


def _project(ctx: Context, project_id: str) -> Row[Any]:
    row = ctx.session.execute(select(projects).where(projects.c.id == project_id)).first()
    if row is None:
        raise NotFound(f"project {project_id} does not exist", field="project_id")
    return row


def _participant(ctx: Context, participant_id: str, *, lock: bool = False) -> Row[Any]:
    query = select(participants).where(participants.c.id == participant_id)
    row = ctx.session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"participant {participant_id} does not exist", field="participant_id")
    return row


def _account(ctx: Context, account_id: int, *, lock: bool = False) -> Row[Any]:
    query = select(accounts).where(accounts.c.id == account_id)
    row = ctx.session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"account {account_id} does not exist", field="account_id")
    return row


def _movable_account(ctx: Context, account_id: int, *, role: str) -> Row[Any]:
    """The account joined with its holder, checked: holder KYC-verified, account open."""
    return _movable_accounts(ctx, (account_id, role))[0]


_MOVABLE_ACCOUNTS = (
    select(
        accounts.c.id, accounts.c.participant_id, accounts.c.kind, accounts.c.state,
        participants.c.kyc_state, participants.c.type.label("participant_type"),
    )
    .join(participants, participants.c.id == accounts.c.participant_id)
    .where(accounts.c.id.in_(bindparam("account_ids", expanding=True)))
)


def _movable_accounts(ctx: Context, *wanted: tuple[int, str]) -> list[Row[Any]]:
    """Several (account id, role) at once, in one round trip; checked in the order given."""
    ids = [account_id for account_id, _ in wanted]
    rows = {row.id: row for row in ctx.session.execute(_MOVABLE_ACCOUNTS, {"account_ids": ids})}
    checked = []
    for account_id, role in wanted:
        row = rows.get(account_id)
        if row is None:
            raise NotFound(f"account {account_id} does not exist", field=f"{role}_id")
        model.ensure_may_move(row.kyc_state, row.state, role=role)
        checked.append(row)
    return checked


def _ensure_kind(account: Row[Any], kinds: Sequence[AccountKind], field_name: str) -> None:
    if account.kind not in kinds:
        allowed = " or ".join(k.value for k in kinds)
        raise Conflict(f"account {account.id} is a {account.kind} account; this needs {allowed}",
                       code="wrong_account_kind", field=field_name)


def _retirement_account_of(ctx: Context, participant_id: str) -> int:
    account_id = ctx.session.execute(
        select(accounts.c.id)
        .where(accounts.c.participant_id == participant_id,
               accounts.c.kind == AccountKind.RETIREMENT, accounts.c.state == AccountState.OPEN)
        .order_by(accounts.c.id)
    ).scalar()
    if account_id is None:
        raise Conflict(f"participant {participant_id} has no open retirement account",
                       code="no_retirement_account", field="account_id")
    return int(account_id)


@dataclass(frozen=True, slots=True)
class LockedBlock(Block):
    """A block this transaction has locked, with its whole row (so it is not read again)."""

    row: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _locked(rows: Sequence[Row[Any]]) -> list[LockedBlock]:
    """Locked rows in allocation order: oldest vintage first, then lowest serial."""
    ordered = sorted(rows, key=lambda r: (r.vintage, r.serial_start))
    return [LockedBlock(r.id, r.serial_start, r.serial_end, dict(r._mapping)) for r in ordered]


_BLOCKS_OF_ACCOUNT = select(serial_blocks).where(
    serial_blocks.c.account_id == bindparam("account_id"),
    serial_blocks.c.status == bindparam("status"),
)
_BLOCKS_OF_ACCOUNT_LOCKED = _BLOCKS_OF_ACCOUNT.order_by(serial_blocks.c.id).with_for_update()


def _lock_blocks(
    ctx: Context, account_id: int, status: BlockStatus, selection: Selection
) -> list[LockedBlock]:
    """Lock (by id, a fixed order) the account's blocks that the selection may take.

    Returns them in allocation order: oldest vintage first, then lowest serial.
    """
    query = _BLOCKS_OF_ACCOUNT
    if selection.serial_ranges:
        low = min(start for start, _ in selection.serial_ranges)
        high = max(end for _, end in selection.serial_ranges)
        query = query.where(serial_blocks.c.serial_end >= low, serial_blocks.c.serial_start <= high)
    query = _filter_spec(query, selection.spec)
    if query is _BLOCKS_OF_ACCOUNT:
        query = _BLOCKS_OF_ACCOUNT_LOCKED  # the common case, built once
    else:
        query = query.order_by(serial_blocks.c.id).with_for_update()
    rows = ctx.session.execute(query, {"account_id": account_id, "status": status.value}).all()
    if selection.serial_ranges:
        _ensure_one_program(rows)
    return _locked(rows)


def _ensure_one_program(rows: Sequence[Row[Any]]) -> None:
    """Serials are numbered per program: named serials must not match blocks of two programs."""
    found = sorted({row.program for row in rows})
    if len(found) > 1:
        raise ValidationError(
            f"these serial numbers exist in more than one program held here ({', '.join(found)}); "
            "name the program or the project in the specification",
            code="ambiguous_serials",
            field="serial_ranges",
        )


def _filter_spec(query: Any, spec: CreditSpec) -> Any:
    if spec.project_id is not None:
        query = query.where(serial_blocks.c.project_id == spec.project_id)
    if spec.vintage is not None:
        query = query.where(serial_blocks.c.vintage == spec.vintage)
    if spec.vintage_from is not None:
        query = query.where(serial_blocks.c.vintage >= spec.vintage_from)
    if spec.vintage_to is not None:
        query = query.where(serial_blocks.c.vintage <= spec.vintage_to)
    if spec.programs:
        query = query.where(serial_blocks.c.program.in_(spec.programs))
    if spec.categories or spec.fi_eligible_only:
        eligible = select(projects.c.id)
        if spec.categories:
            eligible = eligible.where(projects.c.category.in_(spec.categories))
        if spec.fi_eligible_only:
            eligible = eligible.where(projects.c.fi_eligible.is_(True))
        query = query.where(serial_blocks.c.project_id.in_(eligible))
    return query


def _lock_held(ctx: Context, hold_id: int) -> list[LockedBlock]:
    rows = ctx.session.execute(
        select(serial_blocks)
        .where(serial_blocks.c.hold_id == hold_id, serial_blocks.c.status == BlockStatus.HELD)
        .order_by(serial_blocks.c.id)
        .with_for_update()
    ).all()
    return _locked(rows)


def _cut(free: Sequence[Block], selection: Selection) -> list[Cut]:
    if selection.serial_ranges:
        return take_ranges(free, selection.serial_ranges)
    assert selection.quantity is not None
    return take_quantity(free, selection.quantity)


def _ensure_destination_may_hold(
    ctx: Context, destination: Row[Any], blocks: Sequence[Block], cuts: list[Cut]
) -> None:
    if destination.participant_type != model.ParticipantType.FINANCIAL_INSTITUTION:
        return
    ids = {cut.block_id for cut in cuts}
    rows = ctx.session.execute(
        select(projects.c.id, projects.c.fi_eligible)
        .join(serial_blocks, serial_blocks.c.project_id == projects.c.id)
        .where(serial_blocks.c.id.in_(ids))
    ).all()
    for row in rows:
        model.ensure_may_hold(destination.participant_type, row.fi_eligible, row.id)


# Built once; executed with the changed columns as parameters (they make the SET clause).
_UPDATE_BLOCK = update(serial_blocks).where(serial_blocks.c.id == bindparam("block_id"))


def _apply_cuts(
    ctx: Context,
    blocks: list[LockedBlock],
    cuts: list[Cut],
    *,
    account_id: int,
    status: BlockStatus,
    hold_id: int | None = None,
    retirement_id: int | None = None,
    cancellation_id: int | None = None,
) -> list[dict[str, Any]]:
    """Write the cuts: whole blocks change in place; split blocks keep their remainder in the
    original row (shrunk first, so no two rows ever overlap) and the taken pieces become new rows.

    What stays keeps its account, status and hold. Returns the after-image of every row touched
    or created, for the journal.
    """
    new_values = {"account_id": account_id, "status": status.value, "hold_id": hold_id,
                  "retirement_id": retirement_id, "cancellation_id": cancellation_id}
    touched: list[dict[str, Any]] = []
    locked = {block.id: block.row for block in blocks}
    for cut in cuts:
        original = locked[cut.block_id]
        if cut.whole:
            ctx.session.execute(_UPDATE_BLOCK, {"block_id": cut.block_id, **new_values})
            touched.append({**original, **new_values})
            continue
        first, *others = cut.remainders
        ctx.session.execute(_UPDATE_BLOCK, {"block_id": cut.block_id, "serial_start": first[0],
                                            "serial_end": first[1]})
        touched.append({**original, "serial_start": first[0], "serial_end": first[1]})
        lineage = {k: original[k] for k in ("program", "project_id", "vintage", "issuance_id")}
        stays = {k: original[k] for k in ("account_id", "status", "hold_id", "retirement_id",
                                          "cancellation_id")}
        for start, end in others:
            touched.append(_insert_block(ctx, **lineage, **stays, serial_start=start, serial_end=end))
        for start, end in cut.pieces:
            touched.append(
                _insert_block(ctx, **lineage, **new_values, serial_start=start, serial_end=end)
            )
    return touched


def _insert_block(ctx: Context, **values: Any) -> dict[str, Any]:
    values.setdefault("hold_id", None)
    values.setdefault("retirement_id", None)
    values.setdefault("cancellation_id", None)
    block_id = ctx.session.execute(insert(serial_blocks), values).inserted_primary_key[0]
    return {"id": block_id, **values}


def _serials(cuts: list[Cut]) -> list[list[int]]:
    """The serial ranges a request took (for responses and public lists)."""
    return sorted([start, end] for cut in cuts for start, end in cut.pieces)


def _ensure_no_overlap(ctx: Context, program: str, start: int, end: int) -> None:
    clash = ctx.session.execute(
        select(serial_blocks.c.serial_start, serial_blocks.c.serial_end)
        .where(serial_blocks.c.program == program, serial_blocks.c.serial_start <= end,
               serial_blocks.c.serial_end >= start)
        .limit(1)
    ).first()
    if clash is not None:
        raise Conflict(
            f"serials {start}-{end} overlap {program} serials {clash.serial_start}-{clash.serial_end}",
            code="serial_overlap",
            field="serial_start",
        )


def _active_hold(ctx: Context, hold_id: int) -> Row[Any]:
    hold = ctx.session.execute(select(holds).where(holds.c.id == hold_id).with_for_update()).first()
    if hold is None:
        raise NotFound(f"hold {hold_id} does not exist", field="hold_id")
    if hold.state != HoldState.ACTIVE:
        raise Conflict(f"hold {hold_id} is {hold.state}", code="hold_not_active", field="hold_id")
    return hold


def _shrink_hold(ctx: Context, hold: Row[Any], quantity: int, final: HoldState) -> dict[str, Any]:
    remaining = hold.remaining - quantity
    state = final.value if remaining == 0 else HoldState.ACTIVE.value
    ctx.session.execute(
        update(holds).where(holds.c.id == hold.id).values(remaining=remaining, state=state)
    )
    return {**hold._mapping, "remaining": remaining, "state": state}


def ensure_participant_owns(ctx: Context, participant_id: str, account_id: int) -> None:
    """Participants act on their own accounts only; anything else looks like it does not exist."""
    account = ctx.session.execute(
        select(accounts.c.participant_id).where(accounts.c.id == account_id)
    ).first()
    if account is None or account.participant_id != participant_id:
        raise NotFound(f"account {account_id} does not exist", field="account_id")


__all__ = [
    "Context", "CreditSpec", "Selection", "cancel", "consume_hold", "create_program", "issue",
    "extend_hold", "lock", "open_account", "unlock", "place_hold", "register_participant", "register_project", "release_hold",
    "retire", "set_account_state", "set_kyc_state", "transfer",
]
