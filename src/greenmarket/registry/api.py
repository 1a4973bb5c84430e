"""Registry REST API v1: thin handlers over the ledger (writes) and queries (reads).

Every credit-moving POST requires an ``Idempotency-Key`` header. Request bodies forbid unknown
fields, so a client cannot set server-owned ones (ids, times, derived flags, states). A participant
sees and moves only its own accounts; anything else answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from greenmarket.api.auth import Principal, Role, principal_from_request, require
from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.journal import store as journal_store
from greenmarket.registry import ledger, queries
from greenmarket.registry.ledger import Context, CreditSpec, Selection
from greenmarket.registry.model import LARGEST_NUMBER
from greenmarket.registry.service import IdempotencyKey, RegistryService
from greenmarket.rows import rows_to_csv

router = APIRouter(prefix="/v1", tags=["registry"])
Caller = Annotated[Principal, Depends(principal_from_request)]
IdemHeader = Annotated[str | None, Header(alias="Idempotency-Key")]
# Ids, quantities, serials and years are stored as signed 64-bit integers: larger ones are refused
# here as bad input (the database driver would fail on them).
Int = Annotated[int, Field(ge=-LARGEST_NUMBER - 1, le=LARGEST_NUMBER)]
Count = Annotated[int, Field(gt=0, le=LARGEST_NUMBER)]
PathId = Annotated[int, Path(le=LARGEST_NUMBER)]
# PostgreSQL cannot store the NUL character: text holding one is refused as bad input.
NO_NUL = r"^[^\x00]*$"
PathText = Annotated[str, Path(pattern=NO_NUL)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("text must not contain the NUL character")
        return value


class ProgramIn(Body):
    code: str = Field(pattern=r"^[A-Z0-9_]{2,16}$")
    name: str = Field(min_length=1, max_length=200)
    governmental: bool
    unit: str = Field(default="tCO2e", min_length=1, max_length=16)
    serial_format: str = Field(min_length=1, max_length=200)


class ProjectIn(Body):
    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    program: str
    name: str = Field(min_length=1, max_length=300)
    country: str = Field(min_length=2, max_length=2)
    category: str
    methodology: str = Field(min_length=1, max_length=100)
    verifier: str = Field(min_length=1, max_length=200)
    verifier_accreditation: Literal["doe", "iso14065", "none"]


class ParticipantIn(Body):
    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    name: str = Field(min_length=1, max_length=300)
    type: str


class KycIn(Body):
    kyc_state: Literal["pending", "verified", "rejected", "suspended"]


class AccountIn(Body):
    participant_id: str | None = None
    kind: Literal["holding", "retirement", "venue_custody"]


class AccountStateIn(Body):
    state: Literal["pending", "open", "blocked"]


class SpecIn(Body):
    project_id: str | None = None
    vintage: Int | None = None
    vintage_from: Int | None = None
    vintage_to: Int | None = None
    programs: list[str] = []
    categories: list[str] = []
    fi_eligible_only: bool = False

    def to_spec(self) -> CreditSpec:
        return CreditSpec.from_dict(self.model_dump())


class SelectionIn(Body):
    quantity: Count | None = None
    specification: SpecIn = SpecIn()
    serial_ranges: list[tuple[Int, Int]] = []

    def to_selection(self) -> Selection:
        return Selection(quantity=self.quantity, spec=self.specification.to_spec(),
                         serial_ranges=tuple(tuple(r) for r in self.serial_ranges))  # type: ignore[misc]


class IssuanceIn(Body):
    project_id: str
    vintage: Int
    quantity: Count
    account_id: Int
    serial_start: int | None = Field(default=None, ge=1, le=LARGEST_NUMBER)


class TransferIn(SelectionIn):
    from_account_id: Int
    to_account_id: Int


class RetirementIn(SelectionIn):
    account_id: Int
    beneficiary: str = Field(min_length=1, max_length=300)
    purpose: Literal["voluntary_offset", "gx_ets", "corsia", "ndc", "other"]
    claim: str = Field(min_length=1, max_length=2000)
    reporting_year: Int | None = None


class CancellationIn(SelectionIn):
    account_id: Int
    reason: str = Field(min_length=1, max_length=2000)


class HoldIn(Body):
    account_id: Int
    quantity: Count
    specification: SpecIn = SpecIn()
    reference: str | None = Field(default=None, max_length=128)


class ReleaseIn(Body):
    quantity: Count | None = None


class ConsumeIn(Body):
    to_account_id: Int
    quantity: Count


# --- plumbing -------------------------------------------------------------------------------


def _service(request: Request) -> RegistryService:
    return RegistryService(request.app.state.db, request.app.state.clock)


def _write(
    request: Request,
    caller: Principal,
    operation: Callable[[Context], dict[str, Any]],
    *,
    name: str,
    body: BaseModel,
    key: str | None,
    response: Response,
) -> dict[str, Any]:
    """Run a credit-moving operation once per Idempotency-Key."""
    idempotency = IdempotencyKey.for_request(caller.actor, key, name, body.model_dump(mode="json"))
    response.status_code = 201
    return _service(request).execute(caller.actor, operation, idempotency=idempotency)


def _admin_write(request: Request, caller: Principal, operation: Callable[[Context], Any]) -> Any:
    require(caller, Role.ADMIN)
    return _service(request).execute(caller.actor, operation)


def _read(request: Request, reader: Callable[[Any], Any]) -> Any:
    with request.app.state.db.read() as session:
        return reader(session)


def _own_account(request: Request, caller: Principal, account_id: int,
                 field: str = "account_id") -> None:
    """Participants may touch only their own accounts; others see 404 naming ``field``."""
    if caller.role is Role.PARTICIPANT:
        owned = _read(request, lambda s: queries.account_ids_of(s, caller.participant_id))
        if account_id not in owned:
            raise NotFound(f"account {account_id} does not exist", field=field)
    elif caller.role not in (Role.ADMIN, Role.AUDITOR):
        require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)


def _visible_accounts(request: Request, caller: Principal) -> list[int] | None:
    """None = all accounts (admin, auditor); else the participant's own."""
    require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)
    if caller.can_read_all():
        return None
    return _read(request, lambda s: queries.account_ids_of(s, caller.participant_id))


def tabular(rows: list[dict[str, Any]], fmt: str, filename: str) -> Any:
    """Rows as JSON (default) or as a CSV download."""
    if fmt == "json":
        return rows
    if fmt != "csv":
        raise ValidationError("format must be json or csv", field="format")
    return Response(rows_to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


# --- reference data -------------------------------------------------------------------------


@router.get("/programs")
def get_programs(request: Request) -> list[dict[str, Any]]:
    return _read(request, queries.list_programs)


@router.post("/programs", status_code=201)
def post_program(body: ProgramIn, request: Request, caller: Caller) -> dict[str, Any]:
    return _admin_write(request, caller, lambda c: ledger.create_program(c, **body.model_dump()))


@router.get("/projects")
def get_projects(request: Request,
                 program: Annotated[str | None, Query(pattern=NO_NUL)] = None) -> list[dict[str, Any]]:
    return _read(request, lambda s: queries.list_projects(s, program))


@router.get("/projects/{project_id}")
def get_project(project_id: PathText, request: Request) -> dict[str, Any]:
    return _read(request, lambda s: queries.get_project(s, project_id))


@router.post("/projects", status_code=201)
def post_project(body: ProjectIn, request: Request, caller: Caller) -> dict[str, Any]:
    return _admin_write(request, caller, lambda c: ledger.register_project(c, **body.model_dump()))


@router.get("/participants")
def get_participants(request: Request, caller: Caller) -> list[dict[str, Any]]:
    if caller.role is Role.PARTICIPANT:
        return [_read(request, lambda s: queries.get_participant(s, caller.participant_id))]
    require(caller, Role.ADMIN, Role.AUDITOR)
    return _read(request, queries.list_participants)


@router.get("/participants/{participant_id}")
def get_participant(participant_id: PathText, request: Request, caller: Caller) -> dict[str, Any]:
    if caller.role is Role.PARTICIPANT and caller.participant_id != participant_id:
        raise NotFound(f"participant {participant_id} does not exist", field="participant_id")
    require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)
    return _read(request, lambda s: queries.get_participant(s, participant_id))


@router.post("/participants", status_code=201)
def post_participant(body: ParticipantIn, request: Request, caller: Caller) -> dict[str, Any]:
    return _admin_write(request, caller,
                        lambda c: ledger.register_participant(c, **body.model_dump()))


@router.post("/participants/{participant_id}/kyc")
def post_kyc(participant_id: PathText, body: KycIn, request: Request, caller: Caller) -> dict[str, Any]:
    return _admin_write(request, caller,
                        lambda c: ledger.set_kyc_state(c, participant_id, body.kyc_state))


# --- accounts -------------------------------------------------------------------------------


@router.get("/accounts")
def get_accounts(request: Request, caller: Caller) -> list[dict[str, Any]]:
    require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)
    owner = None if caller.can_read_all() else caller.participant_id
    return _read(request, lambda s: queries.list_accounts(s, owner))


@router.post("/accounts", status_code=201)
def post_account(body: AccountIn, request: Request, caller: Caller) -> dict[str, Any]:
    """Participants request accounts for themselves; the administrator opens them."""
    require(caller, Role.ADMIN, Role.PARTICIPANT)
    owner = body.participant_id if caller.role is Role.ADMIN else caller.participant_id
    if caller.role is Role.PARTICIPANT and body.participant_id not in (None, owner):
        raise NotFound(f"participant {body.participant_id} does not exist", field="participant_id")
    if owner is None:
        raise ValidationError("participant_id is required", field="participant_id")
    return _service(request).execute(caller.actor, lambda c: ledger.open_account(c, owner, body.kind))


@router.get("/accounts/{account_id}")
def get_account(account_id: PathId, request: Request, caller: Caller) -> dict[str, Any]:
    _own_account(request, caller, account_id)
    return _read(request, lambda s: queries.get_account(s, account_id))


@router.post("/accounts/{account_id}/state")
def post_account_state(account_id: PathId, body: AccountStateIn, request: Request,
                       caller: Caller) -> dict[str, Any]:
    return _admin_write(request, caller,
                        lambda c: ledger.set_account_state(c, account_id, body.state))


@router.get("/accounts/{account_id}/holdings")
def get_holdings(account_id: PathId, request: Request, caller: Caller,
                 format: str = "json") -> Any:
    _own_account(request, caller, account_id)
    return tabular(_read(request, lambda s: queries.holdings(s, account_id)), format,
                   f"holdings-{account_id}")


# --- credit movements -----------------------------------------------------------------------


@router.post("/issuances", status_code=201)
def post_issuance(body: IssuanceIn, request: Request, response: Response, caller: Caller,
                  idempotency_key: IdemHeader = None) -> dict[str, Any]:
    require(caller, Role.ADMIN)
    return _write(request, caller, lambda c: ledger.issue(c, **body.model_dump()),
                  name="issue", body=body, key=idempotency_key, response=response)


@router.get("/issuances")
def get_issuances(request: Request, caller: Caller, format: str = "json") -> Any:
    visible = _visible_accounts(request, caller)
    return tabular(_read(request, lambda s: queries.list_issuances(s, visible)), format, "issuances")


@router.post("/transfers", status_code=201)
def post_transfer(body: TransferIn, request: Request, response: Response, caller: Caller,
                  idempotency_key: IdemHeader = None) -> dict[str, Any]:
    require(caller, Role.ADMIN, Role.PARTICIPANT)
    _own_account(request, caller, body.from_account_id, field="from_account_id")
    return _write(
        request, caller,
        lambda c: ledger.transfer(c, from_account_id=body.from_account_id,
                                  to_account_id=body.to_account_id,
                                  selection=body.to_selection()),
        name="transfer", body=body, key=idempotency_key, response=response)


@router.get("/transfers")
def get_transfers(request: Request, caller: Caller, format: str = "json") -> Any:
    visible = _visible_accounts(request, caller)
    return tabular(_read(request, lambda s: queries.list_transfers(s, visible)), format, "transfers")


@router.post("/retirements", status_code=201)
def post_retirement(body: RetirementIn, request: Request, response: Response, caller: Caller,
                    idempotency_key: IdemHeader = None) -> dict[str, Any]:
    require(caller, Role.ADMIN, Role.PARTICIPANT)
    _own_account(request, caller, body.account_id)
    return _write(
        request, caller,
        lambda c: ledger.retire(c, account_id=body.account_id, selection=body.to_selection(),
                                beneficiary=body.beneficiary, purpose=body.purpose,
                                claim=body.claim, reporting_year=body.reporting_year),
        name="retire", body=body, key=idempotency_key, response=response)


@router.get("/retirements")
def get_retirements(request: Request, caller: Caller, format: str = "json") -> Any:
    require(caller, Role.ADMIN, Role.AUDITOR, Role.PARTICIPANT)
    owner = None if caller.can_read_all() else caller.participant_id
    return tabular(_read(request, lambda s: queries.list_retirements(s, owner)), format,
                   "retirements")


@router.post("/cancellations", status_code=201)
def post_cancellation(body: CancellationIn, request: Request, response: Response, caller: Caller,
                      idempotency_key: IdemHeader = None) -> dict[str, Any]:
    require(caller, Role.ADMIN)
    return _write(
        request, caller,
        lambda c: ledger.cancel(c, account_id=body.account_id, selection=body.to_selection(),
                                reason=body.reason),
        name="cancel", body=body, key=idempotency_key, response=response)


@router.get("/cancellations")
def get_cancellations(request: Request, caller: Caller, format: str = "json") -> Any:
    require(caller, Role.ADMIN, Role.AUDITOR)
    return tabular(_read(request, queries.list_cancellations), format, "cancellations")


@router.post("/holds", status_code=201)
def post_hold(body: HoldIn, request: Request, response: Response, caller: Caller,
              idempotency_key: IdemHeader = None) -> dict[str, Any]:
    require(caller, Role.ADMIN, Role.PARTICIPANT)
    _own_account(request, caller, body.account_id)
    return _write(
        request, caller,
        lambda c: ledger.place_hold(c, account_id=body.account_id, quantity=body.quantity,
                                    spec=body.specification.to_spec(), reference=body.reference),
        name="hold", body=body, key=idempotency_key, response=response)


@router.get("/holds")
def get_holds(request: Request, caller: Caller) -> list[dict[str, Any]]:
    visible = _visible_accounts(request, caller)
    return _read(request, lambda s: queries.list_holds(s, visible))


def _own_hold(request: Request, caller: Caller, hold_id: int) -> None:
    """A participant releases only holds of its own that it placed itself: the exchange's
    reservation behind a resting order is released by the exchange, so the order stays backed."""
    hold = _read(request, lambda s: queries.get_hold(s, hold_id))
    try:
        _own_account(request, caller, hold["account_id"])
    except NotFound:
        raise NotFound(f"hold {hold_id} does not exist", field="hold_id") from None
    if caller.role is Role.PARTICIPANT and hold["managed_by"] != "participant":
        raise Conflict(f"hold {hold_id} reserves credits for an exchange order; cancel the order "
                       "to release them", code="hold_managed_by_exchange", field="hold_id")


@router.post("/holds/{hold_id}/release", status_code=201)
def post_release(hold_id: PathId, body: ReleaseIn, request: Request, response: Response,
                 caller: Caller, idempotency_key: IdemHeader = None) -> dict[str, Any]:
    require(caller, Role.ADMIN, Role.PARTICIPANT)
    _own_hold(request, caller, hold_id)
    return _write(request, caller, lambda c: ledger.release_hold(c, hold_id, body.quantity),
                  name=f"release:{hold_id}", body=body, key=idempotency_key, response=response)


@router.post("/holds/{hold_id}/consume", status_code=201)
def post_consume(hold_id: PathId, body: ConsumeIn, request: Request, response: Response,
                 caller: Caller, idempotency_key: IdemHeader = None) -> dict[str, Any]:
    """Deliver held credits: an operator (settlement) action."""
    require(caller, Role.ADMIN)
    return _write(
        request, caller,
        lambda c: ledger.consume_hold(c, hold_id, to_account_id=body.to_account_id,
                                      quantity=body.quantity),
        name=f"consume:{hold_id}", body=body, key=idempotency_key, response=response)


# --- journal and public reports -------------------------------------------------------------


@router.get("/journal")
def get_journal(request: Request, caller: Caller, after: int = Query(0, ge=0, le=LARGEST_NUMBER),
                limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    require(caller, Role.ADMIN, Role.AUDITOR)
    return _read(request, lambda s: [e.to_dict() for e in journal_store.read(s, after=after,
                                                                             limit=limit)])


@router.get("/reports/issuance")
def get_issuance_report(request: Request,
                        by: Literal["program", "category", "project", "vintage"] = "program",
                        format: Literal["json", "csv"] = "json") -> Any:
    """Public: credits issued, outstanding, retired and cancelled by one dimension."""
    return tabular(_read(request, lambda s: queries.issuance_report(s, by)), format,
                   f"issuance-by-{by}")


@router.get("/reports/retirements")
def get_public_retirements(request: Request, format: Literal["json", "csv"] = "json") -> Any:
    """Public: every retirement with beneficiary, purpose, claim and serials (IOSCO GP 21)."""
    return tabular(_read(request, queries.public_retirements), format, "retirements")
