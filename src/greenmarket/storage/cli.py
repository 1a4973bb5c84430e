"""Database commands. データベース管理コマンド。"""

from __future__ import annotations

import typer
from rich.console import Console

from greenmarket.storage.db import Database
from greenmarket.storage.migrate import current, upgrade

app = typer.Typer(help="Database schema. データベースのスキーマ管理。", no_args_is_help=True)
console = Console()


@app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the configured database to the latest schema. スキーマを最新化。"""
    database = Database()
    upgrade(database.engine, revision)
    console.print(f"database at revision {current(database.engine)} "
                  f"({database.engine.url.render_as_string(hide_password=True)})", highlight=False)


@app.command("current")
def db_current() -> None:
    """Show the schema revision of the configured database. 現在のリビジョン。"""
    console.print(current(Database().engine) or "(empty database)", highlight=False)
