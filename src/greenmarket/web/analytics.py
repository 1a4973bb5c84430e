"""Web pages: the latest greenium and impact analysis runs (tables, charts, run parameters).

The analyses are batch runs kept in the runs directory (:mod:`greenmarket.analyses.runs`); these
pages read a run's own output files (FORMATS.md tables, charts, ``summary.json``) and show them,
in Japanese or English. They are public like the reports the runs produce. A run's files are
served only by name from the run's listed folder (:func:`greenmarket.analyses.runs.run_file`), so
no request can read anything outside it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from greenmarket.analyses.runs import (
    KINDS,
    SERVABLE,
    Run,
    analysis_dir,
    find_run,
    latest_run,
    list_runs,
    run_file,
)
from greenmarket.errors import NotFound
from greenmarket.impact import catalogue
from greenmarket.impact.status import STATUSES
from greenmarket.web.i18n import Translator, request_language
from greenmarket.web.paging import paginate
from greenmarket.web.render import page

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
COMMANDS = {"greenium": "greenmarket analyses greenium --data DIR",
            "impact": "greenmarket analyses impact --data DIR --as-of YYYY-MM-DD"}


@dataclass(frozen=True)
class Column:
    """A CSV column shown in a table: its header message and how its values are written.

    ``places``: decimals for a number (None: text); ``percent``: a share 0..1 shown as %;
    ``translate``: a message prefix under which a text value has its ja/en wording, if any.
    """

    key: str
    places: int | None = None
    percent: bool = False
    translate: str | None = None


@dataclass
class TableView:
    """Rows of one CSV file as a page of a table, with the links to the other pages."""

    name: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    previous: str | None
    next: str | None


def text(key: str, translate: str | None = None) -> Column:
    return Column(key, translate=translate)


def num(key: str, places: int = 2) -> Column:
    return Column(key, places)


def pct(key: str) -> Column:
    return Column(key, 1, percent=True)


def read_csv(run: Run, name: str) -> list[dict[str, Any]]:
    """The rows of a run's CSV file; blank and NaN cells become None; no file, no rows."""
    if not run.has(name):
        return []
    with (run.folder / name).open(encoding="utf-8", newline="") as stream:
        return [{key: None if value in ("", "nan", "NaN") else value for key, value in row.items()}
                for row in csv.DictReader(stream)]


def read_summary(run: Run) -> dict[str, Any]:
    try:
        body = json.loads((run.folder / "summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def paged(request: Request, name: str, columns: list[Column], rows: list[dict[str, Any]]) -> TableView:
    """Page ``?<name>_page=N`` of ``rows`` (out-of-range pages show the nearest one)."""
    parameter = f"{name}_page"

    def link(target: int) -> str:
        query = {**request.query_params, parameter: str(target)}
        return f"{request.url.path}?{urlencode(query)}#{name}"

    shown = paginate(rows, request.query_params.get(parameter), PAGE_SIZE, link)
    return TableView(name, columns, shown.rows, shown.total, shown.number, shown.pages,
                     shown.previous, shown.next)


def whole(name: str, columns: list[Column], rows: list[dict[str, Any]]) -> TableView:
    return TableView(name, columns, rows, len(rows), 1, 1, None, None)


def chosen_run(kind: str, run_id: str | None) -> Run | None:
    """The named run (404 when unknown), or the latest one (None when there is none)."""
    root = analysis_dir()
    return find_run(root, kind, run_id) if run_id is not None else latest_run(root, kind)


CHART_ORDER = ("portfolio_daily_", "quarterly_", "by_bond", "disclosures")


def charts(run: Run, t: Translator) -> list[tuple[str, str]]:
    """The run's images with their captions: daily, quarterly, by pair, disclosures, then others."""
    def rank(name: str) -> tuple[int, str]:
        found = [i for i, prefix in enumerate(CHART_ORDER) if name.startswith(prefix)]
        return (found[0] if found else len(CHART_ORDER), name)
    return [(name, chart_caption(name, t)) for name in sorted(run.images(), key=rank)]


def chart_caption(name: str, t: Translator) -> str:
    stem = name.rsplit(".", 1)[0]
    for prefix in ("portfolio_daily_", "quarterly_"):
        if stem.startswith(prefix):
            return t(f"analytics.chart.{prefix.rstrip('_')}", currency=stem[len(prefix):])
    return t(f"analytics.chart.{stem}") if t.has(f"analytics.chart.{stem}") else name


def no_run(request: Request, kind: str) -> Response:
    return page(request, "analytics/none.html", kind=kind, command=COMMANDS[kind])


@router.get("/analytics")
def analytics_index(request: Request) -> Response:
    root = analysis_dir()
    runs = {kind: list_runs(root, kind) for kind in KINDS}
    return page(request, "analytics/index.html", runs=runs, commands=COMMANDS)


# --- greenium ---------------------------------------------------------------------------------

HEADLINE = [text("currency"), num("pairs", 0), num("mean_bp"), num("median_bp"), num("std_bp"),
            pct("share_positive"), num("t_p", 4)]
EFFECTS = [text("currency"), text("disclosure", "analytics.disclosure."), num("n_with", 0), num("mean_with_bp"),
           num("n_without", 0), num("mean_without_bp"), num("welch_p", 4), num("mannwhitney_p", 4),
           num("diff_ci_low_bp"), num("diff_ci_high_bp")]
BY_PAIR = [text("currency"), text("issuer"), text("green_isin"), text("brown_isin"), num("days", 0),
           num("mean_greenium_bp")]
BY_ISSUER = [text("currency"), text("issuer"), num("pairs", 0), num("pair_days", 0),
             num("mean_greenium_bp"), num("min_pair_bp"), num("max_pair_bp")]
QUARTERLY = [text("currency"), text("quarter"), num("pairs", 0), num("mean_bp"), num("median_bp"),
             num("q25_bp"), num("q75_bp")]
SUMMARY_FACTS = ("bonds", "screened_green_bonds", "matched_pairs", "pairs_after_cleansing",
                 "pair_days", "min_days", "seed")


@router.get("/analytics/greenium")
def greenium_latest(request: Request, run: str | None = None) -> Response:
    """The latest run, or the one ``?run=`` names (the run chooser works without script)."""
    return greenium_page(request, run or None)


@router.get("/analytics/greenium/{run_id}")
def greenium_run(run_id: str, request: Request) -> Response:
    return greenium_page(request, run_id)


def greenium_page(request: Request, run_id: str | None) -> Response:
    run = chosen_run("greenium", run_id)
    if run is None:
        return no_run(request, "greenium")
    t = Translator(request_language(request))
    summary = read_summary(run)
    return page(
        request, "analytics/greenium.html", run=run, kind="greenium",
        runs=list_runs(analysis_dir(), "greenium"),
        facts=[(key, summary[key]) for key in SUMMARY_FACTS if key in summary],
        charts=charts(run, t),
        headline=whole("headline", HEADLINE, read_csv(run, "currency_summary.csv")),
        effects=whole("effects", EFFECTS, read_csv(run, "disclosure_effects.csv")),
        tables=[
            (paged(request, "pairs", BY_PAIR, read_csv(run, "greenium_by_bond.csv")), "greenium_by_bond.csv"),
            (paged(request, "issuers", BY_ISSUER, read_csv(run, "greenium_by_issuer.csv")), "greenium_by_issuer.csv"),
            (paged(request, "quarters", QUARTERLY, read_csv(run, "quarterly.csv")), "quarterly.csv"),
        ],
    )


# --- impact -----------------------------------------------------------------------------------

IMPACT = [text("indicator_name"), text("unit"), num("weighted_impact"), num("bonds_reporting", 0)]
CORRELATION = [text("currency"), text("indicator_name"), num("bonds", 0), num("spearman_rho", 3),
               num("p_value", 4), num("ci_low", 3), num("ci_high", 3)]
STATUS_TABLE = [text("isin"), text("currency"), text("status", "analytics.status."), text("standard"),
                text("standard_breach", "analytics.bool.")]
FLAGS = [text("isin"), text("indicator_name"), text("report_date"), text("reason", "analytics.reason.")]


def _named(rows: list[dict[str, Any]], source: str, target: str,
           name: Callable[[str], str]) -> list[dict[str, Any]]:
    return [{**row, target: name(row[source]) if row.get(source) else None} for row in rows]


def _localized(language: str) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """Indicator and ICMA category names from the impact catalogue, in ``language``."""
    def namer(entries: dict[str, Any]) -> Callable[[str], str]:
        def name(key: str) -> str:
            item = entries.get(key)
            return key if item is None else (item.name_ja if language == "ja" else item.name_en)
        return name

    return namer(catalogue.indicators()), namer(catalogue.categories())


def status_matrix(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per scope: bonds and share of each reporting status (reporting_status_shares.csv)."""
    scopes: dict[str, dict[str, Any]] = {}
    for row in rows:
        cells = scopes.setdefault(row["scope"], {"scope": row["scope"]})
        cells[row["status"]] = {"bonds": row["bonds"], "share": row["share"]}
    return list(scopes.values())


@router.get("/analytics/impact")
def impact_latest(request: Request, scope: str = "ALL", run: str | None = None) -> Response:
    return impact_page(request, run or None, scope)


@router.get("/analytics/impact/{run_id}")
def impact_run(run_id: str, request: Request, scope: str = "ALL") -> Response:
    return impact_page(request, run_id, scope)


def impact_page(request: Request, run_id: str | None, scope: str) -> Response:
    run = chosen_run("impact", run_id)
    if run is None:
        return no_run(request, "impact")
    t = Translator(request_language(request))
    indicator, category = _localized(t.language)
    impact = read_csv(run, "portfolio_impact.csv")
    scopes = list(dict.fromkeys(row["scope"] for row in impact)) or ["ALL"]
    scope = scope if scope in scopes else scopes[0]

    def in_scope(name: str) -> list[dict[str, Any]]:
        return [row for row in read_csv(run, name) if row.get("scope") == scope]

    return page(
        request, "analytics/impact.html", run=run, kind="impact", runs=list_runs(analysis_dir(), "impact"),
        scope=scope, scopes=scopes, statuses=STATUSES,
        charts=charts(run, t),
        impact=whole("impact", IMPACT, _named(
            [row for row in impact if row["scope"] == scope], "indicator", "indicator_name", indicator)),
        status_shares=status_matrix(read_csv(run, "reporting_status_shares.csv")),
        categories=_named(in_scope("categories.csv"), "category", "name", category),
        sdgs=in_scope("sdgs.csv"),
        correlation=whole("correlation", CORRELATION, _named(
            read_csv(run, "greenium_correlation.csv"), "indicator", "indicator_name", indicator))
        if run.has("greenium_correlation.csv") else None,
        tables=[
            (paged(request, "status", STATUS_TABLE, read_csv(run, "reporting_status.csv")),
             "reporting_status.csv"),
            (paged(request, "flags", FLAGS, _named(
                read_csv(run, "flags.csv"), "indicator", "indicator_name", indicator)), "flags.csv"),
        ],
    )


# --- a run's files ----------------------------------------------------------------------------

@router.get("/analytics/{kind}/{run_id}/files/{name}")
def analysis_file(kind: str, run_id: str, name: str) -> Response:
    """A chart, table or report of a run; only files listed in that run's folder are served."""
    if kind not in KINDS:
        raise NotFound(f"no analysis kind {kind!r}", field="kind")
    path = run_file(find_run(analysis_dir(), kind, run_id), name)
    response = FileResponse(path, media_type=SERVABLE[path.suffix])
    response.headers["X-Content-Type-Options"] = "nosniff"
    if path.suffix in (".html", ".svg"):
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response
