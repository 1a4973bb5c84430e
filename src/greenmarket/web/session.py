"""Signing in to the web pages with the same tokens as the API.

The token is kept in an HttpOnly, SameSite=Strict cookie and resolved on every request by the same
lookup as the API's bearer header, so a page can never see more than the API would show the same
user. Every form carries a CSRF value derived from the token (a page of another site can neither
read the cookie nor compute it), checked before any POST does anything.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from greenmarket.api.auth import PUBLIC, Principal, principal_from_token
from greenmarket.errors import Forbidden

SESSION_COOKIE = "gm_session"
CSRF_FIELD = "csrf_token"


def session_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE, "").strip()
    return token or None


def web_principal(request: Request) -> Principal:
    """The signed-in user, or the public when there is no (valid) session cookie."""
    token = session_token(request)
    if token is None:
        return PUBLIC
    return principal_from_token(request.app.state.db, token) or PUBLIC


def csrf_value(request: Request) -> str:
    """The value every form of this session must send back ('' for the public)."""
    token = session_token(request)
    if token is None:
        return ""
    return hashlib.sha256(f"greenmarket-csrf:{token}".encode()).hexdigest()


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = csrf_value(request)
    return bool(expected) and hmac.compare_digest(expected, submitted or "")


def require_csrf(request: Request, submitted: object) -> None:
    """Refuse a POST whose form does not carry this session's CSRF value (before anything else)."""
    if not csrf_ok(request, submitted if isinstance(submitted, str) else None):
        raise Forbidden("the form has expired; reload the page and send it again",
                        code="csrf_failed", field=CSRF_FIELD)


async def checked_form(request: Request) -> dict[str, str]:
    """The submitted form's text fields, once its CSRF value is checked (usable as a dependency)."""
    form = await request.form()
    require_csrf(request, form.get(CSRF_FIELD))
    return {name: value for name, value in form.items() if isinstance(value, str)}
