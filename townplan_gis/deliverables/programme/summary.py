"""The programme summary: investment by item, type, source and stage, and the finance office's checks
(the commercial street's 2,700 万元 declared against 2,118 万元 in its works), as a page and sheets.

Every figure is :func:`townplan_gis.construction.programme`'s; nothing is recomputed here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from townplan_gis.construction import Programme
from townplan_gis.construction.findings import CHECKS
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

__all__ = ["programme_html", "programme_tabs"]

_FILL = {"error": "fail", "warning": "review"}
_ITEM_FILL = {"balanced": "pass", "no_item": None, "no_declared_total": "review"}


def _text(values: pd.Series, lang: str) -> pd.Series:
    return values.map(zh) if lang == "zh" else values.map(lambda v: "" if pd.isna(v) else str(v))


def programme_tabs(p: Programme, lang: str = "zh") -> dict[str, Tab]:
    """The summary's tables: ``by_item, by_type, by_source, by_stage, checks, findings, projects``."""
    none = "(未归入工程)" if lang == "zh" else "(no item)"
    item = p.by_item.assign(
        programme_item=p.by_item["programme_item"].map(lambda v: none if pd.isna(v) else v),
        item_status=p.by_item["status"].map(lambda s: value_label("item_status", s, lang)),
    )
    item_fill = [_ITEM_FILL.get(s, "fail") for s in p.by_item["status"]]
    by_type = p.by_type.assign(
        project_type=p.by_type["project_type"].map(
            lambda v: "(未填)" if pd.isna(v) else value_label("project_type", v, lang)
        )
    )
    src = p.by_source.assign(
        source=p.by_source["label_zh" if lang == "zh" else "label_en"],
        matching=p.by_source["matching"].map(
            lambda m: ("是" if m else "否") if lang == "zh" else ("yes" if m else "no")
        ),
    )
    stage = p.by_stage.assign(
        stage=p.by_stage["label_zh"] if lang == "zh" else p.by_stage["stage"].fillna("(none)")
    )
    checks = p.checks.assign(
        check=p.checks["check"].map(lambda c: CHECKS[c][0 if lang == "zh" else 1]),
        check_status=p.checks["status"].map(lambda s: value_label("check_done", s, lang)),
        detail=[_check_note(r, p, lang) for r in p.checks.itertuples(index=False)],
    )
    f = p.findings
    findings = f.assign(
        check=f["check"].map(lambda c: CHECKS[c][0 if lang == "zh" else 1]),
        level=f["level"].map(lambda v: value_label("finding_level", v, lang)),
        detail=_text(f["detail_zh"], lang) if lang == "zh" else f["detail"],
    )
    t = p.projects
    projects = pd.DataFrame(
        {
            "project_id": t["project_id"],
            "name": t["name"],
            "project_type": t["project_type"].map(lambda v: value_label("project_type", v, lang)),
            "programme_item": t["programme_item"],
            "investment_wan_yuan": t["investment_wan_yuan"],
            "funding_self_raised_wan_yuan": t["funding_self_raised_wan_yuan"],
            "funding_subsidy_wan_yuan": t["funding_subsidy_wan_yuan"],
            "funding_town_gov_wan_yuan": t["funding_town_gov_wan_yuan"],
            "stage": t["stage_zh"] if lang == "zh" else t["stage"],
            "start_date": t["start_date"],
            "deadline": t["deadline"],
            "completion_pct": t["completion_pct"],
            "completed_investment_wan_yuan": t["completed_investment_wan_yuan"],
        }
    )
    from townplan_gis.core.vocab import field_label

    fund_headers = {
        c: field_label(c, lang)
        for c in (
            "funding_self_raised_wan_yuan",
            "funding_subsidy_wan_yuan",
            "funding_town_gov_wan_yuan",
            "start_date",
        )
    }
    money_cols = ["investment_wan_yuan", "completed_investment_wan_yuan"]
    return {
        "by_item": Tab(
            item,
            [
                ("programme_item", "text"),
                ("declared_total_wan_yuan", "money"),
                ("n_projects", "int"),
                ("works_total_wan_yuan", "money"),
                ("gap_wan_yuan", "money"),
                ("item_status", "tag"),
                ("completed_investment_wan_yuan", "money"),
            ],
            fill=item_fill,
        ),
        "by_type": Tab(
            by_type,
            [
                ("project_type", "text"),
                ("n_projects", "int"),
                ("n_completed", "int"),
                *[(c, "money") for c in money_cols],
            ],
        ),
        "by_source": Tab(
            src,
            [
                ("source", "text"),
                ("amount_wan_yuan", "money"),
                ("share_pct", "pct"),
                ("n_projects", "int"),
                ("matching", "tag"),
            ],
        ),
        "by_stage": Tab(
            stage,
            [
                ("stage", "text"),
                ("n_projects", "int"),
                ("n_completed", "int"),
                *[(c, "money") for c in money_cols],
            ],
        ),
        "checks": Tab(
            checks,
            [
                ("check", "text"),
                ("check_status", "tag"),
                ("n_checked", "int"),
                ("n_findings", "int"),
                ("detail", "text"),
            ],
            fill=["review" if s != "checked" else None for s in p.checks["status"]],
        ),
        "findings": Tab(
            findings,
            [
                ("check", "text"),
                ("level", "tag"),
                ("project_id", "text"),
                ("amount_wan_yuan", "money"),
                ("days", "int"),
                ("detail", "text"),
            ],
            fill=[_FILL.get(v) for v in f["level"]],
            empty=heading("no_findings", lang),
        ),
        "projects": Tab(
            projects,
            [
                ("project_id", "text"),
                ("name", "text"),
                ("project_type", "text"),
                ("programme_item", "text"),
                ("investment_wan_yuan", "money"),
                ("funding_self_raised_wan_yuan", "money"),
                ("funding_subsidy_wan_yuan", "money"),
                ("funding_town_gov_wan_yuan", "money"),
                ("stage", "text"),
                ("start_date", "date"),
                ("deadline", "date"),
                ("completion_pct", "pct"),
                ("completed_investment_wan_yuan", "money"),
            ],
            headers=fund_headers,
        ),
    }


def _check_note(r: Any, p: Programme, lang: str) -> str:
    """What a check looked at, in the output's language (the computed note is English)."""
    if lang != "zh":
        return str(r.note)
    if r.status != "checked":
        return heading("no_as_of", lang) if r.check == "deadlines" else "未核查"
    if r.check == "deadlines":
        return f"截至{cdate(p.as_of, lang)}"
    if r.check == "funding":
        return "资金来源：" + "、".join(p.by_source["label_zh"])
    return ""


def totals_facts(p: Programme, lang: str = "zh") -> list[tuple[str, str]]:
    """The totals as (label, text) rows: investment, each source, unfunded, completed, counts."""
    t = p.totals
    w = heading("wan_yuan", lang)
    rows = [(_col("investment_wan_yuan", lang), f"{money(t['investment_wan_yuan'])} {w}")]
    for r in p.by_source.itertuples(index=False):
        rows.append((r.label_zh if lang == "zh" else r.label_en, f"{money(r.amount_wan_yuan)} {w}"))
    done = t["completed_investment_wan_yuan"]
    share = 100 * done / t["investment_wan_yuan"] if t["investment_wan_yuan"] > 0 else float("nan")
    if lang == "zh":
        rows += [
            ("资金未落实", f"{money(t['unfunded_wan_yuan'])} {w}"),
            ("已完成投资", f"{money(done)} {w}（{share:.1f}%）"),
            ("项目", f"{num(t['n_projects'])}个，已完工{num(t['n_completed'])}个"),
        ]
    else:
        rows += [
            ("Unfunded", f"{money(t['unfunded_wan_yuan'])} {w}"),
            ("Investment completed", f"{money(done)} {w} ({share:.1f} %)"),
            ("Projects", f"{num(t['n_projects'])}, {num(t['n_completed'])} completed"),
        ]
    return rows


def _col(key: str, lang: str) -> str:
    from townplan_gis.deliverables.programme.words import col

    return col(key, lang)


def programme_html(p: Programme, *, lang: str = "zh", illustrative: bool = False) -> str:
    """The programme summary as one self-contained page."""
    from townplan_gis.deliverables.programme.book import footer

    tabs = programme_tabs(p, lang)
    town = p.town or ("(项目表)" if lang == "zh" else "(projects)")
    sub = [
        heading("as_of", lang, date=cdate(p.as_of, lang))
        if p.as_of is not None
        else heading("no_as_of", lang)
    ]
    notes = [heading("illustrative", lang)] if illustrative else []
    order = ["by_item", "by_type", "by_source", "by_stage", "checks", "findings"]
    sections: list[dict[str, Any]] = [
        {"heading": heading("totals", lang), "facts": totals_facts(p, lang)}
    ]
    sections += [{"heading": heading(k, lang), "tables": [tabs[k].html(lang)]} for k in order]
    return page_html(
        title=heading("programme_title", lang, town=town),
        sections=sections,
        lang=lang,
        subtitle=sub,
        notes=notes,
        footer=footer(lang),
    )


def programme_sheets(p: Programme, lang: str = "zh") -> list[tuple[str, Tab]]:
    """(sheet name, table) for the programme's workbook, in order."""
    tabs = programme_tabs(p, lang)
    return [
        (sheet(k, lang), tabs[k])
        for k in ("by_item", "by_type", "by_source", "by_stage", "checks", "findings", "projects")
    ]
