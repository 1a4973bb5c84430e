"""The indicator catalogue and the ICMA category table, read from the package's data files."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

GROUPS = ("green", "social")
KINDS = ("annual_flow", "stock", "one_off")


@dataclass(frozen=True)
class Indicator:
    """One impact indicator: its id, names, canonical unit, group and kind."""

    id: str
    name_ja: str
    name_en: str
    unit: str
    group: str
    kind: str
    context: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def annualized(self) -> bool:
        """Only annual flows are brought to a year from the report's period."""
        return self.kind == "annual_flow"


@dataclass(frozen=True)
class Category:
    """An ICMA eligible project category and the SDGs it maps to by default."""

    id: str
    name_ja: str
    name_en: str
    group: str
    sdgs: tuple[int, ...]


def _data(name: str) -> dict[str, Any]:
    text = resources.files("greenmarket.impact").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def indicators() -> dict[str, Indicator]:
    """Return the catalogue, keyed by indicator id, in file order."""
    data = _data("indicators.yaml")
    known_sources = set(data["sources"])
    catalogue: dict[str, Indicator] = {}
    for row in data["indicators"]:
        item = Indicator(
            id=row["id"],
            name_ja=row["name_ja"],
            name_en=row["name_en"],
            unit=row["unit"],
            group=row["group"],
            kind=row["kind"],
            context=row.get("context"),
            sources=tuple(row["sources"]),
        )
        if item.group not in GROUPS or item.kind not in KINDS or item.id in catalogue:
            raise RuntimeError(f"indicators.yaml: bad entry {item.id!r}")
        if not set(item.sources) <= known_sources:
            raise RuntimeError(f"indicators.yaml: {item.id!r} cites an unknown source")
        catalogue[item.id] = item
    return catalogue


def indicator_sources() -> dict[str, str]:
    """Return the sources the catalogue cites, keyed as in the file."""
    return {key: " ".join(text.split()) for key, text in _data("indicators.yaml")["sources"].items()}


@lru_cache(maxsize=1)
def categories() -> dict[str, Category]:
    """Return the ICMA category table, keyed by category id."""
    table: dict[str, Category] = {}
    for key, row in _data("categories.yaml")["categories"].items():
        sdgs = tuple(int(goal) for goal in row["sdgs"])
        if row["group"] not in GROUPS or not sdgs or not all(1 <= goal <= 17 for goal in sdgs):
            raise RuntimeError(f"categories.yaml: bad entry {key!r}")
        table[key] = Category(key, row["name_ja"], row["name_en"], row["group"], sdgs)
    return table
