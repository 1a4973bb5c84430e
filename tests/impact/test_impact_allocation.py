"""Pro-rata category and SDG shares, and shares of a pooled financing: each sums to one."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenmarket.errors import ValidationError
from greenmarket.impact.allocation import (
    AllocationRow,
    category_shares,
    financing_shares,
    mean_shares,
    sdg_shares,
)
from greenmarket.impact.catalogue import categories


def row(category: str, amount: float, sdgs: tuple[int, ...], project: str = "P1") -> AllocationRow:
    return AllocationRow("XS0000000000", project, category, sdgs, amount)


def test_two_categories_split_by_amount() -> None:
    rows = [row("renewable_energy", 60, (7, 13)), row("green_buildings", 40, (7, 11), "P2")]
    assert category_shares(rows) == pytest.approx({"renewable_energy": 0.6, "green_buildings": 0.4})
    # 60 split 30/30 over SDGs 7 and 13, 40 split 20/20 over 7 and 11: 7 = 50, 13 = 30, 11 = 20
    assert sdg_shares(rows) == pytest.approx({7: 0.5, 13: 0.3, 11: 0.2})


def test_a_project_in_one_category_serving_three_goals_is_not_counted_three_times() -> None:
    shares = sdg_shares([row("clean_transportation", 90, (9, 11, 13))])
    assert shares == pytest.approx({9: 1 / 3, 11: 1 / 3, 13: 1 / 3})
    assert math.fsum(shares.values()) == pytest.approx(1.0)


def test_mean_over_bonds_treats_a_missing_key_as_zero() -> None:
    assert mean_shares([{"a": 1.0}, {"a": 0.5, "b": 0.5}]) == pytest.approx({"a": 0.75, "b": 0.25})
    assert mean_shares([]) == {}


def test_pooled_financing_share_is_the_bond_amount_over_the_pool() -> None:
    assert financing_shares({"A": 300.0, "B": 100.0}) == pytest.approx({"A": 0.75, "B": 0.25})


@pytest.mark.parametrize("rule", [category_shares, sdg_shares])
def test_a_bond_with_nothing_allocated_is_refused(rule) -> None:
    with pytest.raises(ValidationError):
        rule([row("renewable_energy", 0.0, (7,))])


CATEGORY_IDS = sorted(categories())
allocation_rows = st.lists(
    st.builds(
        row,
        st.sampled_from(CATEGORY_IDS),
        st.floats(min_value=0.01, max_value=1e12, allow_nan=False),
        st.lists(st.integers(1, 17), min_size=1, max_size=5, unique=True).map(tuple),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(rows=allocation_rows)
def test_a_bonds_shares_sum_to_one(rows: list[AllocationRow]) -> None:
    for shares in (category_shares(rows), sdg_shares(rows)):
        assert math.fsum(shares.values()) == pytest.approx(1.0)
        assert all(0 < share <= 1 + 1e-12 for share in shares.values())


@settings(max_examples=100, deadline=None)
@given(bonds=st.lists(allocation_rows, min_size=1, max_size=6))
def test_a_scopes_mean_shares_sum_to_one(bonds: list[list[AllocationRow]]) -> None:
    for rule in (category_shares, sdg_shares):
        mean = mean_shares(rule(rows) for rows in bonds)
        assert math.fsum(mean.values()) == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(amounts=st.dictionaries(st.text(min_size=1, max_size=4),
                               st.floats(min_value=1.0, max_value=1e12), min_size=1, max_size=10))
def test_financing_shares_sum_to_one(amounts: dict[str, float]) -> None:
    assert math.fsum(financing_shares(amounts).values()) == pytest.approx(1.0)


def test_every_category_maps_to_sdgs_between_1_and_17() -> None:
    table = categories()
    assert {"renewable_energy", "energy_efficiency", "clean_transportation", "green_buildings",
            "sustainable_water", "biodiversity"} <= set(table)
    assert all(item.sdgs and all(1 <= goal <= 17 for goal in item.sdgs) for item in table.values())
