"""Sealed-bid, uniform-price auction of new supply (like CIX Auctions, seed 000).

A seller offers ``quantity`` credits with a public reserve price. Bids (price, quantity) are hidden
until the close; a bidder may withdraw a bid before it. At the close:

- bids are ranked by price, highest first; the *clearing price* is the price of the lowest bid that
  is accepted: the highest price at which the bids at or above it cover the offered quantity, or,
  when the auction is undersubscribed, the lowest bid price. It is never below the reserve, since
  bids below the reserve are refused on entry;
- every winner pays the clearing price (uniform price); bids above it fill completely, bids at it
  share what is left pro rata (rounded down to the lot, leftover lots one each in time order, as in
  :func:`greenmarket.exchange.auction.pro_rata`); an undersubscribed auction leaves the rest unsold;
- the demand curve (each bid price, highest first, with the quantity bid at that price or more) is
  published with the result; bidders' identities are not.

CIX's rulebook was not available; its first large auction sold at a single price and published
the bids' demand curve afterwards. The clearing rule is the common uniform-price definition (also
used for allowance auctions): all winners pay the lowest winning bid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from greenmarket.errors import Conflict, NotFound, ValidationError
from greenmarket.exchange.auction import pro_rata
from greenmarket.exchange.orders import Trade


@dataclass(frozen=True, slots=True)
class SealedBid:
    """One hidden bid."""

    bid_id: int
    bidder: str
    price: int
    quantity: int
    time: datetime


@dataclass(frozen=True, slots=True)
class SealedBidResult:
    """What the close publishes: price, quantities, the demand curve, and the trades."""

    clearing_price: int | None
    offered: int
    sold: int
    unsold: int
    demand_curve: tuple[tuple[int, int], ...]
    trades: tuple[Trade, ...]


class SealedBidAuction:
    """One auction of ``quantity`` credits from ``seller`` (order ``offer_id``), bids until ``closes_at``."""

    def __init__(
        self, *, offer_id: int, seller: str, quantity: int, reserve_price: int, closes_at: datetime,
        lot: int = 1, first_bid_id: int = 1, first_trade_id: int = 1,
    ) -> None:
        if type(quantity) is not int or quantity <= 0 or quantity % lot:
            raise ValidationError(f"offered quantity must be a positive multiple of the lot {lot}", field="quantity")
        if type(reserve_price) is not int or reserve_price <= 0:
            raise ValidationError("reserve price must be a positive integer of ticks", field="reserve_price")
        if closes_at.tzinfo is None:
            raise ValidationError("times must carry a UTC offset", field="closes_at")
        self.offer_id, self.seller, self.quantity = offer_id, seller, quantity
        self.reserve_price, self.closes_at, self.lot = reserve_price, closes_at, lot
        self._bids: dict[int, SealedBid] = {}
        self._next_bid_id = first_bid_id
        self._next_trade_id = first_trade_id
        self.result: SealedBidResult | None = None

    def bid(self, bidder: str, price: int, quantity: int, time: datetime) -> SealedBid:
        """Enter a hidden bid; refused after the close, below the reserve or off the lot."""
        self._check_open(time)
        if bidder == self.seller:
            raise ValidationError("the seller may not bid in its own auction", field="bidder",
                                  code="self_bid")
        if type(price) is not int or price < self.reserve_price:
            raise ValidationError(f"bid price must be at least the reserve {self.reserve_price}",
                                  field="price", code="below_reserve")
        if type(quantity) is not int or quantity <= 0 or quantity % self.lot:
            raise ValidationError(f"quantity must be a positive multiple of the lot {self.lot}", field="quantity")
        bid = SealedBid(self._next_bid_id, bidder, price, quantity, time)
        self._next_bid_id += 1
        self._bids[bid.bid_id] = bid
        return bid

    def withdraw(self, bid_id: int, bidder: str, time: datetime) -> SealedBid:
        """Withdraw a bid before the close."""
        self._check_open(time)
        bid = self._bids.get(bid_id)
        if bid is None or bid.bidder != bidder:
            raise NotFound(f"bid {bid_id} is not open in this auction", field="bid_id")
        del self._bids[bid_id]
        return bid

    def close(self, time: datetime) -> SealedBidResult:
        """Close the auction (at or after ``closes_at``): clear, allocate and publish."""
        if self.result is not None:
            raise Conflict("the auction is already closed", code="auction_closed")
        if time < self.closes_at:
            raise Conflict(f"the auction closes at {self.closes_at.isoformat()}", code="auction_open")
        ranked = sorted(self._bids.values(), key=lambda b: (-b.price, b.bid_id))
        curve: list[tuple[int, int]] = []
        cumulative = 0
        for price, group in groupby(ranked, key=lambda b: b.price):
            cumulative += sum(b.quantity for b in group)
            curve.append((price, cumulative))
        fills, clearing = self._allocate(ranked, curve)
        trades = []
        for bid in ranked:
            if fills.get(bid.bid_id):
                trades.append(Trade(
                    self._next_trade_id, clearing, fills[bid.bid_id], bid.bid_id, self.offer_id,
                    bid.bidder, self.seller, None, time,
                ))
                self._next_trade_id += 1
        sold = sum(fills.values())
        self.result = SealedBidResult(
            clearing, self.quantity, sold, self.quantity - sold, tuple(curve), tuple(trades)
        )
        return self.result

    def _allocate(
        self, ranked: list[SealedBid], curve: list[tuple[int, int]]
    ) -> tuple[dict[int, int], int | None]:
        if not ranked:
            return {}, None
        covering = [price for price, total in curve if total >= self.quantity]
        if not covering:  # undersubscribed: every bid wins in full at the lowest bid price
            return {b.bid_id: b.quantity for b in ranked}, curve[-1][0]
        clearing = covering[0]
        fills = {b.bid_id: b.quantity for b in ranked if b.price > clearing}
        marginal = [b for b in ranked if b.price == clearing]  # in time (id) order
        left = self.quantity - sum(fills.values())
        shares = pro_rata([b.quantity for b in marginal], left, self.lot)
        fills.update((b.bid_id, share) for b, share in zip(marginal, shares))
        return fills, clearing

    def _check_open(self, time: datetime) -> None:
        if self.result is not None or time >= self.closes_at:
            raise Conflict("the auction is closed to bids", code="auction_closed")
