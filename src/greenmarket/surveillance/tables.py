"""Surveillance tables on the shared metadata: alerts, the cases they open, notes and the audit trail.

Every change of a case (opened, status, assignee, note) is a row of ``surveillance_case_audit``
(who, when, what, from, to) and a journal entry of area ``surveillance`` in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Float, ForeignKey, String, Table, Text

from greenmarket.storage.schema import BigId, Json, metadata

CASE_STATUSES = ("open", "under_review", "escalated", "closed")

surveillance_alerts = Table(
    "surveillance_alerts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rule", String(32), nullable=False, index=True),
    Column("time", String(40), nullable=False),
    Column("contract", String(64), nullable=True),
    Column("participants", Json, nullable=False),
    Column("evidence", Json, nullable=False),
    Column("score", Float, nullable=False),
    Column("source", String(300), nullable=False),
    Column("created_at", String(32), nullable=False),
    CheckConstraint("score >= 0 and score <= 1", name="score"),
)

surveillance_cases = Table(
    "surveillance_cases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alert_id", BigId, ForeignKey("surveillance_alerts.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False, index=True),
    Column("assignee", String(128), nullable=True),
    Column("opened_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    CheckConstraint("status in ('open','under_review','escalated','closed')", name="status"),
)

surveillance_case_notes = Table(
    "surveillance_case_notes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", BigId, ForeignKey("surveillance_cases.id"), nullable=False, index=True),
    Column("author", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", String(32), nullable=False),
)

surveillance_case_audit = Table(
    "surveillance_case_audit",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", BigId, ForeignKey("surveillance_cases.id"), nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("at", String(32), nullable=False),
    Column("action", String(16), nullable=False),
    Column("from_value", Text, nullable=True),
    Column("to_value", Text, nullable=True),
    CheckConstraint("action in ('opened','status','assignee','note')", name="action"),
)

TABLES = [surveillance_alerts, surveillance_cases, surveillance_case_notes, surveillance_case_audit]
