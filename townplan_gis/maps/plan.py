"""Plan maps of a Town and its Review, and quick single-layer ``explore`` maps.

A plan map has one toggleable overlay per layer kind, styled as planners draw them (see
:mod:`townplan_gis.maps.styles`), the review's conflict overlaps by grade and projects by verdict,
lazy popups and tooltips with every user string HTML-escaped, road names and project ids placed by
zoom without overlaps, a zh/en legend that folds and never covers a control, layer control, a metric
scale bar, fullscreen and measure controls, and a view fitted to the built-up area. Street lights are a
layer of small grey dots, off until switched on. Export it with
:func:`townplan_gis.save_map` for a self-contained offline HTML file.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from townplan_gis.core.errors import MissingLayerError, TownPlanError
from townplan_gis.core.town import Town
from townplan_gis.core.vocab import localised
from townplan_gis.maps.analysis_layers import ANALYSIS_LAYERS, analysis_frames
from townplan_gis.maps.basemaps import add_basemap
from townplan_gis.maps.compact import (
    COMPACT_THRESHOLD,
    CompactLayer,
    add_compact_assets,
    display_columns,
    display_geometries,
    encode_layer,
)
from townplan_gis.maps.controls import MetricScale, add_controls
from townplan_gis.maps.layers import (
    FieldSpec,
    LeafletGeoJson,
    ReadyFlag,
    add_assets,
    display_frame,
    feature_collection,
    to_display,
)
from townplan_gis.maps.legend import LEGEND_JS, Legend, LegendGroup
from townplan_gis.maps.offline import render_html
from townplan_gis.maps.popups import popup_fields
from townplan_gis.maps.styles import classify, field_label, layer_label, load_styles
from townplan_gis.maps.web_labels import LABELS_CSS, LABELS_JS, LabelLayer, label_items, layer_name

__all__ = ["OFF_BY_DEFAULT", "PlanMap", "explore", "plan_map"]

log = logging.getLogger(__name__)

#: Layers drawn switched off (the reader switches them on in the layer list): 300 lamp dots read as a
#: 黄线 and hide the streets.
OFF_BY_DEFAULT = ("streetlights",)


def _geom_kind(geoms: gpd.GeoSeries) -> str:
    # Type ids (vectorised): 0 Point, 4 MultiPoint; 1 LineString, 2 LinearRing, 5 MultiLineString.
    types = set(np.unique(shapely.get_type_id(geoms.array)).tolist()) - {-1}
    if types and types <= {0, 4}:
        return "point"
    if types and types <= {1, 2, 5}:
        return "line"
    return "polygon"


def _overlay(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    name: str,
    lang: str,
    fields: Sequence[FieldSpec],
    tooltip: Sequence[str],
    gcj02: bool,
    precision: int,
    simplify_m: float | None,
    canvas_threshold: int,
    show: bool = True,
    compact: bool = False,
) -> tuple[LegendGroup | None, np.ndarray | None]:
    """Add one styled layer; return its legend group and the bounds of what was drawn."""
    if compact:  # reprojected and rounded on the coordinate arrays by encode_layer
        geoms = display_geometries(gdf, simplify_m=simplify_m)
    else:
        geoms = to_display(gdf, simplify_m=simplify_m, precision=precision, gcj02=gcj02)
    if len(geoms) == 0:
        log.info("map layer %s: no non-empty geometry, not drawn", kind)
        return None, None
    rows = gdf.loc[geoms.index]
    codes, classes = classify(kind, rows, lang=lang)
    columns = [c for c, _l, _f in fields]
    common: dict[str, Any] = dict(
        name=name,
        classes=classes,
        fields=[label for _c, label, _f in fields],
        tooltip=[columns.index(c) for c in tooltip if c in columns],
        n_features=len(geoms),
        show=show,
        layer_id=kind,
    )
    layer: folium.map.Layer
    if compact:
        add_compact_assets(m)
        coded = display_columns(rows, fields, lang=lang)
        payload = encode_layer(geoms, codes, coded, precision=precision, gcj02=gcj02, layer=kind)
        # The worst conflict grade is listed first in the style file and must end on top.
        order = list(range(len(classes)))[:: -1 if kind == "conflicts" else 1]
        marker = 3.0 if kind == "conflicts" else 1.5
        layer = CompactLayer(payload.text, draw_order=order, marker_px=marker, **common)
        box = np.array(payload.bounds, dtype=float)
    else:
        values = display_frame(rows, fields, lang=lang)
        text, origin = feature_collection(geoms, codes, values, precision=precision)
        layer = LeafletGeoJson(text, canvas=len(geoms) > canvas_threshold, origin=origin, **common)
        box = geoms.total_bounds
    layer.add_to(m)
    used = sorted(set(codes.tolist()))
    group = LegendGroup(name, _geom_kind(geoms), [classes[i] for i in used], layer=kind)
    return group, box


def _review_frames(
    review: Any, lang: str
) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    conflicts = getattr(review, "conflicts", None)
    projects = getattr(review, "projects", None)
    if conflicts is None and projects is None:
        raise TownPlanError(
            "review= must be a Review (from tp.review) with .conflicts and .projects GeoDataFrames; "
            f"got {type(review).__name__}."
        )

    # Chinese popups show the review's Chinese reasons, English ones its English clauses and
    # procedures when it has them; the caller's frames stay untouched.
    return localised(conflicts, lang), localised(projects, lang)


class PlanMap(folium.Map):
    """A ``folium.Map`` whose notebook display is the self-contained offline page.

    folium's own notebook display loads Leaflet from CDNs and stays blank on an intranet without
    internet; an ``<iframe srcdoc>`` holding the inlined page works anywhere
    (docs/engineering.md#offline-maps).
    """

    notebook_height_px = 600

    def _repr_html_(self, **kwargs: Any) -> str:
        page = html.escape(render_html(self, offline=True), quote=True)
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:{self.notebook_height_px}px;'
            f'border:none" allowfullscreen></iframe>'
        )


def _new_map(basemap: str | None, lang: str, **kw: Any) -> tuple[folium.Map, bool]:
    m = PlanMap(location=[0, 0], zoom_start=2, tiles=None, control_scale=False, zoom_snap=0.25)
    MetricScale().add_to(m)
    datum = add_basemap(m, basemap, lang=lang, **kw)
    add_assets(m)
    root: Any = m.get_root()
    root.header.add_child(Element(f"<script>{LEGEND_JS}{LABELS_JS}</script>"), name="tp_map_js")
    root.header.add_child(Element(f"<style>{LABELS_CSS}</style>"), name="tp_labels_css")
    return m, datum == "gcj02"


def _finish(
    m: folium.Map, groups: list, bounds: list, *, lang: str, legend: bool, collapsed: bool = False
) -> folium.Map:
    if legend and groups:
        Legend([g for g in groups if g is not None], title=layer_label("legend", lang)).add_to(m)
    folium.LayerControl(collapsed=collapsed, position="topright").add_to(m)
    boxes = np.array([b for b in bounds if b is not None and np.all(np.isfinite(b))])
    if len(boxes):
        w, s = boxes[:, 0].min(), boxes[:, 1].min()
        e, n = boxes[:, 2].max(), boxes[:, 3].max()
        m.location = [(s + n) / 2, (w + e) / 2]
        # Leave room for the legend (left) and the layer control (right).
        side = 170 if legend and groups else 12
        m.fit_bounds([[s, w], [n, e]], padding_top_left=(side, 12), padding_bottom_right=(side, 12))
    ReadyFlag().add_to(m)
    return m


def plan_map(
    town: Any,
    *,
    review: Any = None,
    basemap: str | None = "osm",
    lang: str = "zh",
    layers: Iterable[str] | None = None,
    precision: int = 6,
    simplify_m: float | None = None,
    canvas_threshold: int = 2000,
    renderer: str = "auto",
    compact_threshold: int = COMPACT_THRESHOLD,
    findings_only: bool = False,
    controls: bool = True,
    legend: bool = True,
    collapse_layer_control: bool = False,
    view: str = "builtup",
    labels: bool = True,
    tianditu_key: str | None = None,
    tianditu_url: str | None = None,
    line_check: Any = None,
    coverage: Any = None,
) -> folium.Map:
    """Plan map of a town: its layers, the five control lines and, optionally, a review.

    Parameters
    ----------
    town : Town
        The town; its layers are read, never modified.
    review : Review, optional
        Result of :func:`townplan_gis.fiveline`: projects are coloured by verdict (pass / review /
        reject / invalid) instead of plainly, and each conflict overlap is drawn by grade
        (forbidden / review / notice; ignored slivers greyed) with its area in m² and 亩, shares,
        clause and procedure in the popup.
    basemap : str, default "osm"
        ``osm``, ``cartodb``, ``esri-imagery``, ``tianditu-vec``, ``tianditu-img``, ``gaode``,
        ``gaode-satellite``, ``none``, or a tile URL template. Over ``gaode*`` every overlay vertex,
        the centre and the bounds are shifted WGS84→GCJ-02.
    lang : {"zh", "en"}
        Language of legend, layer names and popup labels.
    layers : iterable of str, optional
        Layer kinds to draw (default every layer the town has, in the style file's order). By
        default the street lights are drawn switched off (small grey dots, on from the layer
        list); naming them here switches them on. ``"line_conflicts"`` (the control-line
        self-check's patches, :func:`townplan_gis.check_lines`) and ``"blind_spots"`` (park service
        blind spots, :func:`townplan_gis.park_service_coverage`) add the analyses' layers, switched
        off (on from the layer list).
    precision : int, default 6
        Decimals kept in longitude/latitude (6 ≈ 0.1 m).
    simplify_m : float, optional
        Topology-preserving simplification tolerance in metres, applied before reprojection.
    canvas_threshold : int, default 2000
        Layers with more features than this are drawn on a Canvas renderer (GeoJSON renderer).
    renderer : {"auto", "geojson", "compact"}, default "auto"
        ``geojson``: one Leaflet object per feature (fine up to a few thousand features).
        ``compact``: every layer as integer, delta-coded, compressed geometry with dictionary-coded
        popup texts, painted on canvas and hit-tested in the page (:mod:`townplan_gis.maps.compact`):
        10⁵ projects with their review in one offline file of a few tens of MB. Same styles, legend,
        popups and tooltips. ``auto``: compact when the map has more than ``compact_threshold``
        features (layers drawn plus review conflicts).
    compact_threshold : int, default 5000
        Feature count above which ``renderer="auto"`` draws compact layers.
    findings_only : bool, default False
        With ``review``: draw only the projects whose verdict is not ``pass`` (every other verdict,
        unchecked ones included) and every conflict; the verdict layer is then named "not passing
        only", so nobody reads the map as complete. For county maps of 10⁶ projects.
    controls, legend : bool, default True
        Add the fullscreen and measure controls; add the legend.
    collapse_layer_control : bool, default False
        Fold the layer list into its button, so a small or printed map (reports, opinions) keeps the
        town visible.
    view : {"builtup", "town", "data"}, default "builtup"
        The first view: the built-up area (建成区 layer; the township's boundary when there is none),
        the whole township (its boundary), or everything drawn.
    labels : bool, default True
        Road names and project ids as a toggleable layer, shown by zoom without overlaps
        (:mod:`townplan_gis.maps.web_labels`).
    tianditu_key, tianditu_url : str, optional
        Tianditu key and node base URL (default: ``TIANDITU_KEY`` / ``TIANDITU_URL`` environment).
    line_check, coverage : optional
        A self-check and a park coverage already computed: their layers are drawn (switched off)
        from them, nothing is recomputed.

    Returns
    -------
    folium.Map
        Save it with :func:`townplan_gis.save_map` (offline by default).

    Examples
    --------
    >>> import townplan_gis as tp
    >>> m = tp.plan_map(tp.sample_town(), basemap="none", lang="en")  # doctest: +SKIP
    >>> tp.save_map(m, "puzhou_map.html")  # doctest: +SKIP
    """
    m, gcj = _new_map(basemap, lang, tianditu_key=tianditu_key, tianditu_url=tianditu_url)
    order = load_styles()["layers"]["order"]
    wanted = list(town.layers) if layers is None else list(layers)
    extra = [k for k in wanted if k in ANALYSIS_LAYERS]
    wanted = [k for k in wanted if k not in ANALYSIS_LAYERS]
    for kind in wanted:
        if kind not in town.layers:
            raise MissingLayerError(
                f"plan_map: town '{town.name}' has no '{kind}' layer. Layers present: "
                f"{list(town.layers)}."
            )
    conflicts = verdicts = None
    if review is not None:
        conflicts, verdicts = _review_frames(review, lang)
    if findings_only:
        if verdicts is None or "verdict" not in verdicts:
            raise TownPlanError(
                "findings_only=True draws the non-passing projects of a review: pass review=."
            )
        passing = (verdicts["verdict"] == "pass").to_numpy()
        log.info("plan_map: findings_only: %d passing projects not drawn", int(passing.sum()))
        verdicts = verdicts[~passing]
    total = sum(len(town.layers[k]) for k in wanted if not (k == "projects" and review is not None))
    total += len(verdicts) if verdicts is not None else 0
    total += len(conflicts) if conflicts is not None else 0
    compact = _use_compact(renderer, total, compact_threshold)
    if total > 30_000 and not compact:
        log.warning(
            "plan_map: %d features; above ~30,000 a GeoJSON map stops being interactive. Use "
            "renderer='compact' (or 'auto'), draw fewer layers (layers=[...]) or clip to an area.",
            total,
        )
    common: dict[str, Any] = dict(
        gcj02=gcj,
        precision=precision,
        simplify_m=simplify_m,
        canvas_threshold=canvas_threshold,
        compact=compact,
    )
    groups: list[LegendGroup | None] = []
    bounds: list[np.ndarray | None] = []

    verdict_name = layer_label("verdicts_findings" if findings_only else "verdicts", lang)

    def draw(gdf: gpd.GeoDataFrame, style_kind: str) -> np.ndarray | None:
        fields, tip = popup_fields(style_kind, lang)
        name = verdict_name if style_kind == "verdicts" else layer_label(style_kind, lang)
        show = not (layers is None and style_kind in OFF_BY_DEFAULT)
        show = show and style_kind not in ANALYSIS_LAYERS
        group, box = _overlay(
            m,
            gdf,
            style_kind,
            name=name,
            lang=lang,
            fields=fields,
            tooltip=tip,
            show=show,
            **common,
        )
        groups.append(group)
        return box

    for kind in sorted(wanted, key=lambda k: order.index(k) if k in order else len(order)):
        if kind == "projects" and verdicts is not None:
            bounds.append(draw(verdicts, "verdicts"))
        else:
            bounds.append(draw(town.layers[kind], kind))
    if verdicts is not None and "projects" not in wanted:
        bounds.append(draw(verdicts, "verdicts"))
    if conflicts is not None and len(conflicts):
        draw(conflicts, "conflicts")  # overlaps lie inside the projects: they do not move the view
    for kind, frame in analysis_frames(
        town, extra, line_check=line_check, coverage=coverage, lang=lang
    ):
        draw(frame, kind)
    # Review results lead the legend (conflicts, then verdicts): what a reviewer looks for first.
    review_names = {layer_label("conflicts", lang), verdict_name}
    drawn = [g for g in groups if g is not None]
    legend_groups = [g for g in drawn if g.name in review_names][::-1] + [
        g for g in drawn if g.name not in review_names
    ]
    if labels:
        items = label_items(
            town.layers["roads"] if "roads" in wanted else None,
            (verdicts if verdicts is not None else town.layers.get("projects"))
            if "projects" in wanted or verdicts is not None
            else None,
            gcj02=gcj,
            precision=precision,
        )
        if items:
            LabelLayer(items, name=layer_name(lang)).add_to(m)
    if controls:
        add_controls(m, lang)
    bounds = _view_bounds(town, view, bounds, precision=precision, gcj02=gcj)
    return _finish(
        m, legend_groups, bounds, lang=lang, legend=legend, collapsed=collapse_layer_control
    )


def _view_bounds(
    town: Any, view: str, drawn: list, *, precision: int, gcj02: bool
) -> list[np.ndarray | None]:
    """The first view: the built-up area, the township or everything drawn."""
    if view not in ("builtup", "town", "data"):
        raise TownPlanError(f"view must be 'builtup', 'town' or 'data', got {view!r}.")
    for kind, wanted in (("builtup", ("builtup",)), ("boundary", ("builtup", "town"))):
        if view in wanted and town.has(kind) and len(town.layers[kind]):
            return [to_display(town.layers[kind], precision=precision, gcj02=gcj02).total_bounds]
    return drawn


def _use_compact(renderer: str, n_features: int, threshold: int) -> bool:
    if renderer not in ("auto", "geojson", "compact"):
        raise TownPlanError(f"renderer must be 'auto', 'geojson' or 'compact', got {renderer!r}.")
    return renderer == "compact" or (renderer == "auto" and n_features > threshold)


def explore(
    data: gpd.GeoDataFrame | Town,
    kind: str | None = None,
    *,
    name: str | None = None,
    basemap: str | None = "osm",
    lang: str = "zh",
    columns: Sequence[str] | None = None,
    precision: int = 6,
    simplify_m: float | None = None,
    canvas_threshold: int = 2000,
    renderer: str = "auto",
    compact_threshold: int = COMPACT_THRESHOLD,
    legend: bool = True,
    tianditu_key: str | None = None,
    tianditu_url: str | None = None,
) -> folium.Map:
    """Quick map of one layer, like ``GeoDataFrame.explore()`` but fast, escaped and offline-ready.

    Parameters
    ----------
    data : GeoDataFrame or Town
        Any layer with a CRS, or a Town with ``kind`` naming its layer
        (``explore(town, "control_lines")``).
    kind : str, optional
        Layer kind whose planners' style and popup fields to use (``roads``, ``control_lines``…);
        default: generic style with every non-geometry column in the popup. Required with a Town.
    name : str, optional
        Layer name in the layer control and legend (escaped).
    columns : sequence of str, optional
        Popup columns (default: the kind's fields, or all columns); the first two make the tooltip.
    Other parameters are those of :func:`plan_map`.

    Returns
    -------
    folium.Map
    """
    if isinstance(data, Town):
        if kind is None:
            raise TownPlanError(
                f"explore(town, kind): name the layer to show, one of {list(data.layers)}."
            )
        data = getattr(data, kind)
    if not isinstance(data, gpd.GeoDataFrame):
        raise TownPlanError(f"explore needs a GeoDataFrame, got {type(data).__name__}.")
    kind = kind or "generic"
    if columns is None and kind != "generic":
        fields, tip = popup_fields(kind, lang)
    else:
        cols = [c for c in (columns or data.columns) if c != data.geometry.name]
        fields = [(c, field_label(str(c), lang), _auto_format(data[c])) for c in cols]
        tip = cols[:2]
    m, gcj = _new_map(basemap, lang, tianditu_key=tianditu_key, tianditu_url=tianditu_url)
    label = name or (layer_label(kind, lang) if kind != "generic" else "layer")
    group, box = _overlay(
        m,
        data,
        kind,
        name=label,
        lang=lang,
        fields=fields,
        tooltip=tip,
        gcj02=gcj,
        precision=precision,
        simplify_m=simplify_m,
        canvas_threshold=canvas_threshold,
        compact=_use_compact(renderer, len(data), compact_threshold),
    )
    return _finish(m, [group], [box], lang=lang, legend=legend)


def _auto_format(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "num2"
    return "text"
