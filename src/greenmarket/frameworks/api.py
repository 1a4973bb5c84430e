"""Frameworks REST API: the checklists, and assessment of an issuer framework posted as JSON.

Both are public computations over public documents (and, on request, the registry's public
retirements): no token is needed. An invalid framework answers
422 with every problem (``problems: [{path, message}]``) in the problem details.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from greenmarket.frameworks.assessment import assess
from greenmarket.frameworks.checklist import CHECKLIST_IDS, load_checklist
from greenmarket.frameworks.framework import parse_framework
from greenmarket.frameworks.registry_ledger import RegistryLedger
from greenmarket.frameworks.report import assessment_html, assessment_markdown
from greenmarket.registry.service import RegistryService

router = APIRouter(prefix="/v1/frameworks", tags=["frameworks"])


@router.get("/checklists")
def list_checklists() -> list[dict[str, Any]]:
    """The shipped checklists with their data version and edition."""
    return [{"id": c.id, "version": c.version, "edition": c.edition, "title": {"ja": c.title.ja, "en": c.title.en},
             "items": len(c.items)} for c in map(load_checklist, CHECKLIST_IDS)]


@router.get("/checklists/{checklist_id}")
def get_checklist(checklist_id: str) -> dict[str, Any]:
    """One checklist: groups, items (id, level, instruments, timing, sub-elements, wording, source) and vocabularies."""
    c = load_checklist(checklist_id)
    return {
        "id": c.id, "version": c.version, "edition": c.edition, "publisher": c.publisher,
        "groups": [{"id": g.id, "kind": g.kind, "title": {"ja": g.title.ja, "en": g.title.en}} for g in c.groups],
        "items": [{"id": i.id, "group": i.group, "level": i.level, "instruments": list(i.instruments),
                   "timing": list(i.timing), "evaluator": i.evaluator, "covers": list(i.covers),
                   "elements": [{"id": e.id, "ja": e.text.ja, "en": e.text.en} for e in i.elements],
                   "text": {"ja": i.text.ja, "en": i.text.en},
                   "source": {"section": i.source_section, "page": i.source_page}} for i in c.items],
        "vocabularies": {k: [{"id": t.id, "ja": t.text.ja, "en": t.text.en} for t in v] for k, v in c.vocabularies.items()},
    }


@router.post("/assess")
def assess_framework(
    request: Request,
    framework: dict[str, Any] = Body(..., description="An issuer framework (issuer_framework.schema.json)."),
    format: Literal["json", "md", "html"] = Query("json"),
    registry: bool = Query(False, description="Check claimed retirements against this server's registry."),
) -> Response:
    """Assess a posted issuer framework: per item met / partly met / not met / not applicable.

    With ``registry=true`` the plan's claimed retirements are checked against the registry's
    retirements, which are public (IOSCO GP 21).
    """
    ledger = None
    if registry:
        service = RegistryService(request.app.state.db, request.app.state.clock)
        ledger = RegistryLedger(service, actor="api:frameworks")
    assessment = assess(parse_framework(framework, source="request body"), ledger=ledger)
    if format == "md":
        return PlainTextResponse(assessment_markdown(assessment), media_type="text/markdown; charset=utf-8")
    if format == "html":
        return HTMLResponse(assessment_html(assessment))
    return JSONResponse(assessment.to_dict())
