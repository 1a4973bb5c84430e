"""The ``greenmarket`` command line: one Typer app, one sub-command group per area."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="greenmarket",
    help="greenmarket — carbon-credit registry, exchange and green-bond analytics. "
    "カーボン・クレジット登録簿・取引所・グリーンボンド分析。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def serve(
    port: int = typer.Option(8000, help="TCP port. ポート番号。"),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on. 待ち受けアドレス。"),
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json, docs at /docs). API サーバーを起動。"""
    import uvicorn

    from greenmarket.api.app import create_app

    typer.echo(f"greenmarket on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


from greenmarket import demo  # noqa: E402
from greenmarket.registry import cli as registry_cli  # noqa: E402
from greenmarket.storage import cli as storage_cli  # noqa: E402

app.add_typer(storage_cli.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(registry_cli.app, name="registry")
app.add_typer(registry_cli.report_app, name="report")
app.add_typer(registry_cli.users_app, name="users")

from greenmarket.integrity import log_cli  # noqa: E402
app.add_typer(log_cli.app, name="log")
from greenmarket.integrity import bridge_cli  # noqa: E402
app.add_typer(bridge_cli.app, name="bridge")
from greenmarket.exchange import cli as exchange_cli  # noqa: E402
app.add_typer(exchange_cli.app, name="auction")

from greenmarket.frameworks import cli as frameworks_cli  # noqa: E402
app.add_typer(frameworks_cli.app, name="frameworks")
from greenmarket.bonds import cli as bonds_cli  # noqa: E402
app.add_typer(bonds_cli.app, name="bonds")
from greenmarket.bonds import greenium_cli  # noqa: E402
app.add_typer(greenium_cli.app, name="greenium")
from greenmarket.impact import cli as impact_cli  # noqa: E402
app.add_typer(impact_cli.app, name="impact")
from greenmarket.integrity.metaregistry import cli as metaregistry_cli  # noqa: E402
app.add_typer(metaregistry_cli.app, name="metaregistry")
from greenmarket.surveillance import cli as surveillance_cli  # noqa: E402
app.add_typer(surveillance_cli.app, name="surveillance")


def main() -> None:
    """Run the CLI; a refused request prints its code and message and exits with status 2."""
    import sys

    from rich.console import Console

    from greenmarket.errors import DomainError

    try:
        app()
    except DomainError as error:
        where = f" ({error.field})" if error.field else ""
        Console(stderr=True).print(f"[red]error[/red] {error.code}{where}: {error.message}", markup=True, highlight=False)
        sys.exit(2)
