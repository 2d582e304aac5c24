"""The review opinion (审查意见书) of one project: the issuing office and document number, the project
(applicant, name, location in CGCS2000, site area in m² and 亩), the conclusion in the words offices
use (符合 / 需补充审查 / 不符合), each finding with its clause and required procedure, the data and rules
checked, a location map with scale bar and north arrow, and the sign-off and seal lines.

The layout is that of an official document (GB/T 9704-2012: authority in red, number as
``代字〔年〕序号号``, Chinese date, the seal over the signature and date; ``docs/sources.md#opinion-document``).
As an HTML page (here), a Word file (:mod:`.opinion_docx`) or a PDF (:mod:`.opinion_pdf`), all from
the same content (:mod:`.opinion_content`). A folder of them with an ``index.csv``:
:func:`~townplan_gis.deliverables.opinion_files.write_opinions`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import badge
from townplan_gis.deliverables.charts import png_data_uri
from townplan_gis.deliverables.opinion_content import OpinionBatch, opinion_content
from townplan_gis.deliverables.opinion_evidence import one_project
from townplan_gis.deliverables.opinion_labels import (
    check_headers,
    contact_text,
    finding_headers,
    labels,
)
from townplan_gis.deliverables.pages import css, template, write_page

__all__ = ["FORMATS", "opinion_html", "project_opinion"]

FORMATS = ("html", "docx", "pdf")


@cache
def _opinion_css() -> str:
    extra = resources.files("townplan_gis.deliverables").joinpath("templates/opinion.css")
    return css() + "\n" + extra.read_text("utf-8")


def opinion_html(content: dict[str, Any], *, generated: str) -> str:
    """The opinion as one self-contained HTML page (the map embedded as a ``data:`` URI)."""
    lang = content["lang"]
    L = labels(lang)
    if content["verdict"] == "not_checked" and not content["findings"]:
        # An incomplete check found nothing only where it looked: never a bare "no conflicts".
        L["no_findings"] = (
            "审查未完成，未发现冲突不代表没有冲突（见审查结论）。"
            if lang == "zh"
            else "The check is incomplete: no conflict found does not mean none (see the verdict)."
        )
    png = content["map_png"]
    return template("opinion.html.j2").render(
        lang=lang,
        css=Markup(_opinion_css()),
        version=content["version"],
        generated=generated,
        c=content,
        L=L,
        colon="：" if lang == "zh" else ": ",
        verdict_badge=Markup(badge("verdict", content["verdict"], lang)),
        headers=finding_headers(lang),
        check_headers=check_headers(lang),
        map_uri=png_data_uri(png) if png else None,
        contact=contact_text(content["office"], lang),
    )


def project_opinion(
    review: Any,
    project_id: str,
    *,
    town: Any = None,
    lang: str = "zh",
    path: str | Path | None = None,
    title: str | None = None,
    position: int | None = None,
    office: Any = None,
    format: str = "html",
) -> Path | str | bytes:
    """The review opinion (审查意见书) of one project, as HTML, Word or PDF.

    Parameters
    ----------
    review : Review
        From :func:`townplan_gis.review`.
    project_id : str
        The project's ``project_id``.
    town : Town, optional
        Names the town, gives the applicant (column ``applicant``), investment and status, the
        nearby control lines of the map, and its ``[metadata.office]``.
    lang : {"zh", "en"}, default "zh"
    path : str or Path, optional
        Write the file here and return the path; without it the HTML text (or the bytes of the
        ``.docx`` or ``.pdf``) is returned.
    title : str, optional
        Document title (default 建设项目五线审查意见书).
    position : int, optional
        Position (0-based) of the project in ``review.projects``; required when several projects
        share ``project_id`` (their conflicts are then attributed by location and the page says so).
    office : Office, dict, str or Path, optional
        The issuing office (:func:`~townplan_gis.deliverables.opinion_office.load_office`); default
        the town's, else the packaged placeholder, which the opinion flags in red.
    format : {"html", "docx", "pdf"}, default "html"
        The PDF is the HTML printed by headless Chromium (``chromium --print-to-pdf``).

    Returns
    -------
    Path, str or bytes

    Raises
    ------
    TownPlanError
        No project has ``project_id``, several do and ``position`` is not given, or an unknown
        ``lang`` or ``format``.

    Notes
    -----
    The conclusion: 不符合 when a counted finding is forbidden (verdict ``reject``), 需补充审查 when one
    needs a procedure, the check is incomplete or the data invalid, 符合 only for a pass whose five
    line types were all checked (``review.checks``). Ignored slivers are listed greyed, never counted.
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"project_opinion: lang must be 'zh' or 'en', got {lang!r}.")
    if format not in FORMATS:
        raise TownPlanError(f"project_opinion: format must be one of {FORMATS}, got {format!r}.")
    _, _, position = one_project(review, project_id, position)
    batch = OpinionBatch(review, town=town, office=office, lang=lang)
    content = opinion_content(batch, position)
    if title:
        content["title"] = title
    if format == "docx":
        from townplan_gis.deliverables.opinion_docx import opinion_docx

        data = opinion_docx(content)
        return data if path is None else _write_bytes(data, path)
    page = opinion_html(content, generated=batch.when.isoformat(timespec="seconds"))
    if format == "pdf":
        from townplan_gis.deliverables.opinion_pdf import html_to_pdf

        data = html_to_pdf([page])[0]
        return data if path is None else _write_bytes(data, path)
    return page if path is None else write_page(page, path)


def _write_bytes(data: bytes, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
