"""The demo market: a living registry to explore (``greenmarket demo load``).

Names of participants are fictional; verifiers and methodologies are of the kinds the J-Credit
scheme and the voluntary programs use. Demo tokens are fixed and printed so that a newcomer can
call the API at once: never use them outside a demo.

デモ市場：架空の参加者による登録簿データ。デモ用トークンは固定値（本番では使用しないこと）。
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from greenmarket.api.auth import hash_token
from greenmarket.clock import FixedClock
from greenmarket.registry import ledger, model
from greenmarket.registry.ledger import Context, CreditSpec, Selection
from greenmarket.registry.service import RegistryService
from greenmarket.registry.tables import participants, users
from greenmarket.storage.db import Database

app = typer.Typer(help="Demo market data. デモデータ。", no_args_is_help=True)
console = Console()

# (id, name, type, KYC state)
PARTICIPANTS = [
    ("sakura-solar", "さくらソーラー株式会社 / Sakura Solar K.K.", "corporate", "verified"),
    ("hokuriku-forest", "北陸森林組合 / Hokuriku Forest Cooperative", "association", "verified"),
    ("minato-bank", "みなと銀行 / Minato Bank", "financial_institution", "verified"),
    ("kanagawa-pref", "神奈川県 / Kanagawa Prefecture", "local_government", "verified"),
    ("nihon-steel", "日本製鋼工業株式会社 / Nihon Steel Works", "corporate", "verified"),
    ("kansai-logistics", "関西ロジスティクス株式会社 / Kansai Logistics", "corporate", "verified"),
    ("midori-trading", "みどり商事株式会社 / Midori Trading", "corporate", "verified"),
    ("umi-shipping", "海運ホールディングス / Umi Shipping Holdings", "corporate", "pending"),
]

# (id, program, name, country, category, methodology, verifier, accreditation, owner)
PROJECTS = [
    ("JCR-R001", "JCREDIT", "住宅用太陽光発電 共同実施 / Residential solar bundle", "JP",
     "renewable_power", "EN-R-002", "日本品質保証機構 (JQA)", "iso14065", "sakura-solar"),
    ("JCR-R002", "JCREDIT", "小水力発電 / Small hydro, Toyama", "JP", "renewable_power",
     "EN-R-005", "SGSジャパン", "iso14065", "sakura-solar"),
    ("JCR-H001", "JCREDIT", "木質バイオマスボイラー / Wood-biomass boilers, Iwate", "JP",
     "renewable_heat", "EN-R-001", "日本検査キューエイ", "iso14065", "hokuriku-forest"),
    ("JCR-M001", "JCREDIT", "バイオマスコージェネレーション / Biomass CHP, Hokkaido", "JP",
     "renewable_mixed", "EN-R-011", "日本品質保証機構 (JQA)", "iso14065", "hokuriku-forest"),
    ("JCR-E001", "JCREDIT", "LED照明更新 / LED retrofit, Kanagawa schools", "JP",
     "energy_saving", "EN-S-007", "ビューローベリタスジャパン", "iso14065", "kanagawa-pref"),
    ("JCR-E002", "JCREDIT", "ヒートポンプ導入 / Heat pumps, food plants", "JP", "energy_saving",
     "EN-S-002", "SGSジャパン", "iso14065", "kansai-logistics"),
    ("JCR-E003", "JCREDIT", "高効率ボイラー / High-efficiency boilers", "JP", "energy_saving",
     "EN-S-001", "日本検査キューエイ", "iso14065", "nihon-steel"),
    ("JCR-F001", "JCREDIT", "森林経営活動 / Forest management, Ishikawa", "JP", "forestry",
     "FO-001", "日本品質保証機構 (JQA)", "iso14065", "hokuriku-forest"),
    ("JCR-F002", "JCREDIT", "森林経営活動 / Forest management, Toyama", "JP", "forestry",
     "FO-001", "ビューローベリタスジャパン", "iso14065", "hokuriku-forest"),
    ("JCR-F003", "JCREDIT", "植林活動 / Reforestation, Kanagawa", "JP", "forestry", "FO-002",
     "SGSジャパン", "iso14065", "kanagawa-pref"),
    ("JCR-O001", "JCREDIT", "メタン回収 / Manure methane capture", "JP", "other", "AG-002",
     "日本検査キューエイ", "iso14065", "sakura-solar"),
    ("JCR-L001", "JCREDIT", "旧J-VER 森林吸収 / Legacy J-VER forest sink", "JP", "legacy",
     "J-VER R001", "日本品質保証機構 (JQA)", "none", "hokuriku-forest"),
    ("VCS-1650", "VCS", "Peatland restoration, Central Kalimantan", "ID", "forestry_land_use",
     "VM0007", "Aster Global Environmental Solutions", "doe", "midori-trading"),
    ("VCS-2310", "VCS", "Grid wind power, Gujarat", "IN", "renewable_energy", "ACM0002",
     "Local consultancy (unaccredited)", "none", "midori-trading"),
    ("GS-11603", "GS", "Efficient cookstoves, Kenya", "KE", "household", "GS TPDDTEC",
     "Earthood Services", "iso14065", "midori-trading"),
]

# (project, vintage, quantity)
ISSUANCES = [
    ("JCR-R001", 2022, 12_000), ("JCR-R001", 2023, 15_500), ("JCR-R001", 2024, 18_200),
    ("JCR-R002", 2023, 4_300), ("JCR-H001", 2022, 6_100), ("JCR-H001", 2024, 7_400),
    ("JCR-M001", 2023, 9_800), ("JCR-E001", 2023, 2_150), ("JCR-E002", 2022, 3_600),
    ("JCR-E002", 2024, 4_050), ("JCR-E003", 2023, 5_500), ("JCR-F001", 2021, 8_000),
    ("JCR-F001", 2023, 9_200), ("JCR-F002", 2022, 6_700), ("JCR-F003", 2024, 3_300),
    ("JCR-O001", 2023, 1_900), ("JCR-L001", 2021, 2_500), ("VCS-1650", 2021, 50_000),
    ("VCS-1650", 2022, 42_000), ("VCS-2310", 2022, 25_000), ("GS-11603", 2023, 30_000),
]

# (from, to, project, vintage, quantity)
TRANSFERS = [
    ("sakura-solar", "midori-trading", "JCR-R001", 2022, 5_000),
    ("sakura-solar", "nihon-steel", "JCR-R001", 2023, 6_000),
    ("hokuriku-forest", "kansai-logistics", "JCR-F001", 2021, 3_000),
    ("hokuriku-forest", "minato-bank", "JCR-F001", 2023, 2_000),
    ("midori-trading", "nihon-steel", "VCS-1650", 2021, 10_000),
    ("midori-trading", "kansai-logistics", "GS-11603", 2023, 4_000),
    ("kanagawa-pref", "minato-bank", "JCR-E001", 2023, 800),
    ("sakura-solar", "kansai-logistics", "JCR-R002", 2023, 1_500),
]

# (participant, project, vintage, quantity, beneficiary, purpose, claim, reporting year)
RETIREMENTS = [
    ("nihon-steel", "JCR-R001", 2023, 4_000, "日本製鋼工業株式会社 / Nihon Steel Works",
     "gx_ets", "GX-ETS 2025年度 排出量の償却 / GX-ETS FY2025 surrender", 2025),
    ("kansai-logistics", "JCR-F001", 2021, 1_200, "関西ロジスティクス株式会社",
     "voluntary_offset", "配送車両のScope1排出のオフセット / Offset of delivery-fleet scope 1", 2024),
    ("nihon-steel", "VCS-1650", 2021, 2_500, "Nihon Steel Works", "voluntary_offset",
     "Residual emissions of the Kobe plant, FY2024 / 神戸工場の残余排出", 2024),
    ("kansai-logistics", "GS-11603", 2023, 1_000, "Osaka Marathon 2025 organizing committee",
     "voluntary_offset", "カーボンオフセット大会 / Carbon-offset event", 2025),
    ("minato-bank", "JCR-E001", 2023, 300, "みなと銀行 / Minato Bank", "voluntary_offset",
     "店舗電力のオフセット / Branch electricity offset", 2025),
]

DEMO_TOKENS = [
    ("gm_demo_admin", "registry administrator / 登録簿管理者", "admin", None),
    ("gm_demo_auditor", "auditor / 監査人", "auditor", None),
    ("gm_demo_compliance", "compliance officer / 市場監視担当", "compliance", None),
    ("gm_demo_sakura", "Sakura Solar trader", "participant", "sakura-solar"),
    ("gm_demo_nihonsteel", "Nihon Steel carbon desk", "participant", "nihon-steel"),
    ("gm_demo_minato", "Minato Bank carbon desk", "participant", "minato-bank"),
]


class DemoLoader:
    """Load the demo through the same ledger operations a real operator would use."""

    def __init__(self, database: Database) -> None:
        self.clock = FixedClock(datetime(2025, 4, 1, 0, 30, tzinfo=UTC))
        self.service = RegistryService(database, self.clock)
        self.holding: dict[str, int] = {}

    def run(self, actor: str, operation: Callable[[Context], Any]) -> Any:
        self.clock.advance(timedelta(hours=7))
        return self.service.execute(actor, operation)

    def load(self) -> None:
        for program in model.known_programs():
            self.run("admin:demo", lambda c, p=program: ledger.create_program(c, **p))
        for pid, name, kind, kyc in PARTICIPANTS:
            self.run("admin:demo", lambda c, i=pid, n=name, t=kind, k=kyc:
                     ledger.register_participant(c, id=i, name=n, type=t, kyc_state=k))
            self.holding[pid] = self._open(pid, "holding")
            self._open(pid, "retirement")
        owners = {}
        for pid, program, name, country, category, method, verifier, accreditation, owner in PROJECTS:
            owners[pid] = owner
            self.run("admin:demo", lambda c, i=pid, p=program, n=name, co=country, ca=category,
                     m=method, v=verifier, a=accreditation: ledger.register_project(
                         c, id=i, program=p, name=n, country=co, category=ca, methodology=m,
                         verifier=v, verifier_accreditation=a))
        for project, vintage, quantity in ISSUANCES:
            account = self.holding[owners[project]]
            self.run("admin:demo", lambda c, p=project, v=vintage, q=quantity, a=account:
                     ledger.issue(c, project_id=p, vintage=v, quantity=q, account_id=a))
        for source, target, project, vintage, quantity in TRANSFERS:
            selection = Selection(quantity=quantity, spec=CreditSpec(project_id=project,
                                                                     vintage=vintage))
            self.run(f"participant:{source}", lambda c, s=source, t=target, sel=selection:
                     ledger.transfer(c, from_account_id=self.holding[s],
                                     to_account_id=self.holding[t], selection=sel))
        for pid, project, vintage, quantity, beneficiary, purpose, claim, year in RETIREMENTS:
            selection = Selection(quantity=quantity, spec=CreditSpec(project_id=project,
                                                                     vintage=vintage))
            self.run(f"participant:{pid}", lambda c, p=pid, sel=selection, b=beneficiary,
                     pu=purpose, cl=claim, y=year: ledger.retire(
                         c, account_id=self.holding[p], selection=sel, beneficiary=b,
                         purpose=pu, claim=cl, reporting_year=y))
        self.run("participant:midori-trading", lambda c: ledger.place_hold(
            c, account_id=self.holding["midori-trading"], quantity=2_000,
            spec=CreditSpec(project_id="VCS-1650", vintage=2022), reference="demo-offer-1"))
        with self.service.db.unit_of_work() as session:
            for token, name, role, participant in DEMO_TOKENS:
                session.execute(insert(users).values(token_hash=hash_token(token), name=name,
                                                     role=role, participant_id=participant))

    def _open(self, participant_id: str, kind: str) -> int:
        def operation(c: Context) -> dict[str, Any]:
            account = ledger.open_account(c, participant_id, kind)
            return ledger.set_account_state(c, account["id"], "open")
        return int(self.run("admin:demo", operation)["id"])


# --- Exchange and cash (the exchange's part of the demo) ------------------------------------
# Cash accounts funded for every verified participant, the demo sessions open, a few resting
# orders, so that a newcomer can place an order at once and watch an auction uncross.

#: Opening deposit of each verified participant per currency (what the bank account confirmed).
DEMO_CASH = {"JPY": "50000000", "USD": "500000.00"}

#: When the demo opens its sessions: inside the TSE-style morning window and the CBL-style day.
DEMO_SESSION_TIMES = {
    "Asia/Tokyo": datetime(2025, 6, 2, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
    "America/New_York": datetime(2025, 6, 2, 9, 30, tzinfo=ZoneInfo("America/New_York")),
}

# (participant, contract, side, price, quantity): resting orders; the forestry call book crosses.
DEMO_ORDERS = [
    ("hokuriku-forest", "TSE-JCR-FORESTRY", "sell", "3250", 400),
    ("hokuriku-forest", "TSE-JCR-FORESTRY", "sell", "3300", 600),
    ("kansai-logistics", "TSE-JCR-FORESTRY", "buy", "3260", 300),
    ("kansai-logistics", "TSE-JCR-FORESTRY", "buy", "3150", 200),
    ("kanagawa-pref", "TSE-JCR-ENERGY-SAVING", "sell", "1750", 500),
    ("kansai-logistics", "TSE-JCR-ENERGY-SAVING", "buy", "1650", 400),
    ("midori-trading", "CBL-GLOBAL-NATURE", "sell", "1.55", 5000),
    ("midori-trading", "CBL-GLOBAL-NATURE", "sell", "1.60", 8000),
    ("kansai-logistics", "CBL-GLOBAL-NATURE", "buy", "1.45", 2000),
]


def load_exchange(database: Database) -> None:
    """Fund the verified demo participants, trade the days before the demo day
    (:mod:`greenmarket.demo_history`), then open every demo session and rest the demo orders."""
    from decimal import Decimal

    from greenmarket.demo_history import HistoryLoader, history_start, venue_time
    from greenmarket.exchange.contracts import TSE_STYLE
    from greenmarket.exchange.venue import build_exchange
    from greenmarket.settlement import cash
    from greenmarket.settlement.money import to_minor

    demo_day = DEMO_SESSION_TIMES["Asia/Tokyo"]
    first = history_start(TSE_STYLE, demo_day.date())
    clock = FixedClock(venue_time(TSE_STYLE, first, time(7, 0)))  # before the first session
    service = RegistryService(database, clock)
    for pid, _, _, kyc in PARTICIPANTS:
        if kyc != "verified":
            continue
        for currency, amount in DEMO_CASH.items():
            account = service.execute("admin:demo", lambda c, p=pid, cur=currency:
                                      cash.open_cash_account(c, participant_id=p, currency=cur))
            service.execute("admin:demo", lambda c, a=account["id"], cur=currency, m=amount:
                            cash.deposit(c, account_id=a, amount=to_minor(m, cur),
                                         reference=f"demo-wire-{a}"))
    exchange = build_exchange(database, clock)
    HistoryLoader(exchange, service, clock).load(first, demo_day.date())
    for contract in exchange.contracts.values():
        opens = DEMO_SESSION_TIMES[contract.venue.time_zone].astimezone(UTC)
        clock.set(max(clock.now(), opens))  # the journal's clock never runs back
        exchange.open_session(contract.contract_id, actor="admin:demo")
        for pid, contract_id, side, price, quantity in DEMO_ORDERS:
            if contract_id == contract.contract_id:
                clock.advance(timedelta(minutes=3))
                exchange.submit(pid, contract_id, side=side, quantity=quantity,
                                price=Decimal(price), client_order_id=f"demo-{clock.now():%H%M}")


def load_demo(database: Database) -> None:
    """The whole demo market: the registry, then funded traders and open sessions."""
    DemoLoader(database).load()
    load_exchange(database)


DEMO_SURVEILLANCE_SOURCE = "demo: one synthetic scenario day (surveillance evaluate --days 1 --seed 1)"


def load_surveillance(database: Database, seed: int = 1) -> list[int]:
    """Open cases for what the surveillance engine finds in one synthetic scenario day.

    The demo market itself is too quiet to raise alerts, so the compliance pages would be empty:
    these come from the same engine and scenario generator as ``surveillance evaluate`` (their
    participants are the scenario's, and the source says so).
    """
    from greenmarket.surveillance import cases
    from greenmarket.surveillance.engine import Engine
    from greenmarket.surveillance.scenarios import ScenarioConfig, generate

    alerts = [alert.to_dict() for alert in Engine().run(
        generate(ScenarioConfig(days=1, seed=seed)).records())]
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        return cases.open_cases(session, alerts, source=DEMO_SURVEILLANCE_SOURCE,
                                actor="admin:demo", now=now)


def is_empty(database: Database) -> bool:
    with database.read() as session:
        return session.execute(select(func.count()).select_from(participants)).scalar_one() == 0


def print_tokens() -> None:
    table = Table(title="Demo API tokens / デモ用トークン (Authorization: Bearer …)")
    for column in ("token", "role", "participant", "who"):
        table.add_column(column)
    for token, name, role, participant in DEMO_TOKENS:
        table.add_row(token, role, participant or "-", name)
    console.print(table)


@app.command("load")
def load(if_empty: bool = typer.Option(False, help="Do nothing when data exists. 既存データがあれば何もしない。")) -> None:
    """Load the demo market into the configured database. デモ市場を読み込む。"""
    database = Database()
    if not is_empty(database):
        if not if_empty:
            raise typer.BadParameter("the database already holds data; use a fresh database")
        console.print("demo already loaded / デモデータは読み込み済み")
    else:
        load_demo(database)
        opened = load_surveillance(database)
        console.print(f"demo market loaded, {len(opened)} surveillance cases opened / "
                      f"デモ市場を読み込み、市場監視の案件を {len(opened)} 件作成しました")
    print_tokens()
