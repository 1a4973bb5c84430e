"""The ``greenmarket`` command line: one Typer app, one sub-command group per area.

Area groups load lazily: ``greenmarket registry …`` imports the registry only, not the analytics
stack (pandas, statsmodels, exchange calendars) that other groups need.
"""

from __future__ import annotations

import sys
from importlib import import_module

import click
import typer
from typer.core import TyperGroup

# name → "module:attribute" of the area's Typer app. Add a line here to add a group.
GROUPS = {
    "db": "greenmarket.storage.cli:app",
    "demo": "greenmarket.demo:app",
    "registry": "greenmarket.registry.cli:app",
    "report": "greenmarket.registry.cli:report_app",
    "users": "greenmarket.registry.cli:users_app",
    "log": "greenmarket.integrity.log_cli:app",
    "bridge": "greenmarket.integrity.bridge_cli:app",
    "auction": "greenmarket.exchange.cli:app",
    "exchange": "greenmarket.exchange.ops_cli:app",
    "frameworks": "greenmarket.frameworks.cli:app",
    "bonds": "greenmarket.bonds.cli:app",
    "greenium": "greenmarket.bonds.greenium_cli:app",
    "impact": "greenmarket.impact.cli:app",
    "metaregistry": "greenmarket.integrity.metaregistry.cli:app",
    "surveillance": "greenmarket.surveillance.cli:app",
    "marketdata": "greenmarket.marketdata.cli:app",
    "analyses": "greenmarket.analyses.cli:app",
}


class LazyGroups(TyperGroup):
    """The root group: area groups are imported when invoked (or when help lists them)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *GROUPS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in GROUPS:
            return super().get_command(ctx, name)
        module, _, attribute = GROUPS[name].partition(":")
        group = typer.main.get_group(getattr(import_module(module), attribute))
        group.name = name
        return group


app = typer.Typer(name="greenmarket", cls=LazyGroups, no_args_is_help=True,
                  pretty_exceptions_enable=False)


@app.callback()
def greenmarket() -> None:
    """greenmarket — carbon-credit registry, exchange and green-bond analytics.
    カーボン・クレジット登録簿・取引所・グリーンボンド分析。
    """


@app.command()
def serve(
    port: int = typer.Option(8000, help="TCP port. ポート番号。"),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on. 待ち受けアドレス。"),
) -> None:
    """Serve the web pages (/) and the REST API (/docs). Web 画面と API サーバーを起動。"""
    import uvicorn

    from greenmarket.api.app import create_app

    typer.echo(f"greenmarket on http://{host}:{port}/  (web / Web 画面; API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def main() -> None:
    """Run the CLI; a refused request prints its code and message and exits with status 2."""
    from rich.console import Console
    from sqlalchemy.exc import ArgumentError, OperationalError

    from greenmarket.errors import DomainError

    console = Console(stderr=True)
    try:
        app()
    except DomainError as error:
        where = f" ({error.field})" if error.field else ""
        console.print(f"[red]error[/red] {error.code}{where}: {error.message}", markup=True,
                      highlight=False)
        sys.exit(2)
    except (OperationalError, ArgumentError) as error:
        console.print("[red]error[/red] database_unavailable (GREENMARKET_DATABASE_URL): "
                      f"{str(error).splitlines()[0]}", markup=True, highlight=False)
        sys.exit(2)
