"""The town report: one self-contained HTML file a planner can mail, open offline and print on A4.

Sections: town summary (areas, population, layers, data sources, repairs), the scorecard against a
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
from townplan_gis.deliverables.pages import css, template, version
from townplan_gis.deliverables.sections import (
    indicators_section,
    method_section,
    review_section,
    scorecard_section,
    standard_info,
    summary_section,
)

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

    Returns
    -------
    str
        The HTML page.
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"report: lang must be 'zh' or 'en', got {lang!r}.")
    generated = generated_at().isoformat(timespec="seconds")
    std = standard_info(standard, scorecard)
    L = {k: text(k, lang, town=town.name) for k in (
        "summary", "scorecard", "charts", "review", "map", "method", "appendix", "layers", "sources",
        "repairs", "projects", "conflicts", "no_standard", "no_review", "no_map", "no_conflicts",
        "illustrative", "generated", "standard")}  # fmt: skip
    zh = lang == "zh"
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
    ctx: dict[str, Any] = {
        "lang": lang,
        "css": Markup(css()),
        "title": title or text("report_title", lang, town=town.name),
        "generated": generated,
        "version": version(),
        "standard_name": std.get("name", ""),
        "L": L,
        "toc": [
            (k, L[k])
            for k in ("summary", "scorecard", "charts", "review", "map", "method", "appendix")
        ],
        "map_srcdoc": map_html,
        "method": method_section(town, std, review, lang, generated),
        **summary_section(town, lang, indicators),
        **scorecard_section(scorecard, lang),
        **review_section(review, lang, max_rows),
        **indicators_section(indicators, lang),
    }
    return template("report.html.j2").render(**ctx)
