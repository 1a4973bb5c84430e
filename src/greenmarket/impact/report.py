"""The HTML report of an impact run (Japanese and English), charts embedded as base64 PNG."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import pandas as pd  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402

from greenmarket.impact import catalogue  # noqa: E402
from greenmarket.impact.pipeline import ImpactResult  # noqa: E402
from greenmarket.impact.status import STATUSES  # noqa: E402

STATUS_NAMES = {
    "reported": ("報告済み", "reported"),
    "not_yet_due": ("報告期限前", "not yet due"),
    "overdue": ("報告期限切れ", "overdue"),
    "not_scheduled": ("報告予定なし", "not scheduled"),
}
STATUS_COLOURS = {"reported": "#2e7d32", "not_yet_due": "#90caf9", "overdue": "#c62828",
                  "not_scheduled": "#9e9e9e"}


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _share_chart(table: pd.DataFrame, key: str, title: str) -> str | None:
    if table.empty:
        return None
    wide = table.pivot(index=key, columns="scope", values="share").fillna(0.0)
    wide = wide.sort_values("ALL")
    if key == "sdg":
        wide.index = [f"SDG {goal}" for goal in wide.index]
    figure, axes = plt.subplots(figsize=(7.5, 0.32 * len(wide) * max(1, len(wide.columns) / 2) + 1.2))
    wide.plot.barh(ax=axes, width=0.8)
    axes.set_xlabel("share of proceeds (mean over bonds)")
    axes.set_title(title)
    axes.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    return _png(figure)


def _status_chart(shares: pd.DataFrame) -> str:
    wide = shares.pivot(index="scope", columns="status", values="share").reindex(columns=list(STATUSES))
    figure, axes = plt.subplots(figsize=(7.5, 0.5 * len(wide) + 1.2))
    wide.iloc[::-1].plot.barh(ax=axes, stacked=True, color=[STATUS_COLOURS[s] for s in STATUSES])
    axes.set_xlabel("share of green bonds")
    axes.set_title("Impact reporting status")
    axes.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes.legend([STATUS_NAMES[s][1] for s in STATUSES], loc="upper left", bbox_to_anchor=(1.01, 1),
                fontsize="small")
    return _png(figure)


def _greenium_chart(ranked: pd.DataFrame, indicator: str) -> str | None:
    points = ranked[ranked["indicator"] == indicator].dropna(subset=["impact_per_usd"])
    if points.empty:
        return None
    figure, axes = plt.subplots(figsize=(7.5, 4))
    for currency, group in points.groupby("currency"):
        axes.scatter(group["mean_greenium_bp"], group["impact_per_usd"] * 1e6, label=currency)
    axes.set_xlabel("mean greenium (bp)")
    axes.set_ylabel(f"{indicator} per USD 1 mn")
    axes.set_title("Greenium vs impact")
    axes.legend()
    return _png(figure)


def render_html(result: ImpactResult) -> str:
    """Return the report page for ``result``."""
    tables = result.tables
    indicators = catalogue.indicators()
    impact = tables["portfolio_impact.csv"].copy()
    impact["name_ja"] = impact["indicator"].map(lambda key: indicators[key].name_ja)
    impact["name_en"] = impact["indicator"].map(lambda key: indicators[key].name_en)
    green = [bond for bond in result.bonds if bond.green]
    context = {
        "as_of": result.as_of.isoformat(),
        "portfolio_usd": result.portfolio_usd,
        "green_bonds": len(green),
        "other_bonds": len(result.bonds) - len(green),
        "impact_by_scope": list(impact.groupby("scope", sort=False)),
        "status_names": STATUS_NAMES,
        "status_shares": tables["reporting_status_shares.csv"],
        "breaches": tables["reporting_status.csv"].query("standard_breach"),
        "flags": tables["flags.csv"],
        "charts": {
            "status": _status_chart(tables["reporting_status_shares.csv"]),
            "categories": _share_chart(tables["categories.csv"], "category", "ICMA project categories"),
            "sdgs": _share_chart(tables["sdgs.csv"], "sdg", "Sustainable Development Goals"),
        },
        "greenium": None,
    }
    if "greenium_correlation.csv" in tables:
        context["greenium"] = {
            "correlation": tables["greenium_correlation.csv"],
            "chart": _greenium_chart(tables["greenium_impact.csv"], "ghg_reduced"),
        }
    environment = Environment(loader=PackageLoader("greenmarket.impact", "templates"),
                              autoescape=select_autoescape(["html"]))
    environment.filters["num"] = _number
    return environment.get_template("report.html").render(**context)


def _number(value: float, digits: int = 2) -> str:
    if pd.isna(value):
        return "–"
    return f"{value:,.{digits}f}"
