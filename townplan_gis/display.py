"""Show deliverables inside Jupyter without a network: maps, reports and opinions as inline pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from townplan_gis.core.reprs import InlinePage

__all__ = ["show_html"]


def show_html(obj: Any, *, height: int = 520) -> InlinePage:
    """Display an HTML page (a report, an opinion) or a map inline in a notebook, offline.

    A map, a Town, a Review, a scorecard and a Pipeline display themselves; this is for pages, and for
    a map at another height.

    Parameters
    ----------
    obj : folium.Map, str or Path
        The HTML text of a page (from :func:`townplan_gis.report`, ``Pipeline.write_report()`` or
        :func:`townplan_gis.project_opinion` without ``path``), the path of an ``.html`` file, or a
        map from :func:`townplan_gis.plan_map` (rendered with every asset inlined).
    height : int, default 520
        Height of the frame in pixels.

    Returns
    -------
    InlinePage
        Shown by Jupyter as an ``<iframe srcdoc>``; folium's own display loads Leaflet from CDNs and is
        blank on an intranet without internet.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> tp.show_html(tp.plan_map(tp.sample_town(), basemap="none"))  # doctest: +SKIP
    """
    if hasattr(obj, "get_root"):
        from townplan_gis.maps import render_html

        return InlinePage(render_html(obj, offline=True), height=height)
    if isinstance(obj, Path) or (isinstance(obj, str) and obj.endswith(".html") and "<" not in obj):
        return InlinePage(Path(obj).read_text(encoding="utf-8"), height=height)
    return InlinePage(str(obj), height=height)
