"""Business days of a venue, from a maintained exchange calendar (``exchange_calendars``).

The Tokyo market uses ``XTKS`` (Japanese public holidays, the year-end closure 31 Dec - 3 Jan,
Golden Week). The USD market uses ``XNYS``: the demo CBL-style venue is run from the United States
(Xpansiv CBL, seed 000) and New York business days are when its settlement bank accounts move
money. Calendars are built for a fixed span (:data:`FIRST_YEAR` to :data:`LAST_YEAR`), never
relative to today, so that results do not depend on when they are computed.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import exchange_calendars
import pandas as pd

from greenmarket.errors import ValidationError

FIRST_YEAR = 2010
LAST_YEAR = 2040


@lru_cache(maxsize=None)
def _calendar(code: str) -> exchange_calendars.ExchangeCalendar:
    return exchange_calendars.get_calendar(
        code, start=f"{FIRST_YEAR}-01-01", end=f"{LAST_YEAR}-12-31"
    )


class BusinessCalendar:
    """Business days of one exchange calendar (``code`` such as ``"XTKS"``)."""

    def __init__(self, code: str) -> None:
        if code not in exchange_calendars.get_calendar_names():
            raise ValidationError(f"unknown exchange calendar {code!r}", field="calendar")
        self.code = code

    def _check_span(self, day: date) -> None:
        if not FIRST_YEAR <= day.year <= LAST_YEAR - 1:
            raise ValidationError(
                f"{day} is outside the calendar span {FIRST_YEAR}-{LAST_YEAR - 1}", field="date"
            )

    def is_business_day(self, day: date) -> bool:
        """Whether the exchange is open on ``day``."""
        self._check_span(day)
        return bool(_calendar(self.code).is_session(pd.Timestamp(day)))

    def settlement_date(self, trade_date: date, n: int) -> date:
        """Return trade date + ``n`` business days (T+N); ``trade_date`` must be a business day.

        T+0 is the trade date itself. The TSE counts the trade date as day one, so its "six
        business days from the trade date" is T+5 here.
        """
        if n < 0:
            raise ValidationError("settlement cycle must be zero or more days", field="n")
        if not self.is_business_day(trade_date):
            raise ValidationError(
                f"{trade_date} is not a business day of {self.code}", field="trade_date"
            )
        moved = _calendar(self.code).session_offset(pd.Timestamp(trade_date), n)
        return moved.date()

    def next_business_day(self, day: date) -> date:
        """Return ``day`` itself if it is a business day, else the next one."""
        self._check_span(day)
        return _calendar(self.code).date_to_session(pd.Timestamp(day), direction="next").date()
