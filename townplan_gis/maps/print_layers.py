"""What the print plan (:mod:`townplan_gis.maps.print_plan`) draws: each layer by style class, the key
map of the whole township, and the rows of the title block."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.patches import Rectangle

from townplan_gis._version import __version__
from townplan_gis.core.clock import generated_at
from townplan_gis.maps.print_block import LegendEntry
from townplan_gis.maps.print_draw import draw_geoms
from townplan_gis.maps.print_parts import crs_text, date_text, mpl_style
from townplan_gis.maps.styles import classify, layer_label, value_labels

__all__ = ["draw_layer", "key_map", "outside_ids", "title_rows", "town_box", "within"]

_TYPES = {"polygon": (3, 6), "line": (1, 2, 5), "point": (0, 4)}


def town_box(town: Any) -> np.ndarray:
    if town.has("boundary"):
        return np.asarray(town.layers["boundary"].total_bounds, dtype=float)
    boxes = np.array([g.total_bounds for g in town.layers.values() if len(g)])
    return np.array([boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max()])


def draw_layer(
    ax: Any, gdf: gpd.GeoDataFrame, kind: str, lang: str, z: float
) -> LegendEntry | None:
    """Draw one layer by style class and geometry kind; its legend entry (classes drawn)."""
    if not len(gdf):
        return None
    codes, classes = classify(kind, gdf, lang=lang)
    tid = shapely.get_type_id(gdf.geometry.array)
    used: dict[int, None] = {}
    kinds: set[str] = set()
    for code, cls in enumerate(classes):
        sel = codes == code
        for gkind, ids in _TYPES.items():
            mask = sel & np.isin(tid, ids)
            if not mask.any():
                continue
            kw = mpl_style(cls.style, gkind)
            geoms = gdf.geometry.array
            if gkind == "point" and (multi := mask & (tid == 4)).any():
                # A group of points (120 lamps along a street) in small dots, so it does not
                # become a chain of discs hiding the street.
                small = {**kw, "markersize": mpl_style(_grouped(cls.style), "point")["markersize"]}
                draw_geoms(ax, geoms[multi], "point", small, zorder=z + 0.5)
                mask = mask & (tid != 4)
                used[code] = None
                kinds.add(gkind)
                if not mask.any():
                    continue
            if gkind == "line" and "lineWeight" in cls.style:
                kw = mpl_style({**cls.style, "weight": cls.style["lineWeight"]}, "line")
            draw_geoms(ax, geoms[mask], gkind, kw, zorder=z + (0.5 if gkind == "point" else 0))
            used[code] = None
            kinds.add(gkind)
    if not used:
        return None
    geometry = "polygon" if "polygon" in kinds else ("line" if "line" in kinds else "point")
    name = layer_label(kind, lang)
    return LegendEntry(name, geometry, [classes[i] for i in used])


def _grouped(style: dict[str, Any]) -> dict[str, Any]:
    """The style of one member of a group of points: ``groupRadius``, else 40 % of ``radius``."""
    radius = style.get("groupRadius", 0.4 * float(style.get("radius", 5)))
    return {**style, "radius": radius, "weight": min(float(style.get("weight", 1)), 1.0)}


def within(gdf: gpd.GeoDataFrame, box: np.ndarray) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.array
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    keep &= shapely.intersects(geoms, shapely.box(*box))
    return gdf[keep]


def outside_ids(projects: Any, box: np.ndarray) -> list[str]:
    if projects is None or "project_id" not in projects or not len(projects):
        return []
    geoms = projects.geometry.array
    inside = shapely.intersects(geoms, shapely.box(*box))
    return [str(v) for v in projects.loc[~inside, "project_id"].tolist()]


def title_rows(
    town: Any,
    review: Any,
    verdicts: Any,
    crs: Any,
    scale: int,
    paper: str,
    lang: str,
    outside: list[str],
    dropped: list[str],
) -> list[tuple[str, str]]:
    zh = lang == "zh"
    meta = getattr(town, "metadata", {}) or {}
    place = "".join(str(meta[k]) for k in ("province", "county") if meta.get(k)) + str(town.name)
    source = str(meta.get("source") or ("未注明" if zh else "not stated"))
    if meta.get("illustrative"):
        source += "；示意数据，非测绘成果" if zh else "; illustrative data, not surveyed"
    rows = [
        ("镇（乡）" if zh else "Town", place if zh else str(town.name)),
        (
            "比例尺" if zh else "Scale",
            f"1:{scale:,}（{paper.upper()}图幅按100%打印）"
            if zh
            else f"1:{scale:,} (printed at 100 % on {paper.upper()})",
        ),
        ("坐标系" if zh else "CRS", crs_text(crs, lang)),
        ("数据来源" if zh else "Data", source),
    ]
    if review is not None and verdicts is not None and "verdict" in verdicts:
        counts = verdicts["verdict"].value_counts()
        names = value_labels("verdicts", lang)
        parts = [f"{names.get(k, k)} {int(n)}" for k, n in counts.items()]
        total = int(counts.sum())
        rows.append(
            (
                "审查结论" if zh else "Review",
                (f"项目{total}个：" + "，".join(parts))
                if zh
                else f"{total} projects: " + ", ".join(parts),
            )
        )
    if outside:
        rows.append(
            (
                "图外项目" if zh else "Outside frame",
                ("、".join(outside) + "（见索引图）")
                if zh
                else ", ".join(outside) + " (see key map)",
            )
        )
    if dropped:
        rows.append(
            (
                "未标注" if zh else "Not labelled",
                ("、".join(dropped) + "（图面空间不足）")
                if zh
                else ", ".join(dropped) + " (no room)",
            )
        )
    when = generated_at()
    rows.append(("编制日期" if zh else "Date", date_text(when, lang)))
    rows.append(("制图" if zh else "Made with", f"townplan_gis {__version__}"))
    return rows


def key_map(
    ax: Any,
    town: Any,
    verdicts: Any,
    box: np.ndarray,
    lang: str,
    base: float,
    text_kw: dict[str, Any],
) -> None:
    """The whole township: boundary, built-up area, water, main roads, every project as a dot,
    and the map frame in red."""
    whole = town_box(town)
    for kind in ("boundary", "builtup", "water"):
        if town.has(kind):
            draw_layer(ax, town.layers[kind], kind, lang, 1)
    if town.has("roads"):
        roads = town.layers["roads"]
        if "road_class" in roads:
            roads = roads[roads["road_class"].isin(["expressway", "arterial", "secondary"])]
        draw_geoms(
            ax,
            roads.geometry,
            "line",
            {"color": "#9e9e9e", "linewidth": 0.6, "linestyle": "solid"},
            zorder=2,
        )
    projects = verdicts if verdicts is not None else town.layers.get("projects")
    if projects is not None and len(projects):
        style = "verdicts" if verdicts is not None else "projects"
        codes, classes = classify(style, projects, lang=lang)
        pts = projects.geometry.representative_point()
        colours = [mpl_style(classes[c].style, "point")["color"] for c in codes]
        ax.scatter(pts.x, pts.y, s=6, c=colours, edgecolors="#333333", linewidths=0.3, zorder=3)
    ax.add_patch(
        Rectangle(
            (box[0], box[1]),
            box[2] - box[0],
            box[3] - box[1],
            fill=False,
            edgecolor="#d50000",
            linewidth=1.2,
            zorder=4,
        )
    )
    pad = 0.03 * max(whole[2] - whole[0], whole[3] - whole[1])
    x0, y0, x1, y1 = whole[0] - pad, whole[1] - pad, whole[2] + pad, whole[3] + pad
    # Widen the short side to the axes' own shape, so equal aspect changes neither the box nor limits.
    bbox = ax.get_window_extent()
    want = bbox.height / bbox.width
    if (y1 - y0) / (x1 - x0) < want:
        grow = ((x1 - x0) * want - (y1 - y0)) / 2
        y0, y1 = y0 - grow, y1 + grow
    else:
        grow = ((y1 - y0) / want - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(
        "位置索引图（镇域）" if lang == "zh" else "Key map (township)",
        fontsize=base,
        loc="left",
        **text_kw,
    )
