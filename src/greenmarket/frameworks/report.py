"""Readable assessment reports (Markdown and HTML, Japanese and English side by side) and JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from greenmarket.frameworks.allocation import AllocationData, Impact, category_text, impact_totals
from greenmarket.frameworks.assessment import STATUS_TEXT, Assessment, ItemResult, Status
from greenmarket.frameworks.checklist import Text

LEVEL_TEXT = {"core": Text(ja="必須", en="core"), "recommended": Text(ja="推奨", en="recommended")}
STATUS_MARK = {Status.MET: "●", Status.PARTLY_MET: "◐", Status.NOT_MET: "○", Status.NOT_APPLICABLE: "–"}


@cache
def environment() -> Environment:
    """The Jinja environment over ``greenmarket/frameworks/templates`` (HTML autoescaped)."""
    env = Environment(loader=PackageLoader("greenmarket.frameworks", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(STATUS_TEXT=STATUS_TEXT, STATUS_MARK=STATUS_MARK, LEVEL_TEXT=LEVEL_TEXT, Status=Status)
    return env


def assessment_json(assessment: Assessment) -> str:
    return json.dumps(assessment.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _item_row(result: ItemResult, assessment: Assessment) -> str:
    item = result.item
    status = STATUS_TEXT[result.status]
    evidence = "<br>".join(_cell(e.cite(assessment.framework.documents)) for e in result.evidence) or "–"
    gaps = [f"{g.ja} / {g.en}" for g in result.gaps]
    if result.note:
        gaps.append(f"({result.note})")
    source = item.source_section + (f" p.{item.source_page}" if item.source_page else "")
    return (f"| `{item.id}`<br>{_cell(item.text.ja)}<br>{_cell(item.text.en)}<br><small>{_cell(source)}</small> "
            f"| {LEVEL_TEXT[item.level].ja} {item.level} | {STATUS_MARK[result.status]} {status.ja} {status.en} "
            f"| {evidence} | {_cell('<br>'.join(gaps)) or '–'} |")


def assessment_markdown(assessment: Assessment) -> str:
    """The assessment as one Markdown document (both languages)."""
    fw = assessment.framework
    name = fw.issuer_name + (f" ({fw.issuer_name_en})" if fw.issuer_name_en else "")
    lines = [
        f"# フレームワーク適合性評価 / Framework assessment — {name}",
        "",
        f"- フレームワーク / Framework: {fw.title}" + (f" v{fw.version}" if fw.version else "") + f" ({fw.published})",
        f"- 商品 / Instrument: `{fw.instrument}`" + (f" · 債券の種類 / Bond type: `{fw.bond_type}`" if fw.bond_type else ""),
        f"- 評価範囲 / Scope: {', '.join(fw.scope)}",
        "- 基準 / Checklists: " + ", ".join(
            f"{c.title.ja} / {c.title.en} (data v{c.version})" for c in assessment.checklists.values()),
        "- 判定規則 / Rule: ● 全要素を記載し根拠あり met · ◐ 一部の要素のみ、または根拠なし partly met · "
        "○ 記載なし not met · – 対象外 not applicable",
        "",
        "## 要約 / Summary",
        "",
        "| 基準 Checklist | 区分 Component / element | ● 充足 met | ◐ 一部 partly | ○ 未充足 not met | – 対象外 n/a | スコア score | 必須の不足 core gaps |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in assessment.summaries():
        title = f"**{s.title.ja} / {s.title.en}**" if s.group is None else f"{s.title.ja} / {s.title.en}"
        c = s.counts
        lines.append(f"| {s.checklist} | {title} | {c[Status.MET]} | {c[Status.PARTLY_MET]} | {c[Status.NOT_MET]} "
                     f"| {c[Status.NOT_APPLICABLE]} | {_score(s.score)} | {s.core_not_met} |")
    lines += ["", "スコア = (充足 + ½ × 一部充足) ÷ 対象項目数 × 100 / score = (met + ½ partly met) ÷ applicable items × 100", ""]
    for cid, checklist in assessment.checklists.items():
        lines += [f"## {checklist.title.ja} / {checklist.title.en}", ""]
        for group in checklist.groups:
            lines += [f"### {group.title.ja} / {group.title.en}", "",
                      "| 項目 Item | 水準 Level | 判定 Status | 根拠 Evidence | 不足 Gap |", "|---|---|---|---|---|"]
            lines += [_item_row(r, assessment) for r in assessment.results if r.checklist == cid and r.item.group == group.id]
            lines.append("")
    if assessment.claim_checks:
        lines += ["## カーボン・クレジット償却の照合 / Carbon-credit retirements checked against the registry", "",
                  "| 主張 Claim | 受益者 Beneficiary | 結果 Result | 確認量 Found (t) | 償却 Retirements |", "|---|---|---|---:|---|"]
        for check in assessment.claim_checks:
            lines.append(f"| {_cell(check.claim.label())} | {_cell(check.claim.beneficiary)} | `{check.status.value}` "
                         f"{_cell(check.detail.ja)} / {_cell(check.detail.en)} | {check.found_quantity} "
                         f"| {', '.join(check.retirement_ids) or '–'} |")
        lines.append("")
    return "\n".join(lines)


def assessment_html(assessment: Assessment) -> str:
    """The assessment as a standalone HTML page (both languages)."""
    return environment().get_template("assessment.html").render(a=assessment, fw=assessment.framework, score=_score)


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,} {currency}"


def _num(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _impacts(impacts: tuple[Impact, ...]) -> str:
    return "<br>".join(f"{i.indicator}: {_num(i.value)} {i.unit}" + (f" ({i.period})" if i.period else "")
                       for i in impacts) or "–"


def allocation_markdown(data: AllocationData) -> str:
    """The allocation report (GBP 2017 §4): projects, categories, new vs refinancing, unallocated placement."""
    c = data.currency
    lines = [
        f"# 資金充当レポート / Allocation report — {data.issuer} {data.isin}", "",
        f"- 債券 / Bond: {data.name or data.isin} · 発行日 / issued {data.issue_date}" + (f" · {data.framework}" if data.framework else ""),
        f"- 基準日 / As of: {data.as_of}",
        f"- 手取金 / Net proceeds: {_money(data.net_proceeds, c)}",
        f"- 充当済 / Allocated: {_money(data.allocated, c)} ({data.share(data.allocated)} %)",
        f"- 未充当 / Unallocated: {_money(data.unallocated_total, c)} ({data.share(data.unallocated_total)} %)",
        f"- うちリファイナンス / Of which refinancing: {_money(data.refinanced, c)} ({data.share(data.refinanced)} %)",
        "", "## 区分別 / By ICMA category", "",
        "| 区分 Category | プロジェクト数 Projects | 充当額 Allocated | 比率 Share (%) |", "|---|---:|---:|---:|",
    ]
    for category, amount, count in data.by_category():
        t = category_text(category)
        lines.append(f"| {t.ja} / {t.en} | {count} | {_money(amount, c)} | {data.share(amount)} |")
    lines += ["", "## プロジェクト別 / By project", "",
              "| ID | 名称 Name | 区分 Category | 所在地 Location | 充当額 Allocated | 比率 Share (%) | 新規/リファイナンス New/refi | 概要 Description |",
              "|---|---|---|---|---:|---:|---|---|"]
    for p in data.projects:
        refi = "リファイナンス refinancing" if p.refinancing else "新規 new"
        lines.append(f"| {p.id} | {_cell(p.name)} | {category_text(p.category).en} | {_cell(p.location or '–')} "
                     f"| {_money(p.allocated, c)} | {data.share(p.allocated)} | {refi} | {_cell(p.description or '–')} |")
    lines += ["", "## 未充当資金の一時的な運用 / Temporary placement of unallocated proceeds", ""]
    if data.unallocated:
        lines += ["| 運用先 Placement | 金額 Amount | 比率 Share (%) |", "|---|---:|---:|"]
        lines += [f"| {_cell(u.placement)} | {_money(u.amount, c)} | {data.share(u.amount)} |" for u in data.unallocated]
    else:
        lines.append("全額充当済 / Fully allocated.")
    return "\n".join(lines) + "\n"


def impact_markdown(data: AllocationData) -> str:
    """The impact report (GBP 2017 §4): expected and achieved impact per project, totals per indicator."""
    c = data.currency
    lines = [
        f"# インパクトレポート / Impact report — {data.issuer} {data.isin}", "",
        f"- 基準日 / As of: {data.as_of}", "",
        "## 指標別合計 / Totals by indicator", "",
        "標準単位に換算して合算 / converted to the indicator's canonical unit, then summed", "",
        "| 指標 Indicator | 単位 Unit | 期待 Expected | 報告数 Projects | 実績 Achieved | 報告数 Projects |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for t in impact_totals(data):
        achieved = _num(t.achieved) if t.achieved_projects else "–"
        expected = _num(t.expected) if t.expected_projects else "–"
        lines.append(f"| {t.indicator} | {t.unit} | {expected} | {t.expected_projects} | {achieved} | {t.achieved_projects} |")
    lines += ["", "## プロジェクト別 / By project", "",
              "| ID | 名称 Name | 区分 Category | 充当額 Allocated | 期待効果 Expected | 実績 Achieved | 方法論 Methodology |",
              "|---|---|---|---:|---|---|---|"]
    for p in data.projects:
        methods = "; ".join(dict.fromkeys(i.methodology for i in (*p.expected, *p.achieved) if i.methodology)) or "–"
        lines.append(f"| {p.id} | {_cell(p.name)} | {category_text(p.category).en} | {_money(p.allocated, c)} "
                     f"| {_impacts(p.expected)} | {_impacts(p.achieved)} | {_cell(methods)} |")
    return "\n".join(lines) + "\n"


def allocation_html(data: AllocationData) -> str:
    return environment().get_template("allocation.html").render(
        d=data, money=_money, num=_num, category_text=category_text)


def impact_html(data: AllocationData) -> str:
    return environment().get_template("impact.html").render(
        d=data, money=_money, num=_num, category_text=category_text, totals=impact_totals(data))
