"""Public REST endpoints of the transparency log and the bridge's proof of reserve.

No token is needed: anyone may audit the journal and check that every token is backed 1:1.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from greenmarket.integrity import log
from greenmarket.integrity.bridge import reserve_report
from greenmarket.integrity.checkpoint import load_signing_key, public_key_pem
from greenmarket.storage.db import Database

router = APIRouter()
LOG = ["transparency log / 透明性ログ"]


def _database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


@router.get(
    "/v1/log/checkpoint",
    tags=LOG,
    summary="Latest signed checkpoint / 最新の署名付きチェックポイント",
)
def get_checkpoint(request: Request) -> dict[str, Any]:
    """The signed checkpoint of the whole journal; signed on demand when the journal has grown."""
    database, key = _database(request), load_signing_key()
    with database.read() as session:
        fresh = log.fresh_checkpoint(session, key=key)
    if fresh is not None:
        return fresh.to_dict()
    with database.unit_of_work() as session:  # a write lock only when there is something to sign
        signed = log.current_checkpoint(session, clock=request.app.state.clock, key=key)
    return signed.to_dict()


@router.get(
    "/v1/log/public-key", tags=LOG, response_class=PlainTextResponse, summary="Log public key (PEM)"
)
def get_public_key() -> str:
    """The Ed25519 public key that verifies checkpoints (fetch once, then pin it)."""
    return public_key_pem(load_signing_key().public_key())


@router.get("/v1/log/proofs/inclusion", tags=LOG, summary="Inclusion proof / 包含証明")
def get_inclusion_proof(
    request: Request,
    sequence: int = Query(ge=1, description="journal entry sequence"),
    tree_size: int = Query(ge=1, description="size of a signed tree"),
) -> dict[str, Any]:
    with _database(request).read() as session:
        return log.inclusion_proof(session, sequence, tree_size).to_dict()


@router.get("/v1/log/proofs/consistency", tags=LOG, summary="Consistency proof / 整合性証明")
def get_consistency_proof(
    request: Request,
    first: int = Query(ge=1, description="older tree size"),
    second: int = Query(ge=1, description="newer tree size"),
) -> dict[str, Any]:
    with _database(request).read() as session:
        return log.consistency_proof(session, first, second).to_dict()


@router.get("/v1/log/entries", tags=LOG, summary="Journal entries / ジャーナルのエントリ")
def get_entries(
    request: Request,
    start: int = Query(ge=1, description="first sequence"),
    end: int = Query(ge=1, description=f"last sequence (at most {log.MAX_ENTRIES} per call)"),
) -> dict[str, Any]:
    with _database(request).read() as session:
        return {"entries": [entry.to_dict() for entry in log.entries(session, start, end)]}


@router.get(
    "/v1/bridge/reserves",
    tags=["token bridge / トークン・ブリッジ"],
    summary="Proof of reserve / 裏付けの証明",
)
def get_reserves(
    request: Request,
    bridge_account: int = Query(ge=1, description="the registry's bridge account id"),
) -> dict[str, Any]:
    """Per token class, tokens outstanding (from the journal) against credits locked."""
    with request.app.state.db.read() as session:
        return reserve_report(session, bridge_account)
