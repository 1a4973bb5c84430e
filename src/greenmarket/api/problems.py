"""RFC 9457 problem details: the one place where errors become HTTP responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from greenmarket.errors import DomainError

PROBLEM_JSON = "application/problem+json"


def problem_response(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_of(location: tuple[Any, ...]) -> str:
    """Turn a pydantic error location like ('body', 'quantity') into 'quantity'."""
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in location)


def domain_problem(exc: DomainError) -> JSONResponse:
    return problem_response(exc.status, exc.to_problem())


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each violated rule as ``{field, rule, message}``."""
    return [
        {"field": _field_of(tuple(e.get("loc", ()))), "rule": e.get("type"), "message": e.get("msg")}
        for e in exc.errors()
    ]


def validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = validation_errors(exc)
    first = errors[0] if errors else {"field": None, "message": "invalid request"}
    body = {
        "type": "https://greenmarket.dev/errors/validation_failed",
        "title": "validation failed",
        "status": 422,
        "detail": f"{first['field']}: {first['message']}",
        "code": "validation_failed",
        "field": first["field"],
        "errors": errors,
    }
    return problem_response(422, body)


HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


def http_problem(exc: StarletteHTTPException) -> JSONResponse:
    name = HTTP_CODES.get(exc.status_code, "http_error")
    body = {
        "type": f"https://greenmarket.dev/errors/{name}",
        "title": name.replace("_", " "),
        "status": exc.status_code,
        "detail": str(exc.detail),
        "code": name,
    }
    return problem_response(exc.status_code, body)


def install_problem_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors and HTTP errors to problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_problem(exc)
