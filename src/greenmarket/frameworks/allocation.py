"""Issuer reports in the shape GBP 2017 section 4 recommends: allocation by project and category with the
unallocated balance and its temporary placement, and expected and achieved impact per project.

Input: ``schemas/allocations.schema.json`` (YAML or JSON). Beyond the schema, a file is refused when
project ids repeat, when allocated plus unallocated amounts do not add up exactly to the net proceeds,
or when an impact names an indicator outside the impact catalogue or a unit that cannot be converted
to the indicator's canonical unit (the catalogue and the unit table are the ``impact`` area's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from greenmarket.bonds.isin import is_valid_isin
from greenmarket.frameworks.checklist import Text, vocabulary
from greenmarket.frameworks.documents import (
    Problem,
    json_path,
    read_document,
    reject,
    schema_problems,
)
from greenmarket.impact.catalogue import indicators
from greenmarket.impact.errors import UnknownUnit
from greenmarket.impact.units import to_canonical


@dataclass(frozen=True)
class Impact:
    """An impact figure as reported, and the same figure in the indicator's canonical unit."""

    indicator: str
    value: float
    unit: str
    canonical_value: float
    canonical_unit: str
    period: str | None = None
    methodology: str | None = None


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    category: str
    allocated: Decimal
    refinancing: bool
    description: str | None
    location: str | None
    expected: tuple[Impact, ...]
    achieved: tuple[Impact, ...]


@dataclass(frozen=True)
class Placement:
    placement: str
    amount: Decimal


@dataclass(frozen=True)
class AllocationData:
    isin: str
    issuer: str
    name: str | None
    currency: str
    net_proceeds: Decimal
    issue_date: str
    framework: str | None
    as_of: str
    projects: tuple[Project, ...]
    unallocated: tuple[Placement, ...]

    @property
    def allocated(self) -> Decimal:
        return sum((p.allocated for p in self.projects), Decimal(0))

    @property
    def unallocated_total(self) -> Decimal:
        return sum((u.amount for u in self.unallocated), Decimal(0))

    @property
    def refinanced(self) -> Decimal:
        return sum((p.allocated for p in self.projects if p.refinancing), Decimal(0))

    def share(self, amount: Decimal) -> Decimal:
        """``amount`` as a percentage of net proceeds, to 0.01."""
        return (100 * amount / self.net_proceeds).quantize(Decimal("0.01"))

    def by_category(self) -> list[tuple[str, Decimal, int]]:
        """(category, amount, projects) in the GBP vocabulary's order, categories with projects only."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        counts: dict[str, int] = defaultdict(int)
        for p in self.projects:
            totals[p.category] += p.allocated
            counts[p.category] += 1
        return [(t.id, totals[t.id], counts[t.id]) for t in vocabulary("eligible_categories") if t.id in totals]


def category_text(category_id: str) -> Text:
    return next(t.text for t in vocabulary("eligible_categories") if t.id == category_id)


def _impacts(raw: list[dict[str, Any]] | None, isin: str) -> tuple[Impact, ...]:
    catalogue = indicators()
    return tuple(
        Impact(i["indicator"], float(i["value"]), i["unit"],
               to_canonical(float(i["value"]), i["unit"], catalogue[i["indicator"]], isin=isin),
               catalogue[i["indicator"]].unit, i.get("period"), i.get("methodology"))
        for i in raw or []
    )


def _impact_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Indicators must be in the impact catalogue, units convertible to the indicator's unit."""
    catalogue = indicators()
    problems: list[Problem] = []
    for p, project in enumerate(raw["projects"]):
        for key in ("expected_impact", "achieved_impact"):
            for i, impact in enumerate(project.get(key, [])):
                where = ("projects", p, key, i)
                indicator = catalogue.get(impact["indicator"])
                if indicator is None:
                    problems.append(Problem(json_path((*where, "indicator")),
                                            f"unknown indicator {impact['indicator']!r}; known: {', '.join(catalogue)}"))
                    continue
                try:
                    to_canonical(float(impact["value"]), impact["unit"], indicator, isin=raw["bond"]["isin"])
                except UnknownUnit as error:
                    problems.append(Problem(json_path((*where, "unit")), error.message))
    return problems


def _problems(raw: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if not is_valid_isin(raw["bond"]["isin"]):
        problems.append(Problem("$.bond.isin", f"{raw['bond']['isin']!r} has a wrong check digit"))
    ids = [p["id"] for p in raw["projects"]]
    for i, project_id in enumerate(ids):
        if project_id in ids[:i]:
            problems.append(Problem(json_path(("projects", i, "id")), f"duplicate project id {project_id!r}"))
    allocated = sum((Decimal(p["allocated"]) for p in raw["projects"]), Decimal(0))
    unallocated = sum((Decimal(u["amount"]) for u in raw.get("unallocated", [])), Decimal(0))
    net = Decimal(raw["bond"]["net_proceeds"])
    if allocated + unallocated != net:
        problems.append(Problem("$.unallocated", f"allocated {allocated} + unallocated {unallocated} = "
                                f"{allocated + unallocated}, not the net proceeds {net}"))
    return problems + _impact_problems(raw)


def parse_allocations(raw: Any, *, source: str = "<allocations>") -> AllocationData:
    """Validate allocation data and build it; every problem is listed with its JSON path."""
    reject(schema_problems(raw, "allocations.schema.json"), source=source, what="allocations")
    assert isinstance(raw, Mapping)
    reject(sorted(_problems(raw)), source=source, what="allocations")
    bond = raw["bond"]
    return AllocationData(
        isin=bond["isin"], issuer=bond["issuer"], name=bond.get("name"), currency=bond["currency"],
        net_proceeds=Decimal(bond["net_proceeds"]), issue_date=bond["issue_date"], framework=bond.get("framework"),
        as_of=raw["as_of"],
        projects=tuple(Project(p["id"], p["name"], p["category"], Decimal(p["allocated"]), p.get("refinancing", False),
                               p.get("description"), p.get("location"), _impacts(p.get("expected_impact"), bond["isin"]),
                               _impacts(p.get("achieved_impact"), bond["isin"])) for p in raw["projects"]),
        unallocated=tuple(Placement(u["placement"], Decimal(u["amount"])) for u in raw.get("unallocated", [])),
    )


def load_allocations(path: Path) -> AllocationData:
    return parse_allocations(read_document(path), source=str(path))


@dataclass(frozen=True)
class ImpactTotal:
    """One indicator and unit summed over projects: expected and achieved, with how many projects report each."""

    indicator: str
    unit: str
    expected: float
    expected_projects: int
    achieved: float
    achieved_projects: int


def impact_totals(data: AllocationData) -> list[ImpactTotal]:
    """Totals per indicator in its canonical unit, in order of first appearance.

    Figures are converted with the impact area's unit table before they are summed (41.8 GWh counts as
    41,800 MWh); periods are shown per project, not converted. The project counts show how partial a
    total is.
    """
    sums: dict[tuple[str, str], list[float]] = {}
    for p in data.projects:
        for column, impacts in ((0, p.expected), (2, p.achieved)):
            for i in impacts:
                row = sums.setdefault((i.indicator, i.canonical_unit), [0.0, 0, 0.0, 0])
                row[column] += i.canonical_value
                row[column + 1] += 1
    return [ImpactTotal(ind, unit, e, int(en), a, int(an)) for (ind, unit), (e, en, a, an) in sums.items()]
