"""Paging a list for a page: which page was asked for, its rows, and links to its neighbours."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of ``total`` rows: page ``number`` of ``pages`` (1-based)."""

    rows: list[T]
    total: int
    number: int
    pages: int
    previous: str | None
    next: str | None


def page_number(text: str | None) -> int:
    """The page a query asked for: a positive whole number, else the first page."""
    try:
        return max(1, int(text or "1"))
    except ValueError:
        return 1


def paginate(rows: Sequence[T], requested: str | None, size: int,
             link: Callable[[int], str]) -> Paged[T]:
    """The requested page of ``rows`` (out-of-range pages show the nearest one)."""
    pages = max(1, ceil(len(rows) / size))
    number = min(page_number(requested), pages)
    return Paged(list(rows[(number - 1) * size: number * size]), len(rows), number, pages,
                 link(number - 1) if number > 1 else None,
                 link(number + 1) if number < pages else None)
