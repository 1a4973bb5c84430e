"""Contracts and venues: what is traded, in which currency and increments, when, and how it settles.

A *standardized* contract is defined by a delivery specification (which programs, categories,
vintages and eligibility flags a delivered credit may have, like a TSE credit category or a CBL
GEO-style contract); a *project-specific* contract by one project and vintage. Either way the seller
may deliver any credit the specification accepts.

Inside the engine prices are integer ticks; :meth:`Contract.to_ticks` and :meth:`Contract.to_money`
convert to and from ``Decimal`` money at the edge, refusing prices that are not on the tick grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from greenmarket.errors import Conflict, ValidationError
from greenmarket.exchange.calendar import BusinessCalendar


class Mechanism(StrEnum):
    """How a session matches orders."""

    CALL_AUCTION = "call_auction"
    CONTINUOUS = "continuous"


class Allocation(StrEnum):
    """How a call auction shares the quantity available at the auction price."""

    TIME = "time"
    PRO_RATA = "pro_rata"


@dataclass(frozen=True, slots=True)
class DeliverySpecification:
    """What a standardized contract accepts for delivery; an empty set accepts anything."""

    programs: frozenset[str]
    categories: frozenset[str] = frozenset()
    vintage_from: int | None = None
    vintage_to: int | None = None
    eligibility: frozenset[str] = frozenset()

    def accepts(
        self, *, program: str, project: str, category: str, vintage: int,
        eligibility: Iterable[str] = (),
    ) -> bool:
        """Whether a credit with these attributes may be delivered (it needs every flag listed)."""
        del project  # any project of the accepted programs and categories
        if self.programs and program not in self.programs:
            return False
        if self.categories and category not in self.categories:
            return False
        if self.vintage_from is not None and vintage < self.vintage_from:
            return False
        if self.vintage_to is not None and vintage > self.vintage_to:
            return False
        return self.eligibility <= frozenset(eligibility)


@dataclass(frozen=True, slots=True)
class ProjectSpecification:
    """What a project-specific contract accepts: credits of one project and one vintage."""

    program: str
    project: str
    vintage: int

    def accepts(
        self, *, program: str, project: str, category: str, vintage: int,
        eligibility: Iterable[str] = (),
    ) -> bool:
        """Whether a credit with these attributes may be delivered."""
        del category, eligibility
        return (program, project, vintage) == (self.program, self.project, self.vintage)


@dataclass(frozen=True, slots=True)
class Session:
    """One trading session in venue-local time.

    For a call session orders are taken from ``opens`` to ``closes`` (inclusive of the closing
    minute, as the TSE's 8:00-11:29) and the book uncrosses at ``auction_at``. A continuous
    session matches from ``opens`` until ``closes``.
    """

    name: str
    mechanism: Mechanism
    opens: time
    closes: time
    auction_at: time | None = None

    def __post_init__(self) -> None:
        if (self.mechanism is Mechanism.CALL_AUCTION) != (self.auction_at is not None):
            raise ValidationError("a call session needs an auction time, and only it", field="auction_at")
        if not self.opens < self.closes:
            raise ValidationError("a session must open before it closes", field="closes")

    def takes_orders_at(self, local: time) -> bool:
        """Whether an order entered at ``local`` (venue time) belongs to this session."""
        if self.mechanism is Mechanism.CALL_AUCTION:
            # the closing minute is included: 11:29:59 is still inside "8:00-11:29"
            return self.opens <= local and local.replace(second=0, microsecond=0) <= self.closes
        return self.opens <= local < self.closes


@dataclass(frozen=True, slots=True)
class Venue:
    """A market: its time zone, business-day calendar and sessions of the day."""

    name: str
    time_zone: str
    calendar_code: str
    sessions: tuple[Session, ...]
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # by language

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def calendar(self) -> BusinessCalendar:
        return _business_calendar(self.calendar_code)

    def trade_date(self, moment: datetime) -> date:
        """The venue-local date of ``moment`` (timezone-aware)."""
        if moment.tzinfo is None:
            raise ValidationError("times must carry a UTC offset", field="time")
        return moment.astimezone(self.zone).date()

    def auction_times(self, day: date) -> list[datetime]:
        """The call auctions of ``day`` as timezone-aware times (none on a closed day)."""
        if not self.calendar.is_business_day(day):
            return []
        return [
            datetime.combine(day, s.auction_at, tzinfo=self.zone)
            for s in self.sessions
            if s.auction_at is not None
        ]

    def session_at(self, moment: datetime) -> Session | None:
        """The session taking orders at ``moment``, or ``None`` (closed, or not a business day)."""
        local = moment.astimezone(self.zone) if moment.tzinfo else None
        if local is None:
            raise ValidationError("times must carry a UTC offset", field="time")
        if not self.calendar.is_business_day(local.date()):
            return None
        for session in self.sessions:
            if session.takes_orders_at(local.time().replace(tzinfo=None)):
                return session
        return None

    def require_session(self, moment: datetime) -> Session:
        """The session taking orders at ``moment``; :class:`Conflict` ``market_closed`` if none."""
        session = self.session_at(moment)
        if session is None:
            raise Conflict(
                f"{self.name} takes no orders at {moment.isoformat()}", code="market_closed",
                field="time",
            )
        return session


@lru_cache(maxsize=None)
def _business_calendar(code: str) -> BusinessCalendar:
    return BusinessCalendar(code)


@dataclass(frozen=True, slots=True)
class Contract:
    """A tradable contract: specification, currency, tick, lot, price band, venue, T+N."""

    contract_id: str
    name: str
    venue: Venue
    specification: DeliverySpecification | ProjectSpecification
    currency: str
    tick: Decimal
    lot: int
    price_band: Decimal
    settlement_cycle: int
    market_orders: bool = False
    allocation: Allocation = Allocation.TIME
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.tick <= 0:
            raise ValidationError("tick must be positive", field="tick")
        if self.lot <= 0:
            raise ValidationError("lot must be a positive number of credits", field="lot")
        if not Decimal(0) < self.price_band < Decimal(1):
            raise ValidationError("price band must be a fraction between 0 and 1", field="price_band")
        if self.settlement_cycle < 0:
            raise ValidationError("settlement cycle must be zero or more days", field="settlement_cycle")

    def to_ticks(self, price: Decimal) -> int:
        """Convert a money price to integer ticks; a price off the tick grid is refused."""
        ticks, rest = divmod(Decimal(price), self.tick)
        if rest != 0:
            raise ValidationError(
                f"price {price} is not a multiple of the tick {self.tick} {self.currency}",
                field="price", code="off_tick",
            )
        return int(ticks)

    def to_money(self, ticks: int) -> Decimal:
        """Convert integer ticks to a money price in the contract currency."""
        return ticks * self.tick

    def price_band_ticks(self, base_price: int) -> tuple[int, int]:
        """Lowest and highest allowed prices (ticks) on a day whose base price is ``base_price``.

        The band is ``base × (1 ± price_band)``, rounded inwards to the tick grid, never below one
        tick.
        """
        if base_price <= 0:
            raise ValidationError("base price must be positive", field="base_price")
        low = (base_price * (1 - self.price_band)).to_integral_value(rounding=ROUND_CEILING)
        high = (base_price * (1 + self.price_band)).to_integral_value(rounding=ROUND_FLOOR)
        return max(int(low), 1), int(high)

    @staticmethod
    def next_base_price(base_price: int, auction_price: int | None) -> int:
        """The next session's base price: the last auction's price, or unchanged if it did not trade.

        This is the TSE carbon-credit market's rule; it is also the next call auction's reference
        price.
        """
        return base_price if auction_price is None else auction_price

    def settlement_date(self, trade_date: date) -> date:
        """The day a trade made on ``trade_date`` settles (trade date + N business days)."""
        return self.venue.calendar.settlement_date(trade_date, self.settlement_cycle)


# --- The demo venues (seed 001: TSE carbon-credit market; seed 000: Xpansiv CBL) -------------

TSE_STYLE = Venue(
    name="TSE-style carbon-credit market",
    names={"ja": "東証型カーボン・クレジット市場", "en": "TSE-style carbon-credit market"},
    time_zone="Asia/Tokyo",
    calendar_code="XTKS",
    sessions=(
        Session("morning", Mechanism.CALL_AUCTION, time(8, 0), time(11, 29), time(11, 30)),
        Session("afternoon", Mechanism.CALL_AUCTION, time(12, 30), time(14, 59), time(15, 0)),
    ),
)

CBL_STYLE = Venue(
    name="CBL-style spot market",
    names={"ja": "CBL型スポット市場", "en": "CBL-style spot market"},
    time_zone="America/New_York",
    calendar_code="XNYS",
    sessions=(Session("continuous", Mechanism.CONTINUOUS, time(8, 0), time(17, 0)),),
)

#: The TSE's seven J-Credit categories are contracts of their own; these are two of them.
TSE_ENERGY_SAVING = Contract(
    contract_id="TSE-JCR-ENERGY-SAVING",
    name="J-Credit energy saving",
    names={"ja": "J-クレジット 省エネルギー", "en": "J-Credit energy saving"},
    venue=TSE_STYLE,
    specification=DeliverySpecification(programs=frozenset({"J-Credit"}), categories=frozenset({"energy_saving"})),
    currency="JPY",
    tick=Decimal("1"),
    lot=1,
    price_band=Decimal("0.9"),
    settlement_cycle=5,
)

TSE_FORESTRY = Contract(
    contract_id="TSE-JCR-FORESTRY",
    name="J-Credit forestry",
    names={"ja": "J-クレジット 森林", "en": "J-Credit forestry"},
    venue=TSE_STYLE,
    specification=DeliverySpecification(programs=frozenset({"J-Credit"}), categories=frozenset({"forestry"})),
    currency="JPY",
    tick=Decimal("1"),
    lot=1,
    price_band=Decimal("0.9"),
    settlement_cycle=5,
)

#: A GEO-style standardized contract: several programs, a vintage window, an eligibility flag.
CBL_GLOBAL_NATURE = Contract(
    contract_id="CBL-GLOBAL-NATURE",
    name="Global nature-based offset",
    names={"ja": "自然由来クレジット（標準化）", "en": "Global nature-based offset"},
    venue=CBL_STYLE,
    specification=DeliverySpecification(
        programs=frozenset({"VCS", "GS", "ACR", "CAR"}),
        categories=frozenset({"forestry", "blue_carbon"}),
        vintage_from=2016,
        vintage_to=2025,
        eligibility=frozenset({"ccb"}),
    ),
    currency="USD",
    tick=Decimal("0.01"),
    lot=1,
    price_band=Decimal("0.9"),
    settlement_cycle=0,
    market_orders=True,
)

DEMO_CONTRACTS: dict[str, Contract] = {
    c.contract_id: c for c in (TSE_ENERGY_SAVING, TSE_FORESTRY, CBL_GLOBAL_NATURE)
}
