"""Abnormal prices: a trade far from the contract's recent prices.

The reference is the contract's last ``window_prices`` distinct prices (a run of trades at one
price and time, like an auction's, counts once); with fewer than ``min_history`` of them the rule
stays silent. The distance is robust to the outliers it hunts: ``z = |price - median| /
dispersion`` where the dispersion is the scaled median absolute deviation (1.4826 × MAD, the
standard deviation for normal prices), floored at ``min_relative_dispersion`` of the median so
that a quiet market does not turn one tick into many deviations. ``z`` at least ``z_threshold``
alerts; abnormal trades within ``merge_seconds`` of an open alert on the same contract extend it.
Auction trades are trades at the auction price, so an abnormal auction price is caught the same way.

Score: ``z / (z + z_threshold)`` (0.5 at the threshold).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from statistics import median

from greenmarket.surveillance.events import Trade
from greenmarket.surveillance.model import Alert, LiveOrder, ratio_score
from greenmarket.surveillance.rules.base import Context, Rule


@dataclass(frozen=True)
class AbnormalPriceConfig:
    window_prices: int = 50
    min_history: int = 20
    z_threshold: float = 8.0
    min_relative_dispersion: float = 0.003
    merge_seconds: float = 300.0


class _History:
    __slots__ = ("alert", "center", "last", "prices", "spread", "stale")

    def __init__(self, size: int) -> None:
        self.prices: deque[int] = deque(maxlen=size)
        self.last: tuple[float, int] | None = None
        self.alert: Alert | None = None
        self.center = 0.0
        self.spread = 0.0
        self.stale = True


class AbnormalPriceRule(Rule):
    name = "abnormal_price"
    Config = AbnormalPriceConfig

    def __init__(self, context: Context, config: AbnormalPriceConfig | None = None) -> None:
        super().__init__(context)
        self.config = config or AbnormalPriceConfig()
        self._history: dict[str, _History] = {}

    def on_trade(self, trade: Trade, buy: LiveOrder, sell: LiveOrder) -> None:
        config = self.config
        history = self._history.get(trade.contract)
        if history is None:
            history = self._history[trade.contract] = _History(config.window_prices)
        if len(history.prices) >= config.min_history:
            if history.stale:  # plain sorting: on 50 prices far cheaper than numpy's median
                history.center = median(history.prices)
                mad = 1.4826 * median([abs(p - history.center) for p in history.prices])
                history.spread = max(mad, config.min_relative_dispersion * history.center)
                history.stale = False
            z = abs(trade.price - history.center) / history.spread
            if z >= config.z_threshold:
                self._alert(history, trade, buy, sell, ratio_score(z, config.z_threshold))
        if history.last != (trade.ts, trade.price):
            history.prices.append(trade.price)
            history.last = (trade.ts, trade.price)
            history.stale = True

    def _alert(self, history: _History, trade: Trade, buy: LiveOrder, sell: LiveOrder, score: float) -> None:
        evidence = [trade.trade_id, buy.order_id, sell.order_id]
        involved = [*buy.involved(), *sell.involved()]
        alert = history.alert
        if alert is not None and trade.ts - alert.time.timestamp() <= self.config.merge_seconds:
            alert.evidence.extend(evidence)
            alert.participants.extend(involved)
            alert.time = trade.time
            alert.score = max(alert.score, score)
            return
        history.alert = Alert(self.name, trade.time, trade.contract, involved, evidence, score)
        self.context.emit(history.alert)
