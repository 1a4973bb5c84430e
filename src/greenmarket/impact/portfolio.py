"""Per-USD impact of each green bond and the equal-weighted portfolio tables (seed 003 5.2.7, 8.3).

The "latest one year" method: for each bond and indicator take the latest impact report on or
before the evaluation date (all its rows: one per project, category, ... summed), bring every row
to the bond's level (× its ``share``), to the canonical unit and to a year (flows only), and divide
by the bond's amount in USD. A portfolio of value V equally weighted over the N green bonds of a
scope holds V / N of each, so its impact is Σ (V / N) × impact per USD over the bonds reporting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from greenmarket.impact.catalogue import Indicator
from greenmarket.impact.errors import ImpactRefusal, NoUsdAmount
from greenmarket.impact.periods import Period, annualize
from greenmarket.impact.status import STATUSES, Commitment, reporting_status, standard_breach
from greenmarket.impact.units import to_canonical

GREEN_ESG_TYPES = ("green", "blue", "sustainability")
ALL = "ALL"
DEFAULT_PORTFOLIO_USD = 1e9


@dataclass(frozen=True)
class Bond:
    """The bond fields impact needs (bonds.csv)."""

    isin: str
    issuer: str
    currency: str
    issue_date: date
    amount: float
    esg_type: str
    amount_usd: float | None = None

    @property
    def green(self) -> bool:
        """Green, blue and sustainability bonds make up the impact portfolio."""
        return self.esg_type in GREEN_ESG_TYPES


@dataclass(frozen=True)
class FxRate:
    """USD per unit of ``currency`` on ``date`` (fx.csv)."""

    currency: str
    date: date
    usd_per_unit: float


@dataclass(frozen=True)
class ImpactReport:
    """One row of impact_reports.csv, already checked against the file rules."""

    isin: str
    report_date: date
    indicator: str
    value: float
    unit: str
    period: Period
    level: str
    share: float


@dataclass(frozen=True)
class Flag:
    """A report left out of the weighted impact, with the FORMATS reason."""

    isin: str
    indicator: str
    report_date: date
    reason: str
    detail: str


def usd_amounts(bonds: Sequence[Bond], fx: Sequence[FxRate], as_of: date) -> dict[str, float | None]:
    """Return each bond's amount in USD: ``amount_usd`` when given, else USD bonds' ``amount``, else
    ``amount`` at the latest rate of its currency dated on or before ``as_of``; ``None`` when none."""
    latest: dict[str, FxRate] = {}
    for rate in fx:
        if rate.date <= as_of and (rate.currency not in latest or rate.date > latest[rate.currency].date):
            latest[rate.currency] = rate
    amounts: dict[str, float | None] = {}
    for bond in bonds:
        if bond.amount_usd is not None:
            amounts[bond.isin] = bond.amount_usd
        elif bond.currency == "USD":
            amounts[bond.isin] = bond.amount
        elif bond.currency in latest:
            amounts[bond.isin] = bond.amount * latest[bond.currency].usd_per_unit
        else:
            amounts[bond.isin] = None
    return amounts


def latest_reports(reports: Iterable[ImpactReport], as_of: date) -> dict[tuple[str, str], list[ImpactReport]]:
    """Group the rows of the latest report on or before ``as_of`` per (isin, indicator)."""
    latest: dict[tuple[str, str], list[ImpactReport]] = {}
    for report in sorted(reports, key=lambda item: item.report_date):
        if report.report_date > as_of:
            continue
        key = (report.isin, report.indicator)
        rows = latest.get(key)
        if rows is None or rows[0].report_date < report.report_date:
            latest[key] = [report]
        else:
            rows.append(report)
    return latest


def bond_level_annual(report: ImpactReport, indicator: Indicator) -> float:
    """Return one row's yearly impact at the bond's level, in the canonical unit."""
    canonical = to_canonical(report.value, report.unit, indicator, isin=report.isin)
    return annualize(canonical, report.period, indicator, isin=report.isin) * report.share


def bond_impacts(
    bonds: Sequence[Bond],
    reports: Iterable[ImpactReport],
    catalogue: Mapping[str, Indicator],
    fx: Sequence[FxRate],
    as_of: date,
) -> tuple[pd.DataFrame, list[Flag]]:
    """Return the per-bond annual and per-USD impact of the green bonds, and the flagged reports."""
    by_isin = {bond.isin: bond for bond in bonds if bond.green}
    usd_by_isin = usd_amounts(list(by_isin.values()), fx, as_of)
    rows: list[dict[str, object]] = []
    flags: list[Flag] = []
    for (isin, indicator_id), group in sorted(latest_reports(reports, as_of).items()):
        bond = by_isin.get(isin)
        if bond is None:
            continue
        indicator = catalogue[indicator_id]
        report_date = group[0].report_date
        try:
            annual = sum(bond_level_annual(report, indicator) for report in group)
            usd = usd_by_isin[isin]
            if usd is None:
                raise NoUsdAmount(f"no amount_usd and no {bond.currency} rate in fx.csv on or "
                                  f"before {as_of}", isin=isin, indicator=indicator_id)
        except ImpactRefusal as refusal:
            flags.append(Flag(isin, indicator_id, report_date, refusal.reason, refusal.message))
            continue
        rows.append({
            "isin": isin, "currency": bond.currency, "indicator": indicator_id,
            "unit": indicator.unit, "report_date": report_date, "annual_impact": annual,
            "amount_usd": usd, "impact_per_usd": annual / usd,
        })
    columns = ["isin", "currency", "indicator", "unit", "report_date", "annual_impact",
               "amount_usd", "impact_per_usd"]
    return pd.DataFrame(rows, columns=columns), flags


def scopes(bonds: Sequence[Bond]) -> list[str]:
    """``ALL`` then each currency of the green bonds, alphabetically."""
    return [ALL, *sorted({bond.currency for bond in bonds if bond.green})]


def _in_scope(bond: Bond, scope: str) -> bool:
    return bond.green and (scope == ALL or bond.currency == scope)


def portfolio_impact(
    bonds: Sequence[Bond],
    impacts: pd.DataFrame,
    catalogue: Mapping[str, Indicator],
    portfolio_usd: float = DEFAULT_PORTFOLIO_USD,
) -> pd.DataFrame:
    """Return `scope, indicator, unit, weighted_impact, bonds_reporting` (FORMATS.md)."""
    rows: list[dict[str, object]] = []
    for scope in scopes(bonds):
        members = {bond.isin for bond in bonds if _in_scope(bond, scope)}
        held_per_bond = portfolio_usd / len(members)
        in_scope = impacts[impacts["isin"].isin(members)]
        for indicator in catalogue.values():
            reporting = in_scope[in_scope["indicator"] == indicator.id]
            if reporting.empty:
                continue
            rows.append({
                "scope": scope, "indicator": indicator.id, "unit": indicator.unit,
                "weighted_impact": held_per_bond * float(reporting["impact_per_usd"].sum()),
                "bonds_reporting": int(reporting["isin"].nunique()),
            })
    return pd.DataFrame(rows, columns=["scope", "indicator", "unit", "weighted_impact",
                                       "bonds_reporting"])


def status_table(
    bonds: Sequence[Bond],
    commitments: Mapping[str, Commitment],
    reports: Iterable[ImpactReport],
    as_of: date,
) -> pd.DataFrame:
    """Return `isin, status, standard, standard_breach` for each green bond.

    A bond without a commitments.csv row has no stated frequency, reports until maturity and
    claims no standard.
    """
    latest: dict[str, date] = {}
    for report in reports:
        if report.report_date <= as_of and report.report_date > latest.get(report.isin, date.min):
            latest[report.isin] = report.report_date
    rows = []
    for bond in bonds:
        if not bond.green:
            continue
        commitment = commitments.get(bond.isin, Commitment(bond.isin))
        status = reporting_status(commitment, issue_date=bond.issue_date,
                                  latest_report=latest.get(bond.isin), as_of=as_of)
        rows.append({"isin": bond.isin, "currency": bond.currency, "status": status,
                     "standard": commitment.standard,
                     "standard_breach": standard_breach(status, commitment.standard)})
    return pd.DataFrame(rows, columns=["isin", "currency", "status", "standard", "standard_breach"])


def status_shares(statuses: pd.DataFrame) -> pd.DataFrame:
    """Return `scope, status, bonds, share`: each status's share of the green bonds (Figures 22-23)."""
    rows = []
    for scope in [ALL, *sorted(statuses["currency"].unique())]:
        members = statuses if scope == ALL else statuses[statuses["currency"] == scope]
        counts = members["status"].value_counts()
        for status in STATUSES:
            count = int(counts.get(status, 0))
            rows.append({"scope": scope, "status": status, "bonds": count,
                         "share": count / len(members)})
    return pd.DataFrame(rows, columns=["scope", "status", "bonds", "share"])


def flags_table(flags: Iterable[Flag]) -> pd.DataFrame:
    """Return `isin, indicator, report_date, reason, detail`, one row per refused report."""
    unique = {(flag.isin, flag.indicator, flag.report_date, flag.reason): flag.detail for flag in flags}
    rows = [{"isin": isin, "indicator": indicator, "report_date": day, "reason": reason,
             "detail": detail} for (isin, indicator, day, reason), detail in sorted(unique.items())]
    return pd.DataFrame(rows, columns=["isin", "indicator", "report_date", "reason", "detail"])


def allocation_scopes(bonds: Sequence[Bond], per_bond: Mapping[str, Mapping[object, float]]) -> dict[str, list[Mapping[object, float]]]:
    """Group per-bond shares by scope (green bonds with allocation rows only)."""
    grouped: dict[str, list[Mapping[object, float]]] = defaultdict(list)
    for scope in scopes(bonds):
        for bond in bonds:
            if _in_scope(bond, scope) and bond.isin in per_bond:
                grouped[scope].append(per_bond[bond.isin])
    return grouped
