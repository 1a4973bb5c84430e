"""Reading YAML/JSON documents at the edge and validating them against a JSON Schema.

Every problem is reported, not only the first: a rejected document raises one
:class:`~greenmarket.errors.ValidationError` whose message lists each problem as ``$.json.path: rule``
and whose ``details["problems"]`` holds the same list as data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

from greenmarket.errors import FileFormatError, ValidationError


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule in a document, located by its JSON path."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def json_path(parts: Iterable[str | int]) -> str:
    """Render path parts as a JSONPath (``$.a[0]['key.with.dots']``)."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            out += f"['{part}']"
    return out


def read_document(path: Path) -> Any:
    """Parse a YAML or JSON file; a syntax error names the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FileFormatError(f"cannot read: {error.strerror}", source=str(path)) from error
    except UnicodeDecodeError as error:
        raise FileFormatError("not UTF-8 text", source=str(path)) from error
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise FileFormatError(f"invalid JSON: {error.msg}", source=str(path), line=error.lineno) from error
    try:
        return _plain(yaml.safe_load(text))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise FileFormatError(f"invalid YAML: {error.problem}", source=str(path), line=line) from error
    except yaml.YAMLError as error:
        raise FileFormatError(f"invalid YAML: {error}", source=str(path)) from error


def _plain(value: Any) -> Any:
    """Turn YAML's dates back into ISO strings, so YAML and JSON documents validate alike."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, (date, int)) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


@cache
def load_schema(name: str) -> Mapping[str, Any]:
    """Load a JSON Schema shipped in ``greenmarket/frameworks/schemas``."""
    text = resources.files("greenmarket.frameworks").joinpath("schemas", name).read_text(encoding="utf-8")
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)
    return schema


def schema_problems(document: Any, schema_name: str) -> list[Problem]:
    """Every place where ``document`` breaks the named schema, sorted by path."""
    validator = Draft202012Validator(load_schema(schema_name), format_checker=FormatChecker())
    return sorted(
        Problem(json_path(error.absolute_path), _message(error)) for error in validator.iter_errors(document)
    )


def _message(error: Any) -> str:
    """The validator's message, or the schema's own ``x-message`` for combined rules (anyOf, oneOf)."""
    if error.validator in ("anyOf", "oneOf") and isinstance(error.schema, dict) and "x-message" in error.schema:
        return f"{error.schema['x-message']} (got {error.instance!r})"
    return error.message


def reject(problems: Sequence[Problem], *, source: str, what: str) -> None:
    """Raise one ValidationError listing every problem, or return when there are none."""
    if not problems:
        return
    lines = "\n".join(f"  {p.path}: {p.message}" for p in problems)
    raise ValidationError(
        f"{source}: {what} rejected, {len(problems)} problem(s):\n{lines}",
        code=f"{what.replace(' ', '_')}_invalid",
        source=source,
        problems=[p.as_dict() for p in problems],
    )
