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

from greenmarket.integrity import log_cli  # noqa: E402
app.add_typer(log_cli.app, name="log")
from greenmarket.exchange import cli as exchange_cli  # noqa: E402
app.add_typer(exchange_cli.app, name="auction")

from greenmarket.frameworks import cli as frameworks_cli  # noqa: E402
app.add_typer(frameworks_cli.app, name="frameworks")
from greenmarket.bonds import cli as bonds_cli  # noqa: E402
app.add_typer(bonds_cli.app, name="bonds")
from greenmarket.impact import cli as impact_cli  # noqa: E402
app.add_typer(impact_cli.app, name="impact")


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
