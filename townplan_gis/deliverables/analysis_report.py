"""The report's sections of the planning analyses: 控制线自检 (patches per severity and the table of
conflict patches) and 公园服务与生活圈 (park service radius coverage and life circles).

The sections show the analyses' own numbers (rounded for display, the exact value in ``data-value``);
every text is HTML-escaped. Used by :mod:`.report`.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd
from markupsafe import Markup

from townplan_gis.deliverables.analysis_tables import (
    LINE_CHECK_COLUMNS,
    SERVICE_COLUMNS,
    headers,
    line_check_counts,
    line_check_table,
    service_table,
)
from townplan_gis.deliverables.wording import zh_punct

__all__ = ["analysis_sections", "analysis_toc"]

_NUM = {
    "patch_area_m2": "{:,.1f}",
    "patch_area_mu": "{:,.2f}",
    "radius_m": "{:,.0f}",
    "facilities": "{:,.0f}",
    "residential_m2": "{:,.0f}",
    "covered_m2": "{:,.0f}",
    "covered_pct": "{:.1f}",
    "households_pct": "{:.1f}",
}
_SHORT = {"patch_id", "patch_kind", "severity"}
_TINT = {"conflict": "#fdecec", "check": "#fff4e0", "notice": "#e8f0fe"}


def _titles(lang: str) -> dict[str, str]:
    zh = lang == "zh"
    return {
        "line_check": "控制线自检" if zh else "Control-line self-check",
        "service": "公园服务与生活圈" if zh else "Park service and life circles",
    }


def analysis_toc(line_check: Any, coverage: Any, circles: Any, lang: str) -> list[tuple[str, str]]:
    """Table-of-contents entries (id, title) of the sections present."""
    t = _titles(lang)
    out = []
    if line_check is not None:
        out.append(("line-check", t["line_check"]))
    if coverage is not None or circles is not None:
        out.append(("service", t["service"]))
    return out


def _cell(column: str, value: Any) -> str:
    if column in _NUM:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return '<td class="num">—</td>'
        shown = _NUM[column].format(float(value))
        return f'<td class="num" data-field="{column}" data-value="{float(value)!r}">{shown}</td>'
    # Ids, kinds and severities are short words: kept on one line, the sentences take the width.
    keep = ' style="white-space:nowrap"' if column in _SHORT else ""
    return f'<td data-field="{column}"{keep}>{html.escape(str(value))}</td>'


def _table(frame: pd.DataFrame, columns: list[str], lang: str, css: str, tint: Any = None) -> str:
    head = "".join(
        f"<th{' class=num' if c in _NUM else ''}>{html.escape(h)}</th>"
        for c, h in zip(columns, headers(columns, lang), strict=True)
    )
    rows = []
    for i, (_, r) in enumerate(frame.iterrows()):
        style = f' style="background:{tint[i]}"' if tint is not None and tint[i] else ""
        rows.append(f"<tr{style}>" + "".join(_cell(c, r[c]) for c in columns) + "</tr>")
    return (
        f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def analysis_sections(
    line_check: Any, coverage: Any, circles: Any, lang: str, max_rows: int = 500
) -> Markup:
    """The HTML of the sections 控制线自检 and 公园服务与生活圈 for the analyses given (empty without)."""
    zh = lang == "zh"
    t = _titles(lang)
    parts = []
    if line_check is not None:
        counts = line_check_counts(line_check)
        words = (
            {"conflict": "冲突", "check": "待核实", "notice": "提示"}
            if zh
            else {"conflict": "conflict", "check": "to check", "notice": "notice"}
        )
        n_lines = int(line_check.settings.get("n_lines", 0))
        if zh:
            lead = (
                f"核查控制线要素 {n_lines} 个，发现图斑 {len(line_check.patches)} 处："
                + "，".join(
                    f'{words[s]} <span class="n" data-severity="{s}">{n}</span> 处'
                    for s, n in counts.items()
                )
            )
            lead += "。"
        else:
            lead = (
                f"{n_lines} line features checked, {len(line_check.patches)} patches: "
                + ", ".join(
                    f'{words[s]} <span class="n" data-severity="{s}">{n}</span>'
                    for s, n in counts.items()
                )
                + "."
            )
        table = line_check_table(line_check, lang)
        more = max(len(table) - max_rows, 0)
        shown = table.iloc[:max_rows]
        body = (
            _table(
                shown,
                LINE_CHECK_COLUMNS,
                lang,
                "line-check",
                tint=[_TINT.get(s, "") for s in shown["severity_key"]],
            )
            if len(shown)
            else f'<p class="muted">{"控制线之间未发现冲突。" if zh else "No conflict between the lines."}</p>'
        )
        if more:
            note = (
                f"……另有 {more} 处图斑未列出，见 Excel 工作簿。"
                if zh
                else f"… {more} more patches, all in the Excel workbook."
            )
            body += f'<p class="muted more">{html.escape(note)}</p>'
        parts.append(
            f'<section id="line-check" class="page"><h2>{html.escape(t["line_check"])}</h2>'
            f'<p class="counts">{lead}</p>{body}</section>'
        )
    if coverage is not None or circles is not None:
        table = service_table(coverage, circles, lang)
        note = (
            "服务半径按公园规模：5000 m² 及以上 500 m，2000～5000 m² 300 m；生活圈距离按 GB 50180-2018。"
            if zh
            else "Park radius by size: 500 m for ≥ 5,000 m², 300 m for 2,000–5,000 m²; "
            "life circles per GB 50180-2018."
        )
        parts.append(
            f'<section id="service" class="page"><h2>{html.escape(t["service"])}</h2>'
            f"{_table(table, SERVICE_COLUMNS, lang, 'service')}"
            f'<p class="muted">{html.escape(zh_punct(note) if zh else note)}</p></section>'
        )
    return Markup("\n".join(parts))
