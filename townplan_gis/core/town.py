"""The Town: a named set of planning layers in one metric CRS, with population and reported statistics."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from townplan_gis.core.crs import analysis_crs, check_coordinates
from townplan_gis.core.errors import (
    CRSError,
    DataFileError,
    GeometryError,
    MissingLayerError,
    TownPlanError,
    _rows,
)
from townplan_gis.core.geometry import nonfinite, repair_geometry
from townplan_gis.core.repairs import Repair, repairs_frame
from townplan_gis.core.schema import (
    LAYERS,
    STATISTICS,
    absent_types,
    canonical_columns,
    check_declared,
    normalize_layer,
)

__all__ = ["Town"]

log = logging.getLogger(__name__)


def _is_number(value: Any) -> bool:
    """A real number: int, float or a numpy number, but not a bool (``True`` is not 1 resident)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _number_or_none(value: Any) -> float | None:
    """``value`` as a float when it is a number or text that reads as one, else None."""
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            return None
    return None


def _check_population(population: Any) -> float | None:
    """The resident population as a float, None when unknown; refuses anything else.

    Text that reads as a number (``"12600"``, from a spreadsheet cell) is accepted; booleans, NaN,
    infinity and negative numbers are refused: ``population = true`` in a town.toml would otherwise
    become 1 resident and every per-capita figure would be wrong by four orders of magnitude.
    """
    if population is None:
        return None
    fix = "Fix: give the resident (常住) population as a plain number, e.g. population = 12600"
    value = _number_or_none(population)
    if value is None:
        raise DataFileError(
            f"population must be a number of residents, got {population!r} "
            f"({type(population).__name__}). {fix}; leave it out when unknown."
        )
    if math.isnan(value):
        raise DataFileError(
            f"population is NaN. {fix}; leave it out (population=None) when it is unknown."
        )
    if math.isinf(value) or value < 0:
        raise DataFileError(f"population must be a finite number ≥ 0, got {population!r}. {fix}.")
    return value


def _check_statistics(statistics: Mapping[str, Any] | None) -> dict[str, float]:
    """Reported statistics as ``{key: float}``; refuses non-numbers, booleans, NaN and infinity.

    Percentages (``*_pct``, except the growth rate) must lie in 0–100, counts (``*_count``,
    ``scattered_homestead_approvals``) must be ≥ 0, and the flag ``greening_plan_adopted`` must be
    0 or 1. Unregistered keys pass through (a standard may ask for a figure this package does not
    know).
    """
    if statistics is None:
        return {}
    if isinstance(statistics, pd.Series):
        statistics = statistics.to_dict()
    if not isinstance(statistics, Mapping):
        raise DataFileError(
            f"statistics must be a table of numbers ([statistics] in town.toml, a dict in Python), "
            f"got {statistics!r} ({type(statistics).__name__}). Known statistics: "
            f"{list(STATISTICS)}."
        )
    out: dict[str, float] = {}
    for key, value in statistics.items():
        if not isinstance(key, str):
            raise DataFileError(f"statistics keys must be names, got {key!r}.")
        number = _number_or_none(value)
        if number is None:
            hint = " Write 1 for yes and 0 for no." if isinstance(value, (bool, np.bool_)) else ""
            raise DataFileError(
                f"statistics '{key}' must be a number, got {value!r}.{hint} Known statistics: "
                f"{list(STATISTICS)}."
            )
        if not math.isfinite(number):
            raise DataFileError(
                f"statistics '{key}' = {number} is not a finite number. Fix: give the reported "
                f"figure, or leave the key out when it is not reported."
            )
        if key.endswith("_pct") and not 0 <= number <= 100 and key != "population_growth_pct":
            raise DataFileError(
                f"statistics '{key}' = {number:g} is not a percentage between 0 and 100."
            )
        if (key.endswith("_count") or key == "scattered_homestead_approvals") and number < 0:
            raise DataFileError(f"statistics '{key}' = {number:g} is a count and must be ≥ 0.")
        if key == "greening_plan_adopted" and number not in (0.0, 1.0):
            raise DataFileError(
                f"statistics '{key}' = {number:g} is a flag: write 1 (adopted) or 0 (not adopted)."
            )
        out[key] = number
    return out


def _feature_names(gdf: gpd.GeoDataFrame, limit: int = 5) -> str:
    """``" = PURPLE-1 古城紫线, …"``: the code and name of these features, so a planner finds them."""
    cols = [c for c in ("code", "line_id", "project_id", "name") if c in gdf.columns]
    if not cols:
        return ""
    names = [
        " ".join(str(v) for v in row if (isinstance(v, str) and v.strip()) or isinstance(v, int))
        for row in gdf[cols].head(limit).itertuples(index=False)
    ]
    names = [n for n in names if n]
    more = ", …" if len(gdf) > limit else ""
    return f" = {', '.join(names)}{more}" if names else ""


def _nonfinite_vertices(
    gdf: gpd.GeoDataFrame, kind: str, source: str | None
) -> tuple[np.ndarray, list[Repair]]:
    """Rows with a NaN or infinite vertex: recorded for projects (the review marks them invalid),
    refused in every other layer, where such a feature would silently measure as nothing."""
    bad = nonfinite(np.asarray(gdf.geometry.array, dtype=object))
    if not bad.any():
        return bad, []
    rows = gdf.index[bad].tolist()
    if kind == "projects":
        note = "NaN or infinite coordinates; kept, the review marks these projects invalid"
        return bad, [Repair(kind, "nonfinite_vertices", rows, note)]
    src = f" ({source})" if source else ""
    raise GeometryError(
        f"layer '{kind}'{src}: NaN or infinite coordinates in rows {_rows(rows)}"
        f"{_feature_names(gdf[bad])} ({len(rows)} of "
        f"{len(gdf)} features); such a feature measures as nothing (a control line would cover "
        f"no project). Fix: correct or delete these vertices in the source data, then read again."
    )


def _repair_finite(
    gdf: gpd.GeoDataFrame, kind: str, bad: np.ndarray
) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """:func:`repair_geometry` on the rows without NaN/Inf vertices; the others are kept as they
    are (``make_valid`` would collapse them, hiding why the project cannot be reviewed)."""
    if not bad.any():
        return repair_geometry(gdf, kind)
    fixed, rep = repair_geometry(gdf[~bad], kind)
    geoms = np.asarray(gdf.geometry.array, dtype=object).copy()
    geoms[~bad] = np.asarray(fixed.geometry.array, dtype=object)
    out = gdf.copy()
    out[out.geometry.name] = gpd.GeoSeries(geoms, index=out.index, crs=out.crs)
    return out, rep


def _check_mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DataFileError(
            f"{what} must be a table ([{what}] in town.toml, a dict in Python), got {value!r} "
            f"({type(value).__name__})."
        )
    return dict(value)


def _check_crs(value: Any, what: str) -> Any:
    """``value`` unchanged when pyproj understands it as a CRS, else a CRSError naming ``what``."""
    if value is None or isinstance(value, pyproj.CRS):
        return value
    try:
        if isinstance(value, (bool, float)):
            raise pyproj.exceptions.CRSError(f"a {type(value).__name__} is not a CRS")
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"{what} {value!r} is not a coordinate reference system ({exc}). Fix: pass an EPSG "
            f"code such as 'EPSG:4546' (CGCS2000 GK CM 111E) or 'EPSG:4490' (CGCS2000 lon/lat)."
        ) from exc
    return value


class Town:
    """A town's planning layers, all in one metric analysis CRS.

    Parameters
    ----------
    name : str
        Town name, e.g. ``"蒲州镇"``.
    layers : mapping of str to GeoDataFrame, optional
        Layers by kind (``boundary``, ``builtup``, ``roads``, ``green``, ``canopy``, ``water``,
        ``heritage``, ``facilities``, ``streetlights``, ``residential``, ``control_lines``,
        ``projects``). Chinese column names and values are understood through the alias table.
        The caller's frames are never modified.
    population : float, optional
        Resident (常住) population, in the same statistical scope as the built-up area.
    statistics : mapping, optional
        Reported figures such as ``water_supply_coverage_pct`` (see :data:`schema.STATISTICS`).
    crs : CRS-like, optional
        Metric analysis CRS. Default: CGCS2000 3-degree GK zone in China, UTM elsewhere.
    assume_crs : CRS-like, optional
        CRS to assume for layers that carry none; without it such layers are refused.
    allow_empty : bool, default False
        Keep layers that have no features instead of raising.
    metadata : mapping, optional
        Free-form provenance (data sources, ``illustrative`` flag …), kept through read/write.
    absent_line_types : sequence of str, optional
        Control-line types the town has none of (``["purple"]``: no protected heritage; Chinese
        names accepted), so that the five-line review counts them as checked ("declared: the town
        has none") instead of leaving its projects ``not_checked``. Stored canonical, in
        ``schema.LINE_TYPES`` order, as ``town.absent_line_types``; kept through read/write
        (``absent_line_types = ["purple"]`` in ``town.toml``). A type the town's
        ``control_lines`` do have is an error.

    Attributes
    ----------
    repairs : pandas.DataFrame
        Every change made to the data (alias renames, CRS assumed, zone prefixes removed,
        reprojection, make_valid, empty geometries, projects with NaN/Inf vertices kept), one row
        per action with the layer and the affected row labels.

    Raises
    ------
    CRSError
        A layer without CRS (and no ``assume_crs``), or whose coordinates do not fit its CRS
        (:func:`townplan_gis.check_coordinates`: lon/lat as metres, swapped axes, a foreign zone
        prefix …), checked before anything is reprojected.
    GeometryError
        A NaN or infinite vertex in any layer but ``projects``.
    """

    def __init__(
        self,
        name: str,
        *,
        layers: Mapping[str, gpd.GeoDataFrame] | None = None,
        population: float | None = None,
        statistics: Mapping[str, Any] | None = None,
        crs: Any = None,
        assume_crs: Any = None,
        allow_empty: bool = False,
        metadata: Mapping[str, Any] | None = None,
        absent_line_types: Any = None,
        _repairs: list[Repair] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise DataFileError(f"a town's name must be non-empty text, got {name!r}.")
        self.name = name
        self.absent_line_types: list[str] = absent_types(
            absent_line_types, where=f"town '{name}': absent_line_types", error=DataFileError
        )
        self.population = _check_population(population)
        self.statistics = _check_statistics(statistics)
        self.metadata = _check_mapping(metadata, "metadata")
        crs = _check_crs(crs, "crs")
        assume_crs = _check_crs(assume_crs, "assume_crs")
        repairs: list[Repair] = list(_repairs or [])
        prepared: dict[str, gpd.GeoDataFrame] = {}
        nonfinite_rows: dict[str, np.ndarray] = {}
        for kind, gdf in (layers or {}).items():
            if kind not in LAYERS:
                raise MissingLayerError(
                    f"unknown layer kind '{kind}'. Accepted kinds: {list(LAYERS)}."
                )
            norm, rep = normalize_layer(gdf, kind, allow_empty=allow_empty)
            repairs += rep
            if norm.crs is None:
                if assume_crs is None:
                    raise CRSError(
                        f"layer '{kind}' has no CRS (a shapefile without .prj?). Fix: pass "
                        f"assume_crs='EPSG:4490' (or the CRS the data really is in), or add a .prj."
                    )
                norm = norm.set_crs(assume_crs)
                repairs.append(
                    Repair(kind, "assumed_crs", [], f"no CRS in the data; assumed {assume_crs}")
                )
            # Before reprojection: numbers that do not fit their CRS would land elsewhere on Earth.
            source = gdf.attrs.get("source") if hasattr(gdf, "attrs") else None
            nonfinite_rows[kind], rep = _nonfinite_vertices(norm, kind, source)
            repairs += rep
            norm, rep = check_coordinates(norm, layer=kind, source=source)
            repairs += rep
            prepared[kind] = norm
        self.crs: pyproj.CRS | None = (
            analysis_crs(*prepared.values(), crs=crs) if prepared or crs else None
        )
        self.layers: dict[str, gpd.GeoDataFrame] = {}
        for kind, gdf in prepared.items():
            # Layers were prepared, so the analysis CRS was chosen above (never None here).
            if self.crs is not None and not gdf.crs.equals(self.crs):
                repairs.append(
                    Repair(
                        kind, "reprojected", [], f"{gdf.crs.to_string()} → {self.crs.to_string()}"
                    )
                )
                gdf = gdf.to_crs(self.crs)
            gdf, rep = _repair_finite(gdf, kind, nonfinite_rows[kind])
            repairs += rep
            self.layers[kind] = gdf
        self._repairs = repairs
        self._check_absent()
        self._dissolved: dict[str, tuple[gpd.GeoDataFrame, shapely.Geometry | None]] = {}
        for r in repairs:
            if r.action in ("make_valid", "collapsed", "empty_geometry", "assumed_crs"):
                log.info("%s: %s %s (%d rows)", r.layer, r.action, r.detail, len(r.rows))

    def _check_absent(self) -> None:
        """A line type declared absent must not be in the town's control lines."""
        lines = self.layers.get("control_lines")
        if lines is None or not self.absent_line_types:
            return
        try:
            check_declared(lines, self.absent_line_types)
        except TownPlanError as exc:
            raise DataFileError(f"town '{self.name}': {exc}") from None

    # -- access -------------------------------------------------------------------------------------
    def __getattr__(self, kind: str) -> gpd.GeoDataFrame:
        if kind in LAYERS:
            layers = self.__dict__.get("layers", {})
            if kind in layers:
                return layers[kind]
            raise MissingLayerError(
                f"town '{self.__dict__.get('name')}' has no '{kind}' layer. Layers present: "
                f"{list(layers)}. Fix: add it with town.with_layer('{kind}', gdf)."
            )
        raise AttributeError(kind)

    def has(self, kind: str) -> bool:
        """Whether the town has a layer of this kind with at least one feature."""
        return kind in self.layers and len(self.layers[kind]) > 0

    def layer(self, kind: str, *, empty_ok: bool = False) -> gpd.GeoDataFrame:
        """The layer of this kind; with ``empty_ok`` an empty canonical frame when the town lacks it."""
        if kind in self.layers or not empty_ok:
            return getattr(self, kind)
        cols = canonical_columns(kind)
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype="object") for c in cols}, geometry=gpd.GeoSeries(crs=self.crs)
        )

    @property
    def repairs(self) -> pd.DataFrame:
        """What was changed in the data, one row per action (see class docstring)."""
        return repairs_frame(self._repairs)

    def dissolved(self, kind: str) -> shapely.Geometry | None:
        """The features of a polygon layer dissolved into one geometry (overlaps counted once).

        Computed once per town and layer and kept: the built-up area is the clip of most indicators,
        and the notebook display and the report show its area, so nothing dissolves it twice.
        Keyed by the frame itself: a layer replaced through ``town.layers[kind] = …`` is dissolved
        anew.

        Parameters
        ----------
        kind : str
            Layer kind, e.g. ``"boundary"`` or ``"builtup"``.

        Returns
        -------
        shapely.Geometry or None
            None when the town has no such layer or it has no features (an empty geometry when
            none of them has geometry). Do not modify it (it is shared): ``shapely.prepare`` a
            copy.
        """
        gdf = self.layers.get(kind)
        if gdf is None or len(gdf) == 0:
            return None
        cached = self._dissolved.get(kind)
        if cached is None or cached[0] is not gdf:
            cached = (gdf, gdf.geometry.union_all())
            self._dissolved[kind] = cached
        return cached[1]

    def area_km2(self, kind: str) -> float:
        """Area of a polygon layer with overlaps counted once (:meth:`dissolved`), km².

        Parameters
        ----------
        kind : str
            Layer kind, e.g. ``"boundary"`` or ``"builtup"``.

        Returns
        -------
        float
            km²; NaN when the town has no such layer or it has no features.
        """
        union = self.dissolved(kind)
        return math.nan if union is None else float(union.area) / 1e6

    def with_layer(self, kind: str, gdf: gpd.GeoDataFrame, *, assume_crs: Any = None) -> Town:
        """A new Town with one layer added or replaced (this town is unchanged).

        Only the new layer is normalised, reprojected to this town's CRS and repaired; the other
        layers are shared with this town as they are, with their repairs.

        Parameters
        ----------
        kind : str
            Layer kind, one of :data:`townplan_gis.core.schema.LAYERS`.
        gdf : geopandas.GeoDataFrame
            The layer; not modified. An empty layer is accepted.
        assume_crs : CRS-like, optional
            CRS to assume when ``gdf`` carries none.

        Returns
        -------
        Town
        """
        # A one-layer town does the normalisation, CRS and repair work on the new layer alone; when
        # this town has a CRS the new layer is brought to it, otherwise its own analysis CRS is chosen.
        single = Town(
            self.name,
            layers={kind: gdf},
            crs=self.crs,
            assume_crs=assume_crs,
            allow_empty=True,
        )
        town = copy.copy(self)
        town.layers = {**self.layers, kind: single.layers[kind]}
        town.statistics = dict(self.statistics)
        town.metadata = dict(self.metadata)
        town.crs = single.crs
        town._repairs = [r for r in self._repairs if r.layer != kind] + single._repairs
        town._dissolved = {k: v for k, v in self._dissolved.items() if k != kind}
        town.absent_line_types = list(self.absent_line_types)
        town._check_absent()
        return town

    def summary(self) -> pd.DataFrame:
        """One row per layer: kind, Chinese and English label, features, geometry types, CRS."""
        rows = []
        for kind, gdf in self.layers.items():
            spec = LAYERS[kind]
            types = sorted(set(gdf.geom_type.dropna()))
            rows.append(
                {
                    "layer": kind,
                    "label_zh": spec.label_zh,
                    "label_en": spec.label_en,
                    "features": len(gdf),
                    "geometry": ", ".join(types),
                    "crs": f"EPSG:{self.crs.to_epsg()}" if self.crs is not None else "",
                }
            )
        return pd.DataFrame(
            rows, columns=["layer", "label_zh", "label_en", "features", "geometry", "crs"]
        )

    def __repr__(self) -> str:
        pop = "unknown" if self.population is None else f"{self.population:,.0f}"
        layers = ", ".join(f"{k}={len(v)}" for k, v in self.layers.items())
        epsg = self.crs.to_epsg() if self.crs is not None else None
        return f"<Town {self.name!r}: population {pop}, EPSG:{epsg}, layers [{layers}]>"

    def _repr_html_(self) -> str:
        from townplan_gis.core.reprs import town_html

        return town_html(self)
