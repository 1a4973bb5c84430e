"""Web pages: the registry — projects, the public list of retirements, accounts and their holdings,
and the transfer and retirement forms.

Every page calls the registry API's own handlers with the signed-in principal, so what a page shows
and what a form may do are decided in one place, the API: a participant opening another
participant's account gets the API's 404, the public is sent to sign in, other roles get its 403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from greenmarket.api.auth import Principal, Role
from greenmarket.errors import Forbidden, Unauthorized
from greenmarket.registry import api
from greenmarket.registry.model import (
    LARGEST_NUMBER,
    AccountKind,
    BlockStatus,
    Program,
    RetirementPurpose,
    categories,
)
from greenmarket.web.forms import attempt, form_fields, new_idempotency_key
from greenmarket.web.i18n import Translator, request_language
from greenmarket.web.render import page
from greenmarket.web.session import checked_form, web_principal

router = APIRouter(include_in_schema=False)

PURPOSES = tuple(purpose.value for purpose in RetirementPurpose)
STATUSES = tuple(status.value for status in BlockStatus)
TRANSFER_FIELDS = ("to_account_id", "quantity", "project_id", "vintage")
RETIRE_FIELDS = ("quantity", "project_id", "vintage", "beneficiary", "purpose", "claim",
                 "reporting_year")
TOTALS = ("issued", "outstanding", "retired", "cancelled")
Filter = Annotated[str, Query(max_length=64, pattern=api.NO_NUL)]
Ref = Annotated[int | None, Query(ge=1, le=LARGEST_NUMBER)]


# --- names shown for codes ------------------------------------------------------------------


def category_namer(language: str) -> Callable[[str, str], str]:
    """``name(program, code)``: a category's name in ``language`` (the code if unknown)."""
    known = categories()

    def name(program: str, code: str) -> str:
        entry = known.get(program, known["default"]).get(code)
        return str(entry[language]) if entry else code
    return name


def programs_by_code(request: Request) -> dict[str, Program]:
    return {row["code"]: Program(**row) for row in api.get_programs(request)}


# --- projects and retirements (public) ------------------------------------------------------


@router.get("/registry/projects")
def projects_page(request: Request, program: Filter = "", category: Filter = "") -> Response:
    """Every project with its credits issued, retired and cancelled; filters by program, category."""
    everything = api.get_projects(request)
    totals = {row["project"]: row for row in api.get_issuance_report(request, by="project")}
    shown = [p for p in everything if (not program or p["program"] == program)
             and (not category or p["category"] == category)]
    namer = category_namer(request_language(request))
    category_options = sorted({(p["category"], namer(p["program"], p["category"]))
                               for p in everything}, key=lambda option: option[1])
    return page(request, "registry/projects.html", projects=shown, totals=totals,
                programs=programs_by_code(request), category_name=namer,
                category_options=category_options, chosen={"program": program,
                                                             "category": category})


def _issuances_seen_by(request: Request, principal: Principal,
                       project_id: str) -> list[dict[str, Any]] | None:
    """The project's issuances the API shows this user (None: the API shows them none)."""
    try:
        rows = api.get_issuances(request, principal, format="json")
    except (Unauthorized, Forbidden):
        return None
    return [row for row in rows if row["project_id"] == project_id]


@router.get("/registry/projects/{project_id}")
def project_page(project_id: api.PathText, request: Request) -> Response:
    project = api.get_project(project_id, request)
    report = api.get_issuance_report(request, by="project")
    totals = next((row for row in report if row["project"] == project_id),
                  dict.fromkeys(TOTALS, 0))
    retired = [row for row in api.get_public_retirements(request)
               if row["project_id"] == project_id]
    return page(request, "registry/project.html", project=project, totals=totals,
                retirements=retired, programs=programs_by_code(request),
                issuances=_issuances_seen_by(request, web_principal(request), project_id),
                category_name=category_namer(request_language(request)))


@router.get("/registry/retirements")
def retirements_page(request: Request) -> Response:
    return page(request, "registry/retirements.html",
                retirements=api.get_public_retirements(request))


# --- accounts -------------------------------------------------------------------------------


def _totals(holdings: list[dict[str, Any]]) -> dict[str, int]:
    """Credits of one account by block status, in the order of STATUSES (present ones only)."""
    sums = dict.fromkeys(STATUSES, 0)
    for entry in holdings:
        sums[entry["status"]] += entry["quantity"]
    return {status: quantity for status, quantity in sums.items() if quantity}


@router.get("/registry/accounts")
def accounts_page(request: Request) -> Response:
    principal = web_principal(request)
    accounts = api.get_accounts(request, principal)
    totals = {account["id"]: _totals(api.get_holdings(account["id"], request, principal))
              for account in accounts}
    return page(request, "registry/accounts.html", principal=principal, accounts=accounts,
                totals=totals, statuses=STATUSES)


def _notice(request: Request, principal: Principal, account_id: int, done: str,
            ref: int | None, t: Translator) -> str | None:
    """What the last form did, read back from the records the API shows this user."""
    if ref is None or done not in ("transfer", "retire"):
        return None
    if done == "transfer":
        rows = api.get_transfers(request, principal, format="json")
        row = next((r for r in rows if r["id"] == ref and r["from_account_id"] == account_id), None)
        if row is None:
            return None
        return t("registry.notice.transfer", id=row["id"], to=row["to_account_id"],
                 quantity=f"{row['quantity']:,}")
    rows = api.get_retirements(request, principal, format="json")
    row = next((r for r in rows if r["id"] == ref and r["account_id"] == account_id), None)
    if row is None:
        return None
    return t("registry.notice.retire", id=row["id"], quantity=f"{row['quantity']:,}",
             beneficiary=row["beneficiary"])


def _form_state(values: Mapping[str, str] | None = None, errors: dict[str, str] | None = None,
                key: str | None = None) -> dict[str, Any]:
    return {"values": values or {}, "errors": errors or {}, "key": key or new_idempotency_key()}


def _account_page(request: Request, principal: Principal, account: dict[str, Any], *,
                  transfer: dict[str, Any] | None = None, retire: dict[str, Any] | None = None,
                  notice: str | None = None, status_code: int = 200) -> Response:
    holdings = api.get_holdings(account["id"], request, principal)
    # Forms for the roles the API lets move credits; a retirement account's credits never move
    # (a form sent to one anyway is shown again, with the API's refusal).
    may_move = principal.role in (Role.PARTICIPANT, Role.ADMIN) and (
        account["kind"] != AccountKind.RETIREMENT or bool(transfer or retire))
    t = Translator(request_language(request))
    projects = sorted({entry["project_id"] for entry in holdings if entry["status"] == "active"})
    project_choices = [("", t("registry.select.any_project"))] + [(p, p) for p in projects]
    purpose_choices = [("", t("registry.purpose.choose"))] + [
        (purpose, t(f"registry.purpose.{purpose}")) for purpose in PURPOSES]
    return page(request, "registry/account.html", status_code=status_code, principal=principal,
                account=account, holdings=holdings, totals=_totals(holdings), may_move=may_move,
                project_choices=project_choices, purpose_choices=purpose_choices,
                transfer=transfer or _form_state(), retire=retire or _form_state(),
                done_notice=notice)


@router.get("/registry/accounts/{account_id}")
def account_page(account_id: api.PathId, request: Request, done: Filter = "",
                 ref: Ref = None) -> Response:
    principal = web_principal(request)
    account = api.get_account(account_id, request, principal)
    t = Translator(request_language(request))
    notice = _notice(request, principal, account_id, done, ref, t)
    return _account_page(request, principal, account, notice=notice)


# --- the two forms --------------------------------------------------------------------------


def _present(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out blank fields, so the API's own defaults and 'required' rules apply."""
    return {name: value for name, value in data.items() if value is not None}


def _selection(values: dict[str, str]) -> dict[str, Any]:
    """The API's selection fields from the form: a quantity, optionally of a project/vintage."""
    body: dict[str, Any] = {"quantity": values.get("quantity")}
    spec = {name: values[name] for name in ("project_id", "vintage") if name in values}
    if spec:
        body["specification"] = spec
    return body


Submitted = Annotated[dict[str, str], Depends(checked_form)]  # CSRF checked before the handler


def _submitted(request: Request, form: dict[str, str], account_id: int, fields: tuple[str, ...]
               ) -> tuple[Principal, dict[str, Any], dict[str, str], str]:
    """Check that the user may see the account (the API's 404)."""
    principal = web_principal(request)
    account = api.get_account(account_id, request, principal)
    return principal, account, form_fields(form, fields), form.get("idempotency_key", "")


def _move(request: Request, principal: Principal, account: dict[str, Any], *, kind: str,
          fields: tuple[str, ...], values: dict[str, str], key: str,
          action: Callable[[], dict[str, Any]]) -> Response:
    """Run a credit-moving handler; redirect with a notice, or show the form with its errors."""
    t = Translator(request_language(request))
    # Messages about what the form does not show (the source account, the key) go on top.
    result, errors = attempt(action, t, fields)
    if result is not None:
        return RedirectResponse(
            f"/registry/accounts/{account['id']}?done={kind}&ref={result['id']}", status_code=303)
    state = _form_state(values, errors, key)
    return _account_page(request, principal, account, status_code=422, **{kind: state})


def _call(handler: Callable[..., dict[str, Any]], model: type[BaseModel], data: dict[str, Any],
          request: Request, principal: Principal, key: str) -> Callable[[], dict[str, Any]]:
    return lambda: handler(body=model.model_validate(data), request=request,
                           response=Response(), caller=principal, idempotency_key=key)


@router.post("/registry/accounts/{account_id}/transfer")
def transfer(account_id: api.PathId, request: Request, form: Submitted) -> Response:
    principal, account, values, key = _submitted(request, form, account_id, TRANSFER_FIELDS)
    data = {"from_account_id": account_id, "to_account_id": values.get("to_account_id"),
            **_selection(values)}
    return _move(request, principal, account, kind="transfer", fields=TRANSFER_FIELDS,
                 values=values, key=key,
                 action=_call(api.post_transfer, api.TransferIn, _present(data), request,
                              principal, key))


@router.post("/registry/accounts/{account_id}/retire")
def retire(account_id: api.PathId, request: Request, form: Submitted) -> Response:
    principal, account, values, key = _submitted(request, form, account_id, RETIRE_FIELDS)
    data = {"account_id": account_id, **_selection(values),
            **{name: values.get(name) for name in ("beneficiary", "purpose", "claim",
                                                   "reporting_year")}}
    return _move(request, principal, account, kind="retire", fields=RETIRE_FIELDS,
                 values=values, key=key,
                 action=_call(api.post_retirement, api.RetirementIn, _present(data), request,
                              principal, key))


