"""Control lines for the land analyses: canonical and metric, graded for a project type, with setbacks.

The grade of a line for a project type comes from the review's rule file through its public
``Rules.resolve``; the setback distances from ``Rules.setbacks`` and, for the strict variant, from
``townplan_gis/data/buildable.toml`` (docs/sources.md#setbacks-local).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.analyses._geom import metric_frame
from townplan_gis.core.datafiles import check_keys, did_you_mean, load_toml_text
from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.core.geometry import repair_geometry
from townplan_gis.core.schema import ROAD_CLASSES, aliases, normalize_layer
from townplan_gis.core.town import Town
from townplan_gis.fiveline import Rules, load_rules
from townplan_gis.fiveline.derive import attach_road_class  # the review's own, so setbacks agree

__all__ = [
    "buildable_settings",
    "grade_lines",
    "line_class",
    "prepare_lines",
    "setback_distances",
]

_SOURCE = "townplan_gis/data/buildable.toml"


@cache
def buildable_settings() -> dict[str, Any]:
    """``townplan_gis/data/buildable.toml``, validated: strict setbacks by class, width settings."""
    text = resources.files("townplan_gis.data").joinpath("buildable.toml").read_text("utf-8")
    data = load_toml_text(text, source=_SOURCE)
    check_keys(data, ("meta", "setbacks", "width"), where="the top level", source=_SOURCE)
    strict = data["setbacks"]["strict_m"]
    check_keys(
        strict, (*ROAD_CLASSES, "red_default", "blue"), where="[setbacks.strict_m]", source=_SOURCE
    )
    width = data["width"]
    check_keys(width, ("min_width_m", "circle_tolerance_m"), where="[width]", source=_SOURCE)
    for key, value in [*strict.items(), *width.items()]:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise DataFileError(f"{_SOURCE}: {key} = {value!r} must be a number ≥ 0.")
    return data


def prepare_lines(lines: Any, *, crs: Any = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Canonical, valid control lines in a metric CRS, and notes on what was done to them.

    A Town gives its control lines, red lines without ``road_class`` taking it from the roads they
    contain (as the review does). A GeoDataFrame is normalised through the layer schema (Chinese
    names accepted) and invalid polygons are repaired with ``make_valid`` (noted).
    """
    notes: list[str] = []
    if isinstance(lines, Town):
        town = lines
        frame = town.layer("control_lines", empty_ok=True)
        if frame.crs is None:
            frame = frame.set_crs(town.crs)
        if town.has("roads") and len(frame):
            frame = attach_road_class(frame, town.roads)
        crs = town.crs if crs is None else crs
    elif isinstance(lines, gpd.GeoDataFrame):
        frame, _ = normalize_layer(lines, "control_lines", allow_empty=True)
        frame, rep = repair_geometry(frame, "control_lines")
        for r in rep:
            notes.append(f"control lines rows {r.rows[:10]}: {r.detail}")
    else:
        raise TownPlanError(
            f"the control lines must be a GeoDataFrame or a Town, got {type(lines).__name__}."
        )
    frame = metric_frame(frame, layer="control_lines", crs=crs)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        notes.append(f"{int(empty.sum())} control line(s) without geometry take no land")
    return frame, notes


def line_class(frame: pd.DataFrame, rules: Rules) -> np.ndarray:
    """``type`` or ``purple_<tier>`` per line (a purple line without a tier takes the rules' default)."""
    lt = frame["line_type"].to_numpy(dtype=object)
    zone = frame["zone"].astype(object).fillna(rules.defaults.get("purple_zone", "core"))
    zone = zone.to_numpy(dtype=object)
    tiered = np.array([f"purple_{z}" for z in zone], dtype=object)
    return np.where(lt == "purple", tiered, lt).astype(object)


def grade_lines(frame: pd.DataFrame, rules: Rules, project_type: str) -> np.ndarray:
    """The rule file's grade of each line for this project type (forbidden / review / notice)."""
    keys = pd.DataFrame(
        {"t": frame["line_type"].to_numpy(dtype=object), "z": frame["zone"].to_numpy(dtype=object)}
    )
    table = {
        (t, z): rules.resolve(t, None if pd.isna(z) else z, project_type).grade
        for t, z in keys.drop_duplicates().itertuples(index=False)
    }
    return np.array([table[(t, z)] for t, z in keys.itertuples(index=False)], dtype=object)


def setback_distances(frame: pd.DataFrame, rules: Rules, *, strict: bool) -> np.ndarray:
    """Setback per line in metres, NaN where none: the rule file's (relaxed), or the larger of it
    and ``[setbacks.strict_m]`` of buildable.toml (strict); a line's own ``setback_m`` in both."""
    relaxed_table = rules.setbacks["distance_m"]
    table = dict(relaxed_table)
    if strict:
        upper = buildable_settings()["setbacks"]["strict_m"]
        table = {k: max(float(v), float(upper.get(k, v))) for k, v in relaxed_table.items()}
    lt = frame["line_type"].to_numpy(dtype=object)
    by_class = frame["road_class"].astype(object).map(table).astype("float64").to_numpy()
    red = np.where(np.isnan(by_class), table.get("red_default", np.nan), by_class)
    dist = np.where(lt == "red", red, np.where(lt == "blue", table.get("blue", np.nan), np.nan))
    if "setback_m" in frame:
        own = pd.to_numeric(frame["setback_m"], errors="coerce").to_numpy(dtype="float64")
        dist = np.where(np.isfinite(own) & np.isin(lt, ["red", "blue"]), own, dist)
    return np.where(dist > 0, dist, np.nan)


def check_project_type(project_type: Any) -> str:
    """``project_type`` when it is a canonical project type (``data/aliases.toml``), else an error."""
    known = tuple(aliases()["values"]["project_type"])
    if project_type not in known:
        raise TownPlanError(
            f"unknown project_type {project_type!r}{did_you_mean(str(project_type), known)}. "
            f"Known types: {list(known)}."
        )
    return project_type


def rules_for(rules: Any) -> Rules:
    """The review's rule set (the packaged default, a path, or a Rules object)."""
    return load_rules(rules)
