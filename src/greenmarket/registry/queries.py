"""Read side of the registry: lists, holdings and public reports (no writes here)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from greenmarket.errors import NotFound, ValidationError
from greenmarket.registry.model import BlockStatus, Program
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
    transfers,
)

REPORT_DIMENSIONS = {
    "program": serial_blocks.c.program,
    "category": projects.c.category,
    "project": serial_blocks.c.project_id,
    "vintage": serial_blocks.c.vintage,
}


def _rows(session: Session, query: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in session.execute(query)]


def list_programs(session: Session) -> list[dict[str, Any]]:
    return _rows(session, select(programs).order_by(programs.c.code))


def list_projects(session: Session, program: str | None = None) -> list[dict[str, Any]]:
    query = select(projects).order_by(projects.c.id)
    if program:
        query = query.where(projects.c.program == program)
    return _rows(session, query)


def get_project(session: Session, project_id: str) -> dict[str, Any]:
    row = session.execute(select(projects).where(projects.c.id == project_id)).first()
    if row is None:
        raise NotFound(f"project {project_id} does not exist", field="project_id")
    return dict(row._mapping)


def list_participants(session: Session) -> list[dict[str, Any]]:
    return _rows(session, select(participants).order_by(participants.c.id))


def get_participant(session: Session, participant_id: str) -> dict[str, Any]:
    row = session.execute(select(participants).where(participants.c.id == participant_id)).first()
    if row is None:
        raise NotFound(f"participant {participant_id} does not exist", field="participant_id")
    return dict(row._mapping)


def list_accounts(session: Session, participant_id: str | None = None) -> list[dict[str, Any]]:
    query = select(accounts).order_by(accounts.c.id)
    if participant_id is not None:
        query = query.where(accounts.c.participant_id == participant_id)
    return _rows(session, query)


def get_account(session: Session, account_id: int) -> dict[str, Any]:
    row = session.execute(select(accounts).where(accounts.c.id == account_id)).first()
    if row is None:
        raise NotFound(f"account {account_id} does not exist", field="account_id")
    return dict(row._mapping)


def account_ids_of(session: Session, participant_id: str) -> list[int]:
    return list(session.execute(
        select(accounts.c.id).where(accounts.c.participant_id == participant_id)).scalars())


def holdings(session: Session, account_id: int) -> list[dict[str, Any]]:
    """What an account holds, by project, vintage and status, with its serial ranges."""
    get_account(session, account_id)  # an unknown account is not found, not empty
    rows = session.execute(
        select(serial_blocks, programs.c.serial_format, programs.c.name.label("program_name"),
               programs.c.governmental, programs.c.unit)
        .join(programs, programs.c.code == serial_blocks.c.program)
        .where(serial_blocks.c.account_id == account_id)
        .order_by(serial_blocks.c.project_id, serial_blocks.c.vintage, serial_blocks.c.serial_start)
    ).all()
    grouped: dict[tuple[str, int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.project_id, row.vintage, row.status)
        entry = grouped.setdefault(key, {
            "program": row.program, "project_id": row.project_id, "vintage": row.vintage,
            "status": row.status, "quantity": 0, "unit": row.unit, "serials": []})
        entry["quantity"] += row.serial_end - row.serial_start + 1
        program = Program(row.program, row.program_name, row.governmental, row.unit,
                          row.serial_format)
        entry["serials"].append({
            "start": row.serial_start, "end": row.serial_end, "hold_id": row.hold_id,
            "serial": program.render_serial(row.project_id, row.vintage, row.serial_start,
                                            row.serial_end)})
    return list(grouped.values())


def list_issuances(session: Session, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    query = select(issuances).order_by(issuances.c.id)
    if account_ids is not None:
        query = query.where(issuances.c.account_id.in_(account_ids))
    return _rows(session, query)


def list_transfers(session: Session, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    query = select(transfers).order_by(transfers.c.id)
    if account_ids is not None:
        query = query.where(or_(transfers.c.from_account_id.in_(account_ids),
                                transfers.c.to_account_id.in_(account_ids)))
    return _rows(session, query)


def list_holds(session: Session, account_ids: list[int] | None = None) -> list[dict[str, Any]]:
    query = select(holds).order_by(holds.c.id)
    if account_ids is not None:
        query = query.where(holds.c.account_id.in_(account_ids))
    return _rows(session, query)


def get_hold(session: Session, hold_id: int) -> dict[str, Any]:
    row = session.execute(select(holds).where(holds.c.id == hold_id)).first()
    if row is None:
        raise NotFound(f"hold {hold_id} does not exist", field="hold_id")
    return dict(row._mapping)


def list_cancellations(session: Session) -> list[dict[str, Any]]:
    return _rows(session, select(cancellations).order_by(cancellations.c.id))


def list_retirements(session: Session, participant_id: str | None = None) -> list[dict[str, Any]]:
    query = select(retirements).order_by(retirements.c.id)
    if participant_id is not None:
        query = query.where(retirements.c.participant_id == participant_id)
    return _rows(session, query)


def issuance_report(session: Session, by: str) -> list[dict[str, Any]]:
    """Credits issued, outstanding, retired and cancelled, grouped by one dimension."""
    if by not in REPORT_DIMENSIONS:
        raise ValidationError(f"by must be one of {', '.join(REPORT_DIMENSIONS)}", field="by")
    dimension = REPORT_DIMENSIONS[by]
    size = serial_blocks.c.serial_end - serial_blocks.c.serial_start + 1

    def of(*statuses: str) -> Any:
        return func.coalesce(func.sum(case((serial_blocks.c.status.in_(statuses), size), else_=0)), 0)

    query = (
        select(
            dimension.label(by),
            func.sum(size).label("issued"),
            of(BlockStatus.ACTIVE, BlockStatus.HELD, BlockStatus.LOCKED).label("outstanding"),
            of(BlockStatus.RETIRED).label("retired"),
            of(BlockStatus.CANCELLED).label("cancelled"),
        )
        .select_from(serial_blocks.join(projects, projects.c.id == serial_blocks.c.project_id))
        .group_by(dimension)
        .order_by(dimension)
    )
    return [{k: (int(v) if k != by else v) for k, v in row.items()} for row in _rows(session, query)]


def public_retirements(session: Session) -> list[dict[str, Any]]:
    """The public list of retirements (IOSCO GP 21): who benefits, for what claim, which serials."""
    rows = session.execute(
        select(retirements.c.id, retirements.c.beneficiary, retirements.c.purpose,
               retirements.c.claim, retirements.c.reporting_year, retirements.c.created_at,
               serial_blocks.c.program, serial_blocks.c.project_id, serial_blocks.c.vintage,
               serial_blocks.c.serial_start, serial_blocks.c.serial_end, programs.c.name,
               programs.c.governmental, programs.c.unit, programs.c.serial_format)
        .join(serial_blocks, serial_blocks.c.retirement_id == retirements.c.id)
        .join(programs, programs.c.code == serial_blocks.c.program)
        .order_by(retirements.c.id, serial_blocks.c.serial_start)
    ).all()
    grouped: dict[tuple[int, str, int], dict[str, Any]] = {}
    for row in rows:
        key = (row.id, row.project_id, row.vintage)
        if key not in grouped:
            grouped[key] = {
                "retirement_id": row.id, "retired_at": row.created_at, "program": row.program,
                "project_id": row.project_id, "vintage": row.vintage, "quantity": 0,
                "beneficiary": row.beneficiary, "purpose": row.purpose, "claim": row.claim,
                "reporting_year": row.reporting_year, "serials": []}
        entry = grouped[key]
        entry["quantity"] += row.serial_end - row.serial_start + 1
        program = Program(row.program, row.name, row.governmental, row.unit, row.serial_format)
        entry["serials"].append(program.render_serial(row.project_id, row.vintage,
                                                      row.serial_start, row.serial_end))
    return list(grouped.values())
