"""Concentration: one beneficial owner trading, or accumulating through transfers, more than a set
share of a contract.

*Trading*: at the end of each trading day, per contract with at least ``min_trades`` trades, an
owner's share is (bought + sold) / (2 × the contract's volume); ``trade_share`` or more alerts,
with the owner's trades as evidence. *Holding*: over the whole stream, per project and vintage, an
owner's net quantity received by transfer, over all the quantity transferred in that project and
vintage, once the latter reaches ``min_transfer_volume``; ``holding_share`` or more alerts once per
owner and project-vintage (the file shows transfers, not opening balances, so this is the share of
what moved, not of what exists).

Score: ``share / (share + threshold)`` — 0.5 at the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from greenmarket.surveillance.events import Trade, Transfer
from greenmarket.surveillance.model import Alert, LiveOrder, ratio_score
from greenmarket.surveillance.rules.base import Context, Rule


@dataclass(frozen=True)
class ConcentrationConfig:
    trade_share: float = 0.25
    min_trades: int = 20
    holding_share: float = 0.5
    min_transfer_volume: int = 10_000


@dataclass
class _Owner:
    volume: int = 0
    trades: list[str] = field(default_factory=list)
    involved: set[str] = field(default_factory=set)
    last: datetime | None = None


class ConcentrationRule(Rule):
    name = "concentration"
    Config = ConcentrationConfig

    def __init__(self, context: Context, config: ConcentrationConfig | None = None) -> None:
        super().__init__(context)
        self.config = config or ConcentrationConfig()
        self._day: dict[str, dict[str, _Owner]] = {}
        self._volume: dict[str, list[int]] = {}  # contract -> [volume, trades]
        self._net: dict[tuple[str, str], dict[str, _Owner]] = {}
        self._moved: dict[tuple[str, str], int] = {}
        self._alerted: set[tuple[str, str, str]] = set()

    def on_trade(self, trade: Trade, buy: LiveOrder, sell: LiveOrder) -> None:
        owners = self._day.setdefault(trade.contract, {})
        totals = self._volume.setdefault(trade.contract, [0, 0])
        totals[0] += trade.quantity
        totals[1] += 1
        for order in (buy, sell):
            owner = owners.get(order.owner)
            if owner is None:
                owner = owners[order.owner] = _Owner()
            owner.volume += trade.quantity
            owner.trades.append(trade.trade_id)
            owner.involved.update(order.involved())
            owner.last = trade.time

    def on_day_end(self) -> None:
        config = self.config
        for contract, owners in self._day.items():
            volume, trades = self._volume[contract]
            if trades < config.min_trades:
                continue
            for owner in owners.values():
                share = owner.volume / (2 * volume)
                if share >= config.trade_share and owner.last is not None:
                    self.context.emit(Alert(self.name, owner.last, contract, sorted(owner.involved),
                                            owner.trades, ratio_score(share, config.trade_share)))
        self._day.clear()
        self._volume.clear()

    def on_transfer(self, event: Transfer) -> None:
        key = (event.project, event.vintage)
        moved = self._moved[key] = self._moved.get(key, 0) + event.quantity
        owners = self._net.setdefault(key, {})
        owner_of = self.context.parties.owner
        for participant, sign in ((event.to_participant, 1), (event.from_participant, -1)):
            name = owner_of.get(participant, participant)
            owner = owners.get(name)
            if owner is None:
                owner = owners[name] = _Owner()
            owner.volume += sign * event.quantity
            owner.trades.append(event.transfer_id)
            owner.involved.add(participant)
            owner.last = event.time
        if moved < self.config.min_transfer_volume:
            return
        for name, owner in owners.items():
            share = owner.volume / moved
            if share >= self.config.holding_share and (name, *key) not in self._alerted:
                self._alerted.add((name, *key))
                self.context.emit(Alert(self.name, event.time, None, sorted(owner.involved),
                                        list(owner.trades), ratio_score(share, self.config.holding_share)))
