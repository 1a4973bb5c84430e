"""The venue the server runs: which contracts, their base prices and fees, and the one service.

The demo contracts of :mod:`greenmarket.exchange.contracts` describe deliveries in the venues' own
words; the exchange asks the registry for credits by the registry's codes (program ``JCREDIT``,
the sectoral scope ``forestry_land_use``), so the server runs copies whose delivery
specifications use those codes. The CBL-style "CCB" label is not an attribute the registry records,
so the server's copy of that contract does not ask for it (a requirement the registry cannot check
would refuse every sell order).

Base prices open the first session's price band (later sessions take the last auction price).
The J-Credit prices are of the order the TSE market has traded at (seed 001: some 280,000 t for
JPY 730 million by May 2024, about JPY 2,600 a tonne on average, energy saving below forestry).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from greenmarket.clock import Clock
from greenmarket.exchange.contracts import (
    CBL_GLOBAL_NATURE,
    TSE_ENERGY_SAVING,
    TSE_FORESTRY,
    Contract,
    DeliverySpecification,
)
from greenmarket.exchange.offbook import OffBookService
from greenmarket.exchange.service import ExchangeService, FeeSchedule
from greenmarket.storage.db import Database

JCREDIT = "JCREDIT"

CONTRACTS: tuple[Contract, ...] = (
    replace(TSE_ENERGY_SAVING, specification=DeliverySpecification(
        programs=frozenset({JCREDIT}), categories=frozenset({"energy_saving"}))),
    replace(TSE_FORESTRY, specification=DeliverySpecification(
        programs=frozenset({JCREDIT}), categories=frozenset({"forestry"}))),
    replace(CBL_GLOBAL_NATURE, specification=DeliverySpecification(
        programs=frozenset({"VCS", "GS", "ACR", "CAR"}),
        categories=frozenset({"forestry_land_use"}), vintage_from=2016, vintage_to=2025)),
)

BASE_PRICES: dict[str, Decimal] = {
    TSE_ENERGY_SAVING.contract_id: Decimal(1700),
    TSE_FORESTRY.contract_id: Decimal(3200),
    CBL_GLOBAL_NATURE.contract_id: Decimal("1.50"),
}

#: Venue fees: 5 basis points of the notional from each side.
FEES = FeeSchedule(buyer_bps=Decimal(5), seller_bps=Decimal(5))


def build_offbook(database: Database, clock: Clock) -> OffBookService:
    """Block trades and supply auctions on the same contracts, prices and fees."""
    return OffBookService(database, clock, list(CONTRACTS), base_prices=BASE_PRICES, fees=FEES)


def build_exchange(database: Database, clock: Clock) -> ExchangeService:
    """The exchange service over ``database``; its books are rebuilt from the journal."""
    return ExchangeService(database, clock, list(CONTRACTS), base_prices=BASE_PRICES, fees=FEES)

