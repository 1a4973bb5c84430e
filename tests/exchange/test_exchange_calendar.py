"""Business days from exchange_calendars (XTKS, XNYS), T+N settlement, sessions, contracts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from greenmarket.errors import Conflict, ValidationError
from greenmarket.exchange.calendar import BusinessCalendar
from greenmarket.exchange.contracts import (
    CBL_GLOBAL_NATURE,
    DEMO_CONTRACTS,
    TSE_ENERGY_SAVING,
    TSE_STYLE,
    DeliverySpecification,
    ProjectSpecification,
)

JST = timezone(timedelta(hours=9))
XTKS = BusinessCalendar("XTKS")


@pytest.mark.parametrize(
    ("trade_date", "settles"),
    [
        # Golden Week 2026: 29 Apr (Showa Day), 3-5 May and the substitute holiday 6 May are closed
        (date(2026, 4, 28), date(2026, 5, 11)),  # 30 Apr, 1 May, 7 May, 8 May, 11 May
        (date(2026, 4, 30), date(2026, 5, 12)),  # 1, 7, 8, 11, 12 May
        (date(2026, 5, 1), date(2026, 5, 13)),
        # year-end closure 31 Dec - 3 Jan
        (date(2026, 12, 28), date(2027, 1, 6)),   # 29, 30 Dec, 4, 5, 6 Jan
        (date(2026, 12, 30), date(2027, 1, 8)),   # 4, 5, 6, 7, 8 Jan
        # an ordinary week but for one Monday holiday
        (date(2026, 1, 5), date(2026, 1, 13)),  # 12 Jan is Coming of Age Day
    ],
)
def test_tse_t_plus_5_across_holidays(trade_date, settles):
    assert XTKS.settlement_date(trade_date, 5) == settles
    assert TSE_ENERGY_SAVING.settlement_date(trade_date) == settles


@pytest.mark.parametrize(
    "closed", [date(2026, 4, 29), date(2026, 5, 4), date(2026, 5, 5), date(2026, 5, 6),
               date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3),
               date(2026, 5, 9)],
)
def test_tokyo_holidays_and_weekends_are_closed(closed):
    assert not XTKS.is_business_day(closed)
    assert XTKS.next_business_day(closed) > closed


def test_tokyo_business_days_open():
    assert XTKS.is_business_day(date(2026, 4, 30))
    assert XTKS.is_business_day(date(2026, 12, 30))
    assert XTKS.next_business_day(date(2027, 1, 1)) == date(2027, 1, 4)


def test_settlement_refuses_a_closed_trade_date_and_bad_cycles():
    with pytest.raises(ValidationError):
        XTKS.settlement_date(date(2026, 5, 4), 5)
    with pytest.raises(ValidationError):
        XTKS.settlement_date(date(2026, 5, 1), -1)
    with pytest.raises(ValidationError):
        XTKS.is_business_day(date(2099, 1, 5))
    with pytest.raises(ValidationError):
        BusinessCalendar("NOPE")


def test_usd_market_settles_same_day_on_new_york_business_days():
    assert CBL_GLOBAL_NATURE.settlement_date(date(2026, 7, 2)) == date(2026, 7, 2)
    assert not BusinessCalendar("XNYS").is_business_day(date(2026, 7, 3))  # Independence Day observed


def test_tse_sessions_in_tokyo_time():
    on = lambda h, m, s=0, d=5: datetime(2026, 1, d, h, m, s, tzinfo=JST)  # noqa: E731
    assert TSE_STYLE.session_at(on(8, 0)).name == "morning"
    assert TSE_STYLE.session_at(on(11, 29, 59)).name == "morning"
    assert TSE_STYLE.session_at(on(11, 30)) is None
    assert TSE_STYLE.session_at(on(12, 29)) is None
    assert TSE_STYLE.session_at(on(14, 59, 30)).name == "afternoon"
    assert TSE_STYLE.session_at(on(15, 0)) is None
    assert TSE_STYLE.session_at(on(7, 59)) is None
    # the same instant given in UTC; and a holiday
    assert TSE_STYLE.session_at(datetime(2026, 1, 5, 0, 30, tzinfo=timezone.utc)).name == "morning"
    assert TSE_STYLE.session_at(on(9, 0, d=2)) is None
    assert [s.auction_at.isoformat() for s in TSE_STYLE.sessions] == ["11:30:00", "15:00:00"]
    assert TSE_STYLE.trade_date(datetime(2026, 1, 4, 23, 30, tzinfo=timezone.utc)) == date(2026, 1, 5)


def test_price_band_and_ticks():
    assert TSE_ENERGY_SAVING.price_band_ticks(1500) == (150, 2850)
    assert TSE_ENERGY_SAVING.price_band_ticks(5) == (1, 9)
    assert CBL_GLOBAL_NATURE.to_ticks(Decimal("12.34")) == 1234
    assert CBL_GLOBAL_NATURE.to_money(1234) == Decimal("12.34")
    with pytest.raises(ValidationError) as off_tick:
        CBL_GLOBAL_NATURE.to_ticks(Decimal("12.345"))
    assert off_tick.value.code == "off_tick"
    assert {c.currency for c in DEMO_CONTRACTS.values()} == {"JPY", "USD"}


def test_delivery_specifications():
    spec = CBL_GLOBAL_NATURE.specification
    credit = dict(program="VCS", project="VCS-1234", category="forestry", vintage=2020)
    assert spec.accepts(**credit, eligibility={"ccb", "corsia"})
    assert not spec.accepts(**credit)  # lacks the required flag
    assert not spec.accepts(**(credit | {"vintage": 2012}), eligibility={"ccb"})
    assert not spec.accepts(**(credit | {"program": "J-Credit"}), eligibility={"ccb"})
    assert DeliverySpecification(programs=frozenset()).accepts(**credit)
    project = ProjectSpecification("VCS", "VCS-1234", 2020)
    assert project.accepts(**credit) and not project.accepts(**(credit | {"vintage": 2021}))


def test_auction_times_of_a_tokyo_day():
    assert TSE_STYLE.auction_times(date(2026, 1, 5)) == [
        datetime(2026, 1, 5, 11, 30, tzinfo=JST), datetime(2026, 1, 5, 15, 0, tzinfo=JST)
    ]
    assert TSE_STYLE.auction_times(date(2026, 5, 5)) == []


def test_orders_outside_the_windows_are_refused():
    assert TSE_STYLE.require_session(datetime(2026, 1, 5, 13, 0, tzinfo=JST)).name == "afternoon"
    with pytest.raises(Conflict) as closed:
        TSE_STYLE.require_session(datetime(2026, 1, 5, 12, 0, tzinfo=JST))  # lunch break
    assert closed.value.code == "market_closed"


def test_next_base_price_follows_the_last_auction():
    assert TSE_ENERGY_SAVING.next_base_price(1500, 1620) == 1620
    assert TSE_ENERGY_SAVING.next_base_price(1500, None) == 1500
    assert TSE_ENERGY_SAVING.price_band_ticks(TSE_ENERGY_SAVING.next_base_price(1500, 1620)) == (162, 3078)
