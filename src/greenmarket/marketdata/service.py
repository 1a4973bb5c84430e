"""Market data inside a running process: one projector, its publishers, and a background follower.

Readers call :meth:`MarketDataService.catch_up` before answering, so a REST response reflects the
journal as of the request; the follower thread (started with the first stream subscriber) keeps
projecting while subscribers listen, so that trades and quotes reach them within ``interval``
seconds of being journaled. One lock serializes the projector's runs in the process; other
processes coordinate through the cursor row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from greenmarket.exchange.contracts import Contract
from greenmarket.marketdata.projector import Projector
from greenmarket.marketdata.streaming import Hub, nats_publisher_from_environment
from greenmarket.storage.db import Database

log = logging.getLogger(__name__)


class MarketDataService:
    """The projector of one process, with the in-process hub and (if configured) NATS."""

    def __init__(self, db: Database, contracts: Iterable[Contract] | None = None, *,
                 interval: float = 0.2, nats: bool = True) -> None:
        self.hub = Hub()
        publishers = [self.hub]
        self.nats = nats_publisher_from_environment() if nats else None
        if self.nats is not None:
            publishers.append(self.nats)
        self.projector = Projector(db, contracts, publishers=publishers)
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    def catch_up(self) -> int:
        """Project what the journal holds beyond the cursor; return the entries folded."""
        with self._lock:
            return self.projector.run_once()

    def depth(self, contract_id: str, levels: int | None = None) -> dict[str, Any]:
        """The book of ``contract_id`` after catching up, read under the projector's lock (the
        follower thread moves the same book views)."""
        with self._lock:
            self.projector.run_once()
            return {"sequence": self.projector.position,
                    **self.projector.book(contract_id).snapshot(levels)}

    def follow(self) -> None:
        """Start the background follower (once)."""
        with self._lock:
            if self._follower is None:
                self._follower = threading.Thread(target=self._run, name="marketdata-follower",
                                                  daemon=True)
                self._follower.start()

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
        if self.nats is not None:
            self.nats.close()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.catch_up()
            except Exception:
                log.exception("market-data projection failed")
