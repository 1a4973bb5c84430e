"""Serial-block arithmetic: what is taken plus what stays is exactly the block, never more."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenmarket.errors import InsufficientCredits, ValidationError
from greenmarket.registry.blocks import Block, normalize_ranges, take_quantity, take_ranges


def serials(ranges) -> list[int]:  # type: ignore[no-untyped-def]
    return [s for start, end in ranges for s in range(start, end + 1)]


@st.composite
def disjoint_blocks(draw):  # type: ignore[no-untyped-def]
    """Up to six disjoint blocks with gaps, in random order."""
    sizes = draw(st.lists(st.integers(1, 30), min_size=1, max_size=6))
    gaps = draw(st.lists(st.integers(0, 5), min_size=len(sizes), max_size=len(sizes)))
    blocks, cursor = [], draw(st.integers(1, 100))
    for index, (size, gap) in enumerate(zip(sizes, gaps, strict=True)):
        cursor += gap
        blocks.append(Block(index + 1, cursor, cursor + size - 1))
        cursor += size + 1  # never touching, like blocks of different accounts
    return draw(st.permutations(blocks))


def check_partition(blocks, cuts) -> None:  # type: ignore[no-untyped-def]
    """Every cut block equals its pieces plus its remainders, without overlap."""
    by_id = {b.id: b for b in blocks}
    for cut in cuts:
        block = by_id[cut.block_id]
        parts = sorted(serials(cut.pieces) + serials(cut.remainders))
        assert parts == list(range(block.start, block.end + 1))
        assert all(start <= end for start, end in cut.pieces + cut.remainders)
    assert len({cut.block_id for cut in cuts}) == len(cuts)


def test_take_quantity_splits_the_last_block_and_takes_lowest_serials() -> None:
    cuts = take_quantity([Block(1, 1, 10), Block(2, 20, 29)], 14)
    assert [(c.block_id, c.pieces, c.remainders, c.whole) for c in cuts] == [
        (1, ((1, 10),), (), True),
        (2, ((20, 23),), ((24, 29),), False),
    ]


def test_take_quantity_exact_fit_leaves_no_remainder() -> None:
    cuts = take_quantity([Block(7, 5, 9)], 5)
    assert len(cuts) == 1 and cuts[0].whole and cuts[0].quantity == 5


@pytest.mark.parametrize("quantity", [0, -1])
def test_take_quantity_refuses_non_positive(quantity: int) -> None:
    with pytest.raises(ValidationError) as error:
        take_quantity([Block(1, 1, 10)], quantity)
    assert error.value.field == "quantity"


def test_take_quantity_refuses_more_than_free_and_says_how_many() -> None:
    with pytest.raises(InsufficientCredits) as error:
        take_quantity([Block(1, 1, 10), Block(2, 30, 31)], 13)
    assert error.value.details == {"requested": 13, "available": 12}
    assert error.value.code == "insufficient_credits"


@given(disjoint_blocks(), st.data())
def test_take_quantity_partitions_blocks_and_takes_exactly(blocks, data) -> None:  # type: ignore[no-untyped-def]
    total = sum(b.quantity for b in blocks)
    quantity = data.draw(st.integers(1, total))
    cuts = take_quantity(blocks, quantity)
    assert sum(c.quantity for c in cuts) == quantity
    check_partition(blocks, cuts)
    # Blocks are consumed in the order given: all but the last cut are whole.
    assert [c.block_id for c in cuts] == [b.id for b in blocks][: len(cuts)]
    assert all(c.whole for c in cuts[:-1])


@given(disjoint_blocks(), st.integers(1, 50))
def test_take_quantity_beyond_total_always_refused(blocks, extra) -> None:  # type: ignore[no-untyped-def]
    total = sum(b.quantity for b in blocks)
    with pytest.raises(InsufficientCredits):
        take_quantity(blocks, total + extra)


def test_normalize_ranges_sorts_and_joins_touching() -> None:
    assert normalize_ranges([(20, 25), (1, 5), (6, 9)]) == [(1, 9), (20, 25)]


@pytest.mark.parametrize("ranges", [[(5, 4)], [(0, 3)], [(-2, 3)], []])
def test_normalize_ranges_refuses_invalid(ranges) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as error:
        normalize_ranges(ranges)
    assert error.value.field == "serial_ranges"


@pytest.mark.parametrize("ranges", [[(1, 5), (5, 8)], [(1, 10), (3, 4)], [(2, 2), (2, 2)]])
def test_normalize_ranges_refuses_overlap(ranges) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="overlap"):
        normalize_ranges(ranges)


def test_take_ranges_cuts_holes_in_the_middle() -> None:
    cuts = take_ranges([Block(1, 1, 100)], [(10, 19), (50, 50)])
    assert cuts[0].pieces == ((10, 19), (50, 50))
    assert cuts[0].remainders == ((1, 9), (20, 49), (51, 100))


def test_take_ranges_spanning_two_blocks() -> None:
    cuts = take_ranges([Block(2, 11, 20), Block(1, 1, 10)], [(8, 13)])
    assert [(c.block_id, c.pieces) for c in cuts] == [(1, ((8, 10),)), (2, ((11, 13),))]


def test_take_ranges_refuses_serials_not_held() -> None:
    with pytest.raises(InsufficientCredits) as error:
        take_ranges([Block(1, 1, 10), Block(2, 20, 29)], [(9, 21)])
    assert error.value.details == {"requested": 13, "available": 4}


@given(disjoint_blocks(), st.data())
def test_take_ranges_partitions_blocks_and_takes_exactly_the_named_serials(blocks, data) -> None:  # type: ignore[no-untyped-def]
    held = sorted(serials((b.start, b.end) for b in blocks))
    chosen = sorted(data.draw(st.sets(st.sampled_from(held), min_size=1, max_size=40)))
    ranges = [(s, s) for s in chosen]
    ranges = data.draw(st.permutations(ranges))
    cuts = take_ranges(blocks, ranges)
    assert sorted(serials(p for c in cuts for p in c.pieces)) == chosen
    assert sum(c.quantity for c in cuts) == len(chosen)
    check_partition(blocks, cuts)


@given(disjoint_blocks(), st.data())
def test_take_ranges_with_a_serial_outside_is_refused(blocks, data) -> None:  # type: ignore[no-untyped-def]
    held = set(serials((b.start, b.end) for b in blocks))
    outside = data.draw(st.integers(1, max(held) + 10).filter(lambda s: s not in held))
    with pytest.raises(InsufficientCredits):
        take_ranges(blocks, [(outside, outside)])
