"""Readable assessment reports (Markdown and HTML, Japanese and English side by side) and JSON."""

from __future__ import annotations

import json
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

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
