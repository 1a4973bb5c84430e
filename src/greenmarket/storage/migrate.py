"""Run the Alembic migrations programmatically (``greenmarket db upgrade``)."""

from __future__ import annotations

from importlib import import_module, resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData

from greenmarket.storage.schema import metadata

# Every module that declares tables on the shared metadata.
TABLE_MODULES = (
    "greenmarket.registry.tables",
    "greenmarket.settlement.tables",
    "greenmarket.exchange.tables",
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
