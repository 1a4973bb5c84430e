"""``greenmarket bonds``: Z-spreads from the command line (FORMATS.md, "Z-spread")."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import Progress

from greenmarket.bonds.curves import zero_curves
from greenmarket.bonds.reference import load_bonds, load_curves, load_prices
from greenmarket.bonds.zspread import (
    CHUNK_TERMS,
    COMPOUNDING,
    UNPRICED_REASONS,
    z_spreads_for_chunk,
)

app = typer.Typer(help="Bond pricing: Z-spreads. 債券の価格計算: Zスプレッド。", no_args_is_help=True)

CHUNK_ROWS = 250_000


@app.command("zspread")
def zspread_command(
    bonds: Path = typer.Option(..., "--bonds", help="bonds.csv or .parquet"),
    prices: Path = typer.Option(..., "--prices", help="prices.csv or .parquet"),
    curves: Path = typer.Option(..., "--curves", help="curves.csv or .parquet"),
    out: Path = typer.Option(..., "--out", help="output CSV: isin, date, z_spread_bp"),
    compounding: str = typer.Option(
        "continuous", "--compounding", help=f"spread compounding: {', '.join(COMPOUNDING)} (FORMATS: continuous)"
    ),
) -> None:
    """Compute the Z-spread of every price row. 各価格行のZスプレッドを計算します。

    Rows that cannot be priced (no curve on the date, floating or perpetual bond, not outstanding) are written with an empty z_spread_bp and counted by reason. 価格計算できない行は空欄とし、理由ごとに件数を表示します。
    """  # noqa: E501 (one paragraph for the help screen)
    console = Console(stderr=True, soft_wrap=True)
    bond_frame, price_frame = load_bonds(bonds), load_prices(prices)
    curve_set = zero_curves(load_curves(curves))
    terms = [c for c in (*CHUNK_TERMS, "calendar") if c in bond_frame.columns]
    joined = price_frame[["isin", "date", "clean_price"]].merge(
        bond_frame[["isin", *terms]], on="isin", how="left", validate="many_to_one"
    )
    parts = []
    with Progress(console=console, transient=True, disable=len(joined) <= CHUNK_ROWS) as progress:
        task = progress.add_task("Z-spreads", total=len(joined))
        for start in range(0, max(len(joined), 1), CHUNK_ROWS):
            parts.append(z_spreads_for_chunk(joined.iloc[start : start + CHUNK_ROWS], curve_set, compounding=compounding))
            progress.advance(task, min(CHUNK_ROWS, len(joined) - start))
    result = pd.concat(parts) if parts else pd.DataFrame(columns=["z_spread_bp", "unpriced"])
    table = pd.DataFrame(
        {"isin": joined["isin"], "date": joined["date"].dt.strftime("%Y-%m-%d"), "z_spread_bp": result["z_spread_bp"]}
    )
    _write_atomically(table, out)
    unpriced = result.loc[result["unpriced"] != "", "unpriced"].value_counts()
    console.print(f"{len(table) - int(unpriced.sum())} of {len(table)} rows priced → {out}", highlight=False)
    for reason, count in unpriced.items():
        console.print(f"  unpriced {reason}: {count} ({UNPRICED_REASONS[reason]})", highlight=False)


def _write_atomically(table: pd.DataFrame, out: Path) -> None:
    """Write the CSV beside its target and rename it, so a failed run leaves no partial file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            table.to_csv(stream, index=False)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
