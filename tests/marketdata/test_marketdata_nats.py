"""Publication to NATS JetStream, against the real server (nats://127.0.0.1:4222 by default).

Each test makes a stream of its own under a unique subject prefix and deletes it afterwards. When
CI=true and the server cannot be reached the test fails; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from marketdata_kit import CONTRACTS, SPOT, Market, ny

from greenmarket.marketdata.projector import Projector
from greenmarket.marketdata.streaming import NatsPublisher

NATS_URL = os.environ.get("GREENMARKET_TEST_NATS_URL", "nats://127.0.0.1:4222")


async def _stream(action: str, name: str, prefix: str = "") -> list[dict]:
    import nats

    nc = await nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        if action == "add":
            await js.add_stream(name=name, subjects=[f"{prefix}.>"])
            return []
        if action == "delete":
            await js.delete_stream(name)
            return []
        info = await js.stream_info(name)
        messages = []
        for sequence in range(1, info.state.last_seq + 1):
            raw = await js.get_msg(name, sequence)
            messages.append({"subject": raw.subject, "data": json.loads(raw.data),
                             "id": (raw.headers or {}).get("Nats-Msg-Id")})
        return messages
    finally:
        await nc.close()


def _run(coroutine):  # type: ignore[no-untyped-def]
    """Run ``coroutine`` on a loop of its own in another thread.

    A test in the same worker may have left a loop running in this thread (Playwright's sync API
    does), where ``asyncio.run`` refuses to start.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def stream() -> Iterator[tuple[str, str]]:
    """A fresh stream capturing ``<prefix>.>`` for this test only."""
    name = f"MDTEST_{uuid.uuid4().hex[:12]}"
    prefix = f"mdtest{uuid.uuid4().hex[:12]}"
    try:
        _run(_stream("add", name, prefix))
    except Exception as error:  # noqa: BLE001 - any failure to reach NATS means the same here
        message = f"NATS JetStream at {NATS_URL} is unreachable: {error!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield name, prefix
    _run(_stream("delete", name))


def test_trades_depth_and_daily_bars_reach_jetstream(sqlite_url: str, stream) -> None:
    name, prefix = stream
    market = Market(sqlite_url)
    cid = SPOT.contract_id
    market.at(ny(10)).exchange.open_session(cid)
    market.exchange.submit("alpha", cid, side="sell", quantity=8, price=Decimal("10.30"))
    market.at(ny(10, 5)).exchange.submit("beta", cid, side="buy", quantity=5,
                                         price=Decimal("10.30"))
    publisher = NatsPublisher(NATS_URL, prefix=prefix, stream=None)
    try:
        Projector(market.db, CONTRACTS, publishers=[publisher]).run_once()
        publisher(  # publishing the same trade again is dropped by JetStream (same message id)
            [("tape", cid, {"contract_id": cid, "trade_id": "T1", "price": "10.30"})])
    finally:
        publisher.close()
        market.db.dispose()
    messages = _run(_stream("read", name))
    subjects = [m["subject"] for m in messages]
    assert subjects.count(f"{prefix}.tape.{cid}") == 1
    assert f"{prefix}.depth.{cid}" in subjects and f"{prefix}.daily.{cid}" in subjects
    [trade] = [m for m in messages if m["subject"] == f"{prefix}.tape.{cid}"]
    assert trade["id"] == f"tape:{cid}:T1"
    assert (trade["data"]["price"], trade["data"]["quantity"]) == ("10.30", 5)
    [depth] = [m["data"] for m in messages if m["subject"] == f"{prefix}.depth.{cid}"]
    assert depth["asks"][0]["quantity"] == 3 and depth["best_ask"] == "10.30"
    [bar] = [m["data"] for m in messages if m["subject"] == f"{prefix}.daily.{cid}"]
    assert (bar["close"], bar["volume"]) == ("10.30", 5)
    for message in messages:
        assert "alpha" not in json.dumps(message) and "beta" not in json.dumps(message)
