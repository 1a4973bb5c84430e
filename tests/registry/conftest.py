"""The registry test kit: a migrated, seeded registry and helpers to look inside it.

Tests reach it through fixtures (``registry`` on both databases, ``sqlite_registry``,
``postgres_registry``: copies of one seeded template per session, so each test starts fresh in
milliseconds) or ``build_registry``, which the ``build_registry`` fixture hands out;
annotations import :class:`Registry` under ``TYPE_CHECKING`` only (test folders are not packages).

``build_registry(url)`` migrates a fresh database and seeds it through the service (so the journal
records the set-up too): every program greenmarket ships with, an FI-eligible J-Credit project, a
voluntary project that is not FI-eligible, and verified participants (two corporates and a bank)
each with an open holding and an open retirement account.
"""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest
from sqlalchemy import Connection, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from greenmarket.clock import FixedClock
from greenmarket.registry import audit, ledger, model
from greenmarket.registry.ledger import Context
from greenmarket.registry.service import IdempotencyKey, RegistryService
from greenmarket.registry.tables import serial_blocks
from greenmarket.storage.db import Database, make_engine
from greenmarket.storage.migrate import upgrade
from greenmarket.storage.schema import journal_head

T = TypeVar("T")

ADMIN = "admin"
ELIGIBLE_PROJECT = "JCR-0001"  # J-Credit (governmental): FIs may hold its credits
VOLUNTARY_PROJECT = "VCS-0002"  # VCS, verifier without accreditation: FIs may not
PARTICIPANTS = {"alpha": "corporate", "beta": "corporate", "bank": "financial_institution"}

PROJECTS = (
    {"id": ELIGIBLE_PROJECT, "program": "JCREDIT", "name": "屋根置き太陽光 / Rooftop solar",
     "country": "jp", "category": "renewable_power", "methodology": "EN-R-002",
     "verifier": "Japan Quality Assurance Organization", "verifier_accreditation": "iso14065"},
    {"id": VOLUNTARY_PROJECT, "program": "VCS", "name": "Clean cookstoves", "country": "KE",
     "category": "household", "methodology": "VMR0006", "verifier": "Local auditor",
     "verifier_accreditation": "none"},
)


@dataclass
class Registry:
    """A seeded registry: its database, service, clock and the accounts by name."""

    db: Database
    service: RegistryService
    clock: FixedClock
    eligible_project: ClassVar[str] = ELIGIBLE_PROJECT
    voluntary_project: ClassVar[str] = VOLUNTARY_PROJECT
    holding: dict[str, int] = field(default_factory=dict)
    retirement: dict[str, int] = field(default_factory=dict)

    def run(
        self, operation: Callable[[Context], T], *, actor: str = ADMIN,
        key: str | None = None, body: Any = None,
    ) -> T:
        """Run one ledger operation as one transaction (idempotent when ``key`` is given)."""
        idempotency = None
        if key is not None:
            idempotency = IdempotencyKey.for_request(actor, key, operation.__name__, body)
        return self.service.execute(actor, operation, idempotency=idempotency)

    def issue(self, quantity: int, *, to: str = "alpha", project: str = ELIGIBLE_PROJECT,
              vintage: int = 2024, serial_start: int | None = None) -> dict[str, Any]:
        return self.run(lambda c: ledger.issue(
            c, project_id=project, vintage=vintage, quantity=quantity,
            account_id=self.holding[to], serial_start=serial_start))

    def transfer(self, frm: str, to: str, quantity: int | None = None,
                 ranges: tuple[tuple[int, int], ...] = (), **spec: Any) -> dict[str, Any]:
        selection = ledger.Selection(quantity=quantity, spec=ledger.CreditSpec(**spec),
                                     serial_ranges=ranges)
        return self.run(lambda c: ledger.transfer(
            c, from_account_id=self.holding[frm], to_account_id=self.holding[to],
            selection=selection))

    def retire(self, who: str, quantity: int, beneficiary: str = "Alpha Corp") -> dict[str, Any]:
        return self.run(lambda c: ledger.retire(
            c, account_id=self.holding[who], selection=ledger.Selection(quantity=quantity),
            beneficiary=beneficiary, purpose="voluntary_offset", claim="FY2025 offset",
            reporting_year=2025))

    def audit(self) -> list[str]:
        """Every invariant violation, journal break and replay difference (empty: all good)."""
        with self.db.read() as session:
            report = audit.audit(session)
        return report.invariant_violations + report.journal_problems + report.replay_differences

    def balances(self) -> dict[tuple[int, str], int]:
        """Credits per (account id, block status)."""
        return balances(self.db)

    def opened_at(self, url: str) -> Registry:
        """This registry opened at ``url``, where a copy of its database was made."""
        db = Database(url)
        return Registry(db=db, service=RegistryService(db, self.clock), clock=self.clock,
                        holding=dict(self.holding), retirement=dict(self.retirement))

    def snapshot(self) -> dict[str, Any]:
        """Row counts of every table and the journal head: equal before and after a refusal."""
        return snapshot(self.db)


def balances(db: Database) -> dict[tuple[int, str], int]:
    size = serial_blocks.c.serial_end - serial_blocks.c.serial_start + 1
    with db.read() as session:
        rows = session.execute(
            select(serial_blocks.c.account_id, serial_blocks.c.status, func.sum(size))
            .group_by(serial_blocks.c.account_id, serial_blocks.c.status)
        ).all()
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for account_id, status, total in rows:
        totals[(int(account_id), status)] = int(total)
    return totals


def snapshot(db: Database) -> dict[str, Any]:
    names = sorted(set(inspect(db.engine).get_table_names()) - {"alembic_version"})
    with db.read() as session:
        counts = {name: session.execute(text(f'select count(*) from "{name}"')).scalar_one()
                  for name in names}
        blocks = session.execute(text(
            "select id, serial_start, serial_end, account_id, status, hold_id from serial_blocks"
            " order by id")).all()
        head = session.execute(select(journal_head.c.sequence, journal_head.c.hash)).one()
    return {"counts": counts, "blocks": [tuple(b) for b in blocks], "head": tuple(head)}


def seed(registry: Registry, participants: dict[str, str] = PARTICIPANTS) -> None:
    """Programs, projects, verified participants with open holding and retirement accounts."""
    for program in model.known_programs():
        registry.run(lambda c, p=program: ledger.create_program(c, **p))
    for project in PROJECTS:
        registry.run(lambda c, p=project: ledger.register_project(c, **p))
    for pid, kind in participants.items():
        registry.run(lambda c, pid=pid, kind=kind: ledger.register_participant(
            c, id=pid, name=f"{pid.title()} K.K.", type=kind, kyc_state="verified"))
        for account_kind, book in (("holding", registry.holding),
                                   ("retirement", registry.retirement)):
            account = registry.run(
                lambda c, pid=pid, k=account_kind: ledger.open_account(c, pid, k))
            registry.run(lambda c, a=account["id"]: ledger.set_account_state(c, a, "open"))
            book[pid] = account["id"]


def build_registry(url: str, *, pool_size: int = 10,
                   participants: dict[str, str] = PARTICIPANTS) -> Registry:
    """Migrate the fresh database at ``url`` and seed it."""
    db = Database(engine=make_engine(url, pool_size=pool_size))
    upgrade(db.engine)
    clock = FixedClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    registry = Registry(db=db, service=RegistryService(db, clock), clock=clock)
    seed(registry, participants)
    return registry


@pytest.fixture(name="build_registry")
def build_registry_fixture() -> Callable[..., Registry]:
    """``build_registry`` itself, for tests that need their own pool size or participants."""
    return build_registry


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """One seeded SQLite registry per session; tests get copies of its file."""
    template = build_registry(f"sqlite:///{tmp_path_factory.mktemp('registry')}/template.db")
    template.db.dispose()  # checkpoints the WAL: the file alone is the whole registry
    return template


@pytest.fixture
def sqlite_registry(sqlite_template: Registry, tmp_path: Path) -> Iterator[Registry]:
    """A fresh seeded SQLite registry (a copy of the session's template)."""
    shutil.copy(str(sqlite_template.db.engine.url.database), tmp_path / "registry.db")
    built = sqlite_template.opened_at(f"sqlite:///{tmp_path}/registry.db")
    yield built
    built.db.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> Iterator[Registry]:
    """One seeded PostgreSQL database per session, with a copy of its rows in schema ``seeded``."""
    name = f"gm_registry_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    template = build_registry(make_url(postgres_server).set(database=name)
                              .render_as_string(hide_password=False))
    with template.db.engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA seeded"))
        for table in _tables(connection):
            connection.execute(text(f'CREATE TABLE seeded."{table}" AS TABLE public."{table}"'))
        connection.execute(text(
            "CREATE TABLE seeded.sequences AS SELECT schemaname, sequencename, last_value"
            " FROM pg_sequences WHERE schemaname = 'public'"))
    yield template
    template.db.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_registry(postgres_template: Registry) -> Iterator[Registry]:
    """The session's PostgreSQL registry, put back to its seeded rows (ids and journal included).

    Creating a database per test costs seconds (a drop waits for a checkpoint); restoring rows
    costs milliseconds. Triggers and foreign keys are off while restoring (replica role): the
    rows were checked when first written.
    """
    with postgres_template.db.engine.begin() as connection:
        tables = _tables(connection)
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:  # DELETE, not TRUNCATE: far cheaper on small tables
            connection.execute(text(f'DELETE FROM public."{table}"'))
            connection.execute(text(f'INSERT INTO public."{table}" SELECT * FROM seeded."{table}"'))
        connection.execute(text(
            "SELECT setval(format('%I.%I', schemaname, sequencename), coalesce(last_value, 1),"
            " last_value IS NOT NULL) FROM seeded.sequences"))
    built = postgres_template.opened_at(postgres_template.db.engine.url.render_as_string(False))
    yield built
    built.db.dispose()


def _tables(connection: Connection) -> list[str]:
    return list(connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'alembic_version' ORDER BY tablename")).scalars())


@pytest.fixture(params=["sqlite", "postgres"])
def registry(request: pytest.FixtureRequest) -> Registry:
    """A fresh seeded registry, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_registry")
