"""The one-call forms over :class:`~townplan_gis.pipeline.job.Pipeline`: :func:`report`."""

from __future__ import annotations

import logging
from pathlib import Path

import folium
import pandas as pd

from townplan_gis.core.town import Town
from townplan_gis.fiveline import Review
from townplan_gis.pipeline.job import Pipeline
from townplan_gis.standards import Standard

__all__ = ["report"]

log = logging.getLogger(__name__)


def report(
    town: Town,
    *,
    standard: str | Path | Standard | None = None,
    review: Review | bool | None = None,
    lang: str = "zh",
    path: str | Path | None = None,
    scorecard: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    map: bool | folium.Map = True,
    basemap: str | None = "none",
    title: str | None = None,
    max_rows: int = 500,
    progress: bool | None = None,
) -> Path | str:
    """Town report as one self-contained, printable HTML file: ``Pipeline(...).write_report(...)``.

    Parameters
    ----------
    town : Town
        The town reported on.
    standard : str or path or Standard, optional
        Standard to assess against (``"ezhou-2017"``, a TOML file …). Without it (and without
        ``scorecard``) the report lists the indicators only.
    review : Review or bool, optional
        A review already made (from :func:`townplan_gis.review`, never redone); ``True`` reviews the
        town (a warning, and no review section, when it has no projects or control lines);
        None/False leaves the review section out.
    lang : {"zh", "en"}, default "zh"
        Language of headings, labels and chart titles.
    path : str or Path, optional
        Write the page here and return the path; without it the HTML text is returned.
    scorecard, indicators : DataFrame, optional
        Results already computed, used as they are (never recomputed).
    map : bool or folium.Map, default True
        Embed the offline plan map (with the review drawn, when there is one); a map from
        :func:`townplan_gis.plan_map` is embedded as it is.
    basemap : str, default "none"
        Basemap of the embedded map; the default draws no tiles, so the report never touches a network.
    title : str, optional
        Page title (default "<town> 小城镇建设评估报告").
    max_rows : int, default 500
        Rows shown in the project and conflict tables (worst first); the rest are counted in a note
        and are all in the workbook (:func:`townplan_gis.to_excel`).
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
    reviewable = isinstance(town, Town) and town.has("projects") and town.has("control_lines")
    if review is True and not reviewable:
        log.warning(
            "report: town '%s' has no projects or control lines; no review section", town.name
        )
        review = False
    job = Pipeline(
        town,
        standard=standard,
        review=review if review is not None else False,
        scorecard=scorecard,
        indicators=indicators,
        lang=lang,
        progress=progress,
    )
    return job.write_report(path, map=map, basemap=basemap, title=title, max_rows=max_rows)
