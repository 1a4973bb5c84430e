"""Settlement dates: price date + ``settlement_days`` business days of the bond's calendar.

Business days come from ``exchange_calendars`` (sessions of an exchange; a weekday that is not a
session is a holiday). The calendar of a bond is its optional ``calendar`` column in ``bonds.csv``
(an exchange code such as ``XTKS``), else the default of its currency:

==========  ==========  ==============================================================
currency    calendar    why
==========  ==========  ==============================================================
JPY         XTKS        Tokyo Stock Exchange: Japanese bank holidays and 31 Dec-3 Jan
USD         XNYS        New York Stock Exchange: US holidays (close to SIFMA's bond
                        calendar; SIFMA's extra bond-market closures are not in it)
EUR         XFRA        Frankfurt: the nearest exchange calendar to TARGET2 closing days
other       (none)      Monday to Friday
==========  ==========  ==============================================================

Settlement is the ``settlement_days``-th business day *after* the price date (a price on a Saturday
with T+2 settles on Tuesday, as QuantLib's ``Calendar.advance`` does); ``settlement_days`` 0 settles
on the price date itself.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import exchange_calendars
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from greenmarket.errors import ValidationError

DEFAULT_CALENDARS: dict[str, str] = {"JPY": "XTKS", "USD": "XNYS", "EUR": "XFRA"}


def calendar_codes(currency: object, calendar: object | None = None) -> NDArray[np.object_]:
    """Return the calendar code of each row: the given one when not empty, else the currency's."""
    currency = pd.Series(np.asarray(currency, dtype=object))
    codes = currency.map(DEFAULT_CALENDARS).fillna("")
    if calendar is not None:
        given = pd.Series(np.asarray(calendar, dtype=object)).fillna("").astype(str)
        codes = given.where(given != "", codes)
    return codes.to_numpy(dtype=object)


@lru_cache(maxsize=64)
def holidays(code: str, first_year: int, last_year: int) -> NDArray[np.datetime64]:
    """Return the weekday holidays of calendar ``code`` between two years (inclusive)."""
    if code == "":
        return np.array([], dtype="datetime64[D]")
    try:
        with warnings.catch_warnings():  # exchange_calendars trips a pandas deprecation warning
            warnings.simplefilter("ignore", DeprecationWarning)
            calendar = exchange_calendars.get_calendar(
                code, start=f"{first_year}-01-01", end=f"{last_year}-12-31"
            )
    except (exchange_calendars.errors.CalendarError, ValueError) as error:
        raise ValidationError(f"calendar {code!r} for {first_year}-{last_year}: {error}", field="calendar") from error
    weekdays = pd.bdate_range(calendar.first_session, calendar.last_session)
    sessions = calendar.sessions.tz_localize(None) if calendar.sessions.tz else calendar.sessions
    return weekdays.difference(sessions).to_numpy().astype("datetime64[D]")


def settlement_dates(dates: object, settlement_days: object, codes: object) -> NDArray[np.datetime64]:
    """Return price date + ``settlement_days`` business days of each row's calendar."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    days = np.asarray(settlement_days, dtype=np.int64)
    codes = np.asarray(codes, dtype=object)
    # a million bond-days hold a few thousand distinct (date, days, calendar): compute those once
    code, names = pd.factorize(codes)
    if len(dates) == 0 or days.max() >= 1 << 16 or len(names) >= 1 << 8:
        return _settle(dates, days, codes)
    keys = (dates.astype(np.int64) << 24) | (days << 8) | code
    unique, position = np.unique(keys, return_inverse=True)
    distinct = _settle(
        (unique >> 24).astype("datetime64[D]"), (unique >> 8) & 0xFFFF, np.asarray(names, dtype=object)[unique & 0xFF]
    )
    return distinct[position]


def _settle(dates: NDArray[np.datetime64], days: NDArray[np.int64], codes: NDArray[np.object_]) -> NDArray[np.datetime64]:
    out = dates.copy()
    moving = days > 0
    if not moving.any():
        return out
    years = dates[moving].astype("datetime64[Y]").astype(np.int64) + 1970
    first, last = int(years.min()), int(years.max()) + 1
    for code in np.unique(codes[moving]):
        rows = moving & (codes == code)
        out[rows] = np.busday_offset(
            dates[rows], days[rows], roll="backward", holidays=holidays(str(code), first, last)
        )
    return out
