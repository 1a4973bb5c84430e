"""Cases: every alert opens one; compliance moves it through its statuses with an audit trail.

Statuses and the moves allowed between them::

    open ──> under_review ──> escalated ──> closed
      │            │  ▲            │          │
      └────────────┴──┼────────────┴──> closed│
                      └───────────────────────┘ (a closed case may be reopened for review)

Closing needs a note (why). Each change is written to ``surveillance_case_audit`` (who, when,
what, from, to) and journaled (area ``surveillance``) in the caller's unit of work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.journal import store
from greenmarket.journal.entry import format_time
from greenmarket.surveillance.model import RULES
from greenmarket.surveillance.tables import (
    CASE_STATUSES,
    surveillance_alerts,
    surveillance_case_audit,
    surveillance_case_notes,
    surveillance_cases,
)

AREA = "surveillance"
MOVES = {
    "open": {"under_review", "escalated", "closed"},
    "under_review": {"open", "escalated", "closed"},
    "escalated": {"under_review", "closed"},
    "closed": {"under_review"},
}


def open_cases(session: Session, alerts: list[dict[str, Any]], *, source: str, actor: str,
               now: datetime) -> list[int]:
    """Store ``alerts`` (FORMATS.md objects) and open a case for each; return the case ids."""
    stamp = format_time(now)
    ids = []
    for index, alert in enumerate(alerts):
        _check_alert(alert, index)
        alert_id = session.execute(insert(surveillance_alerts).values(
            rule=alert["rule"], time=alert["time"], contract=alert["contract"],
            participants=list(alert["participants"]), evidence=list(alert["evidence"]),
            score=float(alert["score"]), source=source, created_at=stamp,
        )).inserted_primary_key[0]
        case_id = session.execute(insert(surveillance_cases).values(
            alert_id=alert_id, status="open", assignee=None, opened_at=stamp, updated_at=stamp,
        )).inserted_primary_key[0]
        _record(session, case_id, actor, now, "opened", None, "open")
        ids.append(int(case_id))
    return ids


def list_cases(session: Session, *, status: str | None = None) -> list[dict[str, Any]]:
    """Cases with their alert's rule, time, contract and score (newest alert first)."""
    if status is not None and status not in CASE_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(CASE_STATUSES)}", field="status")
    query = (select(surveillance_cases, surveillance_alerts.c.rule, surveillance_alerts.c.time,
                    surveillance_alerts.c.contract, surveillance_alerts.c.score)
             .join(surveillance_alerts, surveillance_alerts.c.id == surveillance_cases.c.alert_id)
             .order_by(surveillance_alerts.c.time.desc(), surveillance_cases.c.id))
    if status is not None:
        query = query.where(surveillance_cases.c.status == status)
    return [dict(row) for row in session.execute(query).mappings()]


def get_case(session: Session, case_id: int) -> dict[str, Any]:
    """A case with its alert, notes and audit trail."""
    case = _case(session, case_id)
    alert = session.execute(select(surveillance_alerts)
                            .where(surveillance_alerts.c.id == case["alert_id"])).mappings().one()
    notes = session.execute(select(surveillance_case_notes).where(surveillance_case_notes.c.case_id == case_id)
                            .order_by(surveillance_case_notes.c.id)).mappings().all()
    trail = session.execute(select(surveillance_case_audit).where(surveillance_case_audit.c.case_id == case_id)
                            .order_by(surveillance_case_audit.c.id)).mappings().all()
    return {**case, "alert": dict(alert), "notes": [dict(n) for n in notes], "audit": [dict(a) for a in trail]}


def update_case(session: Session, case_id: int, *, actor: str, now: datetime, status: str | None = None,
                assignee: str | None = None, note: str | None = None) -> dict[str, Any]:
    """Change status and/or assignee and/or add a note, all recorded; return the case."""
    case = _case(session, case_id, lock=True)
    if status is None and assignee is None and note is None:
        raise ValidationError("name a status, an assignee or a note", field="status")
    if note is not None and not note.strip():
        raise ValidationError("a note has text", field="note")
    values: dict[str, Any] = {}
    if status is not None and status != case["status"]:
        if status not in CASE_STATUSES:
            raise ValidationError(f"status must be one of {', '.join(CASE_STATUSES)}", field="status")
        if status not in MOVES[case["status"]]:
            raise Conflict(f"a case cannot go from {case['status']} to {status}", code="case_transition",
                           field="status")
        if status == "closed" and note is None:
            raise ValidationError("closing a case needs a note saying why", field="note")
        values["status"] = status
        _record(session, case_id, actor, now, "status", case["status"], status)
    if assignee is not None and assignee != case["assignee"]:
        values["assignee"] = assignee
        _record(session, case_id, actor, now, "assignee", case["assignee"], assignee)
    if note is not None:
        session.execute(insert(surveillance_case_notes).values(case_id=case_id, author=actor, text=note,
                                                               at=format_time(now)))
        _record(session, case_id, actor, now, "note", None, note)
    session.execute(update(surveillance_cases).where(surveillance_cases.c.id == case_id)
                    .values(**values, updated_at=format_time(now)))
    return get_case(session, case_id)


def _case(session: Session, case_id: int, *, lock: bool = False) -> dict[str, Any]:
    query = select(surveillance_cases).where(surveillance_cases.c.id == case_id)
    row = session.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise NotFound(f"case {case_id} does not exist", field="case_id")
    return dict(row)


def _record(session: Session, case_id: int, actor: str, now: datetime, action: str,
            before: str | None, after: str | None) -> None:
    session.execute(insert(surveillance_case_audit).values(
        case_id=case_id, actor=actor, at=format_time(now), action=action, from_value=before, to_value=after))
    store.append(session, time=now, actor=actor, area=AREA, type=f"case_{action}",
                 payload={"case_id": case_id, "from": before, "to": after})


def _check_alert(alert: Any, index: int) -> None:
    where = f"alerts[{index}]"
    if not isinstance(alert, dict) or alert.get("rule") not in RULES:
        raise ValidationError(f"{where}.rule must be one of {', '.join(RULES)}", field="rule")
    score = alert.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
        raise ValidationError(f"{where}.score must be a number from 0 to 1", field="score")
    for field in ("participants", "evidence"):
        if not isinstance(alert.get(field), list) or not all(isinstance(v, str) for v in alert[field]):
            raise ValidationError(f"{where}.{field} must be a list of ids", field=field)
    if not isinstance(alert.get("time"), str):
        raise ValidationError(f"{where}.time must be an ISO 8601 time", field="time")
    if alert.get("contract") is not None and not isinstance(alert["contract"], str):
        raise ValidationError(f"{where}.contract must be a string or null", field="contract")
