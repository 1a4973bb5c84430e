"""Invariants of the book view, driven by the pure engines (no database): whatever the commands,
the view rebuilt from the events equals the engine's own depth, quote and indicative auction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from marketdata_kit import AUCTION, SPOT

from greenmarket.errors import DomainError
from greenmarket.exchange.auction import CallAuctionBook
from greenmarket.exchange.continuous import ContinuousBook
from greenmarket.exchange.orders import Side, TimeInForce
from greenmarket.marketdata.depth import BookView

START = datetime(2026, 4, 28, 14, tzinfo=UTC)
OWNERS = ("a", "b", "c")
command = st.tuples(
    st.sampled_from(["submit", "submit", "submit", "cancel", "amend"]),
    st.sampled_from(OWNERS), st.sampled_from([Side.BUY, Side.SELL]),
    st.integers(990, 1010), st.integers(1, 30),
    st.sampled_from(["day", "day", "ioc", "fok"]), st.integers(0, 40))


def drive(book, view: BookView, commands, *, continuous: bool) -> None:  # type: ignore[no-untyped-def]
    """Apply commands to the engine and every resulting event to the view; compare after each."""
    ids: list[tuple[str, int]] = []
    for step, (kind, owner, side, price, quantity, tif, pick) in enumerate(commands):
        time = START + timedelta(seconds=step)
        try:
            if kind == "submit" or not ids:
                if continuous:
                    events = book.submit(owner, owner, side, price, quantity, time,
                                         time_in_force=TimeInForce(tif))
                else:
                    events = book.submit(owner, owner, side, price, quantity, time)
            else:
                who, order_id = ids[pick % len(ids)]
                events = (book.cancel(order_id, who, time) if kind == "cancel"
                          else book.amend(order_id, who, price, quantity, time))
        except DomainError:
            continue
        for event in events:
            body = event.to_dict()
            view.apply(body)
            if body["type"] == "OrderAccepted":
                ids.append((owner, body["order_id"]))
        if continuous:
            assert view.depth() == book.depth()
            assert view.best() == (book.best_bid, book.best_ask)
        else:
            engine = book.indicative()
            mine = view.indicative()
            assert (mine is None) == (engine is None)
            if engine is not None:
                assert (mine["price_ticks"], mine["volume"], mine["surplus"]) == (
                    engine.price, engine.volume, engine.surplus)


@settings(max_examples=150, deadline=None)
@given(st.lists(command, max_size=60))
def test_continuous_view_equals_the_engine(commands) -> None:  # type: ignore[no-untyped-def]
    view = BookView(SPOT)
    view.open("continuous", 1000)
    drive(ContinuousBook(SPOT, 1000), view, commands, continuous=True)
    assert view.spread() is None or view.spread() > 0  # a continuous book never rests crossed


@settings(max_examples=150, deadline=None)
@given(st.lists(command, max_size=60))
def test_call_auction_view_equals_the_engine(commands) -> None:  # type: ignore[no-untyped-def]
    view = BookView(AUCTION)
    view.open("call_auction", 1000)
    book = CallAuctionBook(AUCTION, 1000)
    drive(book, view, commands, continuous=False)
    for event in book.uncross(START + timedelta(hours=2))[1]:
        view.apply(event.to_dict())
    assert view.depth() == {"buy": [], "sell": []}  # everything traded or expired
