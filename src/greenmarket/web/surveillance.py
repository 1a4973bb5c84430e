"""Web pages: surveillance alerts and cases, for the compliance role only.

Every page calls the surveillance API's handlers (``greenmarket.surveillance.api``) with the
signed-in user, so the API's rule applies unchanged: the public is sent to sign in, any role but
compliance gets 403, and a case moves, is assigned or gets a note exactly as ``PATCH
/v1/surveillance/cases/{id}`` allows, with the API's refusals shown next to the fields.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from greenmarket.api.auth import Principal
from greenmarket.surveillance import api
from greenmarket.surveillance.cases import MOVES
from greenmarket.surveillance.model import RULES
from greenmarket.surveillance.tables import CASE_STATUSES
from greenmarket.web.forms import attempt, form_fields
from greenmarket.web.i18n import Translator, request_language
from greenmarket.web.paging import paginate
from greenmarket.web.render import page
from greenmarket.web.session import checked_form, web_principal

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
CHANGE_FIELDS = ("status", "assignee", "note")


def officer(request: Request) -> Principal:
    """The signed-in compliance officer, refused exactly as the API refuses anyone else."""
    return api.compliance(web_principal(request))


@router.get("/surveillance")
def cases_page(request: Request, status: str = "", rule: str = "") -> Response:
    """Cases, newest alert first, filtered by status (the API's filter) and rule."""
    caller = officer(request)
    t = Translator(request_language(request))
    filters = {"status": status.strip(), "rule": rule.strip()}
    listed, errors = attempt(lambda: api.get_cases(request, caller, status=filters["status"] or None), t)
    rows = [case for case in listed or [] if not filters["rule"] or case["rule"] == filters["rule"]]

    def link(target: int) -> str:
        return "/surveillance?" + urlencode({**{k: v for k, v in filters.items() if v},
                                             "page": target})

    paged = paginate(rows, request.query_params.get("page"), PAGE_SIZE, link)
    shown = [api.get_case(case["id"], request, caller) for case in paged.rows]
    return page(request, "surveillance/cases.html", status_code=422 if errors else 200,
                cases=shown, total=paged.total, page_number=paged.number, pages=paged.pages,
                links={"previous": paged.previous, "next": paged.next}, filters=filters,
                errors=errors,
                status_options=_options(t, "status", CASE_STATUSES),
                rule_options=_options(t, "rule", RULES))


def _options(t: Translator, kind: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("", t("surveillance.any")), *((v, t(f"surveillance.{kind}.{v}")) for v in values)]


def case_view(request: Request, case_id: int, caller: Principal, *, errors: dict[str, str],
              values: dict[str, str], status_code: int = 200) -> Response:
    case = api.get_case(case_id, request, caller)
    t = Translator(request_language(request))
    done = request.query_params.get("done")
    notice = t("surveillance.done.updated", case=case_id, status=t(f"surveillance.status.{case['status']}")) \
        if done == "updated" else None
    return page(request, "surveillance/case.html", status_code=status_code, case=case,
                moves_options=[(s, t(f"surveillance.status.{s}"))
                               for s in sorted(MOVES[case["status"]], key=CASE_STATUSES.index)],
                errors=errors, values=values, notice=notice)


@router.get("/surveillance/cases/{case_id}")
def case_page(case_id: int, request: Request) -> Response:
    return case_view(request, case_id, officer(request), errors={}, values={})


@router.post("/surveillance/cases/{case_id}")
async def change_case(case_id: int, request: Request) -> Response:
    """The PATCH of the API from a form: status and/or assignee and/or a note."""
    form = await checked_form(request)
    caller = officer(request)
    t = Translator(request_language(request))
    values = form_fields(form, CHANGE_FIELDS)
    _, errors = attempt(lambda: api.patch_case(case_id, api.CaseChange(**values), request, caller), t)
    if errors:
        return case_view(request, case_id, caller, errors=errors, values=values, status_code=422)
    return RedirectResponse(f"/surveillance/cases/{case_id}?done=updated", status_code=303)
