"""The GBP and CTFH checklists: versioned data files loaded into immutable objects.

A checklist is grouped (GBP core components and recommendations, CTFH elements); each item has a
stable id, a level (``core`` or ``recommended``), the instruments and timings it applies to, the
sub-elements an issuer must state for it to be met, and the seed section it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from greenmarket.errors import NotFound
from greenmarket.frameworks.documents import Problem, read_document, reject, schema_problems

Instrument = Literal["use_of_proceeds", "sustainability_linked"]
Timing = Literal["at_issuance", "annual"]
Level = Literal["core", "recommended"]
Evaluator = Literal["disclosure", "eligible_categories", "external_review", "carbon_credits"]

CHECKLIST_IDS = ("gbp2017", "ctfh2023")


@dataclass(frozen=True)
class Text:
    """A short text in Japanese and English."""

    ja: str
    en: str


@dataclass(frozen=True)
class Term:
    """A named value of a vocabulary or a sub-element of an item."""

    id: str
    text: Text


@dataclass(frozen=True)
class Group:
    """A GBP core component / recommendation group, or a CTFH element."""

    id: str
    kind: str
    title: Text


@dataclass(frozen=True)
class Item:
    """One checklist item (a disclosure the standard expects)."""

    id: str
    group: str
    level: Level
    instruments: tuple[Instrument, ...]
    timing: tuple[Timing, ...]
    text: Text
    source_section: str
    source_page: int | None
    evaluator: Evaluator = "disclosure"
    elements: tuple[Term, ...] = ()
    covers: tuple[str, ...] = ()
    not_applicable_when: Text | None = None

    @property
    def element_ids(self) -> tuple[str, ...]:
        return tuple(element.id for element in self.elements)


@dataclass(frozen=True)
class Checklist:
    """A versioned checklist of one standard."""

    id: str
    version: int
    edition: str
    title: Text
    publisher: str
    seed: str
    groups: tuple[Group, ...]
    items: tuple[Item, ...]
    vocabularies: Mapping[str, tuple[Term, ...]] = field(default_factory=dict)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound(f"no checklist item {item_id!r} in {self.id}", field="item")

    def group(self, group_id: str) -> Group:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise NotFound(f"no group {group_id!r} in {self.id}", field="group")


def _text(raw: Mapping[str, str]) -> Text:
    return Text(ja=raw["ja"], en=raw["en"])


def _term(raw: Mapping[str, str]) -> Term:
    return Term(id=raw["id"], text=Text(ja=raw["ja"], en=raw["en"]))


def _consistency_problems(raw: Mapping) -> list[Problem]:
    """Rules the schema cannot state: unique ids, known groups, evaluator parameters."""
    problems: list[Problem] = []
    group_ids = {g["id"] for g in raw["groups"]}
    seen: set[str] = set()
    for index, item in enumerate(raw["items"]):
        where = f"$.items[{index}]"
        if item["id"] in seen:
            problems.append(Problem(f"{where}.id", f"duplicate item id {item['id']!r}"))
        seen.add(item["id"])
        if not item["id"].startswith(f"{raw['id']}.{item['group']}."):
            problems.append(Problem(f"{where}.id", f"id must start with '{raw['id']}.{item['group']}.'"))
        if item["group"] not in group_ids:
            problems.append(Problem(f"{where}.group", f"unknown group {item['group']!r}"))
        evaluator = item.get("evaluator", "disclosure")
        if evaluator == "external_review":
            for group in item.get("covers", []):
                if group not in group_ids:
                    problems.append(Problem(f"{where}.covers", f"unknown group {group!r}"))
            if not item.get("covers"):
                problems.append(Problem(f"{where}.covers", "an external_review item names the groups it covers"))
        elif not item.get("elements"):
            problems.append(Problem(f"{where}.elements", f"a {evaluator} item lists its sub-elements"))
    return problems


def parse_checklist(raw: object, *, source: str) -> Checklist:
    """Validate raw checklist data (schema and consistency) and build the Checklist."""
    reject(schema_problems(raw, "checklist.schema.json"), source=source, what="checklist")
    assert isinstance(raw, dict)
    reject(_consistency_problems(raw), source=source, what="checklist")
    default_instruments = tuple(raw["instruments"])
    items = tuple(
        Item(
            id=it["id"],
            group=it["group"],
            level=it["level"],
            instruments=tuple(it.get("instruments", default_instruments)),
            timing=tuple(it["timing"]),
            text=_text(it["text"]),
            source_section=it["source"]["section"],
            source_page=it["source"].get("page"),
            evaluator=it.get("evaluator", "disclosure"),
            elements=tuple(_term(e) for e in it.get("elements", [])),
            covers=tuple(it.get("covers", [])),
            not_applicable_when=_text(it["not_applicable_when"]) if "not_applicable_when" in it else None,
        )
        for it in raw["items"]
    )
    return Checklist(
        id=raw["id"],
        version=raw["version"],
        edition=raw["edition"],
        title=_text(raw["title"]),
        publisher=raw["publisher"],
        seed=raw["seed"],
        groups=tuple(Group(id=g["id"], kind=g["kind"], title=_text(g["title"])) for g in raw["groups"]),
        items=items,
        vocabularies={k: tuple(_term(t) for t in v) for k, v in raw.get("vocabularies", {}).items()},
    )


@cache
def load_checklist(checklist_id: str) -> Checklist:
    """Load a shipped checklist by id (``gbp2017``, ``ctfh2023``)."""
    if checklist_id not in CHECKLIST_IDS:
        raise NotFound(f"unknown checklist {checklist_id!r}; known: {', '.join(CHECKLIST_IDS)}", field="checklist")
    resource = resources.files("greenmarket.frameworks").joinpath("data", f"{checklist_id}.yaml")
    with resources.as_file(resource) as path:
        return parse_checklist(read_document(Path(path)), source=f"{checklist_id}.yaml")


def load_checklists() -> dict[str, Checklist]:
    """Every shipped checklist, by id."""
    return {checklist_id: load_checklist(checklist_id) for checklist_id in CHECKLIST_IDS}


def vocabulary(name: str) -> tuple[Term, ...]:
    """A GBP vocabulary (``eligible_categories``, ``external_review_types``, ``bond_types``)."""
    return load_checklist("gbp2017").vocabularies[name]
