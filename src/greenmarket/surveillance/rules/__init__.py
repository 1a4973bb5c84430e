"""The surveillance rules, one module each; ``RULE_CLASSES`` maps a rule's name to its class."""

from __future__ import annotations

from greenmarket.surveillance.rules.abnormal_price import AbnormalPriceRule
from greenmarket.surveillance.rules.base import Rule
from greenmarket.surveillance.rules.circular_trading import CircularTradingRule
from greenmarket.surveillance.rules.concentration import ConcentrationRule
from greenmarket.surveillance.rules.front_running import FrontRunningRule
from greenmarket.surveillance.rules.marking_the_close import MarkingTheCloseRule
from greenmarket.surveillance.rules.spoofing import SpoofingRule
from greenmarket.surveillance.rules.wash_trade import WashTradeRule

RULE_CLASSES: dict[str, type[Rule]] = {
    rule.name: rule
    for rule in (
        WashTradeRule, SpoofingRule, MarkingTheCloseRule, AbnormalPriceRule, CircularTradingRule,
        FrontRunningRule, ConcentrationRule,
    )
}

__all__ = ["RULE_CLASSES", "Rule"]
