"""Alembic environment: migrates the connection handed over by :mod:`greenmarket.storage.migrate`."""

from __future__ import annotations

from alembic import context

from greenmarket.storage.migrate import all_metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=all_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
