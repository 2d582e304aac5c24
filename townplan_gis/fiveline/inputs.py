"""What a review of a Town checks: its projects, control lines, coverage, absent types and CRS."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.schema import LINE_TYPES, absent_types
from townplan_gis.core.town import Town
from townplan_gis.fiveline.derive import attach_road_class, derive_control_lines
from townplan_gis.fiveline.rules import Rules

__all__ = ["town_inputs"]

log = logging.getLogger(__name__)


def town_inputs(
    town: Town,
    *,
    derive: bool | Sequence[str] = False,
    coverage: Any = None,
    absent: Sequence[str] | None = None,
    crs: Any = None,
    rules: str | Path | Rules | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Any, list[str], Any]:
    """What :func:`review` checks for a Town: ``(projects, control_lines, coverage, absent, crs)``.

    ``review(town)`` is the one review path: the API, ``tp.report``, the pipeline and the command
    line (``townplan review``, ``map --review``, ``report``, ``demo``) all pass the town itself, so
    the same town gives the same conflicts and verdicts everywhere. From the town come:

    * the control lines, red lines without ``road_class`` taking it from the roads they contain
      (:func:`~townplan_gis.fiveline.derive.attach_road_class`), for the setbacks; with
      ``derive``, lines derived from the town's layers (:func:`derive_control_lines`) for the
      line types the ``control_lines`` layer lacks and the town does not declare absent
      (``True``: all five), flagged ``derived=True``;
    * ``coverage`` = the town's ``boundary`` layer (when it has one and none is given);
    * ``absent`` = ``town.absent_line_types`` (when none is given);
    * ``crs`` = the town's analysis CRS (when none is given).

    The town's layers are not modified.
    """
    lines = town.layer("control_lines", empty_ok=True)
    if lines.crs is None:
        lines = lines.set_crs(town.crs)
    if town.has("roads") and len(lines):
        # Setbacks depend on the road class, which surveyed red lines rarely carry.
        lines = attach_road_class(lines, town.roads)
    declared = list(town.absent_line_types) if absent is None else list(absent)
    if derive:
        want = set(LINE_TYPES) if derive is True else set(derive)
        missing = want - set(lines["line_type"].dropna()) - set(absent_types(declared))
        if missing:
            extra = derive_control_lines(town, line_types=sorted(missing), rules=rules)
            geoms = np.asarray(extra.geometry.array, dtype=object)
            empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
            if empty.any():
                # A source feature without geometry (recorded in town.repairs) derives no line.
                log.warning(
                    "review: %d derived control lines have no geometry (their source features "
                    "have none; see town.repairs) and are left out: %s",
                    int(empty.sum()),
                    extra.loc[empty, "code"].tolist()[:10],
                )
                extra = extra[~empty]
            lines = gpd.GeoDataFrame(pd.concat([lines, extra], ignore_index=True), crs=town.crs)
    if coverage is None and town.has("boundary"):
        coverage = town.boundary.copy(deep=False)
        coverage.attrs["source"] = f"town boundary (layer 'boundary' of {town.name})"
    return town.projects, lines, coverage, declared, town.crs if crs is None else crs
