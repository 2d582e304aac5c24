"""Layer kinds, canonical columns, value domains and the Chinese/English alias table.

A planner's file says 道路等级 = 主干路; townplan_gis works with ``road_class = "arterial"``.
:func:`normalize_layer` maps one to the other through ``data/aliases.toml``, checks the value domains and
coerces types, and records every change it makes. It never modifies the caller's GeoDataFrame.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.datafiles import load_toml_text
from townplan_gis.core.errors import (
    EmptyLayerError,
    GeometryTypeError,
    MissingColumnError,
    MissingValueError,
    SchemaError,
    TownPlanError,
    UnknownValueError,
    ValueRangeError,
    _rows,
)
from townplan_gis.core.geometry import reduce_collections
from townplan_gis.core.repairs import Repair

__all__ = [
    "LAYERS",
    "MAX_ROAD_WIDTH_M",
    "STATISTICS",
    "Column",
    "LayerSpec",
    "absent_types",
    "aliases",
    "check_declared",
    "layer_kind",
    "normalize_layer",
    "rename_columns",
    "rename_repairs",
]

POLYGON = ("Polygon", "MultiPolygon")
LINE = ("LineString", "MultiLineString")
POINT = ("Point", "MultiPoint")


@dataclass(frozen=True)
class Column:
    """A canonical column: its name, type, whether it is required, and its value domain.

    ``required_unless`` names another column that stands in for this one: a row may leave a required
    column empty where the other column holds a positive number, and the column may be absent when
    every row has one. The rows concerned are recorded as a ``filled_unknown`` repair.

    A number column (``dtype="float"``) is always finite where given (empty cells are missing values,
    ``inf`` is refused); ``minimum`` (exclusive when ``positive``) and ``maximum`` bound it further,
    and ``unit`` names its unit in the error message.
    """

    name: str
    dtype: str  # "str", "float", "int", "bool"
    required: bool = False
    domain: tuple[str, ...] | None = None
    label_zh: str = ""
    label_en: str = ""
    required_unless: str | None = None
    minimum: float | None = None
    positive: bool = False
    maximum: float | None = None
    unit: str = ""


@dataclass(frozen=True)
class LayerSpec:
    """A layer kind: allowed geometry types and canonical columns."""

    kind: str
    geometry: tuple[str, ...]
    label_zh: str
    label_en: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# A road wider than this is a unit error (centimetres or millimetres typed as metres) or a typo, not
# a road: GB 50188-2007 §10 gives town main roads red lines of 24–36 m, and the widest urban avenues
# in China (Chang'an Avenue, Beijing) have red lines of about 100–120 m. The bound refuses the
# typo (a 1e6 m road would cover the town in the road-area figures and the derived red lines)
# while leaving room for any real road.
MAX_ROAD_WIDTH_M = 200.0

ROAD_CLASSES = ("expressway", "arterial", "secondary", "branch", "lane")
GREEN_CLASSES = ("G1", "G2", "G3", "XG", "EG")
LINE_TYPES = ("red", "green", "purple", "blue", "yellow")
ZONES = ("core", "control", "harmony")
SURFACES = ("paved", "unpaved")


@lru_cache(maxsize=1)
def aliases() -> dict[str, Any]:
    """The packaged alias table (``townplan_gis/data/aliases.toml``) as a dict."""
    text = resources.files("townplan_gis.data").joinpath("aliases.toml").read_text("utf-8")
    return load_toml_text(text, source="townplan_gis/data/aliases.toml")


_NAME = Column("name", "str", label_zh="名称", label_en="Name")

LAYERS: dict[str, LayerSpec] = {
    spec.kind: spec
    for spec in (
        LayerSpec("boundary", POLYGON, "镇域边界", "Town boundary", (_NAME,)),
        LayerSpec("builtup", POLYGON, "建成区", "Built-up area", (_NAME,)),
        LayerSpec(
            "roads",
            LINE,
            "道路",
            "Roads",
            (
                # A road with its red-line width is measurable without its class (road area, the
                # derived red line); only class-based figures (trunk-road lighting, class default
                # widths) need the class, so such a road keeps an unknown class instead of failing.
                Column(
                    "road_class",
                    "str",
                    True,
                    ROAD_CLASSES,
                    "道路等级",
                    "Road class",
                    required_unless="redline_width_m",
                ),
                Column(
                    "redline_width_m",
                    "float",
                    label_zh="红线宽度(m)",
                    label_en="Red-line width (m)",
                    positive=True,
                    maximum=MAX_ROAD_WIDTH_M,
                    unit="m",
                ),
                Column(
                    "carriageway_width_m",
                    "float",
                    label_zh="车行道宽度(m)",
                    label_en="Carriageway width (m)",
                    positive=True,
                    maximum=MAX_ROAD_WIDTH_M,
                    unit="m",
                ),
                Column("surface", "str", False, SURFACES, "路面", "Surface"),
                Column("lit", "bool", label_zh="路灯", label_en="Lit"),
                _NAME,
            ),
        ),
        LayerSpec(
            "green",
            POLYGON,
            "绿地",
            "Green land",
            (Column("green_class", "str", True, GREEN_CLASSES, "绿地类型", "Green class"), _NAME),
        ),
        LayerSpec(
            "canopy",
            POLYGON + POINT,
            "绿化覆盖(树冠)",
            "Tree canopy",
            (
                Column(
                    "crown_diameter_m",
                    "float",
                    label_zh="冠幅(m)",
                    label_en="Crown diameter (m)",
                    positive=True,
                    unit="m",
                ),
                _NAME,
            ),
        ),
        LayerSpec("water", POLYGON, "水域", "Water", (_NAME,)),
        LayerSpec(
            "heritage",
            POLYGON + POINT,
            "文物古迹",
            "Heritage",
            (_NAME, Column("grade", "str", label_zh="保护级别", label_en="Protection grade")),
        ),
        LayerSpec(
            "facilities",
            POINT + POLYGON,
            "公共设施",
            "Facilities",
            (Column("facility_type", "str", True, None, "设施类型", "Facility type"), _NAME),
        ),
        LayerSpec(
            "streetlights",
            POINT,
            "路灯",
            "Street lights",
            (Column("kind", "str", label_zh="类型", label_en="Kind"),),
        ),
        LayerSpec(
            "residential",
            POLYGON,
            "居住小区",
            "Residential quarters",
            (
                Column("households", "float", True, None, "户数", "Households", minimum=0.0),
                _NAME,
            ),
        ),
        LayerSpec(
            "control_lines",
            POLYGON,
            "五线",
            "Control lines",
            (
                Column("line_type", "str", True, LINE_TYPES, "控制线", "Control line"),
                Column("zone", "str", False, ZONES, "管控分区", "Zone"),
                _NAME,
                Column("code", "str", label_zh="编号", label_en="Code"),
                Column("source", "str", label_zh="来源", label_en="Source"),
                # Red lines only: the road class sets the building setback (8 m main roads, 5 m others).
                Column("road_class", "str", False, ROAD_CLASSES, "道路等级", "Road class"),
            ),
        ),
        LayerSpec(
            "projects",
            POLYGON + LINE + POINT,
            "建设项目",
            "Projects",
            (
                Column("project_id", "str", label_zh="项目编号", label_en="Project ID"),
                _NAME,
                Column("project_type", "str", True, None, "项目类型", "Project type"),
                Column(
                    "investment_wan_yuan",
                    "float",
                    label_zh="投资(万元)",
                    label_en="Investment (10k CNY)",
                    minimum=0.0,
                    unit="万元",
                ),
                Column("status", "str", label_zh="状态", label_en="Status"),
            ),
        ),
    )
}

# Reported (non-spatial) statistics a town may carry, with their Chinese labels.
STATISTICS: dict[str, tuple[str, str]] = {
    "water_supply_coverage_pct": ("供水普及率", "Water supply coverage"),
    "tap_water_coverage_pct": ("自来水普及率", "Tap-water coverage"),
    "safe_drinking_water_pct": ("安全饮水率", "Safe drinking water"),
    "gas_coverage_pct": ("燃气普及率", "Gas coverage"),
    "garbage_treatment_pct": ("垃圾处理率", "Garbage treatment rate"),
    "sewage_treatment_pct": ("污水处理率", "Sewage treatment rate"),
    "permit_rate_pct": ("一书两证办理率", "Planning permit rate"),
    "flush_toilet_pct": ("水冲式公厕比例", "Flush-type public toilets"),
    "population_growth_pct": ("建成区人口增长率", "Built-up population growth"),
    "well_equipped_streets_count": ("设施完善街道数量", "Well-equipped streets"),
    "greening_plan_adopted": ("绿地系统规划编制", "Greening system plan adopted (1 = yes)"),
    "scattered_homestead_approvals": ("零散宅基地审批数", "Scattered homestead approvals"),
}


def _key(value: object) -> str:
    return re.sub(r"\s+", " ", str(value).strip()).casefold()


@cache
def _value_lookup(column: str) -> dict[str, str]:
    table = aliases()["values"].get(column, {})
    lookup: dict[str, str] = {}
    for canonical, names in table.items():
        lookup[_key(canonical)] = canonical
        for n in names:
            lookup[_key(n)] = canonical
    return lookup


def layer_kind(name: str) -> str | None:
    """The canonical layer kind for a file or layer name (``"道路"`` → ``"roads"``), or None."""
    key = _key(name)
    for kind, names in aliases()["layers"].items():
        if key == kind or key in {_key(n) for n in names}:
            return kind
    return None


def _column_aliases(kind: str) -> dict[str, list[str]]:
    """Canonical column → its accepted aliases, for one layer kind (common aliases included)."""
    return {**aliases()["columns"].get("common", {}), **aliases()["columns"].get(kind, {})}


def _accepted(col: Column) -> tuple[str, ...]:
    """The canonical values a column accepts (its domain, else the alias table's values)."""
    return col.domain or tuple(aliases()["values"].get(col.name, {}))


def rename_columns(gdf: gpd.GeoDataFrame, kind: str) -> tuple[dict[str, str], list[str]]:
    """The renames that bring a layer's column names to the canonical ones, through the alias table.

    Matching ignores case and runs of white space (``" 道路等级 "``, ``ROAD_CLASS``). A canonical
    column already present is left alone and no alias is renamed onto it; each present column is
    renamed at most once. The frame itself is not changed: apply the result with
    ``gdf.rename(columns=renames)``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer as read. Not modified.
    kind : str
        Layer kind whose aliases apply (the common aliases are included), one of :data:`LAYERS`.

    Returns
    -------
    renames : dict of str to str
        Present column name → canonical name, for the columns that need a rename.
    canonical : list of str
        Every canonical column name the alias table knows for ``kind``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"道路等级": ["主干路"]}, geometry=[LineString([(0, 0), (1, 0)])])
    >>> rename_columns(roads, "roads")[0]
    {'道路等级': 'road_class'}
    """
    table = _column_aliases(kind)
    present = {_key(c): c for c in gdf.columns if c != gdf.geometry.name}
    renames: dict[str, str] = {}
    for canonical, names in table.items():
        if canonical in gdf.columns:
            continue
        candidates = []
        for n in (canonical, *names):
            col = present.get(_key(n))
            if col is not None and col not in renames and col not in table:
                candidates.append(col)
        if candidates:
            renames[_best_candidate(gdf, canonical, list(dict.fromkeys(candidates)))] = canonical
    return renames, list(table)


def rename_repairs(kind: str, renames: Mapping[str, str]) -> list[Repair]:
    """The record of column renames (``[]`` when none): one ``renamed_columns`` Repair of the layer.

    Examples
    --------
    >>> rename_repairs("control_lines", {"类型": "line_type"})[0].detail
    '类型→line_type'
    """
    if not renames:
        return []
    return [Repair(kind, "renamed_columns", [], ", ".join(f"{a}→{b}" for a, b in renames.items()))]


def _best_candidate(gdf: gpd.GeoDataFrame, canonical: str, candidates: list[str]) -> str:
    """Of several columns that could be ``canonical``, the one whose values fit its vocabulary.

    Generic names (``type``, ``class``, ``id``) are common in GIS exports with other meanings: an
    OpenStreetMap or CAD export's ``type`` holds geometry types (``multipolygon``). When a layer
    has both ``type`` and, say, ``linetype``, the column whose values are control-line types is
    taken; among equally good ones the alias table's order decides (specific names come first).
    """
    lookup = _value_lookup(canonical)
    if len(candidates) == 1 or not lookup:
        return candidates[0]

    def share_known(col: str) -> float:
        values = gdf[col][~_blank(gdf[col])]
        distinct = pd.unique(values)
        if len(distinct) == 0:
            return 0.0
        return sum(_key(v) in lookup for v in distinct) / len(distinct)

    scores = [share_known(c) for c in candidates]
    return candidates[scores.index(max(scores))]


_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(m|米|户|万元|万)?\s*$")


def _to_float(series: pd.Series, layer: str, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    text = series.astype("string")
    parsed = text.str.extract(_NUMBER, expand=True)[0]
    bad = series.notna() & parsed.isna()
    if bad.any():
        raise SchemaError(
            f"layer '{layer}', column '{column}': values {list(series[bad].unique()[:5])} in rows "
            f"{list(series.index[bad][:10])} are not numbers. Fix: write plain numbers "
            f"(a unit suffix such as 'm' or '米' is accepted)."
        )
    return pd.to_numeric(parsed, errors="coerce").astype("float64")


def _check_range(series: pd.Series, layer: str, col: Column) -> None:
    """Refuse infinite numbers and numbers outside the column's bounds (empty cells are fine)."""
    unit = f" {col.unit}" if col.unit else ""
    bad = np.isinf(series.to_numpy(dtype="float64"))
    bounds = []
    if col.minimum is not None or col.positive:
        low = 0.0 if col.minimum is None else col.minimum
        bad |= (series < low).to_numpy() | ((series == low).to_numpy() & col.positive)
        bounds.append(f"{'>' if col.positive else '≥'} {low:g}{unit}")
    if col.maximum is not None:
        bad |= (series > col.maximum).to_numpy()
        bounds.append(f"≤ {col.maximum:g}{unit}")
    if not bad.any():
        return
    label = re.sub(r"\s*\(.*\)$", "", col.label_en) or col.name
    fix = "correct these values"
    if col.maximum is not None:
        fix += (
            f" (a value above {col.maximum:g}{unit} is a typo or a unit error, e.g. centimetres "
            f"typed as metres)"
        )
    if col.positive:
        fix += (
            "; leave the cell empty where the value is unknown (a 0 or negative number written "
            "for 'no value', as shapefiles do, must be blanked)"
        )
    raise ValueRangeError(
        layer,
        col.name,
        values=series[bad].tolist(),
        rows=series.index[bad].tolist(),
        accepted=f"{label} must be a finite number {' and '.join(bounds)}".rstrip(),
        fix=fix + ".",
    )


def _blank(series: pd.Series) -> pd.Series:
    """Null, NaN and whitespace-only cells: missing values, not unknown ones."""
    blank_text = (series.astype("string").str.strip() == "").fillna(False).astype(bool)
    return series.isna() | blank_text


def _lacking(gdf: gpd.GeoDataFrame, col: Column) -> tuple[pd.Series, pd.Series]:
    """Rows of a required column with no value: (not allowed, allowed through ``required_unless``)."""
    missing = _blank(gdf[col.name])
    if col.required_unless is not None and col.required_unless in gdf.columns:
        stand_in = pd.to_numeric(gdf[col.required_unless], errors="coerce") > 0
    else:
        stand_in = pd.Series(False, index=gdf.index)
    return missing & ~stand_in, missing & stand_in


def _check_values(
    series: pd.Series, layer: str, col: Column, unknown: pd.Series, lacking: pd.Series
) -> None:
    """Raise for missing values (MissingValueError) apart from unknown ones (UnknownValueError)."""
    if lacking.any():
        raise MissingValueError(
            layer,
            col.name,
            rows=series.index[lacking].tolist(),
            accepted=_accepted(col),
            unknown_values=series[unknown].tolist(),
            unknown_rows=series.index[unknown].tolist(),
            stand_in=col.required_unless,
        )
    if unknown.any():
        raise UnknownValueError(
            layer,
            col.name,
            values=series[unknown].tolist(),
            rows=series.index[unknown].tolist(),
            accepted=_accepted(col),
        )


def _map_domain(series: pd.Series, layer: str, col: Column, lacking: pd.Series) -> pd.Series:
    lookup = _value_lookup(col.name)
    present = ~_blank(series)
    # Each distinct value is looked up once (a layer of 10⁵ features has a handful of values).
    table = {v: lookup.get(_key(v)) for v in pd.unique(series[present])}
    mapped = series[present].map(table).reindex(series.index)
    _check_values(series, layer, col, present & mapped.isna(), lacking)
    return mapped.astype("object").where(mapped.notna(), None)


def _to_bool(series: pd.Series, layer: str, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean")
    if pd.api.types.is_numeric_dtype(series):
        # GeoPackage stores a nullable boolean as 0/1/NULL.
        bad = series.notna() & ~series.isin([0, 1])
        if bad.any():
            raise UnknownValueError(
                layer,
                column,
                values=series[bad].tolist(),
                rows=series.index[bad].tolist(),
                accepted=("0", "1", "true", "false"),
            )
        return series.map({1: True, 0: False}).astype("boolean")
    lookup = _value_lookup(column)
    present = series.notna()
    keys = series.map(lambda v: lookup.get(_key(v)) if pd.notna(v) else None)
    bad = present & keys.isna()
    if bad.any():
        raise UnknownValueError(
            layer,
            column,
            values=series[bad].tolist(),
            rows=series.index[bad].tolist(),
            accepted=("true", "false", "是", "否"),
        )
    return keys.map({"true": True, "false": False}).astype("boolean")


def _empty_column(dtype: str, index: pd.Index) -> pd.Series:
    if dtype == "bool":
        return pd.Series(pd.NA, index=index, dtype="boolean")
    if dtype == "float":
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series([None] * len(index), index=index, dtype="object")


def _coerce(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> list[Repair]:
    """Coerce canonical columns in place on a copy that normalize_layer owns; the repairs made."""
    repairs: list[Repair] = []
    nothing = pd.Series(False, index=gdf.index)
    given = [c for c in gdf.columns if c != gdf.geometry.name]
    # A column that another may stand in for is checked after that one has been coerced.
    for col in sorted(spec.columns, key=lambda c: c.required_unless is not None):
        absent = col.name not in gdf.columns
        if absent:
            gdf[col.name] = _empty_column(col.dtype, gdf.index)
        lacking, allowed = (
            _lacking(gdf, col) if col.required and col.dtype == "str" else (nothing, nothing)
        )
        if absent:
            if lacking.any():
                raise MissingColumnError(
                    spec.kind,
                    col.name,
                    available=given,
                    aliases=_column_aliases(spec.kind).get(col.name, []),
                )
        else:
            s = gdf[col.name]
            if col.dtype == "float":
                gdf[col.name] = _to_float(s, spec.kind, col.name)
                _check_range(gdf[col.name], spec.kind, col)
            elif col.dtype == "bool":
                gdf[col.name] = _to_bool(s, spec.kind, col.name)
            elif col.name in aliases()["values"]:
                gdf[col.name] = _map_domain(s, spec.kind, col, lacking)
            else:
                _check_values(s, spec.kind, col, nothing, lacking)
                as_text = s.map(
                    lambda v: (
                        None
                        if pd.isna(v)
                        else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                    )
                )
                gdf[col.name] = as_text.astype("object")
        if allowed.any():
            where = "no such column" if absent else f"{int(allowed.sum())} row(s)"
            repairs.append(
                Repair(
                    spec.kind,
                    "filled_unknown",
                    gdf.index[allowed].tolist(),
                    f"{col.name} missing ({where}); kept as unknown (None) because "
                    f"{col.required_unless} is given; figures that need {col.name} do not count "
                    f"these rows. Fix: fill {col.name} ({col.label_zh}).",
                )
            )
    return repairs


def _replace_geometry(
    gdf: gpd.GeoDataFrame,
    geoms: np.ndarray,
    changed: np.ndarray,
    *,
    kind: str,
    action: str,
    detail: str,
) -> Repair:
    """Set ``gdf``'s geometry in place (a copy normalize_layer owns); the Repair of the changed rows."""
    gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return Repair(kind, action, gdf.index[changed].tolist(), detail)


_DIMENSION = {
    "Point": 0,
    "MultiPoint": 0,
    "LineString": 1,
    "MultiLineString": 1,
    "Polygon": 2,
    "MultiPolygon": 2,
}
_FAMILY = {0: "Point", 1: "LineString", 2: "Polygon"}


def _reduce_collections(gdf: gpd.GeoDataFrame, spec: LayerSpec, repairs: list[Repair]) -> None:
    """Reduce GeometryCollections (CAD and overlay output) to the layer's allowed geometry family.

    A collection keeps its parts of the highest dimension the layer allows (see
    :func:`townplan_gis.core.geometry.reduce_collections`); the repair names each row and what it lost.
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    dims = sorted({_DIMENSION[t] for t in spec.geometry})
    reduced, collections, dropped = reduce_collections(geoms, dims)
    if not collections.any():
        return
    rows = gdf.index[collections].tolist()
    kept = shapely.get_dimensions(reduced[collections])
    empty = shapely.is_empty(reduced[collections])
    notes = []
    for row, lost, dim, nothing in zip(rows, dropped, kept, empty, strict=True):
        what = ", ".join(f"{n} {t}" for t, n in lost.items()) or "nothing"
        kept_text = "no allowed part, kept as empty" if nothing else f"kept {_FAMILY[dim]}s"
        notes.append(f"row {row}: {kept_text}, dropped {what}")
    more = f"; … and {len(notes) - 5} more rows" if len(notes) > 5 else ""
    families = "/".join(_FAMILY[d] for d in reversed(dims))
    repairs.append(
        _replace_geometry(
            gdf,
            reduced,
            collections,
            kind=spec.kind,
            action="extracted_parts",
            detail=(
                f"geometry collections reduced to their {families} parts (the highest allowed "
                f"dimension present): {'; '.join(notes[:5])}{more}"
            ),
        )
    )


def _fix_geometry_types(gdf: gpd.GeoDataFrame, spec: LayerSpec, repairs: list[Repair]) -> None:
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    has_z = shapely.has_z(geoms)
    if has_z.any():
        repairs.append(
            _replace_geometry(
                gdf,
                shapely.force_2d(geoms),
                has_z,
                kind=spec.kind,
                action="dropped_z",
                detail="Z coordinates dropped (analysis is 2-D)",
            )
        )
    if spec.geometry[0] == "Polygon":
        # CAD exports carry closed polylines where a polygon is meant (domain brief §6).
        geoms = np.asarray(gdf.geometry.array)
        closed_line = (
            np.isin(shapely.get_type_id(geoms), [1, 2])
            & shapely.is_closed(geoms)
            & (shapely.get_num_coordinates(geoms) >= 4)
        )
        if closed_line.any():
            coords, idx = shapely.get_coordinates(geoms[closed_line], return_index=True)
            fixed = geoms.copy()
            fixed[closed_line] = shapely.polygons(shapely.linearrings(coords, indices=idx))
            repairs.append(
                _replace_geometry(
                    gdf,
                    fixed,
                    closed_line,
                    kind=spec.kind,
                    action="polygonized",
                    detail="closed lines turned into polygons (CAD export)",
                )
            )
    allowed = spec.geometry
    if spec.kind == "projects":
        # A project may be a site plus its road: the five-line review checks every part.
        allowed = (*allowed, "GeometryCollection")
    else:
        _reduce_collections(gdf, spec, repairs)
    types = gdf.geometry.geom_type
    bad = types.notna() & ~types.isin(allowed)
    if bad.any():
        raise GeometryTypeError(
            f"layer '{spec.kind}': geometry types {sorted(set(types[bad]))} in rows "
            f"{gdf.index[bad].tolist()[:10]} are not allowed; accepted: {list(spec.geometry)}. "
            f"Fix: convert the geometries, or load them as the right layer kind."
        )


def normalize_layer(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    allow_empty: bool = False,
) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Bring one layer to its canonical schema.

    Columns named by an alias (``道路等级``, ``红线宽度`` …) are renamed, values mapped to their canonical
    codes (``主干路`` → ``arterial``), numbers parsed (``"24m"`` → 24.0), and missing optional columns
    added as nulls. Extra columns are kept. A road with a red-line width may lack its class (or the
    whole ``road_class`` column may be absent): the class is kept as unknown (None) and the rows are
    recorded as a ``filled_unknown`` repair. GeometryCollections are reduced to the layer's allowed
    geometry family and recorded as ``extracted_parts``.

    Every rename is recorded (``renamed_columns``, ``道路等级→road_class``), and an error about a
    renamed column names the file's column: ``column 'type' (read as 'line_type' …)``. When several
    columns could be the same canonical one (``type`` and ``linetype``), the one whose values fit
    the column's vocabulary is taken. Numbers must be finite and within the column's range (road
    widths > 0 and ≤ :data:`MAX_ROAD_WIDTH_M`, households and investment ≥ 0, crown diameters
    > 0). Project ids used by several projects are recorded as ``duplicate_ids`` (kept as they
    are).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer as read. Not modified.
    kind : str
        Layer kind, one of :data:`LAYERS`.
    allow_empty : bool, default False
        Accept a layer with no features instead of raising :class:`EmptyLayerError`.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Repair)
        The normalised copy, and what was changed.

    Raises
    ------
    MissingColumnError, MissingValueError, UnknownValueError, ValueRangeError, GeometryTypeError,
    EmptyLayerError
        ``MissingValueError`` (empty cells in a required column) is a subclass of
        ``UnknownValueError`` (values outside the column's domain); ``ValueRangeError`` names the
        numbers out of range (``inf``, a negative or zero road width …).
    """
    if kind not in LAYERS:
        raise SchemaError(f"unknown layer kind '{kind}'. Accepted kinds: {list(LAYERS)}.")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"layer '{kind}' must be a GeoDataFrame, got {type(gdf).__name__}.")
    spec = LAYERS[kind]
    if len(gdf) == 0 and not allow_empty:
        raise EmptyLayerError(kind)
    repairs: list[Repair] = []
    out = gdf.copy()
    renames, _ = rename_columns(out, kind)
    if renames:
        out = out.rename(columns=renames)
        repairs += rename_repairs(kind, renames)
    for col in spec.columns:
        stand_in = col.required_unless is not None and col.required_unless in out.columns
        if col.required and col.name not in out.columns and not stand_in:
            raise MissingColumnError(
                kind,
                col.name,
                available=[c for c in out.columns if c != out.geometry.name],
                aliases=_column_aliases(kind).get(col.name, []),
            )
    try:
        repairs += _coerce(out, spec)
    except SchemaError as exc:
        _name_source(exc, {canonical: source for source, canonical in renames.items()})
        raise
    if kind == "projects":
        repairs += _duplicate_ids(out)
    _fix_geometry_types(out, spec, repairs)
    geom = out.geometry.name
    canonical = [c.name for c in spec.columns]
    order = canonical + [c for c in out.columns if c not in canonical and c != geom] + [geom]
    return out[order], repairs


def _name_source(exc: SchemaError, sources: Mapping[str, str]) -> None:
    """Make an error about a renamed column name the column as the file calls it.

    ``column 'line_type': unknown value(s) ['multipolygon']`` says nothing to a planner whose file
    has a column ``type`` (an alias of ``line_type``); the message then reads ``column 'type'
    (read as 'line_type')`` and says how to stop the alias applying. Changes ``exc`` in place.
    """
    message = str(exc)
    own = getattr(exc, "column", None)
    ordered = sorted(sources.items(), key=lambda item: item[0] != own)
    for canonical, source in ordered:
        named = f"column '{canonical}'"
        if named not in message:
            continue
        message = message.replace(
            named, f"column '{source}' (read as '{canonical}' through the alias table)", 1
        )
        message += (
            f" If the file's column '{source}' holds something else, rename it in the file (or "
            f"add a '{canonical}' column, which is then used instead)."
        )
        exc.source_column = source  # type: ignore[attr-defined]
        exc.args = (message,)
        return


def _duplicate_ids(projects: gpd.GeoDataFrame) -> list[Repair]:
    """A record of project ids used by more than one project (the ids are kept as they are)."""
    pid = projects["project_id"]
    dup = pid.notna() & pid.duplicated(keep=False)
    if not dup.any():
        return []
    groups = projects.index[dup].to_series().groupby(pid[dup].to_numpy(), sort=False)
    shown = [f"'{i}' (rows {', '.join(map(str, rows))})" for i, rows in groups][:10]
    more = f"; … and {groups.ngroups - 10} more ids" if groups.ngroups > 10 else ""
    return [
        Repair(
            "projects",
            "duplicate_ids",
            projects.index[dup].tolist(),
            f"project_id used by more than one project: {'; '.join(shown)}{more}. Kept as they "
            f"are; tables and opinions keyed by project_id cannot tell these projects apart. Fix: "
            f"give each project its own project_id (项目编号).",
        )
    ]


def canonical_columns(kind: str) -> list[str]:
    """Names of the canonical columns of a layer kind, in schema order."""
    return [c.name for c in LAYERS[kind].columns]


def describe(kind: str) -> Mapping[str, str]:
    """Chinese and English labels of a layer kind."""
    spec = LAYERS[kind]
    return {"kind": kind, "label_zh": spec.label_zh, "label_en": spec.label_en}


def absent_types(
    absent: str | Iterable[str] | None,
    *,
    where: str = "absent",
    error: type[TownPlanError] = SchemaError,
) -> list[str]:
    """Canonical line types declared absent (Chinese aliases accepted), in ``LINE_TYPES`` order.

    Raises
    ------
    SchemaError (or ``error``)
        A value that is not one of the five line types (or an alias), or not a list of texts.
    """
    if absent is None:
        return []
    values = [absent] if isinstance(absent, str) else absent
    try:
        values = list(values)
    except TypeError as exc:
        raise error(
            f"{where} must be a list of line types such as ['purple'], got {absent!r}."
        ) from exc
    lookup = _value_lookup("line_type")
    out, unknown = set(), []
    for v in values:
        canon = lookup.get(_key(v)) if isinstance(v, str) else None
        if canon is None:
            unknown.append(v)
        else:
            out.add(canon)
    if unknown:
        raise error(
            f"{where}: unknown line type(s) {unknown}. Accepted: {list(LINE_TYPES)} (or their "
            f"Chinese names, e.g. 紫线). Fix: name the types the town really has none of."
        )
    return [t for t in LINE_TYPES if t in out]


def check_declared(lines: gpd.GeoDataFrame, absent: list[str]) -> None:
    """Refuse a line type that is both in the line data and declared absent."""
    both = [t for t in absent if (lines["line_type"] == t).any()]
    if both:
        rows = lines.index[lines["line_type"].isin(both)]
        raise SchemaError(
            f"line type(s) {both} are declared absent (the town has none) but the control lines "
            f"have {len(rows)} feature(s) of them, rows {_rows(rows)}. Fix: remove them from "
            f"absent / absent_line_types, or remove those lines."
        )
