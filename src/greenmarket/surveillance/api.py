"""Surveillance REST API: alerts and cases, for the ``compliance`` role only.

Anyone else is refused (no token: 401; another role: 403), so that a participant cannot learn
that it, or anyone, is under review.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from greenmarket.api.auth import Principal, Role, principal_from_request, require
from greenmarket.surveillance import cases

router = APIRouter(prefix="/v1/surveillance", tags=["surveillance"])


def compliance(principal: Annotated[Principal, Depends(principal_from_request)]) -> Principal:
    return require(principal, Role.COMPLIANCE)


Officer = Annotated[Principal, Depends(compliance)]
Status = Literal["open", "under_review", "escalated", "closed"]


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str
    time: str
    contract: str | None
    participants: list[str]
    evidence: list[str]
    score: float = Field(ge=0, le=1)


class AlertsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alerts: list[AlertIn]
    source: str = Field(default="api", min_length=1, max_length=300)


class CaseChange(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    status: Status | None = None
    assignee: str | None = Field(default=None, min_length=1, max_length=128)
    note: str | None = Field(default=None, min_length=1, max_length=10_000)


@router.post("/alerts", status_code=201)
def post_alerts(body: AlertsIn, request: Request, officer: Officer) -> dict[str, list[int]]:
    """Store alerts (an ``alerts.json`` document) and open a case for each."""
    with request.app.state.db.unit_of_work() as session:
        ids = cases.open_cases(session, [a.model_dump() for a in body.alerts], source=body.source,
                               actor=officer.actor, now=request.app.state.clock.now())
    return {"case_ids": ids}


@router.get("/cases")
def get_cases(request: Request, officer: Officer,
              status: Annotated[Status | None, Query()] = None) -> list[dict[str, Any]]:
    with request.app.state.db.read() as session:
        return cases.list_cases(session, status=status)


@router.get("/cases/{case_id}")
def get_case(case_id: int, request: Request, officer: Officer) -> dict[str, Any]:
    with request.app.state.db.read() as session:
        return cases.get_case(session, case_id)


@router.patch("/cases/{case_id}")
def patch_case(case_id: int, body: CaseChange, request: Request, officer: Officer) -> dict[str, Any]:
    """Move a case, assign it, or add a note; every change joins the audit trail."""
    with request.app.state.db.unit_of_work() as session:
        return cases.update_case(session, case_id, actor=officer.actor, now=request.app.state.clock.now(),
                                 status=body.status, assignee=body.assignee, note=body.note)
