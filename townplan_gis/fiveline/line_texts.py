"""The per-line parts of the reasons, built once per review and taken per conflict row.

Every reason begins with where the overlap lies — ``inside 红线 '人民路'`` / ``位于红线「人民路」内``,
or, for the review's ``dev_boundary`` feature, ``outside 城镇开发边界 …`` — and setback reasons quote
a red line's road class. These texts depend on the line only, so they are built here once per line
(with Arrow's string kernels: 10⁵ lines in a few milliseconds, without the GIL, where f-strings
took 0.3 s under it) and the chunks take them by position.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from townplan_gis.core.schema import aliases
from townplan_gis.core.vocab import LINE_ZH, TEXT, ZONE_ZH
from townplan_gis.fiveline.text import join, strings

__all__ = ["OUTSIDE_BOUNDARY", "boundary_name", "class_texts", "where_texts"]

#: The line type whose feature in the review is the area *outside* a boundary: the 三区三线 wrapper
#: (:mod:`townplan_gis.fiveline.sanqu`) turns 城镇开发边界 polygons into their complement.
OUTSIDE_BOUNDARY = "dev_boundary"

_ROAD_ZH = {k: v[0] for k, v in aliases()["values"]["road_class"].items() if v}


def boundary_name(label: str) -> str:
    """The boundary's own name in the name of the area outside it (蒲州镇城镇开发边界以外 →
    蒲州镇城镇开发边界); "" when it has none of its own."""
    name = label.removesuffix("以外")
    return "" if name in ("", "城镇开发边界") else name


def _fill(template: str, key: str, value: pa.Array) -> pa.Array:
    """``template.format(**{key: v})`` for each ``v`` of ``value`` (braces escaped as in
    ``str.format``)."""
    parts = template.format(**{key: "\x00"}).split("\x00")
    pieces: list = [parts[0]]
    for rest in parts[1:]:
        pieces += [value, rest]
    return join(*pieces)


def where_texts(line_type: np.ndarray, zone: np.ndarray, label: np.ndarray) -> dict[str, pa.Array]:
    """Per line, where an overlap with it lies, as its reasons begin, and its names.

    Parameters
    ----------
    line_type : numpy.ndarray of str
        Canonical line types.
    zone : numpy.ndarray of object
        Zone tier per line, None or "" where it has none.
    label : numpy.ndarray of str
        The line's name, else its id.

    Returns
    -------
    dict of pyarrow string arrays
        ``where_en`` / ``where_zh`` (``inside 绿线 (core) '河滨公园'`` / ``位于绿线（核心保护范围）「河滨公园」内``;
        for the area outside a development boundary, ``outside 城镇开发边界 '…'`` /
        ``超出城镇开发边界「…」``), ``label`` and ``line_zh`` (the line type in Chinese).
    """
    types = np.asarray(line_type, dtype=object)
    codes, distinct = pd.factorize(types)
    line_zh = pa.array([LINE_ZH.get(t, t) for t in distinct], type=pa.string()).take(
        pa.array(codes.astype(np.int64))
    )
    zones = np.array([z if isinstance(z, str) else "" for z in zone], dtype=object)
    z_codes, z_distinct = pd.factorize(zones)
    z_at = pa.array(z_codes.astype(np.int64))
    zone_en = pa.array([f" ({z})" if z else "" for z in z_distinct], type=pa.string()).take(z_at)
    zone_zh = pa.array([ZONE_ZH.get(z, "") for z in z_distinct], type=pa.string()).take(z_at)
    labels = strings(np.asarray(label, dtype=object))
    what_en = join(line_zh, zone_en, " '", labels, "'")
    what_zh = join(line_zh, zone_zh, "「", labels, "」")
    (in_zh, in_en), (out_zh, out_en) = TEXT["reason_inside"], TEXT["reason_outside_boundary"]
    where_en = _fill(in_en, "what", what_en)
    where_zh = _fill(in_zh, "what", what_zh)
    outside = types == OUTSIDE_BOUNDARY
    if outside.any():
        # The outside area is named after its boundary + 以外 (sanqu.outside_boundary): a few
        # features at most, written one by one.
        bound = [boundary_name(str(lab)) for lab in np.asarray(label, dtype=object)[outside]]
        mask = pa.array(outside)
        where_en = pc.replace_with_mask(
            where_en, mask, pa.array([out_en.format(name=f" '{b}'" if b else "") for b in bound])
        )
        where_zh = pc.replace_with_mask(
            where_zh, mask, pa.array([out_zh.format(name=f"「{b}」" if b else "") for b in bound])
        )
    return {"where_en": where_en, "where_zh": where_zh, "label": labels, "line_zh": line_zh}


def class_texts(road_class: np.ndarray, line_type: np.ndarray) -> dict[str, pa.Array]:
    """Per line, the road class as setback reasons quote it: `` (arterial)`` / ``（主干路）`` for a
    red line with a road class, else empty. Built once per review, taken per finding."""
    rc = pd.Series(road_class, dtype=object)
    red = (np.asarray(line_type, dtype=object) == "red") & rc.notna().to_numpy()
    rc_zh = rc.map(_ROAD_ZH).fillna("")
    return {
        "class_en": strings(np.where(red, " (" + rc.astype(str) + ")", "")),
        "class_zh": strings(np.where(red & (rc_zh != "").to_numpy(), "（" + rc_zh + "）", "")),
    }
