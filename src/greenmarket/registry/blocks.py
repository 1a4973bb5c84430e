"""Serial-block arithmetic (pure).

A serial block is an inclusive run ``[start, end]`` of credit serial numbers. Moving part of a block
splits it. The rule used everywhere: the part that changes (moves, is held, retired…) is a new piece;
what stays keeps the original block. That keeps concurrent writers safe: a waiting writer re-reads the
original row and finds exactly what is still there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from greenmarket.errors import InsufficientCredits, ValidationError


@dataclass(frozen=True, slots=True)
class Block:
    """A block as seen by the splitting rules: its id and its inclusive serial range."""

    id: int
    start: int
    end: int

    @property
    def quantity(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class Cut:
    """Take ``pieces`` out of block ``block_id``; ``remainders`` are what stays behind."""

    block_id: int
    pieces: tuple[tuple[int, int], ...]
    remainders: tuple[tuple[int, int], ...] = ()

    @property
    def quantity(self) -> int:
        return sum(end - start + 1 for start, end in self.pieces)

    @property
    def whole(self) -> bool:
        """True when the whole block is taken (no split needed)."""
        return not self.remainders


def take_quantity(blocks: Sequence[Block], quantity: int) -> list[Cut]:
    """Take ``quantity`` credits from ``blocks`` in the given order, splitting the last one.

    The taken part of a split block is its lowest serials, so serials leave in ascending order.
    """
    if quantity <= 0:
        raise ValidationError("quantity must be a positive whole number", field="quantity")
    cuts: list[Cut] = []
    remaining = quantity
    for block in blocks:
        if remaining == 0:
            break
        if block.quantity <= remaining:
            cuts.append(Cut(block.id, ((block.start, block.end),)))
            remaining -= block.quantity
        else:
            end = block.start + remaining - 1
            cuts.append(Cut(block.id, ((block.start, end),), ((end + 1, block.end),)))
            remaining = 0
    if remaining:
        available = quantity - remaining
        raise InsufficientCredits(
            f"{quantity} credits requested but only {available} free credits match",
            field="quantity",
            requested=quantity,
            available=available,
        )
    return cuts


def normalize_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort, check and coalesce requested serial ranges.

    Each must be positive with start ≤ end; two that overlap are refused (a serial named twice
    is a mistake); two that touch are joined.
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if start < 1 or end < start:
            raise ValidationError(
                f"serial range {start}-{end} is not a valid inclusive range", field="serial_ranges"
            )
        if merged and start <= merged[-1][1]:
            raise ValidationError(
                f"serial ranges {merged[-1][0]}-{merged[-1][1]} and {start}-{end} overlap",
                field="serial_ranges",
            )
        if merged and start == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    if not merged:
        raise ValidationError("at least one serial range is required", field="serial_ranges")
    return merged


def take_ranges(blocks: Sequence[Block], ranges: Iterable[tuple[int, int]]) -> list[Cut]:
    """Take exactly the named serial ranges out of ``blocks``, which must cover them all."""
    wanted = normalize_ranges(ranges)
    cuts: list[Cut] = []
    covered = 0
    for block in sorted(blocks, key=lambda b: b.start):
        pieces = tuple(
            (max(start, block.start), min(end, block.end))
            for start, end in wanted
            if start <= block.end and end >= block.start
        )
        if pieces:
            cuts.append(Cut(block.id, pieces, _complement(block, pieces)))
            covered += sum(end - start + 1 for start, end in pieces)
    requested = sum(end - start + 1 for start, end in wanted)
    if covered != requested:
        raise InsufficientCredits(
            f"{requested - covered} of the requested serials are not free in this account",
            field="serial_ranges",
            requested=requested,
            available=covered,
        )
    return cuts


def _complement(block: Block, pieces: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """The parts of ``block`` outside the sorted, disjoint ``pieces``."""
    rest: list[tuple[int, int]] = []
    cursor = block.start
    for start, end in pieces:
        if start > cursor:
            rest.append((cursor, start - 1))
        cursor = end + 1
    if cursor <= block.end:
        rest.append((cursor, block.end))
    return tuple(rest)
