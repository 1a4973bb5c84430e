"""The database seals journal entries byte for byte as Python does (migration 0005).

``registry_transfer`` builds its journal entry on the server with ``journal_append``; the audit,
exports and the transparency log check those entries with :meth:`JournalEntry.compute_hash`. So
the server's canonical JSON must be exactly ``canonical_json``: same key order, same escapes, same
digits. Hypothesis draws payloads of every JSON shape the journal holds (nested objects and arrays,
non-ASCII and control characters, integers far beyond 64 bits, booleans, nulls) and entry fields,
and compares the server's text and hash with Python's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from greenmarket.journal.entry import JournalEntry, canonical_json
from greenmarket.storage.db import make_engine
from greenmarket.storage.migrate import upgrade

pytestmark = pytest.mark.postgres

# PostgreSQL text holds no NUL; lone surrogates are not UTF-8 (Python refuses to encode them too).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
               max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(min_value=-10**40, max_value=10**40) | TEXT
PAYLOADS = st.dictionaries(TEXT, st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20), max_size=6)

SERVER_HASH = """
    SELECT journal_canonical_json(%(payload)s::jsonb),
           encode(sha256(convert_to(journal_body_text(
               %(sequence)s, %(time)s, %(actor)s, %(area)s, %(type)s,
               journal_canonical_json(%(payload)s::jsonb), %(previous_hash)s), 'UTF8')), 'hex')
"""


@pytest.fixture(scope="module")
def server(postgres_server: str) -> Iterator[psycopg.Connection[Any]]:
    """A migrated scratch database, one connection for the whole module."""
    from greenmarket.storage.scratch import scratch_postgres_database

    with scratch_postgres_database(postgres_server) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            yield connection


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOADS, actor=TEXT, area=TEXT, type=TEXT, time=TEXT,
       sequence=st.integers(min_value=1, max_value=2**63 - 1),
       previous_hash=st.text("0123456789abcdef", min_size=64, max_size=64))
def test_server_hashes_an_entry_as_python_does(
    server: psycopg.Connection[Any], payload: dict[str, Any], actor: str, area: str, type: str,
    time: str, sequence: int, previous_hash: str,
) -> None:
    entry = JournalEntry(sequence, time, actor, area, type, payload, previous_hash)
    text, digest = server.execute(SERVER_HASH, {
        "payload": json.dumps(payload), "sequence": sequence, "time": time, "actor": actor,
        "area": area, "type": type, "previous_hash": previous_hash,
    }).fetchone()  # type: ignore[misc]
    assert text == canonical_json(payload).decode("utf-8")
    assert digest == entry.compute_hash()


def test_escapes_and_key_order_match_python(server: psycopg.Connection[Any]) -> None:
    """The cases most likely to differ, named: control characters, quotes, backslashes, keys that
    sort differently by length than by code point, astral characters, numbers past 64 bits."""
    payload = {"b": "\x01\x1f\x7f\"\\/\b\f\n\r\t\u2028", "aa": [-2**80, 0, True, None], "a": {},
               "é": "日本語 😀", "\U0001f600": [], "Z": [[], {"": ""}]}
    text = server.execute("SELECT journal_canonical_json(%s::jsonb)",
                          (json.dumps(payload),)).fetchone()[0]  # type: ignore[index]
    assert text == canonical_json(payload).decode("utf-8")


@pytest.mark.parametrize("number", ["1.5", "-0.0", "2.50", "1.5e-3"])
def test_a_number_that_is_not_whole_is_refused(
    server: psycopg.Connection[Any], number: str
) -> None:
    """PostgreSQL prints fractions unlike Python (a float's repr); the server's own payloads come
    from integer columns, and one that did not would be refused rather than sealed wrongly."""
    with pytest.raises(psycopg.errors.RaiseException, match="whole numbers only"):
        server.execute("SELECT journal_canonical_json(%s::jsonb)", (f'{{"x": {number}}}',))
