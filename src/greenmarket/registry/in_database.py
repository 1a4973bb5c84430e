"""The registry's hot path run by PostgreSQL itself: a plain transfer by quantity.

``registry_transfer`` (migration 0005) is the database twin of :func:`ledger.transfer` for a
quantity without a specification: same checks, messages, locks, rows and journal entry, in one
round trip; its journal entry is appended by the database when the transaction commits, so the
journal head is held only for the commit (``journal_pending``; ``journal.store`` appends it
earlier if the same transaction touches the journal again).
``tests/registry/test_registry_in_database.py`` runs the same scenarios through both and compares
results, refusals, tables and journals. A refusal comes back as data (nothing written, the
transaction still usable, as after the Python path's refusal) and is raised here as its error.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from greenmarket.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InsufficientCredits,
    NotFound,
    ValidationError,
)
from greenmarket.journal import store as journal_store

# On by default; the parity tests switch it off to run the Python path on PostgreSQL too.
ENABLED = True
BIGINT_LIMIT = 2**63

_TRANSFER = text("SELECT registry_transfer(:from_account_id, :to_account_id, :quantity, :actor, "
                 ":stamp)")
_TRANSFER_KEYS = ("id", "from_account_id", "to_account_id", "quantity", "created_at", "serials")
_ERRORS: dict[str, type[DomainError]] = {
    kind.__name__: kind
    for kind in (ValidationError, NotFound, Conflict, Forbidden, InsufficientCredits)
}


def runs_transfer(session: Session, quantity: int) -> bool:
    """Whether this session's database runs a quantity transfer itself (PostgreSQL, in range)."""
    return (ENABLED and -BIGINT_LIMIT < quantity < BIGINT_LIMIT
            and session.get_bind().dialect.name == "postgresql")


def transfer(
    session: Session, *, actor: str, stamp: str, from_account_id: int, to_account_id: int,
    quantity: int,
) -> dict[str, Any]:
    """``ledger.transfer`` of ``quantity`` credits (no specification), in the database."""
    result = session.execute(_TRANSFER, {
        "from_account_id": from_account_id, "to_account_id": to_account_id,
        "quantity": quantity, "actor": actor, "stamp": stamp,
    }).scalar_one()
    if "refused" in result:
        refusal = result["refused"]
        raise _ERRORS[refusal["error"]](refusal["message"], code=refusal["code"],
                                        field=refusal["field"], **refusal["details"])
    journal_store.defer(session)
    return {key: result[key] for key in _TRANSFER_KEYS}
