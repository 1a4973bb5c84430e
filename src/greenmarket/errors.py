"""Domain errors with stable codes.

Every rule of the market that refuses something raises a :class:`DomainError` subclass carrying a
stable machine-readable ``code`` (documented in ``docs/errors.md``), a human message and, where one
input is to blame, the offending ``field``. Adapters map them once: the REST API to RFC 9457 problem
details (``status`` is the HTTP status), the CLI to a one-line message and a non-zero exit.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the market refuses; nothing has changed."""

    status: int = 400
    code: str = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.details = details

    def to_problem(self) -> dict[str, Any]:
        """Return the RFC 9457 problem-details body for this error."""
        body: dict[str, Any] = {
            "type": f"https://greenmarket.dev/errors/{self.code}",
            "title": self.code.replace("_", " "),
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        if self.field is not None:
            body["field"] = self.field
        body.update(self.details)
        return body


class ValidationError(DomainError):
    """An input breaks a rule of its own (format, range, required)."""

    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    """The named object does not exist (or the caller may not know it exists)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request contradicts the current state (duplicate id, wrong state, overlap)."""

    status = 409
    code = "conflict"


class Forbidden(DomainError):
    """The caller is known but its role does not allow this."""

    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    """No valid credentials were given."""

    status = 401
    code = "unauthorized"


class InsufficientCredits(Conflict):
    """An account does not hold enough free credits matching the request."""

    code = "insufficient_credits"


class InsufficientFunds(Conflict):
    """A cash account does not hold enough free cash."""

    code = "insufficient_funds"


class FileFormatError(ValidationError):
    """A file at the edge breaks its format (FORMATS.md): names the file, line, column and rule."""

    code = "file_format"

    def __init__(
        self,
        message: str,
        *,
        source: str,
        line: int | None = None,
        column: str | None = None,
        code: str | None = None,
    ) -> None:
        where = source
        if line is not None:
            where += f":{line}"
        if column is not None:
            where += f" column {column!r}"
        super().__init__(f"{where}: {message}", code=code, field=column, source=source, line=line)
        self.source = source
        self.line = line
        self.column = column
