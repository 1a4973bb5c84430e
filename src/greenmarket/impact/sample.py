"""A seeded synthetic green-bond portfolio for ``greenmarket impact run`` (the README tour).

About 80 green bonds in EUR, JPY and USD (and one CHF bond with no FX rate, which shows the
"no USD amount" flag), a few non-green bonds (left out of the portfolio), commitments with various
standards and frequencies, impact reports in mixed units, levels and periods — some diligent, some
lapsed (overdue), a few with an unknown cumulative period or a unit that cannot be converted — and
pro-rata allocations. Issuers are fictitious; every figure is drawn from the seed, not from the
ICE/GPIF data. A synthetic ``greenium/greenium_by_bond.csv`` lets ``--greenium`` be tried too; no
relation between greenium and impact is built into it.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from greenmarket.bonds.isin import isin_check_digit
from greenmarket.impact.allocation import financing_shares
from greenmarket.impact.catalogue import categories
from greenmarket.impact.status import add_months

DEFAULT_AS_OF = date(2024, 6, 30)

# currency -> (green bonds, ISIN prefixes, amount range in units, USD per unit around 2023,
#              day count, coupons a year, settlement days)
MARKETS = {
    "EUR": (30, ("DE", "FR", "NL", "XS"), (300e6, 2_000e6), 1.08, "ACT/ACT-ICMA", 1, 2),
    "JPY": (28, ("JP",), (10e9, 100e9), 0.0072, "ACT/365F", 2, 2),
    "USD": (21, ("US", "XS"), (300e6, 1_500e6), 1.0, "30/360", 2, 1),
    "CHF": (1, ("CH",), (100e6, 300e6), 1.12, "30E/360", 1, 2),
}
ISSUERS = {
    "EUR": ["Nordwind Energie AG", "Région Azur", "Hollandse Waterschapsbank", "Banco Verde SA",
            "Kommunalkredit Nord", "Ferrovie Alpine SpA", "EuroGrid Transmission NV", "Republic of Valdoria"],
    "JPY": ["Sakura Electric Power", "Tokai Railway", "Japan Housing Finance Agency (fictitious)",
            "Minato Real Estate", "Hokuriku Bank", "Kanto Municipal Finance", "Yamato Motors"],
    "USD": ["Global Development Bank", "Pacific Infrastructure Investment Bank", "Evergreen Utilities Inc",
            "Clearwater Water Authority", "Andes Renewable Corp"],
    "CHF": ["Helvetia Kantonalbank"],
}
# ICMA category -> indicators its projects report, with the units issuers write them in.
CATEGORY_INDICATORS = {
    "renewable_energy": ["ghg_reduced", "renewable_generation", "renewable_capacity", "jobs_created"],
    "energy_efficiency": ["ghg_reduced", "energy_saved"],
    "green_buildings": ["green_building_certificates", "energy_saved", "ghg_reduced"],
    "clean_transportation": ["ghg_reduced", "clean_transport_distance", "transport_infrastructure",
                             "vehicles_avoided"],
    "sustainable_water": ["water_saved", "people_benefited"],
    "biodiversity": ["habitat_area"],
    "living_natural_resources": ["habitat_area", "farmers_benefited"],
    "climate_adaptation": ["people_benefited"],
    "pollution_prevention": ["ghg_reduced"],
    "circular_economy": ["ghg_reduced", "jobs_created"],
    "essential_services": ["students_benefited", "people_benefited"],
    "socioeconomic_advancement": ["loans_approved", "jobs_created"],
    "affordable_housing": ["people_benefited"],
}
# indicator -> (annual bond-level impact per USD 1 mn: low, high; units as (unit, per canonical unit))
INDICATOR_SCALE = {
    "ghg_reduced": ((40, 1500), [("tCO2e", 1), ("ktCO2e", 1e-3), ("t CO2e", 1), ("kgCO2e", 1e3)]),
    "renewable_generation": ((100, 4000), [("MWh", 1), ("GWh", 1e-3), ("kWh", 1e3)]),
    "energy_saved": ((20, 800), [("MWh", 1), ("GWh", 1e-3), ("kWh", 1e3), ("GJ", 3.6)]),
    "renewable_capacity": ((0.02, 0.6), [("MW", 1), ("kW", 1e3), ("GW", 1e-3)]),
    "clean_transport_distance": ((2e3, 8e4), [("km", 1), ("mile", 1 / 1.609344)]),
    "transport_infrastructure": ((0.001, 0.02), [("km", 1), ("m", 1e3)]),
    "habitat_area": ((0.01, 4), [("km**2", 1), ("ha", 100)]),
    "water_saved": ((200, 5000), [("t", 1), ("m3", 1), ("m³", 1), ("ML", 1e-3)]),
    "people_benefited": ((5, 400), [("people", 1), ("", 1)]),
    "jobs_created": ((0.2, 5), [("jobs", 1), ("", 1)]),
    "green_building_certificates": ((0.001, 0.02), [("certificates", 1), ("", 1)]),
    "students_benefited": ((2, 40), [("students", 1)]),
    "farmers_benefited": ((0.1, 3), [("farmers", 1)]),
    "loans_approved": ((0.05, 1), [("loans", 1)]),
    "vehicles_avoided": ((0.05, 2), [("vehicles", 1)]),
}
# Units issuers sometimes write that no registry can convert to the indicator's unit.
BAD_UNITS = {"ghg_reduced": "tCO2", "energy_saved": "MWh/yr", "people_benefited": "households",
             "water_saved": "m3/day"}
FLOWS = {"ghg_reduced", "renewable_generation", "energy_saved", "clean_transport_distance", "water_saved"}


@dataclass
class SampleBond:
    isin: str
    issuer: str
    currency: str
    esg_type: str
    issue_date: date
    amount: float
    usd_rate: float
    categories: list[str] = field(default_factory=list)

    @property
    def amount_usd(self) -> float:
        return self.amount * self.usd_rate


def _isin(rng: random.Random, prefix: str, taken: set[str]) -> str:
    while True:
        body = prefix + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(9))
        code = body + str(isin_check_digit(body))
        if code not in taken:
            taken.add(code)
            return code


def _bonds(rng: random.Random) -> list[SampleBond]:
    taken: set[str] = set()
    green_categories = [key for key, item in categories().items() if item.group == "green"]
    social_categories = ["essential_services", "socioeconomic_advancement", "affordable_housing"]
    bonds = []
    for currency, (count, prefixes, (low, high), rate, *_rest) in MARKETS.items():
        for number in range(count):
            esg_type = rng.choices(["green", "sustainability", "blue"], weights=[82, 14, 4])[0]
            issue = date(2021, 1, 4) + timedelta(days=rng.randrange(0, 3 * 365))
            amount = round(rng.uniform(low, high), -7 if currency != "JPY" else -9)
            picks = rng.sample(green_categories, rng.choice([1, 1, 2, 2, 3]))
            if esg_type == "blue":
                picks = ["sustainable_water", "biodiversity"]
            if esg_type == "sustainability":
                picks = picks[:2] + [rng.choice(social_categories)]
            issuer = ISSUERS[currency][number % len(ISSUERS[currency])]
            bonds.append(SampleBond(_isin(rng, rng.choice(prefixes), taken), issuer, currency, esg_type,
                                    issue, amount, rate * rng.uniform(0.97, 1.03), picks))
    for esg_type, currency in [("none", "EUR"), ("none", "JPY"), ("none", "USD"), ("social", "JPY"),
                               ("sustainability_linked", "EUR"), ("transition", "JPY")]:
        _, prefixes, (low, high), rate, *_rest = MARKETS[currency]
        issue = date(2021, 6, 1) + timedelta(days=rng.randrange(0, 900))
        picks = ["affordable_housing"] if esg_type == "social" else []
        bonds.append(SampleBond(_isin(rng, prefixes[0], taken), rng.choice(ISSUERS[currency]), currency,
                                esg_type, issue, round(rng.uniform(low, high), -7), rate, picks))
    return bonds


def _bond_rows(rng: random.Random, bonds: list[SampleBond]) -> list[dict[str, object]]:
    rows = []
    for index, bond in enumerate(bonds):
        _count, _prefixes, _range, _rate, day_count, frequency, settlement = MARKETS[bond.currency]
        years = rng.choice([3, 5, 5, 7, 10, 10, 15, 20])
        base = {"EUR": 0.5, "JPY": 0.1, "USD": 1.5, "CHF": 0.3}[bond.currency]
        coupon = round(base + (bond.issue_date.year - 2021) * 1.1 * (bond.currency != "JPY")
                       + rng.uniform(0, 1.2), 3)
        rows.append({
            "isin": bond.isin, "issuer": bond.issuer, "currency": bond.currency,
            "issue_date": bond.issue_date.isoformat(),
            "maturity_date": add_months(bond.issue_date, 12 * years).isoformat(),
            "amount": f"{bond.amount:.0f}", "issue_price": f"{rng.uniform(99.2, 100.0):.3f}",
            "yield_at_issue": f"{coupon + rng.uniform(-0.05, 0.1):.3f}", "coupon_type": "fixed",
            "coupon_rate": f"{coupon:.3f}", "coupon_frequency": frequency, "day_count": day_count,
            "settlement_days": settlement, "seniority": rng.choice(["senior unsecured", "senior preferred"]),
            "subordination": "senior", "callable": "false", "putable": "false", "sinkable": "false",
            "convertible": "false", "collateral": "unsecured", "esg_type": bond.esg_type,
            "perpetual": "false", "strip": "false", "pricing_sources": rng.randint(2, 12),
            # a handful of bonds carry the vendor's USD amount; the others use fx.csv
            "amount_usd": f"{bond.amount_usd:.0f}" if index % 11 == 5 and bond.currency != "CHF" else "",
        })
    return rows


def _fx_rows(rng: random.Random, as_of: date) -> list[dict[str, object]]:
    rows = []
    for currency in ("EUR", "JPY"):
        rate = MARKETS[currency][3]
        day = date(2021, 1, 1)
        while day <= add_months(as_of, 6):
            rate *= 1 + rng.gauss(0, 0.015)
            rows.append({"currency": currency, "date": day.isoformat(), "usd_per_unit": f"{rate:.6g}"})
            day = add_months(day, 1)
    return rows


def _commitment(rng: random.Random, bond: SampleBond) -> dict[str, object]:
    standard = {"EUR": ["ICMA", "ICMA", "EU-GBS", "NPSI", "none"], "JPY": ["ICMA", "ICMA", "none"],
                "USD": ["MDB", "ICMA+MDB", "ICMA", "none"], "CHF": ["ICMA"]}[bond.currency]
    frequency = rng.choices(["12", "", "6", "24"], weights=[60, 25, 7, 8])[0]
    until = rng.choices(["maturity", "full_allocation", "project_end"], weights=[55, 33, 12])[0]
    return {"isin": bond.isin, "reporting_frequency_months": frequency, "reporting_until": until,
            "standard": rng.choice(standard)}


def _report_dates(rng: random.Random, bond: SampleBond, as_of: date) -> list[date]:
    """Annual reports from about a year after issue; diligent issuers keep going past ``as_of``,
    lapsed ones stop after one or two, silent ones never report."""
    behaviour = rng.choices(["diligent", "lapsed", "silent"], weights=[62, 26, 12])[0]
    if bond.currency not in ("EUR", "JPY", "USD"):
        behaviour = "diligent"  # the CHF bond reports, so that its missing FX rate is flagged
    first = add_months(bond.issue_date, rng.randint(9, 14))
    dates = []
    day = first
    while day <= add_months(as_of, 5):
        dates.append(day)
        day = add_months(day, 12) + timedelta(days=rng.randint(-20, 20))
    if behaviour == "lapsed":
        return [day for day in dates if day <= add_months(as_of, -20)][: rng.randint(1, 2)]
    return [] if behaviour == "silent" else dates


def _report_rows(rng: random.Random, bond: SampleBond, pool_share: float, as_of: date) -> list[dict[str, object]]:
    indicators = sorted({ind for cat in bond.categories for ind in CATEGORY_INDICATORS.get(cat, [])})
    if not indicators:
        return []
    chosen = rng.sample(indicators, min(len(indicators), rng.randint(1, 3)))
    if "ghg_reduced" in indicators and "ghg_reduced" not in chosen and rng.random() < 0.85:
        chosen.append("ghg_reduced")  # the indicator issuers report most (seed 003 section 5.3.1)
    rows = []
    for report_date in _report_dates(rng, bond, as_of):
        for indicator in chosen:
            (low, high), units = INDICATOR_SCALE[indicator]
            annual = rng.uniform(low, high) * bond.amount_usd / 1e6
            rows.extend(_expressed(rng, bond, report_date, indicator, annual, units, pool_share))
    return rows


def _expressed(rng: random.Random, bond: SampleBond, report_date: date, indicator: str, annual: float,
               units: list[tuple[str, float]], pool_share: float) -> list[dict[str, object]]:
    """Write one bond-level annual figure the way an issuer might: mixed unit, level and period."""
    unit, per_canonical = rng.choice(units)
    roll = rng.random()
    if roll < 0.1 and indicator in BAD_UNITS:
        unit, per_canonical = BAD_UNITS[indicator], 1.0
    period, per_year = "year", 1.0
    if indicator in FLOWS:
        kind = rng.choices(["year", "month", "day", "span", "unknown"], weights=[66, 8, 5, 12, 9])[0]
        if kind in ("month", "day"):
            period, per_year = kind, {"month": 12.0, "day": 365.0}[kind]
        elif kind == "span":
            start = add_months(report_date, -rng.choice([18, 24, 36]))
            end = report_date - timedelta(days=rng.randint(30, 90))
            period, per_year = f"cumulative:{start.isoformat()}/{end.isoformat()}", 365 / ((end - start).days + 1)
        elif kind == "unknown":
            period = "cumulative"
    value = annual / per_year * per_canonical
    level = rng.choices(["bond", "project", "pooled", "category", "geography"], weights=[45, 25, 15, 10, 5])[0]
    base = {"isin": bond.isin, "report_date": report_date.isoformat(), "indicator": indicator,
            "unit": unit, "period": period, "level": level}
    if level == "bond":
        return [{**base, "value": f"{value:.6g}", "share": "1"}]
    if level == "project":
        parts = [rng.uniform(0.2, 1.0) for _ in range(rng.randint(2, 3))]
        return [{**base, "value": f"{value * part / sum(parts):.6g}", "share": "1"} for part in parts]
    share = pool_share if level == "pooled" else round(rng.uniform(0.1, 0.8), 4)
    return [{**base, "value": f"{value / share:.6g}", "share": f"{share:.6g}"}]


def _allocation_rows(rng: random.Random, bond: SampleBond) -> list[dict[str, object]]:
    rows = []
    allocated = bond.amount * rng.uniform(0.6, 1.0)
    weights = [rng.uniform(0.2, 1.0) for _ in bond.categories]
    for number, (category, weight) in enumerate(zip(bond.categories, weights, strict=True), start=1):
        sdgs = categories()[category].sdgs
        stated = ";".join(str(goal) for goal in rng.sample(sdgs, rng.randint(1, len(sdgs)))) \
            if rng.random() < 0.4 else ""
        rows.append({"isin": bond.isin, "project": f"P{number:02d}", "category": category,
                     "sdgs": stated, "amount": f"{allocated * weight / sum(weights):.0f}"})
    return rows


def _greenium_rows(rng: random.Random, bonds: list[SampleBond]) -> list[dict[str, object]]:
    taken = {bond.isin for bond in bonds}
    centre = {"EUR": 2.0, "JPY": 1.0, "USD": 0.0}
    rows = []
    for bond in bonds:
        if bond.esg_type not in ("green", "blue", "sustainability") or bond.currency not in centre:
            continue
        if rng.random() < 0.2:
            continue
        for _ in range(rng.choice([1, 1, 2])):
            brown = _isin(rng, bond.isin[:2], taken)
            rows.append({"currency": bond.currency, "issuer": bond.issuer, "green_isin": bond.isin,
                         "brown_isin": brown, "days": rng.randint(120, 700),
                         "mean_greenium_bp": f"{rng.gauss(centre[bond.currency], 6):.2f}"})
    return rows


def _write(path: Path, rows: list[dict[str, object]], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_sample(out_dir: Path, *, seed: int = 1, as_of: date = DEFAULT_AS_OF) -> dict[str, int]:
    """Write the sample inputs into ``out_dir``; return the row count of each file."""
    rng = random.Random(seed)
    bonds = _bonds(rng)
    pools: dict[str, dict[str, float]] = {}
    for bond in bonds:
        pools.setdefault(bond.issuer, {})[bond.isin] = bond.amount_usd
    pool_shares = {isin: share for pool in pools.values() for isin, share in financing_shares(pool).items()}
    reports = [row for bond in bonds for row in _report_rows(rng, bond, pool_shares[bond.isin], as_of)]
    files = {
        "bonds.csv": _bond_rows(rng, bonds),
        "fx.csv": _fx_rows(rng, as_of),
        "commitments.csv": [_commitment(rng, bond) for bond in bonds if rng.random() < 0.95],
        "impact_reports.csv": reports,
        "allocations.csv": [row for bond in bonds if bond.categories for row in _allocation_rows(rng, bond)],
        "greenium/greenium_by_bond.csv": _greenium_rows(rng, bonds),
    }
    for name, rows in files.items():
        _write(out_dir / name, rows, list(rows[0]))
    return {name: len(rows) for name, rows in files.items()}
