"""Rendering pages: one Jinja2 environment, the page context every template gets, display filters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from greenmarket.api.auth import Principal, Role
from greenmarket.web.i18n import Translator, request_language
from greenmarket.web.session import CSRF_FIELD, csrf_value, web_principal

DISPLAY_ZONE = ZoneInfo("Asia/Tokyo")


def number(value: Any, places: int | None = None) -> str:
    """Thousands separators; ``places`` fixes the decimals (exact: Decimal, never float maths)."""
    if value is None or value == "":
        return "–"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if places is not None:
        return f"{amount:,.{places}f}"
    return f"{amount:,f}" if amount != amount.to_integral() else f"{amount:,.0f}"


def percent(value: Any) -> str:
    """A fraction as a percentage: ``0.9`` → ``90 %``."""
    if value is None or value == "":
        return "–"
    return f"{number(Decimal(str(value)) * 100)} %"


def money(value: Any, currency: str | None = None) -> str:
    """A decimal string in its currency: ``3,250 JPY``, ``1.55 USD``."""
    if value is None or value == "":
        return "–"
    return f"{number(value)} {currency}" if currency else number(value)


def when(value: Any, zone: str | None = None, short: bool = False) -> str:
    """An ISO time as local wall time with its zone (Asia/Tokyo unless ``zone`` names another);
    ``short``: month, day and minute only, without the zone, for narrow columns on a page that
    names the venue's zone."""
    if value in (None, ""):
        return "–"
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(zone) if zone else DISPLAY_ZONE)
    return local.strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M:%S %Z")


ENVIRONMENT = Environment(
    loader=PackageLoader("greenmarket.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENVIRONMENT.filters.update(number=number, money=money, percent=percent, when=when)


def nav_items(principal: Principal) -> list[tuple[str, str]]:
    """(path, message key) of the menu, by role: nobody is shown a page they may not open."""
    items = [("/market", "nav.market"), ("/registry/projects", "nav.projects"),
             ("/registry/retirements", "nav.retirements")]
    if principal.role in (Role.PARTICIPANT, Role.ADMIN, Role.AUDITOR):
        items.append(("/registry/accounts", "nav.accounts"))
    if principal.role is Role.COMPLIANCE:
        items.append(("/surveillance", "nav.surveillance"))
    items.append(("/analytics", "nav.analytics"))
    return items


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with what every page needs: language, user, menu, CSRF value."""
    language = request_language(request)
    principal = context.pop("principal", None) or web_principal(request)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    here = request.url.path + (f"?{urlencode(query)}" if query else "")
    html = ENVIRONMENT.get_template(template).render(
        request=request, t=Translator(language), lang=language, principal=principal,
        nav=nav_items(principal), here=here, csrf_field=CSRF_FIELD,
        csrf=csrf_value(request), **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = language
    return response
