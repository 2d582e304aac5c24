"""The weekly progress report (周报) of one snapshot date: this period's figures, every report so far,
what moved since the previous report, and what is late. Every figure is
:func:`townplan_gis.construction.progress`'s.
"""

from __future__ import annotations

from typing import Any

from townplan_gis.construction import Progress
from townplan_gis.deliverables.programme.render import Tab, page_html
from townplan_gis.deliverables.programme.words import (
    cdate,
    heading,
    missing,
    money,
    num,
    pct,
    sheet,
    value_label,
)

__all__ = ["weekly_html", "weekly_sheets", "weekly_tabs"]


def weekly_tabs(pr: Progress, date: Any = None, lang: str = "zh") -> dict[str, Tab]:
    """The 周报's tables for ``date`` (default the latest): ``weekly`` (every report), ``moved``,
    ``late``."""
    rep = pr.report(date)
    weekly = pr.weekly.copy()
    moved = rep["moved"].assign(
        change=rep["moved"]["change"].map(lambda c: value_label("progress_change", c, lang)),
        stage_to=rep["moved"]["stage_to"].map(lambda s: _stage(s, lang)),
    )
    late = rep["late"].assign(
        why=rep["late"]["why"].map(lambda w: value_label("late_why", w, lang))
    )
    return {
        "weekly": Tab(
            weekly,
            [
                ("date", "date"),
                ("n_projects", "int"),
                ("n_completed", "int"),
                ("n_overdue", "int"),
                ("n_behind_schedule", "int"),
                ("investment_wan_yuan", "money"),
                ("completed_investment_wan_yuan", "money"),
                ("completed_investment_pct", "pct"),
                ("completed_investment_added_wan_yuan", "money"),
                ("n_moved", "int"),
            ],
        ),
        "moved": Tab(
            moved,
            [
                ("project_id", "text"),
                ("name", "text"),
                ("change", "tag"),
                ("completion_from", "pct"),
                ("completion_to", "pct"),
                ("delta_points", "num"),
                ("stage_to", "tag"),
                ("completed_investment_added_wan_yuan", "money"),
            ],
            fill=[
                "pass" if c == "completed" else ("fail" if c == "regressed" else None)
                for c in rep["moved"]["change"]
            ],
            empty=heading("nothing_moved", lang),
        ),
        "late": Tab(
            late,
            [
                ("project_id", "text"),
                ("name", "text"),
                ("why", "tag"),
                ("deadline", "date"),
                ("days_overdue", "int"),
                ("completion_pct", "pct"),
                ("expected_pct", "pct"),
            ],
            fill=["fail" if w == "overdue" else "review" for w in rep["late"]["why"]],
            empty=heading("nothing_late", lang),
        ),
    }


def _stage(code: Any, lang: str) -> str:
    from townplan_gis.construction import load_programme_rules

    if missing(code):
        return "—"
    labels = {s.code: (s.label_zh, s.label_en) for s in load_programme_rules().stages}
    pair = labels.get(code)
    return str(code) if pair is None else pair[0 if lang == "zh" else 1]


def summary_facts(pr: Progress, date: Any = None, lang: str = "zh") -> list[tuple[str, str]]:
    """This period's figures as (label, text) rows."""
    s = pr.report(date)["summary"].iloc[0]
    w = heading("wan_yuan", lang)
    added = s["completed_investment_added_wan_yuan"]
    first = missing(added)
    if lang == "zh":
        return [
            ("项目", f"{num(s['n_projects'])}个，已完工{num(s['n_completed'])}个"),
            ("逾期未完工", f"{num(s['n_overdue'])}个"),
            ("进度滞后", f"{num(s['n_behind_schedule'])}个"),
            ("总投资", f"{money(s['investment_wan_yuan'])} {w}"),
            (
                "已完成投资",
                f"{money(s['completed_investment_wan_yuan'])} {w}"
                f"（{pct(s['completed_investment_pct'])}%）",
            ),
            ("本期新增完成投资", heading("first_report", lang) if first else f"{money(added)} {w}"),
            ("本期有进展项目", "—" if first else f"{num(s['n_moved'])}个"),
        ]
    return [
        ("Projects", f"{num(s['n_projects'])}, {num(s['n_completed'])} completed"),
        ("Overdue", num(s["n_overdue"])),
        ("Behind schedule", num(s["n_behind_schedule"])),
        ("Investment", f"{money(s['investment_wan_yuan'])} {w}"),
        (
            "Investment completed",
            f"{money(s['completed_investment_wan_yuan'])} {w} "
            f"({pct(s['completed_investment_pct'])} %)",
        ),
        (
            "Completed this period",
            heading("first_report", lang) if first else f"{money(added)} {w}",
        ),
        ("Projects that moved", "—" if first else num(s["n_moved"])),
    ]


def weekly_html(
    pr: Progress, *, date: Any = None, lang: str = "zh", illustrative: bool = False
) -> str:
    """The 周报 of ``date`` (default the latest snapshot) as one self-contained page."""
    from townplan_gis.construction.table import parse_date
    from townplan_gis.deliverables.programme.book import footer

    when = pr.dates[-1] if date is None else parse_date(date, what="report date")
    tabs = weekly_tabs(pr, when, lang)
    i = pr.dates.index(when) if when in pr.dates else len(pr.dates) - 1
    town = pr.town or ("(项目表)" if lang == "zh" else "(projects)")
    if lang == "zh":
        period = f"第{i + 1}期，填报日期{cdate(when, lang)}"
        if i > 0:
            period += f"（上期{cdate(pr.dates[i - 1], lang)}）"
    else:
        period = f"report {i + 1}, {cdate(when, lang)}"
        if i > 0:
            period += f" (previous {cdate(pr.dates[i - 1], lang)})"
    sections: list[dict[str, Any]] = [
        {"heading": heading("weekly_summary", lang), "facts": summary_facts(pr, when, lang)},
        {
            "heading": heading("weekly_moved", lang),
            "tables": [tabs["moved"].html(lang)] if i > 0 else [],
            "paragraphs": [] if i > 0 else [heading("first_report", lang)],
        },
        {"heading": heading("weekly_late", lang), "tables": [tabs["late"].html(lang)]},
        {"heading": heading("weekly_history", lang), "tables": [tabs["weekly"].html(lang)]},
    ]
    return page_html(
        title=heading("weekly_title", lang, town=town),
        sections=sections,
        lang=lang,
        subtitle=[period],
        notes=[heading("illustrative", lang)] if illustrative else [],
        footer=footer(lang),
    )


def weekly_sheets(pr: Progress, date: Any = None, lang: str = "zh") -> list[tuple[str, Tab]]:
    """(sheet name, table) of the 周报: summary of every report, what moved, what is late."""
    tabs = weekly_tabs(pr, date, lang)
    return [(sheet(k, lang), tabs[k]) for k in ("weekly", "moved", "late")]
