"""Builders for the integrity tests: a signing key, a journal database, a sealed chain, and a
seeded registry with a bridge account."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from greenmarket.clock import FixedClock
from greenmarket.integrity.tables import log_checkpoints
from greenmarket.journal import GENESIS_HASH, JournalEntry, store
from greenmarket.registry import ledger, model
from greenmarket.registry.service import RegistryService
from greenmarket.storage.db import Database
from greenmarket.storage.migrate import upgrade
from greenmarket.storage.schema import journal, journal_head, metadata

START = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def sealed_chain(count: int, *, start: int = 1, previous_hash: str = GENESIS_HASH,
                 tag: str = "") -> list[JournalEntry]:
    """``count`` hash-linked entries, as the registry would journal issuances."""
    entries: list[JournalEntry] = []
    for sequence in range(start, start + count):
        entry = JournalEntry.seal(
            sequence=sequence,
            time=START + timedelta(minutes=sequence),
            actor="registry-admin",
            area="registry",
            type="credits_issued",
            payload={"project": f"JCR-{sequence:03d}{tag}", "serial_start": 1000 * sequence + 1,
                     "quantity": 1000},
            previous_hash=previous_hash,
        )
        entries.append(entry)
        previous_hash = entry.hash
    return entries


def append_entries(database: Database, count: int, *, tag: str = "") -> list[JournalEntry]:
    """Append ``count`` entries through the journal store, one unit of work each."""
    appended = []
    for i in range(count):
        with database.unit_of_work() as session:
            appended.append(
                store.append(
                    session,
                    time=START + timedelta(minutes=i),
                    actor="registry-admin",
                    area="registry",
                    type="credits_issued",
                    payload={"index": i, "tag": tag, "quantity": 500},
                )
            )
    return appended


@pytest.fixture
def signing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ed25519PrivateKey:
    """A fresh log key, also named by GREENMARKET_LOG_SIGNING_KEY for the adapters."""
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "log-key.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("GREENMARKET_LOG_SIGNING_KEY", str(path))
    return key


def create_journal_database(url: str) -> Database:
    """The journal and log tables without the migration's append-only triggers (tests tamper with
    past entries), and the head row the migration would add."""
    database = Database(url)
    metadata.create_all(database.engine, tables=[journal, journal_head, log_checkpoints],
                        checkfirst=True)
    with database.unit_of_work() as session:
        session.execute(insert(journal_head).values(id=1, sequence=0, hash=GENESIS_HASH))
    return database


@pytest.fixture
def journal_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    database = create_journal_database(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def migrated_journal_db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A fully migrated database (what the CLI works on), configured as the default one."""
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", sqlite_url)
    database = Database(sqlite_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def make_chain():  # type: ignore[no-untyped-def]
    """The :func:`sealed_chain` builder (a fixture, so test modules need not import conftest)."""
    return sealed_chain


@pytest.fixture
def append_to():  # type: ignore[no-untyped-def]
    """The :func:`append_entries` builder."""
    return append_entries


@pytest.fixture
def new_journal_database():  # type: ignore[no-untyped-def]
    """The :func:`create_journal_database` builder (for a second engine or PostgreSQL)."""
    return create_journal_database


# --- a seeded registry with a bridge account, for the token bridge -----------------------------

BRIDGE_PROJECTS = (
    {"id": "JCR-0101", "program": "JCREDIT", "name": "屋根置き太陽光 / Rooftop solar",
     "country": "JP", "category": "renewable_power", "methodology": "EN-R-002",
     "verifier": "Japan Quality Assurance Organization", "verifier_accreditation": "iso14065"},
    {"id": "JCR-0102", "program": "JCREDIT", "name": "森林経営 / Forest management",
     "country": "JP", "category": "forestry", "methodology": "FO-001",
     "verifier": "Japan Quality Assurance Organization", "verifier_accreditation": "iso14065"},
)
#: (holder, project, vintage, quantity) issued at set-up, in this order.
BRIDGE_ISSUANCES = (
    ("alpha", "JCR-0101", 2023, 300),
    ("alpha", "JCR-0101", 2024, 200),
    ("alpha", "JCR-0102", 2024, 150),
    ("beta", "JCR-0101", 2024, 100),
)


class SeededRegistry:
    """A migrated registry: holders alpha and beta, and a bridge operator with a bridge account."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = Database(url)
        self.clock = FixedClock(START)
        self.service = RegistryService(self.db, self.clock)
        self.holding: dict[str, int] = {}
        self.retirement: dict[str, int] = {}
        self.bridge_account = 0

    def run(self, operation):  # type: ignore[no-untyped-def]
        return self.service.execute("admin", operation)

    def seed(self) -> SeededRegistry:
        upgrade(self.db.engine)
        for program in model.known_programs():
            self.run(lambda c, p=program: ledger.create_program(c, **p))
        for project in BRIDGE_PROJECTS:
            self.run(lambda c, p=project: ledger.register_project(c, **p))
        for pid in ("alpha", "beta", "bridge-operator"):
            self.run(lambda c, pid=pid: ledger.register_participant(
                c, id=pid, name=f"{pid} K.K.", type="corporate", kyc_state="verified"))
            main_kind = "bridge" if pid == "bridge-operator" else "holding"
            for kind in (main_kind, "retirement"):
                account = self.run(lambda c, pid=pid, k=kind: ledger.open_account(c, pid, k))
                self.run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
                if kind == "bridge":
                    self.bridge_account = account["id"]
                else:
                    (self.holding if kind == "holding" else self.retirement)[pid] = account["id"]
        for holder, project, vintage, quantity in BRIDGE_ISSUANCES:
            self.run(lambda c, h=holder, p=project, v=vintage, q=quantity: ledger.issue(
                c, project_id=p, vintage=v, quantity=q, account_id=self.holding[h]))
        return self

    def copy_to(self, url: str) -> SeededRegistry:
        """The same registry in another SQLite file (copied), with the same account ids."""
        shutil.copy(make_url(self.url).database, make_url(url).database)
        other = SeededRegistry.__new__(SeededRegistry)
        other.__dict__.update(self.__dict__)
        other.url, other.db = url, Database(url)
        other.service = RegistryService(other.db, self.clock)
        return other


@pytest.fixture(scope="module")
def seeded_registry_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededRegistry]:
    """Migrated and seeded once per module; tests work on copies."""
    folder = tmp_path_factory.mktemp("bridge-template")
    template = SeededRegistry(f"sqlite:///{folder / 'registry.db'}").seed()
    template.db.dispose()
    yield template


@pytest.fixture
def seeded_registry(seeded_registry_template: SeededRegistry, tmp_path: Path) -> Iterator[SeededRegistry]:
    registry = seeded_registry_template.copy_to(f"sqlite:///{tmp_path / 'registry.db'}")
    yield registry
    registry.db.dispose()
