"""Running a form's action and turning refusals into messages next to the fields.

The web pages call the same handlers as the REST API, so the rules, the authorization and the
wording of every refusal are the API's. A refusal becomes ``{field: message}``; the form is shown
again with the user's input and each message beside its field (``_form`` for the whole form).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic

from greenmarket.errors import DomainError
from greenmarket.web.i18n import Translator

T = TypeVar("T")
FORM = "_form"


def new_idempotency_key() -> str:
    """A fresh key per form shown: submitting the same form twice moves credits once."""
    return f"web-{uuid.uuid4()}"


def _rule_message(error: Any, t: Translator) -> str:
    key = f"rule.{error.get('type')}"
    if t.has(key):
        return t(key, **{k: v for k, v in (error.get("ctx") or {}).items()
                         if isinstance(v, (int, float, str))})
    return str(error.get("msg"))


def validation_errors(error: pydantic.ValidationError, t: Translator) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        names = [str(part) for part in item.get("loc", ()) if isinstance(part, str)]
        errors.setdefault(names[-1] if names else FORM, _rule_message(item, t))
    return errors


def domain_message(error: DomainError, t: Translator) -> str:
    """The server's message; in Japanese, the code's Japanese explanation before it."""
    key = f"error.{error.code}"
    if t.language == "ja" and t.has(key):
        return f"{t(key)}（{error.message}）"
    return error.message


def attempt(action: Callable[[], T], t: Translator,
            fields: tuple[str, ...] | None = None) -> tuple[T | None, dict[str, str]]:
    """Run ``action``; on refusal return no result and the messages by field.

    With ``fields`` (the form's inputs), a message about anything else — a server-side field
    such as a cash account's ``amount`` — is shown for the whole form, so none goes unseen.
    """
    try:
        return action(), {}
    except pydantic.ValidationError as error:
        errors = validation_errors(error, t)
    except DomainError as error:
        errors = {error.field or FORM: domain_message(error, t)}
    if fields is None:
        return None, errors
    shown: dict[str, str] = {}
    for field, message in errors.items():
        shown.setdefault(field if field in fields else FORM, message)
    return None, shown


def form_fields(raw: Any, names: tuple[str, ...]) -> dict[str, str]:
    """The submitted text of ``names`` (blank fields left out, so defaults and 'missing' apply)."""
    fields = {}
    for name in names:
        value = raw.get(name)
        if isinstance(value, str) and value.strip():
            fields[name] = value.strip()
    return fields
