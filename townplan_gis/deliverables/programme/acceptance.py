"""The acceptance outputs: the county table (验收汇总), the fund, and the acceptance record (验收记录) of
each town, as a page and sheets (:mod:`.record_docx` writes the record as a Word document). Every
figure is :func:`townplan_gis.construction.acceptance`'s.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from townplan_gis.construction import Acceptance
from townplan_gis.deliverables.programme.render import Tab, page_html
from townplan_gis.deliverables.programme.words import (
    cdate,
    heading,
    money,
    num,
    sheet,
    value_label,
    zh,
)

__all__ = [
    "acceptance_html",
    "acceptance_sheets",
    "county_tab",
    "fund_facts",
    "record_html",
    "record_tab",
    "standard_title",
]

# The record's ``result`` column is English; its Chinese, pattern by pattern. A result no pattern
# matches is shown as it is (never dropped).
_RESULTS = [
    (re.compile(r"^(\d+) projects, (.+) 万元$"), "{0}个项目，{1}万元"),
    (re.compile(r"^(\d+)/(\d+)$"), "{0}/{1}"),
    (re.compile(r"^(\d+) to check$"), "需查验{0}项"),
    (re.compile(r"^complete$"), "已落实"),
    (re.compile(r"^(\d+) not fully funded$"), "{0}个项目未落实"),
    (re.compile(r"^0 overdue on (\d{4}-\d\d-\d\d)$"), "截至{0}无逾期"),
    (re.compile(r"^(\d+) overdue on (\d{4}-\d\d-\d\d)$"), "截至{1}逾期{0}个"),
    (re.compile(r"^(\d+(?:\.\d+)?)$"), "{0}分"),
    (re.compile(r"^accepted$"), "合格"),
    (re.compile(r"^not accepted$"), "不合格"),
    (re.compile(r"^(.+) 万元$"), "{0}万元"),
    (re.compile(r"^no projects$"), "无项目"),
]


def result_zh(text: Any) -> str:
    """A record result in Chinese (``"5 projects, 1,720 万元"`` → ``"5个项目，1,720万元"``)."""
    s = str(text)
    for pattern, out in _RESULTS:
        m = pattern.match(s)
        if m:
            return zh(out.format(*m.groups()))
    return zh(s)


def standard_title(acc: Acceptance, lang: str) -> str:
    from townplan_gis.standards import load_standard

    std = load_standard(acc.standard)
    return std.title_zh if lang == "zh" else std.title_en


def county_tab(acc: Acceptance, lang: str = "zh") -> Tab:
    c = acc.county
    frame = c.assign(
        accepted=c["accepted"].map(lambda v: value_label("accepted", bool(v), lang)),
        reason=c["reason_zh"].map(zh) if lang == "zh" else c["reason"],
        targets_met=[f"{a}/{b}" for a, b in zip(c["n_targets_met"], c["n_targets"], strict=True)],
        matching_met=c["matching_met"].map(
            lambda v: "—" if pd.isna(v) else value_label("matching_met", bool(v), lang)
        ),
    )
    return Tab(
        frame,
        [
            ("rank", "int"),
            ("town", "tag"),
            ("score", "num"),
            ("accepted", "tag"),
            ("reason", "text"),
            ("n_projects", "int"),
            ("n_completed", "int"),
            ("n_conforming", "int"),
            ("targets_met", "tag"),
            ("investment_wan_yuan", "money"),
            ("completed_investment_wan_yuan", "money"),
            ("subsidy_wan_yuan", "money"),
            ("matching_required_wan_yuan", "money"),
            ("matching_funds_wan_yuan", "money"),
            ("matching_met", "tag"),
        ],
        fill=["pass" if a else "fail" for a in c["accepted"]],
    )


def fund_facts(acc: Acceptance, lang: str = "zh") -> list[tuple[str, str]]:
    """The fund as (label, text) rows."""
    f = acc.fund
    w = heading("wan_yuan", lang)
    rule = acc.allocation.label_zh if lang == "zh" else acc.allocation.label_en
    pct = f"{float(f['office_share_pct']):g}"
    rows = [
        (heading("fund_total", lang), f"{money(f['fund_wan_yuan'])} {w}"),
        (heading("office", lang, pct=pct), f"{money(f['office_wan_yuan'])} {w}"),
        (heading("distributable", lang), f"{money(f['distributable_wan_yuan'])} {w}"),
        (heading("allocated", lang), f"{money(f['allocated_wan_yuan'])} {w}"),
        (heading("unallocated", lang), f"{money(f['unallocated_wan_yuan'])} {w}"),
        (heading("n_accepted", lang), num(f["n_accepted"])),
        (heading("allocation", lang), rule),
        (
            heading("standard", lang),
            zh(standard_title(acc, lang)) if lang == "zh" else standard_title(acc, lang),
        ),
    ]
    if acc.as_of is not None:
        rows.append((heading("inspection_date", lang), cdate(acc.as_of, lang)))
    return rows


def record_tab(acc: Acceptance, town: str, lang: str = "zh") -> Tab:
    """The record of ``town``: step, item, result, detail."""
    r = acc.records[town]
    frame = pd.DataFrame(
        {
            "section": r["section_zh"] if lang == "zh" else r["section"],
            "item": r["item"].map(lambda v: value_label("record_item", v, lang)),
            "result": r["result"].map(result_zh) if lang == "zh" else r["result"],
            "detail": r["detail_zh"].map(zh) if lang == "zh" else r["detail"],
        }
    )
    review = acc.projects[(acc.projects["town"] == town) & (acc.projects["verdict"] == "review")]
    if lang == "zh" and len(review):
        # The computed Chinese detail gives the count only; the inspectors need the projects.
        ids = "、".join(
            f"{i} {n}" for i, n in zip(review["project_id"], review["name"], strict=True)
        )
        at = r.index[r["item"] == "approvals"]
        frame.loc[at, "detail"] = frame.loc[at, "detail"].str.rstrip("。") + f"：{ids}"
    fill = []
    for item, result, detail in zip(r["item"], r["result"], r["detail"], strict=True):
        bad = result == "not accepted" or (item == "subsidy" and "NOT met" in str(detail))
        fill.append("fail" if bad else ("pass" if result == "accepted" else None))
    return Tab(
        frame,
        [("section", "tag"), ("item", "tag"), ("result", "tag"), ("detail", "text")],
        fill=fill,
    )


def _projects_tab(acc: Acceptance, town: str, lang: str) -> Tab:
    p = acc.projects[acc.projects["town"] == town]
    frame = p.assign(
        project_type=p["project_type"].map(lambda v: value_label("project_type", v, lang)),
        verdict=p["verdict"].map(lambda v: value_label("verdict", v, lang)),
    )
    return Tab(
        frame,
        [
            ("project_id", "text"),
            ("name", "text"),
            ("project_type", "tag"),
            ("completion_pct", "pct"),
            ("verdict", "tag"),
        ],
        fill=[
            "pass" if (c and k) else "fail"
            for c, k in zip(p["completed"], p["conforms"], strict=True)
        ],
        headers={"verdict": "审查结论" if lang == "zh" else "Review verdict"},
    )


def _targets_tab(acc: Acceptance, town: str, lang: str) -> Tab:
    from townplan_gis.core.vocab import comparator_symbol, unit_label

    t = acc.targets[acc.targets["town"] == town]
    frame = t.assign(
        indicator=t["name_zh"] if lang == "zh" else t["key"],
        target=[
            f"{comparator_symbol(c)} {num(v)}" if pd.notna(v) else "—"
            for c, v in zip(
                t["comparator"], pd.to_numeric(t["target"], errors="coerce"), strict=True
            )
        ],
        unit=t["unit"].map(lambda u: unit_label(u, lang)),
        status=t["status"].map(lambda s: value_label("status", s, lang)),
    )
    return Tab(
        frame,
        [
            ("indicator", "text"),
            ("value", "num"),
            ("target", "tag"),
            ("unit", "tag"),
            ("status", "tag"),
        ],
        fill=list(t["status"]),
    )


def record_sections(acc: Acceptance, town: str, lang: str = "zh") -> list[dict[str, Any]]:
    """The record of one town as page sections: the record, its projects, its targets."""
    row = acc.county.set_index("town").loc[town]
    verdict = value_label("accepted", bool(row["accepted"]), lang)
    if lang == "zh":
        head = f"{town}：验收{verdict}，奖补资金{money(row['subsidy_wan_yuan'])}万元"
        if pd.notna(row["matching_met"]) and not row["matching_met"]:
            head += (
                f"；应配套{money(row['matching_required_wan_yuan'])}万元，"
                f"自筹配套{money(row['matching_funds_wan_yuan'])}万元，配套未落实"
            )
        sub = [("项目", "看项目：各项目完工与规划符合性"), ("指标", "考核：各项指标")]
        sign = [heading("sign", lang), heading("sign_date", lang)]
    else:
        head = f"{town}: {verdict}, subsidy {money(row['subsidy_wan_yuan'])} 10k CNY"
        sub = [("projects", "Projects: completion and conformity"), ("targets", "Targets")]
        sign = [heading("sign", lang), heading("sign_date", lang)]
    projects = _projects_tab(acc, town, lang).html(lang)
    projects["caption"] = sub[0][1]
    targets = _targets_tab(acc, town, lang).html(lang)
    targets["caption"] = sub[1][1]
    return [
        {
            "heading": heading("record_title", lang, town=town),
            "cls": "atlas",
            "paragraphs": [],
            "after": [{"text": head, "cls": "verdict"}],
            "tables": [record_tab(acc, town, lang).html(lang)],
        },
        {"tables": [projects, targets], "after": [{"text": s, "cls": "sign"} for s in sign]},
    ]


def _subtitle(acc: Acceptance, lang: str) -> list[str]:
    std = standard_title(acc, lang)
    line = f"{heading('standard', lang)}：{zh(std)}" if lang == "zh" else f"Standard: {std}"
    if acc.as_of is not None:
        line += ("；" if lang == "zh" else "; ") + (
            f"{heading('inspection_date', lang)}：{cdate(acc.as_of, lang)}"
            if lang == "zh"
            else f"inspected {cdate(acc.as_of, lang)}"
        )
    return [line]


def acceptance_html(
    acc: Acceptance, *, county: str = "", lang: str = "zh", illustrative: bool = False
) -> str:
    """The county's acceptance: the table, the fund, and every town's record, one page."""
    from townplan_gis.deliverables.programme.book import footer

    sections: list[dict[str, Any]] = [
        {"heading": heading("county_table", lang), "tables": [county_tab(acc, lang).html(lang)]},
        {"heading": heading("fund", lang), "facts": fund_facts(acc, lang)},
        {"heading": heading("records", lang)},
    ]
    for town in acc.county["town"]:
        sections += record_sections(acc, town, lang)
    return page_html(
        title=heading("acceptance_title", lang, county=county or _county(acc, lang)),
        sections=sections,
        lang=lang,
        subtitle=_subtitle(acc, lang),
        notes=[heading("illustrative", lang)] if illustrative else [],
        footer=footer(lang),
    )


def record_html(acc: Acceptance, town: str, *, lang: str = "zh", illustrative: bool = False) -> str:
    """The acceptance record of one town, one page."""
    from townplan_gis.deliverables.programme.book import footer

    sections = record_sections(acc, town, lang)
    title = sections[0].pop("heading")
    return page_html(
        title=title,
        sections=sections,
        lang=lang,
        subtitle=_subtitle(acc, lang),
        notes=[heading("illustrative", lang)] if illustrative else [],
        footer=footer(lang),
    )


def _county(acc: Acceptance, lang: str) -> str:
    return "、".join(acc.county["town"]) if lang == "zh" else ", ".join(acc.county["town"])


def acceptance_sheets(acc: Acceptance, lang: str = "zh") -> list[tuple[str, Tab]]:
    """(sheet name, table): the county table, the fund, and one record sheet per town."""
    f = acc.fund
    amounts = Tab(
        pd.DataFrame(
            {
                "item": [
                    heading(k, lang, pct=f"{float(f['office_share_pct']):g}")
                    for k in ("fund_total", "office", "distributable", "allocated", "unallocated")
                ],
                "amount_wan_yuan": [
                    float(f[k])
                    for k in (
                        "fund_wan_yuan",
                        "office_wan_yuan",
                        "distributable_wan_yuan",
                        "allocated_wan_yuan",
                        "unallocated_wan_yuan",
                    )
                ],
            }
        ),
        [("item", "text"), ("amount_wan_yuan", "money")],
    )
    out = [(sheet("county", lang), county_tab(acc, lang)), (sheet("fund", lang), amounts)]
    for town in acc.county["town"]:
        out.append((f"{sheet('record', lang)}-{town}"[:31], record_tab(acc, town, lang)))
    return out
