"""The town report: one self-contained HTML file a planner can mail, open offline and print on A4.

Front matter (:mod:`.cover`): a cover (title, town, the standard used and where it applies, issuing
office, date), the overall conclusion and score, and the problem list (整改清单). Sections: town summary (areas, population, layers, data sources, repairs), the scorecard against a
standard, a chart of each indicator against its target, the five-control-line review (verdict per
project, conflict table), the plan map, the method (CRS, tolerances, rule and standard files, version,
date) and, as an appendix, every indicator. Images are ``data:`` URIs and the map is the offline map page
inside an ``<iframe srcdoc>``, so nothing is fetched from a network. Every user string is HTML-escaped by
the template engine (Jinja2 autoescape).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from townplan_gis.core.clock import generated_at
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.vocab import col, text
from townplan_gis.deliverables.analysis_report import analysis_sections, analysis_toc
from townplan_gis.deliverables.cover import conclusion, cover, problem_list, standard_info
from townplan_gis.deliverables.pages import css, template, version
from townplan_gis.deliverables.sections import (
    indicators_section,
    method_section,
    review_section,
    scorecard_section,
    summary_section,
)
from townplan_gis.deliverables.wording import date_text, zh_punct

__all__ = ["build_report"]


def build_report(
    town: Any,
    *,
    scorecard: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    review: Any = None,
    map_html: str | None = None,
    standard: Any = None,
    lang: str = "zh",
    title: str | None = None,
    max_rows: int = 500,
    office: str | None = None,
    line_check: Any = None,
    coverage: Any = None,
    life_circles: Any = None,
) -> str:
    """Render the report page from the products already computed: the scorecard, indicators, review
    and the map's offline page (``map_html``). Nothing is computed here: :class:`townplan_gis.Pipeline`
    (and :func:`townplan_gis.report`, its one-call form) computes each product once and passes it in.

    Parameters
    ----------
    town : Town
        The town (its name, layers, metadata and repairs fill the summary).
    scorecard, indicators : DataFrame, optional
        From :func:`townplan_gis.assess` and :func:`townplan_gis.town_indicators`; a missing one
        leaves its section saying so.
    review : Review, optional
        From :func:`townplan_gis.review`; None leaves the review section out.
    map_html : str, optional
        The offline page of the plan map (:func:`townplan_gis.maps.render_html`), embedded in an
        ``<iframe srcdoc>``.
    standard : Standard, optional
        Named in the method section (else the scorecard's ``attrs`` name it).
    lang : {"zh", "en"}, default "zh"
    title : str, optional
        Page title (default "<town> 小城镇建设评估报告").
    max_rows : int, default 500
        Rows shown in the project and conflict tables (worst first); the rest are counted in a note.
    office : str, optional
        The issuing office on the cover (default: the town's ``office`` metadata, else none).
    line_check, coverage, life_circles : optional
        From :func:`townplan_gis.check_lines`, :func:`townplan_gis.park_service_coverage` and
        :func:`townplan_gis.life_circles`: the sections 控制线自检 and 公园服务与生活圈 (after the review).

    Returns
    -------
    str
        The HTML page.
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"report: lang must be 'zh' or 'en', got {lang!r}.")
    when = generated_at()
    generated = date_text(when, lang)
    std = standard_info(standard, scorecard, lang)
    L: dict[str, Any] = {k: text(k, lang, town=town.name) for k in (
        "summary", "scorecard", "charts", "review", "map", "method", "appendix", "layers", "sources",
        "repairs", "projects", "conflicts", "no_standard", "no_review", "no_map", "no_conflicts",
        "illustrative", "generated", "standard")}  # fmt: skip
    zh = lang == "zh"
    L.update(
        conclusion="总体结论" if zh else "Overall conclusion",
        problems="整改清单" if zh else "Problems to fix",
        score="达标率" if zh else "Targets met",
        met="达标指标" if zh else "Targets met",
        no_problems="没有未达标的指标或未通过审查的项目。" if zh else "No target failed and no project was rejected.",
        problem_headers=(["序号", "类别", "问题", "现状", "要求", "差距", "责任部门", "整改期限"] if zh
                         else ["#", "Kind", "Item", "Now", "Required", "Gap", "Department", "Deadline"]),
        fill_note="责任部门与整改期限由审查单位填写。" if zh else "Department and deadline: to be filled in by the reviewing office.",
        contents="目录" if zh else "Contents",
        to_approve="另有 %d 个项目需按所列程序报批后方可实施，见“四、五线审查”。" if zh
        else "A further %d projects need the approvals listed in section 4 before they proceed.",
    )  # fmt: skip
    L["ignored_word"] = "条碎片(已忽略)" if zh else "ignored slivers"
    L["ignored_short"] = "碎片,已忽略" if zh else "sliver, ignored"
    L["basis"] = "依据条款与所需程序" if zh else "Clauses and required procedures"
    L["more"] = (
        "……另有 %d 行未列出,见 Excel 工作簿。"
        if zh
        else "… %d more rows, all in the Excel workbook."
    )
    L["clause"] = col("clause", lang)
    L["procedure"] = col("procedure", lang)
    page_title = title or text("report_title", lang, town=town.name)
    ctx: dict[str, Any] = {
        "lang": lang,
        "css": Markup(css()),
        "title": page_title,
        "cover": cover(town, title=page_title, standard=std, when=when, lang=lang, office=office),
        "conclusion": conclusion(scorecard, review, std, lang),
        "problems": problem_list(scorecard, review, lang),
        "n_to_approve": 0
        if review is None
        else int((review.projects["verdict"] == "review").sum()),
        "generated": generated,
        "generated_iso": when.isoformat(timespec="seconds"),
        "version": version(),
        "standard_name": std.get("name", ""),
        "L": L,
        "toc": [
            (k, L[k])
            for k in (
                "conclusion",
                "problems",
                "summary",
                "scorecard",
                "charts",
                "review",
            )
        ]
        + analysis_toc(line_check, coverage, life_circles, lang)
        + [(k, L[k]) for k in ("map", "method", "appendix")],
        "analyses": analysis_sections(line_check, coverage, life_circles, lang, max_rows),
        "map_srcdoc": map_html,
        "method": method_section(town, std, review, lang, generated),
        **summary_section(town, lang, indicators),
        **scorecard_section(scorecard, lang, std.get("title", "")),
        **review_section(review, lang, max_rows),
        **indicators_section(indicators, lang),
    }
    if zh:
        # Headings and sentences of a Chinese page take full-width punctuation (附录：全部指标).
        ctx["L"] = {k: zh_punct(v) if isinstance(v, str) else v for k, v in L.items()}
        ctx["toc"] = [(k, zh_punct(v)) for k, v in ctx["toc"]]
        for key in [k for k in ctx if k.endswith("_headers")]:
            ctx[key] = [zh_punct(h) for h in ctx[key]]
        if ctx.get("review"):
            ctx["review"]["check_headers"] = [zh_punct(h) for h in ctx["review"]["check_headers"]]
    return template("report.html.j2").render(**ctx)
