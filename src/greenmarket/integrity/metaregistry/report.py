"""The check report: the FORMATS JSON document and its HTML summary (Japanese and English)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, select_autoescape

from greenmarket.integrity.metaregistry.finder import Finding, FindingType
from greenmarket.integrity.metaregistry.records import Rejection

TYPE_LABELS = {
    FindingType.DOUBLE_ISSUANCE: ("二重発行", "double issuance"),
    FindingType.DOUBLE_RETIREMENT: ("二重無効化・取消", "double retirement"),
    FindingType.RETIRED_AND_ACTIVE: ("無効化済みなのに有効", "retired and still active"),
    FindingType.LINKED_TRANSFER: ("登録簿間の正当な移管", "linked transfer (legitimate)"),
    FindingType.QUANTITY_MISMATCH: (
        "数量とシリアル範囲の不一致",
        "quantity disagrees with serials",
    ),
}


def report_document(
    findings: Sequence[Finding], rejections: Sequence[Rejection], imported: dict[str, int]
) -> dict[str, Any]:
    """The report exactly as FORMATS.md fixes it."""
    return {
        "findings": [
            {
                "type": finding.type.value,
                "quantity": finding.quantity,
                "program": finding.program,
                "project": finding.project,
                "vintage": finding.vintage,
                "serial_start": finding.serial_start,
                "serial_end": finding.serial_end,
                "records": [{"source": source, "line": line} for source, line in finding.records],
            }
            for finding in findings
        ],
        "rejected": [
            {"source": item.source, "line": item.line, "reason": item.reason}
            for item in sorted(rejections, key=lambda r: (r.source, r.line))
        ],
        "imported": dict(sorted(imported.items())),
    }


_TEMPLATE = """<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<title>メタレジストリ検査 / Meta-registry check</title>
<style>
body { font-family: system-ui, "Hiragino Sans", "Noto Sans JP", sans-serif; margin: 2em; color: #1b2a1b; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #c8d3c8; padding: 0.3em 0.6em; text-align: left; }
th { background: #eef3ee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.linked_transfer { color: #2f6f3a; }
.double_issuance, .double_retirement, .retired_and_active { color: #9b1c1c; font-weight: 600; }
.quantity_mismatch { color: #8a5a00; }
</style>
</head>
<body>
<h1>メタレジストリ検査報告 / Meta-registry check report</h1>

<h2>概要 / Summary</h2>
<table>
<tr><th>区分 / Type</th><th>件数 / Findings</th><th>数量 / Units</th></tr>
{% for kind, (ja, en) in labels.items() %}
<tr><td class="{{ kind.value }}">{{ ja }} / {{ en }}</td><td class="num">{{ counts[kind] }}</td><td class="num">{{ "{:,}".format(units[kind]) }}</td></tr>
{% endfor %}
<tr><td>読めなかった行 / Rejected rows</td><td class="num">{{ document.rejected|length }}</td><td></td></tr>
</table>

<h2>取り込み元 / Imported sources</h2>
<table>
<tr><th>ソース / Source</th><th>行数 / Rows</th></tr>
{% for source, rows in document.imported.items() %}
<tr><td>{{ source }}</td><td class="num">{{ "{:,}".format(rows) }}</td></tr>
{% endfor %}
</table>

<h2>検出事項 / Findings</h2>
{% if document.findings %}
<table>
<tr><th>区分 / Type</th><th>数量 / Quantity</th><th>プログラム / Program</th><th>プロジェクト / Project</th>
<th>ビンテージ / Vintage</th><th>シリアル範囲 / Serial range</th><th>記録 / Records (source:line)</th></tr>
{% for f in document.findings %}
<tr><td class="{{ f.type }}">{{ labels_by_value[f.type][0] }} / {{ labels_by_value[f.type][1] }}</td>
<td class="num">{{ "{:,}".format(f.quantity) }}</td><td>{{ f.program }}</td><td>{{ f.project }}</td><td>{{ f.vintage }}</td>
<td>{{ f.serial_start }}–{{ f.serial_end }}</td>
<td>{% for r in f.records %}{{ r.source }}:{{ r.line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}
</table>
{% else %}
<p>検出事項はありません。 / No findings.</p>
{% endif %}

<h2>読めなかった行 / Rejected rows</h2>
{% if document.rejected %}
<table>
<tr><th>ソース / Source</th><th>行 / Line</th><th>理由 / Reason</th></tr>
{% for r in document.rejected %}
<tr><td>{{ r.source }}</td><td class="num">{{ r.line }}</td><td>{{ r.reason }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>すべての行を読み取りました。 / Every row was read.</p>
{% endif %}
</body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def report_html(document: dict[str, Any]) -> str:
    """Render the HTML summary of a report document."""
    counts: Counter[FindingType] = Counter()
    units: Counter[FindingType] = Counter()
    for finding in document["findings"]:
        kind = FindingType(finding["type"])
        counts[kind] += 1
        units[kind] += finding["quantity"]
    return _ENVIRONMENT.from_string(_TEMPLATE).render(
        document=document,
        labels=TYPE_LABELS,
        labels_by_value={kind.value: label for kind, label in TYPE_LABELS.items()},
        counts=counts,
        units=units,
    )
