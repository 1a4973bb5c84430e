"""Charts (PNG) and the self-contained HTML report of a greenium run, shaped like seed 003 section 4.

Charts (matplotlib, Agg backend, English labels — the machine fonts have no Japanese glyphs; the
HTML captions are bilingual):

* ``portfolio_daily_<CCY>.png`` — Figures 12, 14, 16: daily mean (solid), median, lower and upper
  quartile (dotted) greenium across pairs, with the number of pairs priced each day;
* ``quarterly_<CCY>.png`` — Figures 13, 15, 17: quarterly box plots of the pairs' quarterly mean
  greenium, drawn with ``Axes.bxp`` from ``quarterly.csv`` itself (box = quartiles, line = median,
  cross = mean, whiskers = furthest pair means within 1.5 IQR);
* ``by_bond.png`` — section 6: each pair's mean greenium, ranked within its currency;
* ``disclosures.png`` — Figure 19: mean greenium with and without each disclosure, per currency.

``report.html`` embeds the charts as base64 images and the tables as HTML, so the one file can be
mailed or archived.
"""

from __future__ import annotations

import base64
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from jinja2 import Environment, select_autoescape  # noqa: E402

from greenmarket.bonds.pipeline import PipelineOptions, PipelineResult  # noqa: E402
from greenmarket.bonds.statistics import DISCLOSURE_TITLES, DISCLOSURES  # noqa: E402

CURRENCY_TITLES = {"EUR": "ユーロ / EUR", "JPY": "日本円 / JPY", "USD": "米ドル / USD"}
DPI = 110


def _save(figure: plt.Figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)


def chart_portfolio_daily(portfolio: pd.DataFrame, currency: str, path: Path) -> None:
    """Figures 12/14/16: daily mean, median and quartiles of the greenium across pairs."""
    frame = portfolio[portfolio["currency"] == currency]
    dates = pd.to_datetime(frame["date"])
    figure, axis = plt.subplots(figsize=(9, 4.2))
    axis.plot(dates, frame["mean_bp"], color="black", linewidth=1.4, label="mean")
    axis.plot(dates, frame["median_bp"], color="tab:green", linewidth=1.0, label="median")
    axis.plot(dates, frame["q25_bp"], color="grey", linestyle=":", linewidth=1.0, label="lower quartile")
    axis.plot(dates, frame["q75_bp"], color="grey", linestyle="--", linewidth=1.0, label="upper quartile")
    axis.axhline(0, color="lightgrey", linewidth=0.8)
    axis.set_ylabel("greenium (bp)")
    axis.set_title(f"{currency} analysed portfolio: daily greenium across pairs")
    pairs_axis = axis.twinx()
    pairs_axis.fill_between(dates, frame["pairs"], step="mid", color="tab:blue", alpha=0.08)
    pairs_axis.set_ylabel("pairs priced", color="tab:blue")
    axis.legend(loc="upper right", fontsize=8)
    _save(figure, path)


def chart_quarterly(quarterly: pd.DataFrame, currency: str, path: Path) -> None:
    """Figures 13/15/17: box plots drawn from the quarterly table's own statistics."""
    frame = quarterly[quarterly["currency"] == currency]
    boxes = [
        {
            "label": f"{row.quarter}\n(n={row.pairs})",
            "mean": row.mean_bp,
            "med": row.median_bp,
            "q1": row.q25_bp,
            "q3": row.q75_bp,
            "whislo": row.whisker_low_bp,
            "whishi": row.whisker_high_bp,
            "fliers": [],
        }
        for row in frame.itertuples(index=False)
    ]
    figure, axis = plt.subplots(figsize=(max(6, 0.65 * len(boxes) + 2), 4.2))
    if boxes:
        axis.bxp(boxes, showmeans=True, meanprops={"marker": "x", "markeredgecolor": "black"})
    axis.axhline(0, color="lightgrey", linewidth=0.8)
    axis.set_ylabel("greenium (bp)")
    axis.set_title(f"{currency} analysed portfolio: quarterly distribution of pair means")
    axis.tick_params(axis="x", labelsize=7)
    _save(figure, path)


def chart_by_bond(by_bond: pd.DataFrame, path: Path) -> None:
    """Section 6: each pair's mean greenium, ranked within its currency."""
    currencies = sorted(by_bond["currency"].unique())
    figure, axes = plt.subplots(1, max(len(currencies), 1), figsize=(4 * max(len(currencies), 1), 4.2), squeeze=False)
    for axis, currency in zip(axes[0], currencies):
        values = np.sort(by_bond.loc[by_bond["currency"] == currency, "mean_greenium_bp"].to_numpy())[::-1]
        ranks = np.arange(len(values))
        axis.fill_between(ranks, values, where=values >= 0, color="tab:green", step="mid", interpolate=True)
        axis.fill_between(ranks, values, where=values < 0, color="tab:brown", step="mid", interpolate=True)
        axis.axhline(0, color="grey", linewidth=0.8)
        axis.set_title(f"{currency}: mean greenium per pair")
        axis.set_xlabel("pairs, ranked")
        axis.set_ylabel("bp")
    _save(figure, path)


def chart_disclosures(effects: pd.DataFrame, path: Path) -> None:
    """Figure 19: mean greenium with and without each disclosure, per currency."""
    currencies = sorted(effects["currency"].unique())
    figure, axes = plt.subplots(1, max(len(currencies), 1), figsize=(4.2 * max(len(currencies), 1), 4), squeeze=False)
    positions = np.arange(len(DISCLOSURES))
    labels = ["SPO", "allocation", "impact", "assurance"]
    for axis, currency in zip(axes[0], currencies):
        frame = effects[effects["currency"] == currency].set_index("disclosure").reindex(list(DISCLOSURES))
        axis.bar(positions - 0.2, frame["mean_with_bp"].fillna(0), 0.4, label="with", color="tab:green")
        axis.bar(positions + 0.2, frame["mean_without_bp"].fillna(0), 0.4, label="without", color="tab:grey")
        axis.set_xticks(positions, labels, fontsize=8)
        axis.axhline(0, color="black", linewidth=0.6)
        axis.set_title(f"{currency}")
        axis.set_ylabel("mean greenium (bp)")
        axis.legend(fontsize=7)
    _save(figure, path)


def write_charts(result: PipelineResult, folder: Path) -> dict[str, Path]:
    """Write every chart into ``folder``; return them by name."""
    charts: dict[str, Path] = {}
    for currency in sorted(result.pairs["currency"].unique()):
        charts[f"daily_{currency}"] = folder / f"portfolio_daily_{currency}.png"
        chart_portfolio_daily(result.portfolio, currency, charts[f"daily_{currency}"])
        charts[f"quarterly_{currency}"] = folder / f"quarterly_{currency}.png"
        chart_quarterly(result.quarterly, currency, charts[f"quarterly_{currency}"])
    if not result.by_bond.empty:
        charts["by_bond"] = folder / "by_bond.png"
        chart_by_bond(result.by_bond, charts["by_bond"])
        charts["disclosures"] = folder / "disclosures.png"
        chart_disclosures(result.effects, charts["disclosures"])
    return charts


def _embed(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _html_table(frame: pd.DataFrame, digits: int = 2) -> str:
    return frame.to_html(index=False, float_format=lambda value: f"{value:.{digits}f}", na_rep="–", border=0)


def currency_findings(result: PipelineResult, currency: str) -> dict[str, Any]:
    """The figures the report's narrative quotes for one currency (4.4.1-4.4.3)."""
    daily = result.portfolio[result.portfolio["currency"] == currency]
    quarters = result.quarterly[result.quarterly["currency"] == currency]
    summary = result.currencies.set_index("currency").loc[currency]
    highest = quarters.loc[quarters["mean_bp"].idxmax()] if len(quarters) else None
    lowest = quarters.loc[quarters["mean_bp"].idxmin()] if len(quarters) else None
    return {
        "currency": currency,
        "title": CURRENCY_TITLES.get(currency, currency),
        "pairs": int(summary["pairs"]),
        "mean": float(summary["mean_bp"]),
        "median": float(summary["median_bp"]),
        "share_positive": float(summary["share_positive"]) * 100,
        "t_p": float(summary["t_p"]),
        "days": len(daily),
        "first": pd.Timestamp(daily["date"].min()).date() if len(daily) else None,
        "last": pd.Timestamp(daily["date"].max()).date() if len(daily) else None,
        "median_above_mean_days": int((daily["median_bp"] > daily["mean_bp"]).sum()),
        "daily_mean_min": float(daily["mean_bp"].min()) if len(daily) else float("nan"),
        "daily_mean_max": float(daily["mean_bp"].max()) if len(daily) else float("nan"),
        "highest_quarter": None if highest is None else (highest["quarter"], float(highest["mean_bp"])),
        "lowest_quarter": None if lowest is None else (lowest["quarter"], float(lowest["mean_bp"])),
    }


def _disclosure_shares(result: PipelineResult) -> pd.DataFrame:
    """Figure 18: share of analysed green bonds with each document, per currency."""
    rows = []
    for currency, group in result.effects.groupby("currency", sort=True):
        frame = group.set_index("disclosure")
        total = int(frame["n_with"].iloc[0] + frame["n_without"].iloc[0])
        row: dict[str, Any] = {"currency": currency, "green bonds": total}
        for name in DISCLOSURES:
            row[DISCLOSURE_TITLES[name]] = f"{100 * frame.loc[name, 'n_with'] / total:.0f}%" if total else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def write_report(result: PipelineResult, folder: Path, options: PipelineOptions | None = None) -> Path:
    """Write the charts and ``report.html`` into ``folder``; return the report's path."""
    charts = write_charts(result, folder)
    currencies = sorted(result.pairs["currency"].unique())
    screening = (
        result.screened.groupby(["currency", "issue_year", "step"]).size().rename("bonds").reset_index()
        if len(result.screened)
        else pd.DataFrame(columns=["currency", "issue_year", "step", "bonds"])
    )
    pair_counts = (
        result.matched.groupby("currency").size().rename("matched").to_frame()
        .join(result.pairs.groupby("currency").size().rename("after cleansing"), how="left")
        .fillna(0).astype(int).reset_index()
    )
    context = {
        "summary": result.summary,
        "options": options or PipelineOptions(),
        "currencies": [currency_findings(result, currency) for currency in currencies],
        "images": {name: _embed(path) for name, path in charts.items()},
        "tables": {
            "currency_summary": _html_table(result.currencies),
            "screening": _html_table(screening),
            "pair_counts": _html_table(pair_counts),
            "issuers": _html_table(result.by_issuer),
            "scores": _html_table(result.pairs.groupby("match_score").size().rename("pairs").reset_index()),
            "validation": _html_table(result.validation.drop(columns=["measure"])),
            "shares": _html_table(_disclosure_shares(result)),
            "effects": _html_table(result.effects, digits=3),
            "panel": _html_table(result.panel, digits=3),
        },
    }
    template = resources.files("greenmarket.bonds").joinpath("greenium_report.html").read_text("utf-8")
    environment = Environment(autoescape=select_autoescape(default=True))
    html = environment.from_string(template).render(**context)
    path = folder / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
