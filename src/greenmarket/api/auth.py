"""Bearer-token authentication and roles, shared by every area's API.

Roles: ``admin`` (registry administrator: programs, projects, issuance, KYC), ``participant``
(its own accounts only), ``auditor`` (reads everything), ``compliance`` (surveillance), and
``public`` (no token: public reports only). Tokens are random; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Request
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from greenmarket.errors import Forbidden, NotFound, Unauthorized, ValidationError
from greenmarket.registry.tables import participants, users
from greenmarket.storage.db import Database


class Role(StrEnum):
    ADMIN = "admin"
    PARTICIPANT = "participant"
    AUDITOR = "auditor"
    COMPLIANCE = "compliance"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling."""

    name: str
    role: Role
    participant_id: str | None = None

    @property
    def actor(self) -> str:
        """How the journal names this caller."""
        return f"{self.role}:{self.participant_id or self.name}"

    def can_read_all(self) -> bool:
        return self.role in (Role.ADMIN, Role.AUDITOR)


PUBLIC = Principal(name="public", role=Role.PUBLIC)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, *, name: str, role: str, participant_id: str | None = None) -> str:
    """Create a user and return its bearer token (shown once, stored only as a hash)."""
    try:
        role_value = Role(role)
    except ValueError:
        raise ValidationError("role must be one of admin, participant, auditor, compliance",
                              field="role") from None
    if role_value is Role.PUBLIC:
        raise ValidationError("the public role needs no user", field="role")
    if (role_value is Role.PARTICIPANT) != (participant_id is not None):
        raise ValidationError("participant users, and only they, name a participant",
                              field="participant_id")
    if participant_id is not None and not session.execute(
        select(participants.c.id).where(participants.c.id == participant_id)
    ).first():
        raise NotFound(f"participant {participant_id} does not exist", field="participant_id")
    token = "gm_" + secrets.token_urlsafe(24)
    session.execute(insert(users).values(token_hash=hash_token(token), name=name,
                                         role=role_value.value, participant_id=participant_id))
    return token


def principal_from_request(request: Request) -> Principal:
    """FastAPI dependency: the caller from ``Authorization: Bearer …`` (none → public)."""
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'", field="Authorization")
    principal = principal_from_token(request.app.state.db, token.strip())
    if principal is None:
        raise Unauthorized("unknown or revoked token", field="Authorization")
    return principal


def principal_from_token(database: Database, token: str) -> Principal | None:
    """The user a token belongs to, or None: the one lookup the API and the web pages share."""
    with database.read() as session:
        row = session.execute(
            select(users.c.name, users.c.role, users.c.participant_id)
            .where(users.c.token_hash == hash_token(token))
        ).first()
    if row is None:
        return None
    return Principal(name=row.name, role=Role(row.role), participant_id=row.participant_id)


def require(principal: Principal, *roles: Role) -> Principal:
    """Refuse unless the caller has one of ``roles`` (401 for the public, 403 otherwise)."""
    if principal.role in roles:
        return principal
    if principal.role is Role.PUBLIC:
        raise Unauthorized("this needs a bearer token", field="Authorization")
    allowed = ", ".join(r.value for r in roles)
    raise Forbidden(f"this needs the role {allowed}; you are {principal.role.value}")
