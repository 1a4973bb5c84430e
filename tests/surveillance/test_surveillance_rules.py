"""Every rule on hand-made cases that must alert, and near-misses that must not."""

from __future__ import annotations

from surveillance_kit import Tape, background


def test_wash_trade_same_owner_through_a_client_and_linked_members() -> None:
    tape = Tape()
    sell = tape.order(0, "BRK", "sell", 1000, 50, client="K1")  # K1's owner is A
    buy = tape.order(1, "A", "buy", 1000, 50)
    same = tape.trade(1, buy, sell, 1000, 50)
    linked = tape.cross(10, "B", "C", 1000, 50)
    alerts = tape.scan("wash_trade")
    assert [a["evidence"][0] for a in alerts] == [same, linked[2]]
    assert alerts[0]["participants"] == ["A", "BRK", "K1"] and alerts[0]["score"] == 1.0
    assert alerts[1]["score"] == 0.8


def test_wash_trade_near_misses_links_are_not_transitive_and_strangers_trade_freely() -> None:
    tape = Tape()
    tape.cross(0, "B", "D", 1000, 50)  # B-C and C-D are linked, B-D are not
    tape.cross(5, "A", "D", 1000, 50)
    assert tape.scan("wash_trade") == []


def spoof(tape: Tape, cancel_delay: float, layer: int = 600) -> list[str]:
    genuine = tape.order(1000, "B", "buy", 998, 50)
    layers = [tape.order(1002 + i, "B", "sell", 1003 + i, layer) for i in range(3)]
    taker = tape.order(1020, "D", "sell", 998, 50)
    tape.trade(1020, genuine, taker, 998, 50)
    for i, order_id in enumerate(layers):
        tape.cancel(1020 + cancel_delay + i, order_id)
    return layers


def test_spoofing_large_sells_cancelled_right_after_a_buy_fill() -> None:
    tape = Tape()
    background(tape)
    layers = spoof(tape, cancel_delay=5)
    [alert] = tape.scan("spoofing")
    assert set(layers) <= set(alert["evidence"]) and alert["participants"] == ["B"]
    assert 0.5 < alert["score"] <= 1


def test_spoofing_near_misses_late_cancel_and_small_layers() -> None:
    late = Tape()
    background(late)
    spoof(late, cancel_delay=200)  # cancelled long after the fill
    small = Tape()
    background(small)
    spoof(small, cancel_delay=5, layer=120)  # ordinary sizes: re-quoting, not spoofing
    assert late.scan("spoofing") == [] and small.scan("spoofing") == []


def auction_day(tape: Tape, late_quantity: int, late_price: int) -> str:
    tape.auction(0, "window_open", price=1000)
    for i in range(10):
        tape.order(10 + i, "A" if i % 2 else "D", "buy", 995 + i, 100, session="auction")
    for i in range(10):
        tape.order(30 + i, "C", "sell", 996 + i, 100, session="auction")
    late = tape.order(3000, "B", "buy", late_price, late_quantity, session="auction")
    tape.auction(3200, "window_close")
    return late


def test_marking_the_close_a_late_order_that_lifts_the_auction_price() -> None:
    tape = Tape()
    late = auction_day(tape, late_quantity=900, late_price=1060)
    [alert] = tape.scan("marking_the_close")
    assert alert["evidence"] == [late] and alert["participants"] == ["B"]


def test_marking_the_close_near_miss_an_ordinary_late_order() -> None:
    tape = Tape()
    auction_day(tape, late_quantity=20, late_price=999)
    assert tape.scan("marking_the_close") == []


def test_marking_the_close_uses_the_exchange_itayose_rule() -> None:
    import numpy as np

    from greenmarket.exchange.auction import uncross
    from greenmarket.surveillance.rules.marking_the_close import indicative_price

    orders = [("buy", 1002, 100, 1), ("buy", 1000, 50, 2), ("sell", 999, 80, 3), ("sell", 1001, 90, 4)]
    buys = [o for o in orders if o[0] == "buy"]
    sells = [o for o in orders if o[0] == "sell"]
    arrays = [np.array([o[i] for o in group], np.int64) for group in (buys, sells) for i in (1, 2, 3)]
    assert indicative_price(orders, 1000) == uncross(*arrays, 1000).price.price


def test_abnormal_price_a_print_far_from_recent_prices() -> None:
    tape = Tape()
    background(tape)
    outlier = tape.cross(400, "A", "D", 1100, 10)
    [alert] = tape.scan("abnormal_price")
    assert alert["evidence"][0] == outlier[2] and alert["score"] > 0.5


def test_abnormal_price_near_misses_normal_move_and_short_history() -> None:
    moved = Tape()
    background(moved)
    moved.cross(400, "A", "D", 1015, 10)  # 1.5 %: a normal move
    short = Tape()
    background(short, count=5)
    short.cross(100, "A", "D", 1100, 10)  # too little history to judge
    assert moved.scan("abnormal_price") == [] and short.scan("abnormal_price") == []


def test_circular_trading_transfers_round_linked_accounts() -> None:
    tape = Tape()
    ids = [tape.transfer(0, "B", "C", 1000), tape.transfer(60, "C", "A2", 10),
           tape.transfer(120, "C", "B", 900)]
    [alert] = tape.scan("circular_trading")
    assert alert["evidence"] == [ids[0], ids[2]] and alert["contract"] is None
    assert alert["score"] == 0.9


def test_circular_trading_near_misses_unrelated_hop_and_small_return() -> None:
    unrelated = Tape()
    unrelated.transfer(0, "B", "C", 1000)
    unrelated.transfer(10, "C", "D", 1000)
    unrelated.transfer(20, "D", "B", 1000)  # D and B are not linked
    small = Tape()
    small.transfer(0, "B", "C", 1000)
    small.transfer(10, "C", "B", 100)  # a tenth comes back: not a round trip
    assert unrelated.scan("circular_trading") == [] and small.scan("circular_trading") == []


def front_run(tape: Tape, own_side: str, unwind_price: int) -> list[str]:
    background(tape)
    other = "sell" if own_side == "buy" else "buy"
    own = tape.order(1000, "BRK", own_side, 1001, 100)
    seller = tape.order(1001, "D", other, 1001, 100)
    first = tape.trade(1001, *((own, seller) if own_side == "buy" else (seller, own)), 1001, 100)
    client = tape.order(1030, "BRK", "buy", 1004, 500, client="K2")
    unwind = tape.order(1060, "BRK", "sell", unwind_price, 100)
    second = tape.trade(1060, client, unwind, unwind_price, 100)
    return [own, client, first, unwind, second]


def test_front_running_own_order_ahead_of_a_large_client_order_then_sold_higher() -> None:
    tape = Tape()
    evidence = front_run(tape, "buy", 1004)
    [alert] = tape.scan("front_running")
    assert set(alert["evidence"]) == set(evidence) and alert["participants"] == ["BRK", "K2"]


def test_front_running_near_misses_other_side_and_no_profit() -> None:
    other_side = Tape()
    front_run(other_side, "sell", 1004)
    no_profit = Tape()
    front_run(no_profit, "buy", 1000)
    assert other_side.scan("front_running") == [] and no_profit.scan("front_running") == []


def test_concentration_one_owner_trading_most_of_the_day() -> None:
    tape = Tape()
    background(tape, count=10)
    for i in range(20):
        tape.cross(500 + 10 * i, "B" if i % 2 else "A2", "A" if i % 2 else "B", 1000, 100)
    alerts = tape.scan("concentration")
    owners = [alert["participants"] for alert in alerts]
    assert ["A", "A2"] in owners  # A and A2 share one owner: 40 of 60 trades' sides
    assert all(0.5 <= alert["score"] <= 1 for alert in alerts)


def test_concentration_near_miss_busy_but_not_dominant() -> None:
    tape = Tape()
    pairs = [("A", "B"), ("C", "K2"), ("D", "A"), ("B", "C"), ("K2", "D")]
    for i in range(40):
        buyer, seller = pairs[i % 5]
        kw = {"client": "K2"} if "K2" in (buyer, seller) else {}
        sell = tape.order(10 * i, "BRK" if seller == "K2" else seller, "sell", 1000, 100, **kw if seller == "K2" else {})
        buy = tape.order(10 * i + 1, "BRK" if buyer == "K2" else buyer, "buy", 1000, 100, **kw if buyer == "K2" else {})
        tape.trade(10 * i + 1, buy, sell, 1000, 100)
    assert tape.scan("concentration") == []


def test_concentration_of_holdings_through_transfers() -> None:
    tape = Tape()
    tape.transfer(0, "B", "A", 6_000)
    tape.transfer(10, "D", "C", 5_000)
    [alert] = tape.scan("concentration")
    assert alert["participants"] == ["A"] and alert["contract"] is None
