"""Run the Alembic migrations programmatically (``greenmarket db upgrade``)."""

from __future__ import annotations

from importlib import import_module, resources
from weakref import WeakSet

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from greenmarket.errors import Conflict
from greenmarket.storage.schema import metadata

# Every module that declares tables on the shared metadata.
TABLE_MODULES = (
    "greenmarket.registry.tables",
    "greenmarket.settlement.tables",
    "greenmarket.exchange.tables",
    "greenmarket.integrity.tables",
    "greenmarket.integrity.metaregistry.tables",
    "greenmarket.surveillance.tables",
    "greenmarket.marketdata.tables",
)


def all_metadata() -> MetaData:
    """The shared metadata with every area's tables imported onto it."""
    for name in TABLE_MODULES:
        import_module(name)
    return metadata


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("greenmarket.storage").joinpath("migrations"))
    )
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database of ``engine`` up to ``revision``."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_checked: WeakSet[Engine] = WeakSet()


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database the migrations have not brought up to date."""
    if engine in _checked:
        return
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    at = current(engine)
    if at != head:
        raise Conflict(
            f"the database is at schema revision {at or 'none'}, not {head}: "
            "run `greenmarket db upgrade` first / 先に `greenmarket db upgrade` を実行してください",
            code="database_not_migrated",
        )
    _checked.add(engine)
