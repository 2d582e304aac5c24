"""Map layers of the planning analyses: the control-line self-check's patches (``line_conflicts``,
from :func:`townplan_gis.check_lines`) and the park service blind spots (``blind_spots``, from
:func:`townplan_gis.park_service_coverage`). :func:`townplan_gis.plan_map` draws them, switched off,
when ``layers`` names them or the analysis is passed in; styles in ``townplan_gis/data/styles.toml``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from townplan_gis.analyses import check_lines, park_service_coverage
from townplan_gis.core.vocab import label

__all__ = ["ANALYSIS_LAYERS", "analysis_frames"]

#: Layer names of the analyses (not town layers): drawn switched off, on from the layer list.
ANALYSIS_LAYERS = ("line_conflicts", "blind_spots")


def _side(kind: Any, name: Any, code: Any, lang: str) -> str:
    if not isinstance(kind, str) or not kind:
        return ""
    shown = name if isinstance(name, str) and name else code
    words = label("line_type", kind, lang)
    if not isinstance(shown, str) or not shown:
        return words
    return f"{words}「{shown}」" if lang == "zh" else f"{words} '{shown}'"


def line_conflict_frame(check: Any, lang: str) -> gpd.GeoDataFrame:
    """The self-check's patches for the map: id, kind, severity, the two lines, area, resolution."""
    p = check.patches
    zh = lang == "zh"
    frame = pd.DataFrame(
        {
            "patch_id": p["patch_id"].astype(str),
            "patch_kind": p["kind_zh" if zh else "kind"],
            "severity": p["severity"],
            "line_a": [
                _side(*v, lang) for v in zip(p["type_a"], p["name_a"], p["code_a"], strict=True)
            ],
            "line_b": [
                _side(*v, lang) for v in zip(p["type_b"], p["name_b"], p["code_b"], strict=True)
            ],
            "area_m2": p["area_m2"].astype("float64"),
            "resolution": p["resolution_zh" if zh else "resolution_en"].fillna(""),
        },
        index=p.index,
    )
    return gpd.GeoDataFrame(frame, geometry=p.geometry.values, crs=p.crs)


def analysis_frames(
    town: Any,
    wanted: list[str],
    *,
    line_check: Any = None,
    coverage: Any = None,
    lang: str = "zh",
) -> list[tuple[str, gpd.GeoDataFrame]]:
    """(kind, frame) of each analysis layer named in ``wanted`` or given; an analysis not given is
    computed here (once)."""
    out: list[tuple[str, gpd.GeoDataFrame]] = []
    if "line_conflicts" in wanted or line_check is not None:
        check = line_check if line_check is not None else check_lines(town)
        frame = line_conflict_frame(check, lang)
        out.append(("line_conflicts", frame[~frame.geometry.is_empty & frame.geometry.notna()]))
    if "blind_spots" in wanted or coverage is not None:
        cov = coverage if coverage is not None else park_service_coverage(town)
        out.append(("blind_spots", cov.blind_spots))
    return out
