"""The print-ready plan: one sheet (A4–A0) with the map at an issued scale, labels, legend, scale bar,
north arrow, a key map of the whole township and a title block (图签).

folium cannot export an image (docs/engineering.md#fonts-documents), so the plan is a matplotlib figure
drawn with geopandas in the town's metric CRS, in the styles of the web map
(``townplan_gis/data/styles.toml``: the five control lines in their colours and dashes, roads by class,
projects by verdict, conflicts by grade). The extent is the built-up area plus a margin, enlarged to the
smallest issued scale (1:2,000, 1:5,000 …) at which it fits the map frame, so the stated scale holds
when the sheet is printed at 100 %. Projects outside the frame are named in the title block and shown
on the key map, never silently cut off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from townplan_gis._version import __version__
from townplan_gis.core.errors import MissingLayerError, OutputPathError, TownPlanError
from townplan_gis.core.fonts import font_family
from townplan_gis.core.vocab import localised
from townplan_gis.maps.print_block import (
    LegendEntry,
    draw_legend,
    draw_title_block,
    fit_title_block,
)
from townplan_gis.maps.print_labels import place_labels, project_candidates, road_candidates
from townplan_gis.maps.print_layers import (
    draw_layer,
    key_map,
    outside_ids,
    title_rows,
    town_box,
    within,
)
from townplan_gis.maps.print_parts import (
    draw_north_arrow,
    draw_scale_bar,
    grid_convergence_deg,
    nice_scale,
    paper_size_mm,
)
from townplan_gis.maps.styles import layer_label, load_styles

__all__ = ["PRINT_FORMATS", "plan_figure", "save_plan_figure"]

PRINT_FORMATS = (".pdf", ".png", ".svg")
_MM_IN = 1 / 25.4
# Drawn only on request (layers=[...]): 300 lamp dots read as a yellow line and hide the streets.
_OFF_BY_DEFAULT = ("streetlights",)


def _layout(w: float, h: float, landscape: bool) -> dict[str, tuple[float, float, float, float]]:
    """Rectangles (x, y, width, height) in mm of the map, key map, legend and title block."""
    m, gap = 10.0, 4.0
    if landscape:
        pw = max(80.0, 0.23 * w)
        px = w - m - pw
        avail = h - 2 * m
        key_h = min(pw * 0.78, avail * 0.3)
        tb_h = avail * 0.45  # at most; the block is cut to what it needs
        return {
            "map": (m, m, px - gap - m, avail),
            "key": (px, h - m - key_h, pw, key_h),
            "legend": (px, m + tb_h + gap, pw, avail - key_h - tb_h - 2 * gap),
            "title": (px, m, pw, tb_h),
        }
    ph = max(75.0, 0.24 * h)
    aw = w - 2 * m
    kw, lw = aw * 0.28, aw * 0.32
    return {
        "map": (m, m + ph + gap, aw, h - 2 * m - ph - gap),
        "key": (m, m, kw, ph),
        "legend": (m + kw + gap, m, lw - gap, ph),
        "title": (m + kw + lw + gap, m, aw - kw - lw - gap, ph),
    }


def _axes(
    fig: Figure, rect: tuple[float, float, float, float], size: tuple[float, float], name: str
):
    x, y, w, h = rect
    ax = fig.add_axes((x / size[0], y / size[1], w / size[0], h / size[1]), label=name)
    return ax


def _target_box(town: Any, extent: Any) -> tuple[np.ndarray, str]:
    if isinstance(extent, (tuple, list, np.ndarray)) and len(extent) == 4:
        return np.asarray(extent, dtype=float), "box"
    if extent == "builtup":
        if not town.has("builtup"):
            raise MissingLayerError(
                f"plan_figure(extent='builtup'): town '{town.name}' has no 'builtup' layer. Fix: add "
                f"the built-up area (建成区) layer, or pass extent='town' for the whole township or "
                f"extent=(minx, miny, maxx, maxy) in the town's CRS."
            )
        return np.asarray(town.layers["builtup"].total_bounds, dtype=float), "builtup"
    if extent == "town":
        return town_box(town), "town"
    raise TownPlanError(
        f"extent must be 'builtup', 'town' or (minx, miny, maxx, maxy), got {extent!r}."
    )


def map_extent(box: np.ndarray, frame_mm: tuple[float, float]) -> tuple[np.ndarray, int, float]:
    """The drawn extent: ``box`` plus a margin (6 % of its larger side, at least 50 m), centred and
    enlarged to the smallest issued scale whose frame holds it. Returns (extent, scale N, margin m)."""
    w, h = box[2] - box[0], box[3] - box[1]
    margin = max(0.06 * max(w, h), 50.0)
    scale = nice_scale((w + 2 * margin, h + 2 * margin), frame_mm)
    gw, gh = frame_mm[0] * scale / 1000, frame_mm[1] * scale / 1000
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return np.array([cx - gw / 2, cy - gh / 2, cx + gw / 2, cy + gh / 2]), scale, margin


def _review_frames(review: Any, lang: str) -> tuple[Any, Any]:
    projects, conflicts = getattr(review, "projects", None), getattr(review, "conflicts", None)
    if projects is None:
        raise TownPlanError(
            f"review= must be a Review (from tp.review) with .projects and .conflicts; got "
            f"{type(review).__name__}."
        )
    return localised(projects, lang), localised(conflicts, lang)


def plan_figure(
    town: Any,
    *,
    review: Any = None,
    paper: str = "A3",
    orientation: str = "landscape",
    extent: Any = "builtup",
    inset: bool = True,
    lang: str = "zh",
    layers: Any = None,
    title: str | None = None,
    labels: bool = True,
    out: str | Path | None = None,
    dpi: int = 200,
) -> Figure:
    """A print-ready plan of a town (and its five-line review) on one sheet.

    Parameters
    ----------
    town : Town
        Read, never modified; drawn in its own metric CRS.
    review : Review, optional
        From :func:`townplan_gis.review`: projects coloured by verdict, conflict overlaps by grade,
        and the verdict counts in the title block.
    paper : {"A3", "A4", "A2", "A1", "A0"}, default "A3"
    orientation : {"landscape", "portrait"}, default "landscape"
    extent : "builtup", "town" or (minx, miny, maxx, maxy), default "builtup"
        What the map frame must hold: the built-up area (建成区 layer), the whole township (its
        boundary), or a box in the town's CRS; a margin of 6 % (at least 50 m) is added and the frame
        is enlarged to the smallest of 1:500, 1:1,000, 1:2,000, 1:2,500, 1:5,000, 1:10,000 … at which
        it fits, so the scale in the title block holds on a sheet printed at 100 %.
    inset : bool, default True
        A key map (位置索引图) of the whole township with the frame marked (not drawn when the
        frame already holds the township).
    lang : {"zh", "en"}, default "zh"
        Chinese needs a CJK font; without one :class:`townplan_gis.core.fonts.FontMissingError`
        says how to install it (no silent fall back to English).
    layers : iterable of str, optional
        Layer kinds to draw (default: every layer but the street lights, which crowd a plan).
    title : str, optional
        图名 (default ``<town>建设项目五线审查图`` with a review, ``<town>规划图`` without).
    labels : bool, default True
        Road names and project ids, placed without overlaps (see
        :mod:`townplan_gis.maps.print_labels`).
    out : path, optional
        Also write the sheet to this ``.pdf``, ``.png`` or ``.svg`` (:func:`save_plan_figure`).
    dpi : int, default 200
        Resolution of a PNG.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.townplan`` holds what was drawn: ``scale`` (N of 1:N), ``extent``, ``target`` (the box
        the frame holds), ``margin_m``, ``labels`` (placed texts) and ``dropped`` (labels left out),
        ``outside`` (project ids outside the frame).
    """
    zh = lang == "zh"
    text_kw = {"fontfamily": font_family(lang)}
    width, height = paper_size_mm(paper, orientation)
    rects = _layout(width, height, orientation == "landscape")
    fig = Figure(figsize=(width * _MM_IN, height * _MM_IN), dpi=100)
    FigureCanvasAgg(fig)
    base = float(np.clip(8.0 * ((width * height) / (420 * 297)) ** 0.5, 6.0, 14.0))
    order = load_styles()["layers"]["order"]
    wanted = (
        [k for k in town.layers if k not in _OFF_BY_DEFAULT] if layers is None else list(layers)
    )
    for kind in wanted:
        if kind not in town.layers:
            raise MissingLayerError(
                f"plan_figure: town '{town.name}' has no '{kind}' layer; it has {list(town.layers)}."
            )
    verdicts = conflicts = None
    if review is not None:
        verdicts, conflicts = _review_frames(review, lang)
    target, how = _target_box(town, extent)
    frame = rects["map"][2:]
    box, scale, margin = map_extent(target, frame)
    ax = _axes(fig, rects["map"], (width, height), "map")
    entries: list[LegendEntry] = []
    draw_kinds = sorted(wanted, key=lambda k: order.index(k) if k in order else len(order))
    for z, kind in enumerate(draw_kinds):
        gdf = verdicts if kind == "projects" and verdicts is not None else town.layers[kind]
        style = "verdicts" if kind == "projects" and verdicts is not None else kind
        entry = draw_layer(ax, within(gdf, box), style, lang, 2.0 + z)
        if entry is not None:
            entries.append(entry)
    if conflicts is not None and len(conflicts):
        entry = draw_layer(ax, within(conflicts, box), "conflicts", lang, 3.0 + len(draw_kinds))
        if entry is not None:
            entries.insert(0, entry)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")  # geopandas names the CRS axes; a plan states its CRS in the title block
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(1.0)
    gw = box[2] - box[0]
    bar = draw_scale_bar(
        ax,
        width_m=gw,
        x0=box[0] + gw * 0.03,
        y0=box[1] + (box[3] - box[1]) * 0.03,
        height=gw * 0.004,
        fontsize=base * 0.9,
        **text_kw,
    )
    crs = next(iter(town.layers.values())).crs
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    arrow = draw_north_arrow(
        ax,
        xy=(0.955, 0.9),
        size=0.075,
        rotation_deg=grid_convergence_deg(crs, cx, cy),
        fontsize=base * 1.3,
        **text_kw,
    )
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    obstacles = [a.get_window_extent(renderer) for a in bar + arrow]
    placement = None
    if labels:
        projects = verdicts if verdicts is not None else town.layers.get("projects")
        cands = []
        if "projects" in wanted and projects is not None:
            cands += project_candidates(projects, box)
        if "roads" in wanted:
            cands += road_candidates(town.layers["roads"], box)
        placement = place_labels(
            ax, cands, obstacles=obstacles, fontsize=base * 0.95, text_kw=text_kw
        )
    outside = outside_ids(verdicts if verdicts is not None else town.layers.get("projects"), box)
    show_key = inset and how != "town"
    if show_key:
        key_map(
            _axes(fig, rects["key"], (width, height), "key"),
            town,
            verdicts,
            box,
            lang,
            base,
            text_kw,
        )
    dropped_ids = [c.text for c in (placement.dropped if placement else []) if c.kind == "project"]
    name = title or (
        (f"{town.name}建设项目五线审查图" if review is not None else f"{town.name}规划图")
        if zh
        else (f"{town.name}: projects and control lines" if review is not None else f"{town.name}")
    )
    rows = title_rows(town, review, verdicts, crs, scale, paper, lang, outside, dropped_ids)
    tb = rects["title"]
    fit = fit_title_block(name, rows, width_mm=tb[2], max_height_mm=tb[3], fontsize=base)
    legend_rect = rects["legend"]
    if orientation == "landscape":
        # The block takes the height it needs; the legend gets the rest (and the key map's place
        # when there is no key map).
        x, _y, w, h = legend_rect
        top = legend_rect[1] + h + (0 if show_key else rects["key"][3] + 4.0)
        bottom = tb[1] + fit.height_mm + 4.0
        legend_rect = (x, bottom, w, top - bottom)
        tb = (tb[0], tb[1], tb[2], fit.height_mm)
    else:
        tb = (tb[0], tb[1] + tb[3] - fit.height_mm, tb[2], fit.height_mm)
        if not show_key:
            x, y, w, h = legend_rect
            legend_rect = (rects["key"][0], y, w + x - rects["key"][0], h)
    legend_ax = _axes(fig, legend_rect, (width, height), "legend")
    draw_legend(
        legend_ax, entries, title=layer_label("legend", lang), fontsize=base * 0.95, text_kw=text_kw
    )
    draw_title_block(
        _axes(fig, tb, (width, height), "title"), fit, rows=rows, width_mm=tb[2], text_kw=text_kw
    )
    fig.patches.append(
        Rectangle(
            (4 / width, 4 / height),
            1 - 8 / width,
            1 - 8 / height,
            transform=fig.transFigure,
            fill=False,
            linewidth=1.6,
            edgecolor="#111111",
        )
    )
    fig.townplan = {  # type: ignore[attr-defined]
        "title": name,
        "scale": scale,
        "extent": box,
        "target": target,
        "margin_m": margin,
        "labels": placement.placed if placement else [],
        "dropped": [c.text for c in placement.dropped] if placement else [],
        "outside": outside,
        "paper": (paper.upper(), orientation),
    }
    if out is not None:
        save_plan_figure(fig, out, dpi=dpi)
    return fig


def save_plan_figure(fig: Figure, out: str | Path, *, dpi: int = 200) -> Path:
    """Write a plan figure as PDF (text searchable, font subsets embedded), PNG (``dpi``) or SVG
    (text as paths, so it looks the same without the font).

    Raises
    ------
    OutputPathError
        The suffix is not ``.pdf``, ``.png`` or ``.svg``, or the folder does not exist.
    """
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in PRINT_FORMATS:
        raise OutputPathError(
            f"{path}: a print plan is written as {', '.join(PRINT_FORMATS)}; got {suffix or 'none'}."
            f" Fix: e.g. --out plan.pdf."
        )
    if not path.parent.exists():
        raise OutputPathError(f"{path}: the folder {path.parent} does not exist. Fix: create it.")
    info = getattr(fig, "townplan", {})
    meta: dict[str, Any] = {}
    if suffix == ".pdf":
        meta = {"Title": info.get("title", ""), "Creator": f"townplan_gis {__version__}"}
    elif suffix == ".svg":
        meta = {"Title": info.get("title", "")}
    # Type 3 subsets with a ToUnicode map keep the text searchable (the tests read it back) and
    # write in 0.7 s; Type 42 embedding of the CJK collection took 7 s and poppler warns on it.
    with rc_context({"pdf.fonttype": 3, "svg.fonttype": "path"}):
        fig.savefig(path, dpi=dpi, metadata=meta or None)
    return path
