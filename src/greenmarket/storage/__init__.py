"""Storage adapters: SQLAlchemy engine, tables, migrations, repositories."""
