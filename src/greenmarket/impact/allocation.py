"""Pro-rata shares of a bond's proceeds by ICMA category and SDG (seed 003 5.2.5-5.2.6).

A bond's allocation is split by amount, so its category shares sum to one; a row that serves
several SDGs splits its amount equally among them, so its SDG shares sum to one too and nothing is
counted twice. A scope's share is the mean of its bonds' shares. Pooled figures reach a bond by its
share of the financing (:func:`financing_shares`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from greenmarket.errors import ValidationError

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class AllocationRow:
    """One line of a bond's allocation: amount to a project in a category, serving some SDGs."""

    isin: str
    project: str
    category: str
    sdgs: tuple[int, ...]
    amount: float


def _normalized(totals: Mapping[K, float], *, what: str) -> dict[K, float]:
    grand_total = sum(totals.values())
    if grand_total <= 0:
        raise ValidationError(f"{what}: allocated amounts sum to {grand_total}, not above zero",
                              code="empty_allocation")
    return {key: amount / grand_total for key, amount in totals.items()}


def category_shares(rows: Sequence[AllocationRow]) -> dict[str, float]:
    """Return one bond's share of proceeds per ICMA category (sums to 1)."""
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[row.category] += row.amount
    return _normalized(totals, what=_bond_of(rows))


def sdg_shares(rows: Sequence[AllocationRow]) -> dict[int, float]:
    """Return one bond's share of proceeds per SDG, each row split equally among its SDGs."""
    totals: dict[int, float] = defaultdict(float)
    for row in rows:
        for goal in row.sdgs:
            totals[goal] += row.amount / len(row.sdgs)
    return _normalized(totals, what=_bond_of(rows))


def mean_shares(per_bond: Iterable[Mapping[K, float]]) -> dict[K, float]:
    """Return the mean over bonds of their shares (a key a bond lacks counts as 0 for it)."""
    bonds = list(per_bond)
    totals: dict[K, float] = defaultdict(float)
    for shares in bonds:
        for key, share in shares.items():
            totals[key] += share
    return {key: total / len(bonds) for key, total in totals.items()} if bonds else {}


def financing_shares(amounts: Mapping[K, float]) -> dict[K, float]:
    """Return each bond's share of a pooled financing from the amounts it contributed."""
    return _normalized(amounts, what="pooled financing")


def _bond_of(rows: Sequence[AllocationRow]) -> str:
    return f"bond {rows[0].isin}" if rows else "allocation"
