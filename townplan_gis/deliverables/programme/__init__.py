"""The construction programme's deliverables: the programme summary, the weekly progress report (周报),
the acceptance table and records (验收记录, also as .docx), and the town before and after (a synchronised
offline map, tables, and a per-project atlas). Chinese by default (``lang="zh"``: labels from
``data/vocab.toml``, full-width punctuation, Chinese dates); every figure is the computation's
(:mod:`townplan_gis.construction`), nothing is recomputed.

>>> import townplan_gis as tp
>>> p = tp.programme(tp.sample_town(), as_of="2017-11-06")
>>> files = tp.write_programme(p, "out")  # doctest: +SKIP
>>> sorted(files)  # doctest: +SKIP
['html', 'workbook']

Modules: :mod:`.summary` (the programme), :mod:`.weekly` (周报), :mod:`.acceptance` and
:mod:`.record_docx` (验收), :mod:`.comparison` and :mod:`.atlas` (before/after; the map is
:mod:`townplan_gis.maps.compare_map`), :mod:`.render` (one table as page, sheet and document),
:mod:`.book` (workbooks), :mod:`.words` (labels, dates, punctuation).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from townplan_gis.core.errors import TownPlanError
from townplan_gis.deliverables.pages import write_page
from townplan_gis.deliverables.programme.acceptance import (
    acceptance_html,
    acceptance_sheets,
    record_html,
)
from townplan_gis.deliverables.programme.atlas import atlas_html
from townplan_gis.deliverables.programme.book import footer, write_book
from townplan_gis.deliverables.programme.comparison import comparison_sections, comparison_sheets
from townplan_gis.deliverables.programme.record_docx import record_docx
from townplan_gis.deliverables.programme.render import page_html
from townplan_gis.deliverables.programme.summary import programme_html, programme_sheets
from townplan_gis.deliverables.programme.weekly import weekly_html, weekly_sheets
from townplan_gis.deliverables.programme.words import cdate, heading
from townplan_gis.maps.compare_map import save_compare_map

__all__ = [
    "acceptance_html",
    "atlas_html",
    "programme_html",
    "record_docx",
    "record_html",
    "weekly_html",
    "write_acceptance",
    "write_comparison",
    "write_programme",
    "write_progress",
]


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise TownPlanError(f"lang must be 'zh' or 'en', got {lang!r}.")
    return lang


def _method(lang: str, items: list[tuple[str, str, Any]]) -> list[tuple[str, Any]]:
    return [(zh if lang == "zh" else en, v) for zh, en, v in items]


def write_programme(
    programme: Any, out: str | Path, *, lang: str = "zh", illustrative: bool = False
) -> dict[str, Path]:
    """Write the programme summary: ``programme.html`` and ``programme.xlsx`` into ``out``.

    Parameters
    ----------
    programme : Programme
        From :func:`townplan_gis.programme`.
    out : str or Path
        A folder (created if missing).
    lang : {"zh", "en"}
    illustrative : bool
        Say on the page that the figures are illustrative (the sample towns).

    Returns
    -------
    dict
        ``{"html": path, "workbook": path}``.
    """
    _lang(lang)
    out = Path(out)
    html = write_page(
        programme_html(programme, lang=lang, illustrative=illustrative), out / "programme.html"
    )
    as_of = cdate(programme.as_of, lang) if programme.as_of is not None else "—"
    facts = _method(
        lang,
        [
            ("镇", "town", programme.town or ""),
            ("核查日期", "as of", as_of),
            ("规则文件", "rule file", programme.rules),
        ],
    )
    book = write_book(
        out / "programme.xlsx", programme_sheets(programme, lang), lang=lang, facts=facts
    )
    return {"html": html, "workbook": book}


def write_progress(
    progress: Any,
    out: str | Path,
    *,
    date: Any = None,
    lang: str = "zh",
    illustrative: bool = False,
) -> dict[str, Path]:
    """Write the 周报 of ``date`` (default the latest snapshot): ``weekly.html``, ``weekly.xlsx``.

    Parameters
    ----------
    progress : Progress
        From :func:`townplan_gis.progress`.
    out : str or Path
        A folder (created if missing).
    date : date-like, optional
        One of the snapshot dates.
    lang : {"zh", "en"}
    illustrative : bool
        Say on the page that the figures are illustrative.

    Returns
    -------
    dict
        ``{"html": path, "workbook": path}``.
    """
    _lang(lang)
    out = Path(out)
    html = write_page(
        weekly_html(progress, date=date, lang=lang, illustrative=illustrative), out / "weekly.html"
    )
    dates = (
        "、".join(cdate(d, lang) for d in progress.dates)
        if lang == "zh"
        else ", ".join(cdate(d, lang) for d in progress.dates)
    )
    facts = _method(lang, [("镇", "town", progress.town or ""), ("填报日期", "snapshots", dates)])
    book = write_book(
        out / "weekly.xlsx", weekly_sheets(progress, date, lang), lang=lang, facts=facts
    )
    return {"html": html, "workbook": book}


def _safe_name(name: str) -> str:
    """A town's name as a file name (path separators and reserved characters replaced)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "town"


def write_acceptance(
    acceptance: Any,
    out: str | Path,
    *,
    county: str = "",
    lang: str = "zh",
    docx: bool = True,
    illustrative: bool = False,
) -> dict[str, Path]:
    """Write the acceptance: ``acceptance.html`` (county table, fund, every record),
    ``acceptance.xlsx``, and per town ``records/<town>.html`` and ``records/<town>.docx``.

    Parameters
    ----------
    acceptance : Acceptance
        From :func:`townplan_gis.acceptance`.
    out : str or Path
        A folder (created if missing).
    county : str
        The county's name for the title (default the towns' names).
    lang : {"zh", "en"}
    docx : bool, default True
        Also write each record as a Word document.
    illustrative : bool
        Say on the pages that the figures are illustrative.

    Returns
    -------
    dict
        ``{"html": …, "workbook": …, "record:<town>": …, "docx:<town>": …}``.
    """
    _lang(lang)
    out = Path(out)
    files = {
        "html": write_page(
            acceptance_html(acceptance, county=county, lang=lang, illustrative=illustrative),
            out / "acceptance.html",
        )
    }
    facts = _method(
        lang,
        [
            ("考核标准", "standard", acceptance.standard),
            ("分配规则", "allocation", acceptance.allocation.name),
            ("规则文件", "rule file", acceptance.rules),
        ],
    )
    files["workbook"] = write_book(
        out / "acceptance.xlsx", acceptance_sheets(acceptance, lang), lang=lang, facts=facts
    )
    for town in acceptance.county["town"]:
        stem = _safe_name(str(town))
        files[f"record:{town}"] = write_page(
            record_html(acceptance, town, lang=lang, illustrative=illustrative),
            out / "records" / f"{stem}.html",
        )
        if docx:
            files[f"docx:{town}"] = record_docx(
                acceptance, town, out / "records" / f"{stem}.docx", lang=lang
            )
    return files


def write_comparison(
    comparison: Any,
    out: str | Path,
    *,
    lang: str = "zh",
    atlas: bool = True,
    town: str = "",
    illustrative: bool = False,
) -> dict[str, Path]:
    """Write the town before and after: ``compare_map.html`` (two synchronised offline maps),
    ``compare.html`` (features, indicators, growth targets), ``compare.xlsx`` and, with ``atlas``,
    ``atlas.html`` (one page per project).

    Parameters
    ----------
    comparison : Comparison
        From :func:`townplan_gis.compare`.
    out : str or Path
        A folder (created if missing).
    lang : {"zh", "en"}
    atlas : bool, default True
        Also write the per-project atlas (a second or two per project).
    town : str
        The town's name for the titles (default the newer vintage's label).
    illustrative : bool
        Say on the pages that the figures are illustrative.

    Returns
    -------
    dict
        ``{"map": …, "html": …, "workbook": …, "atlas": …}``.
    """
    _lang(lang)
    out = Path(out)
    name = town or comparison.after
    title = heading("compare_title", lang, town=name)
    files = {
        "map": save_compare_map(
            comparison,
            out / "compare_map.html",
            lang=lang,
            title=title,
            note=heading("map_note", lang),
        )
    }
    notes = [heading("illustrative", lang)] if illustrative else []
    page = page_html(
        title=title,
        sections=comparison_sections(comparison, lang),
        lang=lang,
        subtitle=[f"{comparison.before} → {comparison.after}"],
        notes=notes,
        footer=footer(lang),
    )
    files["html"] = write_page(page, out / "compare.html")
    facts = _method(
        lang, [("实施前", "before", comparison.before), ("实施后", "after", comparison.after)]
    )
    files["workbook"] = write_book(
        out / "compare.xlsx", comparison_sheets(comparison, lang), lang=lang, facts=facts
    )
    if atlas:
        files["atlas"] = write_page(
            atlas_html(comparison, lang=lang, town=name, illustrative=illustrative),
            out / "atlas.html",
        )
    return files
