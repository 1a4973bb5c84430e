"""Publishing the projector's messages: in-process subscribers (SSE) and NATS JetStream.

Both are *publishers* in the projector's sense: callables that take the list of public messages
of one committed batch. The :class:`Hub` fans them out to in-process subscribers (each an asyncio
queue on its own event loop, fed thread-safely); :class:`NatsPublisher` sends them to JetStream
subjects ``<prefix>.tape.<contract>``, ``<prefix>.depth.<contract>`` and
``<prefix>.daily.<contract>`` (prefix ``greenmarket``), each with a ``Nats-Msg-Id`` so that
JetStream drops a message published twice inside its duplicate window.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from greenmarket.errors import ValidationError
from greenmarket.marketdata.projector import Message

NATS_URL_VARIABLE = "GREENMARKET_NATS_URL"
KINDS = ("tape", "depth", "daily")
_SUBJECT_UNSAFE = re.compile(r"[\s.*>]")


def encode(kind: str, body: dict[str, Any]) -> bytes:
    return json.dumps({"kind": kind, **body}, ensure_ascii=False, separators=(",", ":")).encode()


def message_id(kind: str, contract_id: str, body: dict[str, Any]) -> str:
    """A stable id per message, for JetStream's de-duplication: a trade by its id, a depth or
    daily update by the journal sequence it reflects."""
    if kind == "tape":
        return f"tape:{contract_id}:{body['trade_id']}"
    if kind == "daily":
        return f"daily:{contract_id}:{body['trading_day']}:{body['sequence']}"
    return f"depth:{contract_id}:{body['sequence']}"


def check_kinds(kinds: frozenset[str]) -> frozenset[str]:
    if not kinds or kinds - set(KINDS):
        raise ValidationError(f"kinds must be among {', '.join(KINDS)}", field="kinds")
    return kinds


@dataclass(eq=False)
class Subscription:
    """One in-process subscriber: the kinds and contracts it wants, and its queue."""

    loop: asyncio.AbstractEventLoop
    kinds: frozenset[str]
    contract_id: str | None
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=10_000))

    def wants(self, kind: str, contract_id: str) -> bool:
        return kind in self.kinds and self.contract_id in (None, contract_id)

    def offer(self, item: tuple[str, dict[str, Any]]) -> None:
        """Runs on the subscriber's loop; a subscriber too slow to keep up loses the newest."""
        if not self.queue.full():
            self.queue.put_nowait(item)


class Hub:
    """In-process fan-out of market-data messages, safe to call from the projector's thread."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    def __call__(self, messages: list[Message]) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            for kind, contract_id, body in messages:
                if subscription.wants(kind, contract_id):
                    try:
                        subscription.loop.call_soon_threadsafe(subscription.offer, (kind, body))
                    except RuntimeError:  # its loop has closed: the subscriber is gone
                        self._drop(subscription)
                        break

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    @contextmanager
    def subscribe(self, kinds: frozenset[str] = frozenset(KINDS),
                  contract_id: str | None = None) -> Iterator[Subscription]:
        """Subscribe from inside a running event loop; unsubscribed on exit."""
        check_kinds(kinds)
        subscription = Subscription(asyncio.get_running_loop(), kinds, contract_id)
        with self._lock:
            self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._drop(subscription)

    def _drop(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)


class NatsPublisher:
    """Publishes to NATS JetStream from a synchronous caller (its own event-loop thread).

    ``stream``: when given and no stream captures the subjects yet, one of that name is created for
    ``<prefix>.>``; when ``None`` the subjects must already belong to a stream.
    """

    def __init__(self, url: str, *, prefix: str = "greenmarket", stream: str | None = "GREENMARKET",
                 timeout: float = 5.0) -> None:
        if _SUBJECT_UNSAFE.search(prefix.replace(".", "")) or not prefix:
            raise ValidationError("the subject prefix must be NATS subject tokens", field="prefix")
        self.url, self.prefix, self.stream, self.timeout = url, prefix, stream, timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats-publisher",
                                        daemon=True)
        self._thread.start()
        self._nc: Any = None
        self._js: Any = None
        self._call(self._connect())

    def subject(self, kind: str, contract_id: str) -> str:
        return f"{self.prefix}.{kind}.{_SUBJECT_UNSAFE.sub('_', contract_id)}"

    def __call__(self, messages: list[Message]) -> None:
        self._call(self._publish(messages))

    def close(self) -> None:
        if self._nc is not None:
            self._call(self._nc.drain())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=self.timeout)
        self._loop.close()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(self.timeout * 2)

    async def _connect(self) -> None:
        import nats
        from nats.js.errors import NotFoundError

        self._nc = await nats.connect(self.url, connect_timeout=self.timeout,
                                      max_reconnect_attempts=3)
        self._js = self._nc.jetstream(timeout=self.timeout)
        if self.stream is None:
            return
        try:
            await self._js.find_stream_name_by_subject(f"{self.prefix}.tape.x")
        except NotFoundError:
            await self._js.add_stream(name=self.stream, subjects=[f"{self.prefix}.>"])

    async def _publish(self, messages: list[Message]) -> None:
        for kind, contract_id, body in messages:
            await self._js.publish(self.subject(kind, contract_id), encode(kind, body),
                                   headers={"Nats-Msg-Id": message_id(kind, contract_id, body)})


def nats_publisher_from_environment() -> NatsPublisher | None:
    """A publisher when ``GREENMARKET_NATS_URL`` is set (prefix ``GREENMARKET_NATS_PREFIX``)."""
    url = os.environ.get(NATS_URL_VARIABLE)
    if not url:
        return None
    return NatsPublisher(url, prefix=os.environ.get("GREENMARKET_NATS_PREFIX", "greenmarket"))
