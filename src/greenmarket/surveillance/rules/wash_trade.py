"""Wash trades and self-trades: both sides of a trade held for the same beneficial owner, or by
two directly linked participants.

Score: ``same_owner_score`` when the beneficial owner is the same (no change of ownership at all),
``linked_score`` when the holders are only linked (common control is likely, not certain).
"""

from __future__ import annotations

from dataclasses import dataclass

from greenmarket.surveillance.events import Trade
from greenmarket.surveillance.model import Alert, LiveOrder
from greenmarket.surveillance.rules.base import Context, Rule


@dataclass(frozen=True)
class WashTradeConfig:
    same_owner_score: float = 1.0
    linked_score: float = 0.8


class WashTradeRule(Rule):
    name = "wash_trade"
    Config = WashTradeConfig

    def __init__(self, context: Context, config: WashTradeConfig | None = None) -> None:
        super().__init__(context)
        self.config = config or WashTradeConfig()

    def on_trade(self, trade: Trade, buy: LiveOrder, sell: LiveOrder) -> None:
        if buy.owner == sell.owner:
            score = self.config.same_owner_score
        elif self.context.parties.related(buy.holder, sell.holder):
            score = self.config.linked_score
        else:
            return
        self.context.emit(Alert(
            self.name, trade.time, trade.contract, [*buy.involved(), *sell.involved()],
            [trade.trade_id, buy.order_id, sell.order_id], score,
        ))
