"""Registry use cases as units of work: one transaction each, retried, idempotent.

``RegistryService.execute`` runs one ledger operation in its own transaction. Transactions that
lose a race (PostgreSQL serialization failure or deadlock, SQLite busy) are retried with backoff,
so clients never see them. A request given an idempotency key is applied once: a retry with the
same key and body returns the first result, the same key with another body is refused.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from greenmarket.clock import Clock, SystemClock
from greenmarket.errors import Conflict, DomainError, ValidationError
from greenmarket.journal.entry import canonical_json, format_time
from greenmarket.registry.ledger import Context
from greenmarket.registry.tables import idempotency_keys
from greenmarket.storage.db import Database

T = TypeVar("T")

MAX_ATTEMPTS = 12
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's key for one request, with a fingerprint of the request body."""

    principal: str
    key: str
    request_hash: str

    @classmethod
    def for_request(
        cls, principal: str, key: str | None, operation: str, body: Any
    ) -> IdempotencyKey:
        """The key of one request; a request that moves credits or cash must carry one."""
        if not key:
            raise ValidationError("this request moves credits or cash and needs an "
                                  "Idempotency-Key header", code="idempotency_key_required",
                                  field="Idempotency-Key")
        if len(key) > 200:
            raise ValidationError("Idempotency-Key must be 1 to 200 characters",
                                  code="invalid_idempotency_key", field="Idempotency-Key")
        digest = hashlib.sha256(canonical_json({"operation": operation, "body": body})).hexdigest()
        return cls(principal, key, digest)


class IdempotencyReplay(Exception):
    """Internal signal: the key was used before; carries the first result."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result


class RegistryService:
    """The registry's transactional entry point for the API, the CLI and other areas."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    def execute(
        self,
        actor: str,
        operation: Callable[[Context], T],
        *,
        idempotency: IdempotencyKey | None = None,
    ) -> T:
        """Run ``operation`` in one transaction and return its result (or the first result)."""
        return run_in_transaction(
            self.db, lambda session: self._attempt(session, actor, operation, idempotency)
        )

    def _attempt(
        self,
        session: Session,
        actor: str,
        operation: Callable[[Context], T],
        idempotency: IdempotencyKey | None,
    ) -> T:
        if idempotency is not None:
            claim_idempotency_key(session, idempotency, format_time(self.clock.now()))
        result = operation(Context(session=session, actor=actor, now=self.clock.now()))
        if idempotency is not None:
            record_idempotent_result(session, idempotency, result)
        return result


def run_in_transaction(db: Database, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a fresh transaction, retrying races; map database invariants to errors."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            with db.unit_of_work() as session:
                return work(session)
        except IdempotencyReplay as replay:
            return replay.result  # type: ignore[return-value]
        except IntegrityError as error:
            mapped = _invariant_error(error)
            if mapped is not None:
                raise mapped from None
            if not _is_unique_violation(error) or attempt == MAX_ATTEMPTS - 1:
                raise
        except (OperationalError, DBAPIError) as error:
            if not _retryable(error) or attempt == MAX_ATTEMPTS - 1:
                raise
        time.sleep(min(0.2, 0.002 * 2**attempt) * random.random())
    raise AssertionError("unreachable")


def record_idempotent_result(session: Session, key: IdempotencyKey, result: Any) -> None:
    """Store the first result of a claimed key, in the transaction that produced it."""
    session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.principal == key.principal, idempotency_keys.c.key == key.key)
        .values(status_code=200, response=result)
    )


def claim_idempotency_key(session: Session, key: IdempotencyKey, stamp: str) -> None:
    """Claim a new key in the caller's transaction, or raise the first result or a conflict.

    Call it first in the unit of work: a concurrent claim of the same key then waits on the
    unique index and, once the first commits, replays its result.
    """
    row = session.execute(
        select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
            idempotency_keys.c.principal == key.principal, idempotency_keys.c.key == key.key
        )
    ).first()
    if row is None:
        session.execute(
            insert(idempotency_keys).values(principal=key.principal, key=key.key,
                                            request_hash=key.request_hash, status_code=0,
                                            response={}, created_at=stamp)
        )
        return
    if row.request_hash != key.request_hash:
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    raise IdempotencyReplay(dict(row.response))


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def _retryable(error: DBAPIError) -> bool:
    if _sqlstate(error) in RETRYABLE_SQLSTATES:
        return True
    message = str(error.orig).lower()
    return "database is locked" in message or "database is busy" in message


def _is_unique_violation(error: IntegrityError) -> bool:
    return _sqlstate(error) == "23505" or "unique constraint failed" in str(error.orig).lower()


def _invariant_error(error: IntegrityError) -> DomainError | None:
    """Turn a database-enforced registry invariant into the domain error it stands for."""
    message = str(error.orig).lower()
    if _sqlstate(error) == "23P01" or "overlaps an existing block" in message:
        return Conflict("serial range overlaps an existing block of the program",
                        code="serial_overlap", field="serial_start")
    if "never move" in message:
        return Conflict("retired or cancelled credits never move", code="credits_final")
    return None
