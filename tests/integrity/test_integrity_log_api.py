"""Public REST endpoints of the transparency log."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from greenmarket.api.app import create_app
from greenmarket.clock import FixedClock
from greenmarket.integrity.checkpoint import SignedCheckpoint, parse_public_key, verify_signature
from greenmarket.integrity.proofs import ConsistencyProof, InclusionProof


def test_an_auditor_fetches_and_checks_everything(migrated_journal_db, signing_key, append_to) -> None:  # type: ignore[no-untyped-def]
    append_to(migrated_journal_db, 6)
    client = TestClient(create_app(migrated_journal_db, FixedClock(datetime(2026, 4, 1, 12, tzinfo=UTC))))
    public_key = parse_public_key(client.get("/v1/log/public-key").content, source="api")

    first = client.get("/v1/log/checkpoint").json()
    assert client.get("/v1/log/checkpoint").json() == first  # nothing new: the same checkpoint
    old = SignedCheckpoint.from_dict(first)
    verify_signature(old, public_key)
    assert old.checkpoint.tree_size == 6

    append_to(migrated_journal_db, 5, tag="more")
    new = SignedCheckpoint.from_dict(client.get("/v1/log/checkpoint").json())
    verify_signature(new, public_key)
    assert new.checkpoint.tree_size == 11

    inclusion = client.get("/v1/log/proofs/inclusion", params={"sequence": 4, "tree_size": 11})
    InclusionProof.from_dict(inclusion.json()).verify(new.checkpoint)
    consistency = client.get("/v1/log/proofs/consistency", params={"first": 6, "second": 11})
    ConsistencyProof.from_dict(consistency.json()).verify(old.checkpoint, new.checkpoint)

    listed = client.get("/v1/log/entries", params={"start": 3, "end": 5}).json()["entries"]
    assert [entry["sequence"] for entry in listed] == [3, 4, 5]


def test_bad_requests_get_problem_details(migrated_journal_db, signing_key, append_to) -> None:  # type: ignore[no-untyped-def]
    append_to(migrated_journal_db, 3)
    client = TestClient(create_app(migrated_journal_db, FixedClock(datetime(2026, 4, 1, 12, tzinfo=UTC))))
    missing = client.get("/v1/log/proofs/inclusion", params={"sequence": 2, "tree_size": 9})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["field"] == "tree_size"
    invalid = client.get("/v1/log/proofs/consistency", params={"first": 0, "second": 3})
    assert invalid.status_code == 422 and invalid.json()["field"] == "first"
    backwards = client.get("/v1/log/proofs/consistency", params={"first": 3, "second": 2})
    assert backwards.status_code == 422


def test_a_new_signing_key_gets_a_checkpoint_of_its_own(
    migrated_journal_db, signing_key, append_to, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    append_to(migrated_journal_db, 4)
    client = TestClient(create_app(migrated_journal_db, FixedClock(datetime(2026, 4, 1, 12, tzinfo=UTC))))
    old = SignedCheckpoint.from_dict(client.get("/v1/log/checkpoint").json())
    rotated = Ed25519PrivateKey.generate()
    path = tmp_path / "rotated.pem"
    path.write_bytes(
        rotated.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("GREENMARKET_LOG_SIGNING_KEY", str(path))
    new = SignedCheckpoint.from_dict(client.get("/v1/log/checkpoint").json())
    assert new.key_id != old.key_id and new.checkpoint.root_hash == old.checkpoint.root_hash
    verify_signature(new, rotated.public_key())
