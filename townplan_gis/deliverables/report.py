"""The town report: one self-contained HTML file a planner can mail, open offline and print on A4.

Sections: town summary (areas, population, layers, data sources, repairs), the scorecard against a
standard, a chart of each indicator against its target, the five-control-line review (verdict per
project, conflict table), the plan map, the method (CRS, tolerances, rule and standard files, version,
date) and, as an appendix, every indicator. Images are ``data:`` URIs and the map is the offline map page
inside an ``<iframe srcdoc>``, so nothing is fetched from a network. Every user string is HTML-escaped by
the template engine (Jinja2 autoescape).
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from townplan_gis.core.clock import generated_at
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.progress import progress as bar
from townplan_gis.core.vocab import col, text
from townplan_gis.deliverables.sections import (
    _indicators,
    _method,
    _review,
    _scorecard,
    _standard_info,
    _summary,
    _version,
)
from townplan_gis.fiveline import review as run_review
from townplan_gis.indicators import town_indicators
from townplan_gis.maps import plan_map, render_html
from townplan_gis.standards import assess, load_standard

__all__ = ["build_report", "report"]

log = logging.getLogger(__name__)


@cache
def _env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("townplan_gis.deliverables", "templates"),
        autoescape=True,
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )


@cache
def css() -> str:
    """The print stylesheet shared by the report and the opinion (``templates/style.css``)."""
    return (
        resources.files("townplan_gis.deliverables")
        .joinpath("templates/style.css")
        .read_text("utf-8")
    )


def _write_page(page: str, path: str | Path) -> Path:
    """Write an HTML page as UTF-8, creating parent folders; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


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
    """Render the report page from already computed parts (no computation here; see :func:`report`)."""
    if lang not in ("zh", "en"):
        raise TownPlanError(f"report: lang must be 'zh' or 'en', got {lang!r}.")
    generated = generated_at().isoformat(timespec="seconds")
    std = _standard_info(standard, scorecard)
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
        "version": _version(),
        "standard_name": std.get("name", ""),
        "L": L,
        "toc": [
            (k, L[k])
            for k in ("summary", "scorecard", "charts", "review", "map", "method", "appendix")
        ],
        "map_srcdoc": map_html,
        "method": _method(town, std, review, lang, generated),
        **_summary(town, lang, indicators),
        **_scorecard(scorecard, lang),
        **_review(review, lang, max_rows),
        **_indicators(indicators, lang),
    }
    return _env().get_template("report.html.j2").render(**ctx)


def report(
    town: Any,
    *,
    standard: Any = None,
    review: Any = None,
    lang: str = "zh",
    path: str | Path | None = None,
    scorecard: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    map: Any = True,
    basemap: str | None = "none",
    title: str | None = None,
    max_rows: int = 500,
    progress: bool | None = None,
) -> Path | str:
    """Town report as one self-contained, printable HTML file.

    Parameters
    ----------
    town : Town
        The town reported on.
    standard : str or path or Standard, optional
        Standard to assess against (e.g. ``"ezhou-2017"``, ``"weicheng-2017"`` or a TOML file), via
        :func:`townplan_gis.assess`. Without it (and without ``scorecard``) the report lists the
        indicators only.
    review : Review or bool, optional
        A :func:`townplan_gis.fiveline` result; ``True`` reviews the town with ``tp.review(town)``
        (``review(town)``, the one review path); ``None``/``False`` leaves
        the review section out.
    lang : {"zh", "en"}, default "zh"
        Language of headings, labels and chart titles.
    path : str or Path, optional
        Write the page here and return the path; without it the HTML text is returned.
    scorecard, indicators : DataFrame, optional
        Already computed results to reuse (default: computed from ``town``).
    map : bool or folium.Map, default True
        Embed the offline plan map (with the review drawn, when there is one); pass a map from
        :func:`townplan_gis.plan_map` to embed that one instead of drawing it again.
    basemap : str, default "none"
        Basemap of the embedded map; the default draws no tiles, so the report never touches a network.
    max_rows : int, default 500
        Rows shown in the project and conflict tables (worst first); the rest are counted in a note
        and are all in the workbook (:func:`townplan_gis.to_excel`).
    title : str, optional
        Page title (default "<town> 小城镇建设评估报告").
    progress : bool, optional
        Progress bar for the steps (default ``townplan_gis.options.progress``).

    Returns
    -------
    Path or str
        The file written, or the HTML text when ``path`` is None.

    Notes
    -----
    The same inputs give the same bytes apart from the generation time (the map's element ids are
    stable); set the environment variable ``SOURCE_DATE_EPOCH`` (seconds since 1970 UTC) to stamp
    that time instead of now, and an archived report is reproduced byte for byte.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> town = tp.sample_town()
    >>> tp.report(town, standard="ezhou-2017", review=True, path="puzhou_report.html")  # doctest: +SKIP
    """

    steps = bar(total=4, desc="report", unit="step", progress=progress)
    with steps:
        if indicators is None:
            indicators = town_indicators(town)
        steps.update()
        if standard is not None:
            standard = load_standard(standard)
            if scorecard is None:
                scorecard = assess(indicators, standard)
        steps.update()
        if review is True:
            review = _town_review(town)
        elif review is False:
            review = None
        steps.update()
        map_html = None
        if map is not False and map is not None:
            m = (
                map
                if map is not True
                else plan_map(
                    town, review=review, basemap=basemap, lang=lang, collapse_layer_control=True
                )
            )
            map_html = render_html(m, offline=True)
        steps.update()
    page = build_report(
        town,
        scorecard=scorecard,
        indicators=indicators,
        review=review,
        map_html=map_html,
        standard=standard,
        lang=lang,
        title=title,
        max_rows=max_rows,
    )
    if path is None:
        return page
    path = _write_page(page, path)
    log.info("report written to %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def _town_review(town: Any) -> Any:
    """Review the town's projects against its control lines, or None (logged) when a layer is missing."""
    if not (town.has("projects") and town.has("control_lines")):
        log.warning(
            "report: town '%s' has no projects or control lines; no review section", town.name
        )
        return None

    # The one review path (Town.review, the command line): same lines, road classes, coverage.
    return run_review(town)
