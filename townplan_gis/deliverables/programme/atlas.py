"""The per-project before/after atlas (实施前后状况对比图册): one page per project, its site before and
after side by side (static figures, so the atlas prints), the project's figures and the features added,
removed and changed around it. Every change is :func:`townplan_gis.construction.compare`'s.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.vocab import layer_label
from townplan_gis.deliverables.charts import cjk_font, png_data_uri
from townplan_gis.deliverables.programme.render import Tab, page_html
from townplan_gis.deliverables.programme.words import heading, money, pct, value_label

__all__ = ["atlas_html", "project_changes"]

# Drawn under the project, in this order (areas first, then lines, then points).
_DRAW = {
    "builtup": {"facecolor": "#eaeef2", "edgecolor": "#8c959f", "linewidth": 0.6},
    "water": {"facecolor": "#b6e3ff", "edgecolor": "#54aeff", "linewidth": 0.4},
    "green": {"facecolor": "#aceebb", "edgecolor": "#4ac26b", "linewidth": 0.4},
    "residential": {"facecolor": "#fff8c5", "edgecolor": "#d4a72c", "linewidth": 0.4},
    "roads": {"color": "#6e7781", "linewidth": 1.6},
    "facilities": {"color": "#0969da", "markersize": 8},
    "heritage": {
        "facecolor": "#e6dcfd",
        "edgecolor": "#8250df",
        "linewidth": 0.6,
        "markersize": 10,
    },
}
#: Around a project, the atlas looks this far (m) for changes, and frames at least this much.
NEAR_M = 50.0
_PAD_M = 120.0


def _box(geom: Any) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = shapely.bounds(geom)
    if not all(map(math.isfinite, (x0, y0, x1, y1))):
        return (0.0, 0.0, 1.0, 1.0)
    pad = max(x1 - x0, y1 - y0, 2 * _PAD_M) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (
        cx - pad - _PAD_M / 2,
        cy - pad - _PAD_M / 2,
        cx + pad + _PAD_M / 2,
        cy + pad + _PAD_M / 2,
    )


def _paths(geoms: np.ndarray) -> tuple[list[Any], list[np.ndarray], np.ndarray]:
    """Polygons as matplotlib paths (holes kept), lines as vertex arrays, points as xy."""
    from matplotlib.path import Path as MPath

    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    t = shapely.get_type_id(parts)
    polys, lines = [], []
    for g in parts[t == 3]:
        rings = [g.exterior, *g.interiors]
        verts = np.concatenate([np.asarray(r.coords)[:, :2] for r in rings])
        codes = np.concatenate(
            [
                [MPath.MOVETO] + [MPath.LINETO] * (len(r.coords) - 2) + [MPath.CLOSEPOLY]
                for r in rings
            ]
        )
        polys.append(MPath(verts, codes))
    for g in parts[np.isin(t, [1, 2])]:
        lines.append(np.asarray(g.coords)[:, :2])
    pts = shapely.get_coordinates(parts[t == 0])
    return polys, lines, pts


def _draw(ax: Any, gdf: gpd.GeoDataFrame, style: dict[str, Any]) -> None:
    """Draw a layer with matplotlib collections (geopandas' plot redraws the figure each call)."""
    from matplotlib.collections import LineCollection, PathCollection

    polys, lines, pts = _paths(np.asarray(gdf.geometry.array, dtype=object))
    colour = style.get("color", style.get("edgecolor", "#111"))
    lw = style.get("linewidth", 1.0)
    if polys:
        ax.add_collection(
            PathCollection(
                polys,
                facecolors=style.get("facecolor", "none"),
                edgecolors=style.get("edgecolor", colour),
                linewidths=lw,
                linestyles=style.get("linestyle", "solid"),
                alpha=style.get("alpha"),
            )
        )
    if lines:
        ax.add_collection(
            LineCollection(
                lines, colors=colour, linewidths=lw, linestyles=style.get("linestyle", "solid")
            )
        )
    if len(pts):
        ax.scatter(pts[:, 0], pts[:, 1], s=style.get("markersize", 6), c=colour, linewidths=0)


def _figure(layers: dict[str, gpd.GeoDataFrame], box, title: str, extra=(), outline=None) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.3, 3.3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 0.92))
    frame = shapely.box(*box)
    for kind, style in _DRAW.items():
        gdf = layers.get(kind)
        if gdf is None or len(gdf) == 0:
            continue
        near = gdf.iloc[gdf.sindex.query(frame, predicate="intersects")]
        if len(near):
            _draw(ax, near, style)
    for gdf, style in extra:
        if len(gdf):
            _draw(ax, gdf, style)
    if outline is not None and len(outline):
        _draw(
            ax, outline, {"facecolor": "none", "color": "#111", "linewidth": 1.8, "markersize": 14}
        )
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    width = box[2] - box[0]
    step = 10 ** math.floor(math.log10(width / 4))
    length = max(s * step for s in (1, 2, 5) if s * step <= width / 4)
    x, y = box[0] + width * 0.05, box[1] + (box[3] - box[1]) * 0.05
    ax.plot([x, x + length], [y, y], color="#111", linewidth=2.5)
    ax.text(x + length / 2, y, f"{length:,.0f} m", ha="center", va="bottom", fontsize=7)
    font = cjk_font()
    fig.suptitle(
        title, fontsize=10, y=0.985, **({"fontfamily": [font, "DejaVu Sans"]} if font else {})
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def project_changes(comparison: Any, geom: Any, *, near_m: float = NEAR_M) -> pd.DataFrame:
    """The changes (``comparison.changes``, projects layer left out) within ``near_m`` of ``geom``."""
    ch = comparison.changes
    ch = ch[ch["layer"] != "projects"]
    if len(ch) == 0 or geom is None or shapely.is_empty(geom):
        return ch.iloc[:0]
    zone = shapely.buffer(geom, near_m)
    return ch[ch.intersects(zone)]


def grouped_changes(rows: pd.DataFrame) -> pd.DataFrame:
    """Changes grouped by change, layer and name (a street's 472 new trees are one row): ``n`` and
    the sums of ``before``, ``after`` and ``delta`` in the layer's measure."""
    if len(rows) == 0:
        return pd.DataFrame(
            columns=["change", "layer", "name", "measure", "n", "before", "after", "delta"]
        )
    frame = pd.DataFrame(rows.drop(columns="geometry")).assign(name=rows["name"].fillna("—"), n=1)
    g = frame.groupby(["change", "layer", "name", "measure"], sort=False)
    out = g.agg(
        n=("n", "sum"),
        before=("before", lambda v: v.sum(min_count=1)),
        after=("after", lambda v: v.sum(min_count=1)),
        delta=("delta", "sum"),
    )
    return out.reset_index()


def _changes_tab(rows: pd.DataFrame, lang: str) -> Tab:
    measure_units = {"area_m2": "m²", "length_m": "m", "count": "个" if lang == "zh" else ""}
    g = grouped_changes(rows)
    frame = pd.DataFrame(
        {
            "change": g["change"].map(lambda c: value_label("feature_change", c, lang)),
            "layer": g["layer"].map(lambda k: layer_label(k, lang)),
            "name": g["name"],
            "n": g["n"],
            "before": g["before"],
            "after": g["after"],
            "delta": g["delta"],
            "unit": g["measure"].map(measure_units),
        }
    )
    return Tab(
        frame,
        [
            ("change", "tag"),
            ("layer", "tag"),
            ("name", "text"),
            ("n", "int"),
            ("before", "num"),
            ("after", "num"),
            ("delta", "num"),
            ("unit", "tag"),
        ],
        empty=heading("no_changes", lang),
        headers={
            "n": "要素数 (个)" if lang == "zh" else "Features",
            "name": "名称" if lang == "zh" else "Name",
        },
    )


def _facts(row: pd.Series, lang: str) -> list[tuple[str, str]]:
    from townplan_gis.core.vocab import field_label

    w = heading("wan_yuan", lang)
    out = [
        (field_label("project_id", lang), str(row.get("project_id") or "—")),
        (
            field_label("project_type", lang),
            value_label("project_type", row.get("project_type"), lang),
        ),
    ]
    for c in ("programme_item", "investment_wan_yuan", "completion_pct"):
        v = row.get(c)
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        text = (
            f"{money(v)} {w}"
            if c == "investment_wan_yuan"
            else (pct(v) if c == "completion_pct" else str(v))
        )
        out.append((field_label(c, lang), text))
    return out


def atlas_html(
    comparison: Any,
    *,
    lang: str = "zh",
    town: str = "",
    projects: list[str] | None = None,
    illustrative: bool = False,
) -> str:
    """The atlas: one page per project of the newer vintage (or those of ``projects``, by id).

    Raises
    ------
    TownPlanError
        The newer vintage has no projects, or an id of ``projects`` is not among them.
    """
    from townplan_gis.core.errors import TownPlanError
    from townplan_gis.deliverables.programme.book import footer

    layers = comparison.map_layers()
    before, after = layers["before"], layers["after"]
    pj = after.get("projects")
    if pj is None or len(pj) == 0:
        raise TownPlanError("atlas: the newer vintage has no projects layer; nothing to show.")
    if projects is not None:
        unknown = sorted(set(projects) - set(pj["project_id"].astype(str)))
        if unknown:
            raise TownPlanError(f"atlas: no project with id {unknown} in the newer vintage.")
        pj = pj[pj["project_id"].astype(str).isin(projects)]
    added = comparison.changes[comparison.changes["change"] != "removed"]
    added = added[~added["layer"].isin(["projects", "canopy", "streetlights"])]
    pieces = comparison.pieces[comparison.pieces["change"] == "added"]
    removed = comparison.changes[comparison.changes["change"] == "removed"]
    sections = []
    for i in range(len(pj)):
        row = pj.iloc[i]
        one = pj.iloc[[i]]
        box = _box(row.geometry)
        left = _figure(
            before,
            box,
            f"{heading('before', lang)} {comparison.before}",
            extra=[
                (
                    removed,
                    {
                        "color": "#57606a",
                        "linewidth": 2.5,
                        "linestyle": "--",
                        "facecolor": "#8c959f",
                        "alpha": 0.6,
                    },
                )
            ],
        )
        right = _figure(
            after,
            box,
            f"{heading('after', lang)} {comparison.after}",
            extra=[
                (
                    added[added.geom_type.isin(["Polygon", "MultiPolygon"])],
                    {"facecolor": "#ff818266", "edgecolor": "#d1242f", "linewidth": 1.2},
                ),
                (pieces, {"color": "#d1242f", "linewidth": 3, "facecolor": "#d1242f"}),
            ],
            outline=one,
        )
        changes = project_changes(comparison, row.geometry)
        name = row.get("name") or row.get("project_id") or ""
        sections.append(
            {
                "heading": f"{row.get('project_id') or ''}　{name}"
                if lang == "zh"
                else f"{row.get('project_id') or ''} {name}",
                "cls": "atlas",
                "facts": _facts(row, lang),
                "figures": [
                    {"src": png_data_uri(left), "caption": comparison.before},
                    {"src": png_data_uri(right), "caption": comparison.after},
                ],
                "tables": [_changes_tab(changes, lang).html(lang)],
            }
        )
    return page_html(
        title=heading("atlas_title", lang, town=town or comparison.after),
        sections=sections,
        lang=lang,
        subtitle=[heading("atlas_note", lang)],
        notes=[heading("illustrative", lang)] if illustrative else [],
        footer=footer(lang),
    )
