"""Labelled synthetic trading days: a realistic background with near-misses, injected abuse, and
the precision / recall of the rules against the labels.

The background (per day, per contract): a continuous session 09:00-11:30 and 12:30-15:00 with a
price that follows a random walk around its level (and occasional genuine jumps of about 1 %),
two market makers re-quoting both sides, members and intermediaries trading for themselves,
clients trading through their intermediary, passive orders, marketable orders that walk the book,
cancels and amendments, large institutional orders that rest a while and are cancelled; and the
two call-auction windows 08:00-11:29 and 12:30-14:59 (Asia/Tokyo) uncrossed at 11:30 and 15:00 by
the exchange's own itayose function. Registry transfers move credits between participants, some of
them inside a group. Background counterparties are never related (the venue's self-match
prevention, and a group's accounts take one side of an auction), so every wash trade is injected.

Near-misses the background contains on purpose: large orders cancelled after an opposite fill but
resting longer than a spoofer's; large cancels a fraction of a big fill; intragroup transfers that
never come back, and credit cycles through unrelated holders; intermediaries' own orders on the
other side of, or after, a large client order; busy but not dominant traders; late auction orders
of ordinary size; genuine price jumps.

Injected patterns (each with a label: rule, evidence ids, participants, time): see
:meth:`DayBuilder.inject`. An alert *matches* a label when its rule is the label's rule (or one
the pattern necessarily also is: a circular trade among linked holders is also a wash trade, a
marked auction may also print an abnormal price) and its evidence shares at least one id with the
label's. Recall per rule: labels of that rule matched by an alert of that rule. Precision per
rule: alerts of that rule matching some label.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from greenmarket.exchange.auction import pair_fills, uncross
from greenmarket.surveillance.engine import Engine
from greenmarket.surveillance.events import (
    Amend,
    Auction,
    Cancel,
    Link,
    MarketEvent,
    Order,
    Participant,
    Trade,
    Transfer,
    to_record,
)
from greenmarket.surveillance.model import RULES, Alert, Parties
from greenmarket.surveillance.rules.marking_the_close import indicative_price

TOKYO = ZoneInfo("Asia/Tokyo")
#: What else an injected pattern legitimately triggers.
ALSO = {"circular_trading": ("wash_trade",), "marking_the_close": ("abnormal_price",),
        "abnormal_price": (), "wash_trade": (), "spoofing": (), "front_running": (), "concentration": ()}


@dataclass(frozen=True)
class ScenarioConfig:
    days: int = 20
    seed: int = 1
    contracts: tuple[tuple[str, int], ...] = (("JCR-EE", 3000), ("JCR-FOR", 5200), ("JCR-REN", 1800))
    orders_per_contract: int = 700
    auction_orders: int = 90
    injections_per_rule: float = 1.5
    first_day: date = date(2026, 1, 5)


@dataclass(frozen=True)
class Label:
    rule: str
    evidence: frozenset[str]
    participants: frozenset[str]
    time: datetime


@dataclass
class Scenario:
    participants: list[Participant]
    links: list[Link]
    events: list[MarketEvent] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    def records(self) -> Iterator[Participant | Link | MarketEvent]:
        yield from self.participants
        yield from self.links
        yield from self.events


def cast(rng: np.random.Generator) -> tuple[list[Participant], list[Link], dict[str, str]]:
    """Members, intermediaries, clients (each with its intermediary), groups and links."""
    participants: list[Participant] = []
    groups = {"M03": "G1", "C05": "G1", "C06": "G1", "M04": "G2", "C07": "G2",
              "C10": "G3", "C11": "G3", "C12": "G3"}
    for n in range(1, 13):
        ident = f"M{n:02d}"
        participants.append(Participant(ident, groups.get(ident, ident), "member"))
    for n in range(1, 5):
        participants.append(Participant(f"I{n:02d}", f"I{n:02d}", "intermediary"))
    broker: dict[str, str] = {}
    for n in range(1, 41):
        ident = f"C{n:02d}"
        participants.append(Participant(ident, groups.get(ident, ident), "client"))
        broker[ident] = f"I{int(rng.integers(1, 5)):02d}"
    pairs = [("M05", "M06"), ("M06", "C15"), ("C15", "M05"), ("M07", "C20"), ("C21", "C22"),
             ("M09", "C25"), ("C25", "C26"), ("M10", "C30")]
    links = [Link(a, b, "same group" if i % 2 else "common director") for i, (a, b) in enumerate(pairs)]
    return participants, links, broker


class _Counter:
    def __init__(self, prefix: str) -> None:
        self.prefix, self.n = prefix, 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.prefix}{self.n}"


class DayBuilder:
    """One trading day's events for every contract, and the abuse injected into it."""

    def __init__(self, config: ScenarioConfig, day_index: int, day: date, rng: np.random.Generator,
                 parties: Parties, broker: dict[str, str], holders: list[str], weights: np.ndarray,
                 clusters: dict[str, int], mids: dict[str, float]) -> None:
        self.config, self.day, self.rng = config, day, rng
        self.parties, self.broker, self.holders, self.weights = parties, broker, holders, weights
        self.clusters, self.mids = clusters, mids
        self.events: list[tuple[float, int, MarketEvent]] = []
        self.labels: list[Label] = []
        self._seq = 0
        self.order_id = _Counter(f"D{day_index}-O")
        self.trade_id = _Counter(f"D{day_index}-T")
        self.transfer_id = _Counter(f"D{day_index}-X")
        self.mean_size = 110.0
        self.auction_books: dict[tuple[str, float], tuple[int, dict[str, list]]] = {}
        self.paths: dict[str, tuple[np.ndarray, list[float]]] = {}
        self.related_pairs = [(a, b) for i, a in enumerate(holders) for b in holders[i + 1:]
                              if parties.related(a, b)]

    # -- building blocks ----------------------------------------------------------------------

    def at(self, hour: int, minute: int, second: float = 0.0) -> float:
        base = datetime.combine(self.day, time(hour, minute), TOKYO).timestamp()
        return base + second

    def mid_at(self, contract: str, ts: float) -> float:
        """The background's fair price of ``contract`` at ``ts``."""
        times, mids = self.paths[contract]
        return mids[max(int(np.searchsorted(times, ts, side="right")) - 1, 0)]

    def emit(self, event: MarketEvent) -> None:
        self._seq += 1
        self.events.append((event.ts, self._seq, event))

    def stamp(self, ts: float) -> datetime:
        return datetime.fromtimestamp(round(ts, 3), TOKYO)

    def size(self, scale: float = 1.0) -> int:
        return max(1, int(self.rng.lognormal(math.log(80 * scale), 0.8)))

    def holder(self, exclude: str | None = None) -> str:
        while True:
            holder = self.holders[int(self.rng.choice(len(self.holders), p=self.weights))]
            if exclude is None or not self.parties.related(holder, exclude):
                return holder

    def order(self, ts: float, holder: str, contract: str, side: str, price: int, quantity: int,
              session: str = "continuous") -> Order:
        kind = self.parties.kind[holder]
        participant, capacity, client = (
            (self.broker[holder], "agent", holder) if kind == "client" else (holder, "principal", None))
        order = Order(self.stamp(ts), ts, self.order_id(), participant, contract, side, price, quantity,
                      session, capacity, client)
        self.emit(order)
        return order

    def trade(self, ts: float, contract: str, price: int, quantity: int, buy: Order, sell: Order) -> Trade:
        trade = Trade(self.stamp(ts), ts, self.trade_id(), contract, price, quantity, buy.order_id, sell.order_id)
        self.emit(trade)
        return trade

    def cross(self, ts: float, contract: str, buyer: str, seller: str, price: int, quantity: int,
              buyer_first: bool = False) -> tuple[Order, Order, Trade]:
        """A resting order of one holder taken by the other's: two orders and a trade."""
        if buyer_first:
            buy = self.order(ts, buyer, contract, "buy", price, quantity)
            sell = self.order(ts + 0.5, seller, contract, "sell", price, quantity)
        else:
            sell = self.order(ts, seller, contract, "sell", price, quantity)
            buy = self.order(ts + 0.5, buyer, contract, "buy", price, quantity)
        return buy, sell, self.trade(ts + 0.5, contract, price, quantity, buy, sell)

    def label(self, rule: str, evidence: list[str], participants: list[str], ts: float) -> None:
        self.labels.append(Label(rule, frozenset(evidence), frozenset(participants), self.stamp(ts)))

    # -- the background -----------------------------------------------------------------------

    def build(self) -> None:
        for contract, _ in self.config.contracts:
            mid, times, mids = self.mids[contract], [], []
            for start, end in (((9, 0), (11, 30)), ((12, 30), (15, 0))):
                mid = ContinuousSession(self, contract, mid, times, mids).run(self.at(*start), self.at(*end))
            self.mids[contract] = mid
            self.paths[contract] = (np.array(times), mids)
            for open_, close in (((8, 0), (11, 30)), ((12, 30), (15, 0))):
                self.auction(contract, self.at(*open_), self.at(*close))
        self.transfers()
        self.inject()

    def auction(self, contract: str, start: float, close: float) -> None:
        """One call-auction window: orders, a few cancels and amends, close, uncross, trades."""
        rng, mid = self.rng, self.mid_at(contract, close)
        reference = round(self.mid_at(contract, start))
        self.emit(Auction(self.stamp(start), start, contract, "window_open", reference, 0))
        sides = {cluster: ("buy", "sell")[int(rng.integers(2))] for cluster in set(self.clusters.values())}
        end = close - 60
        book: dict[str, list] = {}
        cancels: list[tuple[float, str]] = []
        for ts in np.sort(rng.uniform(start, end, self.config.auction_orders)):
            holder = self.holder()
            side = sides[self.clusters[holder]]
            offset = rng.normal(0.0, 0.012) + (-0.004 if side == "buy" else 0.004)
            order = self.order(float(ts), holder, contract, side, round(mid * (1 + offset)),
                               self.size(), "auction")
            book[order.order_id] = [order, order.price, order.quantity, self._seq]
            if rng.random() < 0.12:
                cancels.append((float(min(ts + rng.exponential(900), end)), order.order_id))
        for when, order_id in sorted(cancels):
            del book[order_id]
            self.emit(Cancel(self.stamp(when), when, order_id))
        self.auction_books[(contract, close)] = (reference, book, sides)

    def uncross_all(self) -> None:
        """Close and uncross every window (after injections have joined the books)."""
        for (contract, close), (reference, book, _) in self.auction_books.items():
            self.emit(Auction(self.stamp(close - 1), close - 1, contract, "window_close", 0, 0))
            entries = list(book.values())
            buys = [e for e in entries if e[0].side == "buy"]
            sells = [e for e in entries if e[0].side == "sell"]
            arrays = [np.array([e[i] for e in group], np.int64) for group in (buys, sells) for i in (1, 2, 3)]
            result = uncross(*arrays, reference)
            if result.price is None:
                self.emit(Auction(self.stamp(close), close, contract, "uncross", reference, 0))
                continue
            price = result.price.price
            self.emit(Auction(self.stamp(close), close, contract, "uncross", price, result.volume))
            buy_rank = np.lexsort((arrays[2], -arrays[0]))
            sell_rank = np.lexsort((arrays[5], arrays[3]))
            pairs = pair_fills(buy_rank, result.buy_fills[buy_rank], sell_rank, result.sell_fills[sell_rank])
            for b, s, quantity in zip(*pairs):
                self.trade(close, contract, price, int(quantity), buys[int(b)][0], sells[int(s)][0])

    def transfers(self) -> None:
        """Registry transfers: between unrelated holders, and one-way inside groups."""
        rng = self.rng
        for _ in range(25):
            ts = self.at(9, 0) + float(rng.uniform(0, 6 * 3600))
            source = self.holder()
            if rng.random() < 0.3 and self.related_pairs:
                source, target = self.related_pairs[int(rng.integers(len(self.related_pairs)))]
            else:
                target = self.holder(exclude=source)
            self.transfer(ts, source, target, int(self.size(5)))
        for _ in range(2):  # cycles through unrelated holders: ordinary resale, not circular trading
            a = self.holder()
            b = self.holder(exclude=a)
            c = self.holder(exclude=b)
            if self.parties.related(c, a) or c == a:
                continue
            ts, quantity = self.at(9, 30) + float(rng.uniform(0, 3 * 3600)), self.size(5)
            for source, target in ((a, b), (b, c), (c, a)):
                self.transfer(ts, source, target, quantity)
                ts += float(rng.uniform(300, 3600))

    def transfer(self, ts: float, source: str, target: str, quantity: int, project: str | None = None) -> Transfer:
        project = project or f"JCR-P{int(self.rng.integers(1, 6))}"
        event = Transfer(self.stamp(ts), ts, self.transfer_id(), source, target, quantity, project, "2024")
        self.emit(event)
        return event

    # -- injected abuse -----------------------------------------------------------------------

    def inject(self) -> None:
        rng = self.config.injections_per_rule
        for rule in RULES:
            count = int(rng) + (1 if self.rng.random() < rng - int(rng) else 0)
            for _ in range(count):
                getattr(self, f"_inject_{rule}")()
        self.uncross_all()

    def _contract(self) -> str:
        return self.config.contracts[int(self.rng.integers(len(self.config.contracts)))][0]

    def _when(self) -> float:
        morning = self.rng.random() < 0.5
        return (self.at(9, 5) if morning else self.at(12, 35)) + float(self.rng.uniform(0, 2 * 3600))

    def _inject_wash_trade(self) -> None:
        a, b = self.related_pairs[int(self.rng.integers(len(self.related_pairs)))]
        contract, ts = self._contract(), self._when()
        buyer, seller = (a, b) if self.rng.random() < 0.5 else (b, a)
        buy, sell, trade = self.cross(ts, contract, buyer, seller, int(self.mid_at(contract, ts)), self.size())
        self.label("wash_trade", [buy.order_id, sell.order_id, trade.trade_id], [buyer, seller], ts)

    def _inject_spoofing(self) -> None:
        rng, contract, ts = self.rng, self._contract(), self._when()
        spoofer = self.holder()
        side, other = ("buy", "sell") if rng.random() < 0.5 else ("sell", "buy")
        mid = int(self.mid_at(contract, ts))
        genuine_price = mid - 2 if side == "buy" else mid + 2
        genuine = self.order(ts, spoofer, contract, side, genuine_price, self.size(0.7))
        layers, t = [], ts + float(rng.uniform(1, 10))
        for level in range(int(rng.integers(2, 5))):
            price = mid + 3 + level if other == "sell" else mid - 3 - level
            layers.append(self.order(t, spoofer, contract, other, price, int(self.size(1.0) + 4.5 * self.mean_size)))
            t += float(rng.uniform(0.5, 5))
        counterparty = self.holder(exclude=spoofer)
        fill_ts = t + float(rng.uniform(2, 40))
        quantity = genuine.quantity
        taker = self.order(fill_ts, counterparty, contract, other, genuine_price, quantity)
        buy, sell = (genuine, taker) if side == "buy" else (taker, genuine)
        trade = self.trade(fill_ts, contract, genuine_price, quantity, buy, sell)
        t = fill_ts + float(rng.uniform(1, 20))
        for layer in layers:
            self.emit(Cancel(self.stamp(t), t, layer.order_id))
            t += float(rng.uniform(0.2, 3))
        self.label("spoofing", [genuine.order_id, trade.trade_id, *(o.order_id for o in layers)],
                   [spoofer], t)

    def _inject_marking_the_close(self) -> None:
        rng = self.rng
        (contract, close), (reference, book, sides) = list(self.auction_books.items())[
            int(rng.integers(len(self.auction_books)))]
        resting = [(e[0].side, e[1], e[2], e[3]) for e in book.values()]
        before = indicative_price(resting, reference) or reference
        marker = self.holder()
        side = sides[self.clusters[marker]]  # a group takes one side of an auction
        price = int(before * (1.06 if side == "buy" else 0.94))
        opposite = sum(q for s, p, q, _ in resting if s != side)
        for fraction in (0.2, 0.35, 0.5, 0.8, 1.2):
            quantity = max(1, int(opposite * fraction))
            after = indicative_price([*resting, (side, price, quantity, 0)], reference) or before
            if abs(after - before) / before >= 0.03:
                break
        ts = close - 60 - float(rng.uniform(10, 200))
        order = self.order(ts, marker, contract, side, price, quantity, "auction")
        self._seq += 1
        book[order.order_id] = [order, price, quantity, self._seq]
        self.label("marking_the_close", [order.order_id], [marker], ts)

    def _inject_abnormal_price(self) -> None:
        contract, ts = self._contract(), self._when()
        jump = float(self.rng.uniform(0.05, 0.12)) * (1 if self.rng.random() < 0.5 else -1)
        buyer = self.holder()
        seller = self.holder(exclude=buyer)
        price = int(self.mid_at(contract, ts) * (1 + jump))
        buy, sell, trade = self.cross(ts, contract, buyer, seller, price, self.size(), buyer_first=jump > 0)
        self.label("abnormal_price", [buy.order_id, sell.order_id, trade.trade_id], [buyer, seller], ts)

    def _inject_circular_trading(self) -> None:
        rng = self.rng
        triangles = [("M05", "M06", "C15"), ("C10", "C11", "C12"), ("M03", "C05", "C06")]
        ring = list(triangles[int(rng.integers(len(triangles)))]) if rng.random() < 0.6 else \
            list(self.related_pairs[int(rng.integers(len(self.related_pairs)))])
        rng.shuffle(ring)
        ts, quantity = self._when(), self.size(8)
        evidence = []
        hops = list(zip(ring, ring[1:] + ring[:1]))
        if rng.random() < 0.65:
            project = f"JCR-P{int(rng.integers(1, 6))}"
            for source, target in hops:
                evidence.append(self.transfer(ts, source, target, quantity, project).transfer_id)
                ts += float(rng.uniform(120, 3600))
        else:
            contract = self._contract()
            for source, target in hops:
                buy, sell, trade = self.cross(ts, contract, target, source, int(self.mid_at(contract, ts)), quantity)
                evidence += [buy.order_id, sell.order_id, trade.trade_id]
                ts += float(rng.uniform(60, 1800))
        self.label("circular_trading", evidence, ring, ts)

    def _inject_front_running(self) -> None:
        rng, contract, ts = self.rng, self._contract(), self._when()
        intermediary = f"I{int(rng.integers(1, 5)):02d}"
        clients = [c for c, i in self.broker.items() if i == intermediary]
        client = clients[int(rng.integers(len(clients)))]
        side = "buy" if rng.random() < 0.5 else "sell"
        mid = int(self.mid_at(contract, ts))
        counterparty = self.holder(exclude=intermediary)
        quantity = self.size()
        price = mid + 1 if side == "buy" else mid - 1
        buyer, seller = (intermediary, counterparty) if side == "buy" else (counterparty, intermediary)
        buy, sell, trade = self.cross(ts, contract, buyer, seller, price, quantity, buyer_first=side != "buy")
        own = buy if side == "buy" else sell  # entered second: it takes the resting order
        later = ts + float(rng.uniform(2, 25))
        limit = price + (3 if side == "buy" else -3)
        big = self.order(later, client, contract, side, limit, int(self.mean_size * float(rng.uniform(3.5, 7))))
        unwind_ts = later + float(rng.uniform(1, 120))
        unwind = self.order(unwind_ts, intermediary, contract, "sell" if side == "buy" else "buy", limit, quantity)
        evidence = [own.order_id, big.order_id, trade.trade_id, unwind.order_id]
        if rng.random() < 0.5:  # sells to (buys from) its own client
            buy, sell = (big, unwind) if side == "buy" else (unwind, big)
        else:  # or to the market, after the client's order has been executed
            other = self.holder(exclude=client)
            filler = self.order(later + 0.5, other, contract, "sell" if side == "buy" else "buy", limit, big.quantity)
            pair = (big, filler) if side == "buy" else (filler, big)
            evidence.append(self.trade(later + 0.5, contract, limit, big.quantity, *pair).trade_id)
            taker = self.order(unwind_ts + 0.5, self.holder(exclude=intermediary), contract, side, limit, quantity)
            buy, sell = (taker, unwind) if side == "buy" else (unwind, taker)
        profit = self.trade(unwind_ts + 0.5, contract, limit, quantity, buy, sell)
        self.label("front_running", [*evidence, profit.trade_id], [intermediary, client], unwind_ts + 0.5)

    def _inject_concentration(self) -> None:
        contract = self._contract()
        volume = sum(e.quantity for _, _, e in self.events if type(e) is Trade and e.contract == contract)
        heavy = self.holder()
        while self.parties.kind[heavy] == "intermediary":  # keep brokers' own books ordinary
            heavy = self.holder()
        target = float(self.rng.uniform(1.4, 2.2)) * volume
        evidence, ts, done = [], self.at(9, 10), 0
        while done < target:
            ts += float(self.rng.uniform(10, 90))
            if ts > self.at(14, 50):
                break
            quantity = self.size(2)
            other = self.holder(exclude=heavy)
            buyer, seller = (heavy, other) if self.rng.random() < 0.5 else (other, heavy)
            _, _, trade = self.cross(ts, contract, buyer, seller, int(self.mid_at(contract, ts)), quantity)
            evidence.append(trade.trade_id)
            done += quantity
        self.label("concentration", evidence, [heavy], ts)



class ContinuousSession:
    """A continuous session of one contract: a price-time book fed by a random order flow."""

    def __init__(self, day: DayBuilder, contract: str, mid: float, times: list[float], mids: list[float]) -> None:
        self.day, self.contract, self.mid = day, contract, mid
        self.times, self.mids = times, mids
        self.books: dict[str, dict[int, list[list]]] = {"buy": {}, "sell": {}}
        self.live: dict[str, list] = {}
        self.schedule: list[tuple[float, int, str]] = []
        self.maker_quotes: dict[str, list[str]] = {"M01": [], "M02": []}

    def run(self, start: float, end: float) -> float:
        rng = self.day.rng
        count = self.day.config.orders_per_contract // 2
        sigma = 0.02 / math.sqrt(count)
        for n, ts in enumerate(np.sort(rng.uniform(start, end, count))):
            ts = float(ts)
            self._due(ts)
            jump = rng.normal(0, 0.01) if rng.random() < 0.002 else 0.0
            self.mid *= math.exp(sigma * rng.standard_normal() + jump)
            self.times.append(ts)
            self.mids.append(self.mid)
            if n % 15 == 0:
                self._requote(ts)
            self._arrival(ts)
        self._due(end)
        return self.mid

    def _due(self, now: float) -> None:
        while self.schedule and self.schedule[0][0] <= now:
            ts, _, order_id = heapq.heappop(self.schedule)
            self._cancel(ts, order_id)

    def _cancel(self, ts: float, order_id: str) -> None:
        entry = self.live.pop(order_id, None)
        if entry is None:
            return
        order = entry[1]
        level = self.books[order.side].get(entry[2])
        if level is not None:
            level.remove(entry)
            if not level:
                del self.books[order.side][entry[2]]
        self.day.emit(Cancel(self.day.stamp(ts), ts, order_id))

    def _requote(self, ts: float) -> None:
        for maker, quotes in self.maker_quotes.items():
            for order_id in quotes:
                self._cancel(ts, order_id)
            quotes.clear()
            mid = round(self.mid)
            for side, price in (("buy", mid - 2), ("sell", mid + 2)):
                quantity = min(self.day.size(), 200)  # makers quote standard sizes
                entry = self._submit(ts, maker, side, price, quantity)
                if entry is not None:
                    quotes.append(entry[1].order_id)

    def _arrival(self, ts: float) -> None:
        day, rng = self.day, self.day.rng
        holder = day.holder()
        side = "buy" if rng.random() < 0.5 else "sell"
        sign = 1 if side == "buy" else -1
        mid = self.mid
        roll = rng.random()
        if roll < 0.3:  # marketable
            price = round(mid + sign * rng.uniform(2, 5))
            self._submit(ts, holder, side, price, day.size())
        elif roll < 0.75:  # passive
            price = round(mid - sign * rng.uniform(1, 8))
            entry = self._submit(ts, holder, side, price, day.size())
            if entry is not None and rng.random() < 0.6:
                self._later(ts + rng.exponential(240), entry[1].order_id)
        elif roll < 0.8:  # a large institutional order that rests and is cancelled later
            price = round(mid - sign * rng.uniform(3, 10))
            entry = self._submit(ts, holder, side, price, day.size(5))
            if entry is not None:
                self._later(ts + rng.uniform(360, 3600), entry[1].order_id)
        elif roll < 0.93 and self.live:  # cancel a resting order
            keys = list(self.live)
            self._cancel(ts, keys[int(rng.integers(len(keys)))])
        elif self.live:  # amend: halve the open quantity at the same price
            keys = list(self.live)
            entry = self.live[keys[int(rng.integers(len(keys)))]]
            if entry[0] > 1:
                filled = entry[3] - entry[0]
                entry[0] //= 2
                entry[3] = filled + entry[0]
                day.emit(Amend(day.stamp(ts), ts, entry[1].order_id, entry[2], entry[3]))

    def _later(self, ts: float, order_id: str) -> None:
        self.day._seq += 1
        heapq.heappush(self.schedule, (float(ts), self.day._seq, order_id))

    def _submit(self, ts: float, holder: str, side: str, price: int, quantity: int) -> list | None:
        """Enter an order, match it against the other side (skipping related holders), rest the rest."""
        day = self.day
        order = day.order(ts, holder, self.contract, side, price, quantity)
        other = "sell" if side == "buy" else "buy"
        book = self.books[other]
        left = quantity
        for level_price in sorted(book, reverse=other == "buy"):
            if (side == "buy" and level_price > price) or (side == "sell" and level_price < price) or not left:
                break
            level = book[level_price]
            for entry in list(level):
                if not left:
                    break
                if day.parties.related(holder, entry[4]):
                    continue
                quantity_traded = min(left, entry[0])
                resting = entry[1]
                buy, sell = (order, resting) if side == "buy" else (resting, order)
                day.trade(ts, self.contract, level_price, quantity_traded, buy, sell)
                left -= quantity_traded
                entry[0] -= quantity_traded
                if not entry[0]:
                    level.remove(entry)
                    self.live.pop(resting.order_id, None)
            if not level:
                del book[level_price]
        if not left:
            return None
        # [open quantity, order, price, total quantity, holder]
        entry = [left, order, price, quantity, holder]
        self.books[side].setdefault(price, []).append(entry)
        self.live[order.order_id] = entry
        return entry


def generate(config: ScenarioConfig) -> Scenario:
    """Generate ``config.days`` labelled trading days."""
    rng = np.random.default_rng(config.seed)
    participants, links, broker = cast(rng)
    parties = Parties(participants, links)
    holders = [p.id for p in participants]
    weights = rng.lognormal(0.0, 0.7, len(holders))
    weights /= weights.sum()
    clusters = _clusters(holders, parties)
    scenario = Scenario(participants, links)
    mids = {contract: float(level) for contract, level in config.contracts}
    day = config.first_day
    for index in range(config.days):
        while day.weekday() >= 5:
            day += timedelta(days=1)
        builder = DayBuilder(config, index + 1, day, rng, parties, broker, holders, weights, clusters, mids)
        builder.build()
        builder.events.sort(key=lambda item: (item[0], item[1]))
        scenario.events.extend(event for _, _, event in builder.events)
        scenario.labels.extend(builder.labels)
        day += timedelta(days=1)
    return scenario


def _clusters(holders: list[str], parties: Parties) -> dict[str, int]:
    """Connected groups of related holders (a group takes one side of an auction)."""
    cluster: dict[str, int] = {}
    for start in holders:
        if start in cluster:
            continue
        cluster[start] = len(cluster)
        stack = [start]
        while stack:
            node = stack.pop()
            for other in holders:
                if other not in cluster and parties.related(node, other):
                    cluster[other] = cluster[start]
                    stack.append(other)
    return cluster


@dataclass
class Evaluation:
    """Precision and recall per rule."""

    rows: dict[str, tuple[int, int, int, int]]  # rule -> (labels, found, alerts, true alerts)
    events: int

    def precision(self, rule: str) -> float:
        _, _, alerts, true = self.rows[rule]
        return true / alerts if alerts else 1.0

    def recall(self, rule: str) -> float:
        labels, found, _, _ = self.rows[rule]
        return found / labels if labels else 1.0

    def table(self) -> str:
        header = (f"{'rule / ルール':<22}{'labels':>8}{'found':>7}{'alerts':>8}{'true':>6}"
                  f"{'recall':>9}{'precision':>11}")
        lines = [f"events: {self.events}", header]
        for rule, (labels, found, alerts, true) in self.rows.items():
            lines.append(f"{rule:<22}{labels:>8}{found:>7}{alerts:>8}{true:>6}"
                         f"{self.recall(rule):>9.3f}{self.precision(rule):>11.3f}")
        return "\n".join(lines)


def score(labels: list[Label], alerts: list[Alert], events: int) -> Evaluation:
    """Match alerts to labels: same rule (or one the pattern also is) and a shared evidence id."""
    rows: dict[str, tuple[int, int, int, int]] = {}
    for rule in RULES:
        own = [label for label in labels if label.rule == rule]
        fired = [alert for alert in alerts if alert.rule == rule]
        found = sum(1 for label in own if any(label.evidence.intersection(a.evidence) for a in fired))
        explaining = [label for label in labels if rule == label.rule or rule in ALSO[label.rule]]
        true = sum(1 for a in fired if any(label.evidence.intersection(a.evidence) for label in explaining))
        rows[rule] = (len(own), found, len(fired), true)
    return Evaluation(rows, events)


def evaluate(config: ScenarioConfig, write_events: Path | None = None) -> Evaluation:
    """Generate, scan and score; optionally write the generated events as a FORMATS.md file."""
    scenario = generate(config)
    if write_events is not None:
        with write_events.open("w", encoding="utf-8") as handle:
            for record in scenario.records():
                handle.write(json.dumps(to_record(record)) + "\n")
    engine = Engine()
    alerts = engine.run(scenario.records())
    return score(scenario.labels, alerts, engine.events)
