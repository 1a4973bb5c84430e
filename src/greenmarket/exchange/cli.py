"""``greenmarket auction …``: operator tools around the call auction.

``greenmarket auction uncross BOOK.json`` is the what-if tool of FORMATS.md ("Call-auction book"):
it reads a book, runs the same uncross as the exchange and prints the result as JSON.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from greenmarket.errors import FileFormatError
from greenmarket.exchange.auction import uncross

app = typer.Typer(
    help="Call auctions (板寄せ): what-if uncross of a book. 板寄せの試算。",
    no_args_is_help=True,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Sums of quantities must stay exact in 64-bit integers.
_MAX_TOTAL = 2**62


def read_book(path: Path) -> dict[str, Any]:
    """Read and check a call-auction book file; every error names the order and the field."""
    source = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileFormatError("file not found", source=source) from None
    except UnicodeDecodeError:
        raise FileFormatError("not UTF-8 text", source=source) from None
    except json.JSONDecodeError as error:
        raise FileFormatError(f"not JSON: {error.msg}", source=source, line=error.lineno,
                              column=str(error.colno)) from None
    if not isinstance(document, dict):
        raise FileFormatError("the book must be a JSON object", source=source)
    tick = _integer(document, "tick", source)
    if tick <= 0:
        raise FileFormatError("tick must be a positive integer", source=source, column="tick")
    reference = _integer(document, "reference_price", source)
    if reference % tick:
        raise FileFormatError(f"reference_price {reference} is not a multiple of tick {tick}",
                              source=source, column="reference_price")
    orders = document.get("orders")
    if not isinstance(orders, list):
        raise FileFormatError("orders must be a list", source=source, column="orders")
    checked = [_order(order, index, tick, source) for index, order in enumerate(orders)]
    seen: set[str] = set()
    for index, order in enumerate(checked):
        if order["id"] in seen:
            raise FileFormatError(f"order {order['id']!r} (index {index}): id is repeated",
                                  source=source, column=f"orders[{index}].id")
        seen.add(order["id"])
    for side in ("buy", "sell"):
        if sum(o["quantity"] for o in checked if o["side"] == side) >= _MAX_TOTAL:
            raise FileFormatError(f"total {side} quantity is too large", source=source, column="orders")
    return {"tick": tick, "reference_price": reference, "orders": checked}


def _integer(container: dict[str, Any], key: str, source: str) -> int:
    value = container.get(key)
    if type(value) is not int:
        raise FileFormatError(f"{key} must be an integer, got {value!r}", source=source, column=key)
    return value


def _order(order: Any, index: int, tick: int, source: str) -> dict[str, Any]:
    if not isinstance(order, dict):
        raise FileFormatError(f"order at index {index} must be an object", source=source,
                              column=f"orders[{index}]")
    raw_id = order.get("id")
    name = f"order {raw_id!r} (index {index}): " if isinstance(raw_id, str) and raw_id else f"order at index {index}: "

    def fail(field: str, rule: str) -> FileFormatError:
        return FileFormatError(f"{name}{field} {rule}", source=source, column=f"orders[{index}].{field}")

    if not isinstance(raw_id, str) or not raw_id:
        raise fail("id", "must be a non-empty string")
    side = order.get("side")
    if side not in ("buy", "sell"):
        raise fail("side", f"must be \"buy\" or \"sell\", got {side!r}")
    price = order.get("price")
    if type(price) is not int or price <= 0:
        raise fail("price", f"must be a positive integer, got {price!r}")
    if price % tick:
        raise fail("price", f"{price} is not a multiple of tick {tick}")
    quantity = order.get("quantity")
    if type(quantity) is not int or quantity <= 0:
        raise fail("quantity", f"must be a positive integer, got {quantity!r}")
    raw_time = order.get("time")
    try:
        moment = datetime.fromisoformat(raw_time) if isinstance(raw_time, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise fail("time", f"must be ISO 8601 with a UTC offset, got {raw_time!r}")
    priority = (moment - _EPOCH) // timedelta(microseconds=1)
    return {"id": raw_id, "side": side, "price": price, "quantity": quantity, "priority": priority}


def uncross_book(book: dict[str, Any]) -> dict[str, Any]:
    """Uncross a checked book; fills list every order that trades, in the file's order."""
    tick = book["tick"]
    orders = book["orders"]
    sides = {side: [o for o in orders if o["side"] == side] for side in ("buy", "sell")}

    def column(side: str, key: str, scale: int = 1) -> np.ndarray:
        return np.array([o[key] // scale for o in sides[side]], dtype=np.int64)

    result = uncross(
        column("buy", "price", tick), column("buy", "quantity"), column("buy", "priority"),
        column("sell", "price", tick), column("sell", "quantity"), column("sell", "priority"),
        book["reference_price"] // tick,
    )
    filled = {o["id"]: int(q) for o, q in zip(sides["buy"], result.buy_fills)}
    filled.update((o["id"], int(q)) for o, q in zip(sides["sell"], result.sell_fills))
    return {
        "price": result.price.price * tick if result.price else None,
        "volume": result.volume,
        "surplus": result.surplus,
        "fills": [{"id": o["id"], "quantity": filled[o["id"]]} for o in orders if filled[o["id"]]],
    }


@app.command("uncross")
def uncross_command(
    book: Annotated[Path, typer.Argument(help="BOOK.json (FORMATS.md: call-auction book)")],
) -> None:
    """Print the auction price, volume, surplus and fills of BOOK.json as JSON. 板寄せの約定試算。"""
    typer.echo(json.dumps(uncross_book(read_book(book)), ensure_ascii=False))
