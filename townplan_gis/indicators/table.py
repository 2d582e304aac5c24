"""All indicators of one Town as a table: ``key, name_zh, name_en, value, unit, definition, note``.

The families compute from the town's layers; intermediate geometry (the dissolved built-up area, the public
roads, the red-line union) is computed once per call and shared. A value that cannot be computed is NaN
with the reason in ``note`` — never a fake zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.town import Town
from townplan_gis.indicators import facilities as fac
from townplan_gis.indicators import green as grn
from townplan_gis.indicators import land, lighting, roads, service
from townplan_gis.indicators import road_area as area
from townplan_gis.indicators._common import (
    Result,
    builtup_geometry,
    in_builtup,
    join_notes,
    nan,
    per_capita,
    ratio_pct,
)
from townplan_gis.indicators._geom import metric_geoms
from townplan_gis.indicators._road_base import public_roads
from townplan_gis.indicators.registry import (
    INDICATORS,
    facility_count_info,
    indicator_info,
    reported_info,
)

__all__ = ["INDICATOR_COLUMNS", "IndicatorOptions", "town_indicators"]

INDICATOR_COLUMNS = ["key", "name_zh", "name_en", "value", "unit", "definition", "note"]


@dataclass(frozen=True)
class IndicatorOptions:
    """Options of :func:`town_indicators` (all keyword arguments of ``tp.town_indicators(town)``).

    Attributes
    ----------
    exclude_internal_roads : bool, default True
        Leave roads internal to residential quarters out of the road indicators (GB 50220 practice).
    coverage_distance_m : float, default 150
        Distance d of the tool-defined road coverage.
    redline_default_widths, carriageway_default_widths : mapping, optional
        Widths per road class for roads without one (defaults in :mod:`.roads`); ``{}`` for none.
    trunk_classes : sequence of str, default ("arterial", "secondary")
        Road classes counted as main roads for the lighting rate.
    light_reach_m : float, default 25
        A trunk road within this distance of a street light counts as lit.
    service_radius_m : mapping, optional
        Facility type → service radius in metres, merged over :data:`.facilities.DEFAULT_SERVICE_RADIUS_M`.
    default_crown_diameter_m : float, optional
        Crown diameter for tree points without one (default: such points are left out).
    min_households, min_green_pct : float, default 100 and 30
        The model residential quarter test.
    township_wide_facility_types : sequence of str, default :data:`.facilities.TOWNSHIP_WIDE_FACILITY_TYPES`
        Facility types counted over the whole facilities layer (utility plants that serve the town from
        outside the built-up area); every other type is counted inside the built-up area only.
    """

    exclude_internal_roads: bool = True
    coverage_distance_m: float = 150.0
    redline_default_widths: Mapping[str, float] | None = None
    carriageway_default_widths: Mapping[str, float] | None = None
    trunk_classes: Sequence[str] = roads.TRUNK_CLASSES
    light_reach_m: float = 25.0
    service_radius_m: Mapping[str, float] = field(default_factory=dict)
    default_crown_diameter_m: float | None = None
    min_households: float = 100.0
    min_green_pct: float = 30.0
    township_wide_facility_types: Sequence[str] = fac.TOWNSHIP_WIDE_FACILITY_TYPES

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> IndicatorOptions:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TownPlanError(
                f"unknown indicator option(s) {unknown}. Accepted options: {sorted(names)}."
            )
        for name in ("trunk_classes", "township_wide_facility_types"):
            if isinstance(options.get(name), str):
                # A single value given as a string would otherwise be read letter by letter.
                options = {**options, name: (options[name],)}
        opts = cls(**options)
        for name, given in (
            ("service_radius_m", opts.service_radius_m),
            ("township_wide_facility_types", opts.township_wide_facility_types),
        ):
            bad = sorted(set(given) - set(fac.facility_types()))
            if bad:
                raise TownPlanError(
                    f"{name}: unknown facility type(s) {bad}. Known: {list(fac.facility_types())}."
                )
        for name in ("coverage_distance_m", "light_reach_m"):
            if not getattr(opts, name) > 0:
                raise TownPlanError(
                    f"indicator option {name} must be > 0, got {getattr(opts, name)!r}."
                )
        return opts


def _builtup(town: Any) -> Any:
    """The built-up area to clip by: a Town's own dissolved layer (computed once and kept, so the
    displays and the report reuse it), copied because the indicators prepare it."""
    if isinstance(town, Town):
        union = town.dissolved("builtup")
        return None if union is None else shapely.from_wkb(shapely.to_wkb(union))
    return town.layers.get("builtup")


def _per_capita(total: Result, population: float | None) -> Result:
    if population is None or not population > 0:
        return nan("population unknown or zero in the town metadata")
    return Result(per_capita(total.value, population), total.note)


def _scoped(res: Result, scope: str) -> Result:
    """``res`` with the scope note added to a computed value (a NaN already says why)."""
    if math.isnan(res.value):
        return res
    return Result(res.value, join_notes(res.note, scope))


def _land(town: Any, clip: Any) -> list[tuple[str, Result]]:
    pop = town.population
    rows: list[tuple[str, Result]] = []
    if clip is None:
        rows.append(("built_up_area_km2", nan("no built-up area (layer missing or empty)")))
    else:
        rows.append(("built_up_area_km2", Result(clip.area / 1e6)))
    rows.append(
        (
            "population",
            Result(pop) if pop is not None else nan("population not in the town metadata"),
        )
    )
    if clip is None:
        per = nan("no built-up area (layer missing or empty)")
    else:
        per = _per_capita(
            Result(clip.area, "construction land taken as the built-up area (no land-use layer)"),
            pop,
        )
    rows.append(("construction_land_per_capita_m2", per))
    grade = land.construction_land_grade(per.value)
    if math.isnan(per.value):
        g = nan(per.note)
    elif math.isnan(grade):
        side = "below" if per.value <= land.GB50188_GRADES[0][0] else "above"
        g = nan(f"{per.value:.1f} m²/person is {side} the GB 50188-2007 table (60–140)")
    else:
        g = Result(grade)
    rows.append(("construction_land_grade", g))
    return rows


def _copy(geom: shapely.Geometry) -> shapely.Geometry:
    out = shapely.from_wkb(shapely.to_wkb(geom))
    shapely.prepare(out)
    return out


class _Pool:
    """Two worker threads for the heavy geometry of a large town, or inline work for a small one.

    shapely 2 releases the GIL inside its vectorised operations, so the red-line union, the carriageway
    union, the coverage and the green union of a big town overlap on two cores; for a small town the
    thread start-up would cost more than it saves.
    """

    def __init__(self, parallel: bool) -> None:
        self._ex = ThreadPoolExecutor(2) if parallel else None

    def submit(self, fn: Any, *args: Any) -> Future:
        if self._ex is not None:
            # GEOS builds a prepared geometry's index lazily, so threads must not share one: each
            # task gets its own copy of any shapely geometry (the built-up area) it is given.
            own = [_copy(a) if isinstance(a, shapely.Geometry) else a for a in args]
            return self._ex.submit(fn, *own)
        done: Future = Future()
        done.set_result(fn(*args))
        return done

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ex is not None:
            self._ex.shutdown(wait=True)


# Features (roads + green + canopy) from which a town's heavy geometry goes to two threads.
_PARALLEL_MIN = 3000


def _roads(town: Any, clip: Any, o: IndicatorOptions, pool: _Pool) -> list[tuple[str, Result]]:
    keys = [
        "road_length_km",
        "road_network_density_km_per_km2",
        "road_area_m2",
        "road_area_per_capita_m2",
        "carriageway_area_m2",
        "road_area_per_capita_carriageway_m2",
        "road_area_ratio_pct",
        "paving_rate_pct",
        "paving_rate_area_pct",
        "road_coverage_pct",
        "main_road_lighting_pct",
    ]
    r = town.layers.get("roads")
    if r is None:
        return [(k, nan("no roads layer")) for k in keys]
    residential = town.layers.get("residential")
    public, excl = public_roads(r, residential, o.exclude_internal_roads)
    scope = (
        ""
        if clip is not None
        else "no built-up area (layer missing or empty): measured over the whole network"
    )
    chain_f = pool.submit(area._redline_chain, public, clip, o.redline_default_widths)
    carriage_f = pool.submit(area._carriageway_result, public, clip, o.carriageway_default_widths)
    coverage_f = pool.submit(roads._coverage_result, public, clip, o.coverage_distance_m)
    length = roads._road_length_result(public, clip)
    length = _scoped(Result(length.value, join_notes(length.note, excl)), scope)
    density = roads._density_result(length, clip)
    paving = roads._paving_length_result(public, clip)
    lit = lighting._lighting_result(
        public,
        town.layers.get("streetlights"),
        clip,
        reach_m=o.light_reach_m,
        trunk_classes=o.trunk_classes,
    )
    areas, area_note, any_width = chain_f.result()
    if any_width:
        road_area = _scoped(Result(areas[2], area_note), scope)
        surface_known = areas[1] > 0
        paving_area = (
            _scoped(Result(ratio_pct(areas[0], areas[1]), area_note), scope)
            if surface_known
            else nan("no road of known surface with a red-line width")
        )
    else:
        road_area = nan("no road has a red-line width (redline_width_m) or a class default")
        paving_area = road_area
    carriage = _scoped(carriage_f.result(), scope)
    ratio = (
        nan("no built-up area (layer missing or empty)")
        if clip is None
        else (
            Result(ratio_pct(road_area.value, clip.area), road_area.note)
            if not math.isnan(road_area.value)
            else road_area
        )
    )
    coverage = coverage_f.result()
    values = [
        length,
        density,
        road_area,
        _per_capita(road_area, town.population),
        carriage,
        _per_capita(carriage, town.population),
        ratio,
        _scoped(paving, scope),
        paving_area,
        coverage,
        _scoped(lit, scope),
    ]
    return list(zip(keys, values, strict=True))


def _green(town: Any, clip: Any, chain: Future) -> list[tuple[str, Result]]:
    green, canopy = town.layers.get("green"), town.layers.get("canopy")
    areas, note = chain.result()
    coverage = grn._coverage_result(areas, note, clip, green is not None or canopy is not None)
    if green is None:
        no = nan("no green layer")
        return [
            ("green_coverage_pct", coverage),
            ("green_land_ratio_pct", no),
            ("park_green_area_m2", no),
            ("park_green_per_capita_m2", no),
            ("park_count", no),
        ]
    scope = (
        "" if clip is not None else "no built-up area (layer missing or empty): all G1 land counted"
    )
    ratio = (
        nan("no built-up area (layer missing or empty)")
        if clip is None
        else Result(ratio_pct(areas[1], clip.area))
    )
    park = Result(areas[0], scope)
    return [
        ("green_coverage_pct", coverage),
        ("green_land_ratio_pct", ratio),
        ("park_green_area_m2", park),
        ("park_green_per_capita_m2", _per_capita(park, town.population)),
        ("park_count", grn._park_count_result(green, clip)),
    ]


def _facilities(town: Any, clip: Any, o: IndicatorOptions) -> list[tuple[str, Result]]:
    f = town.layers.get("facilities")
    radii = {**fac.DEFAULT_SERVICE_RADIUS_M, **dict(o.service_radius_m)}
    rows: list[tuple[str, Result]] = []
    types = list(fac.facility_types())
    if f is None:
        no = nan("no facilities layer")
        rows += [(f"facility_count_{t}", no) for t in types]
        rows += [("market_or_commercial_street_count", no), ("culture_fitness_venue_count", no)]
    else:
        counts = fac._count_results(f, clip, tuple(o.township_wide_facility_types))
        rows += [(f"facility_count_{t}", counts[t]) for t in types]
        for key, parts in (
            ("market_or_commercial_street_count", ("market", "commercial_street")),
            ("culture_fitness_venue_count", ("culture", "fitness")),
        ):
            total = sum(counts[t].value for t in parts)
            rows.append((key, Result(total, join_notes(*(counts[t].note for t in parts)))))
    served = fac._service_results(town.layers.get("residential"), f, radii)
    rows += [(f"household_coverage_{t}_pct", res) for t, res in served.items()]
    return rows


def _residential(town: Any, clip: Any, o: IndicatorOptions) -> list[tuple[str, Result]]:
    res = town.layers.get("residential")
    keys = ["residential_households", "qualifying_quarters_count", "best_quarter_green_ratio_pct"]
    if res is None:
        return [(k, nan("no residential layer")) for k in keys]
    q = land.residential_quarters(
        res,
        town.layers.get("green"),
        min_households=o.min_households,
        min_green_pct=o.min_green_pct,
    )
    unknown = int(q["households"].isna().sum())
    note = f"{unknown} quarter(s) without households left out" if unknown else ""
    green_note = (
        "" if town.layers.get("green") is not None else "no green layer: 0 m² green assumed"
    )
    # The model quarter is sought in the built-up area, like every count.
    if clip is None:
        inside = np.ones(len(q), dtype=bool)
        scope = "no built-up area (layer missing or empty): every quarter of the layer considered"
    else:
        inside = in_builtup(metric_geoms(res), clip)
        n_out = int((~inside).sum())
        scope = f"{n_out} quarter(s) outside the built-up area not considered" if n_out else ""
    big = q[(q["households"] >= o.min_households).to_numpy() & inside]
    if len(q) == 0:
        note = "the residential layer has no quarters"
    hh = q["households"].sum() if unknown < len(q) or len(q) == 0 else math.nan
    best = (
        Result(float(big["green_ratio_pct"].max()), join_notes(green_note, scope))
        if len(big)
        else nan(
            join_notes(
                f"no quarter{' in the built-up area' if clip is not None else ''} has "
                f"≥ {o.min_households:g} households",
                scope,
            )
        )
    )
    return [
        ("residential_households", Result(float(hh), note) if not math.isnan(hh) else nan(note)),
        (
            "qualifying_quarters_count",
            Result(
                float((q["qualifies"].to_numpy() & inside).sum()),
                join_notes(note, green_note, scope),
            ),
        ),
        ("best_quarter_green_ratio_pct", best),
    ]


def _reported(town: Any) -> list[tuple[str, Result]]:
    stats = town.statistics
    rows = []
    registered = [k for k, i in INDICATORS.items() if i.family == "reported"]
    for key in registered + [k for k in stats if k not in INDICATORS]:
        if key in stats:
            rows.append((key, Result(float(stats[key]), "reported")))
        else:
            rows.append((key, nan("not reported in the town metadata (statistics)")))
    return rows


def town_indicators(
    town: Any, *, park: Any = None, circles: pd.DataFrame | None = None, **options: Any
) -> pd.DataFrame:
    """Every indicator of a town, one row per key.

    Parameters
    ----------
    town : Town
    park, circles : optional
        :func:`~townplan_gis.park_service_coverage` and :func:`~townplan_gis.life_circles` of this
        town (built-up area and roads as here), when the caller holds them already — the
        :class:`~townplan_gis.Pipeline` computes each once for its report, map and indicators.
    **options
        See :class:`IndicatorOptions` (``coverage_distance_m=150``, ``light_reach_m=25``,
        ``exclude_internal_roads=True``, ``service_radius_m={...}`` …).

    Returns
    -------
    pandas.DataFrame
        Columns ``key, name_zh, name_en, value, unit, definition, note``; ``value`` is float, NaN with
        the reason in ``note`` when it cannot be computed.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> df = tp.town_indicators(tp.sample_town())
    >>> list(df.columns)
    ['key', 'name_zh', 'name_en', 'value', 'unit', 'definition', 'note']
    """
    o = IndicatorOptions.from_kwargs(options)
    clip = builtup_geometry(_builtup(town))
    size = sum(len(town.layers.get(k, ())) for k in ("roads", "green", "canopy"))
    with _Pool(size >= _PARALLEL_MIN) as pool:
        green_chain = pool.submit(
            grn._green_chain,
            town.layers.get("green"),
            town.layers.get("canopy"),
            clip,
            o.default_crown_diameter_m,
        )
        rows = [
            *_land(town, clip),
            *_roads(town, clip, o, pool),
            *_green(town, clip, green_chain),
            *_facilities(town, clip, o),
            *_residential(town, clip, o),
            *service.service_results(town, clip, park=park, circles=circles),
        ]
    reported = _reported(town)
    # A built-up area an importer estimated (read_osm without builtup=) is said so on every figure.
    meta = getattr(town, "metadata", None) or {}
    estimate = "built-up area ESTIMATED, not surveyed (see metadata builtup_source)"
    flag = estimate if meta.get("builtup_estimated") and clip is not None else ""
    rows = [
        (k, r._replace(note=join_notes(r.note, flag if k != "population" else ""))) for k, r in rows
    ]
    rows += reported
    records = []
    wide = set(o.township_wide_facility_types)
    for key, res in rows:
        if key.startswith("facility_count_"):
            t = key[len("facility_count_") :]
            info = facility_count_info(t, township_wide=t in wide)
        else:
            info = INDICATORS.get(key) or (
                indicator_info(key) if key.startswith("household_coverage_") else reported_info(key)
            )
        records.append(
            (
                key,
                info.name_zh,
                info.name_en,
                float(res.value),
                info.unit,
                info.definition,
                res.note,
            )
        )
    return pd.DataFrame.from_records(records, columns=INDICATOR_COLUMNS)
