"""The web interface's routes: home, sign-in, language switch, error pages, static files.

Area pages live beside this module (``market``, ``registry``, ``surveillance``, ``analytics``), each
with its router, templates and message catalogue. Paths under ``/v1`` stay the API's: its errors
remain problem+json; every other path is a page and its errors are pages too.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from greenmarket.api import problems
from greenmarket.api.auth import principal_from_token
from greenmarket.errors import DomainError, Unauthorized
from greenmarket.web import analytics, market, registry, surveillance
from greenmarket.web.i18n import LANGUAGE_COOKIE, LANGUAGES, Translator, request_language
from greenmarket.web.render import page
from greenmarket.web.session import SESSION_COOKIE, require_csrf

router = APIRouter(include_in_schema=False)
API_PREFIXES = ("/v1", "/openapi.json", "/docs", "/redoc", "/healthz")
ONE_YEAR = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow a sign-in or a language switch (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    return page(request, "home.html")


@router.get("/lang/{language}")
def switch_language(language: str, request: Request, next: str = "/") -> Response:
    """The language switch: remember the choice for a year and go back to the page."""
    response = see_other(safe_next(next))
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="lax")
    return response


@router.get("/signin")
def signin_form(request: Request, next: str = "/") -> Response:
    return page(request, "signin.html", next=safe_next(next), errors={})


@router.post("/signin")
def signin(request: Request, token: Annotated[str, Form()] = "",
           next: Annotated[str, Form()] = "/") -> Response:
    """Check the token like the API does; keep it in an HttpOnly cookie for this browser."""
    principal = principal_from_token(request.app.state.db, token.strip()) if token.strip() else None
    if principal is None:
        t = Translator(request_language(request))
        return page(request, "signin.html", status_code=401, next=safe_next(next),
                    errors={"token": t("signin.unknown_token")})
    response = see_other(safe_next(next))
    response.set_cookie(SESSION_COOKIE, token.strip(), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/signout")
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    require_csrf(request, csrf_token)
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def error_page(request: Request, status: int, message: str) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return see_other(f"/signin?next={quote(target)}")
    return page(request, "error.html", status_code=status, status=status, message=message)


def install_web(app: FastAPI) -> None:
    """Add the pages, the static files and the page-or-problem error handlers to ``app``."""
    app.mount("/static", StaticFiles(packages=[("greenmarket.web", "static")]), name="static")
    app.include_router(router)
    for area in (market, registry, surveillance, analytics):
        app.include_router(area.router)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if not is_page(request):
            return problems.domain_problem(exc)
        status = 401 if isinstance(exc, Unauthorized) else exc.status
        return error_page(request, status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if not is_page(request):
            return problems.validation_problem(exc)
        first = (problems.validation_errors(exc) or [{"field": "", "message": "invalid request"}])[0]
        return error_page(request, 422, f"{first['field']}: {first['message']}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page(request):
            return problems.http_problem(exc)
        return error_page(request, exc.status_code, str(exc.detail))
