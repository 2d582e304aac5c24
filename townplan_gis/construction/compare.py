"""``compare(before, after)``: two vintages of a town, before and after the programme's works.

Indicator deltas (``tp.town_indicators`` of each), the growth targets of a standard measured between
the vintages (Weicheng's built-up population +4 %: docs/sources.md#weicheng-2017), and per layer the
features added, removed and changed with their geometry (:func:`~townplan_gis.construction.diff.diff_layer`),
ready for a before/after map (:meth:`Comparison.map_layers`). Sources: docs/sources.md#programme-rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.construction.diff import diff_layer
from townplan_gis.construction.rules import load_programme_rules
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.schema import LAYERS
from townplan_gis.core.town import Town
from townplan_gis.indicators import town_indicators
from townplan_gis.standards import load_standard

__all__ = ["Comparison", "compare"]

_LAYER_COLUMNS = [
    "layer",
    "label_zh",
    "measure",
    "n_before",
    "n_after",
    "added",
    "removed",
    "changed",
    "unchanged",
    "total_before",
    "total_after",
    "delta",
    "added_measure",
    "removed_measure",
]


@dataclass(frozen=True)
class Comparison:
    """Two vintages of a town compared (:func:`compare`).

    Attributes
    ----------
    before, after : str
        The vintages' labels (``"蒲州镇 2016"``).
    indicators : pandas.DataFrame
        ``key, name_zh, name_en, unit, before, after, delta, delta_pct`` (delta_pct: % of the
        value before; NaN when it is 0 or missing).
    growth : pandas.DataFrame
        The standard's growth targets (rule file ``[compare.growth]``): ``key, name_zh,
        base_key, before, after, growth_pct`` (100 · (after ÷ before − 1)), ``target,
        comparator, status`` (pass / fail / not_evaluable / no_target), ``gap``,
        ``reported_pct`` (the after vintage's own statistic, if any), ``note``.
    layers : pandas.DataFrame
        One row per layer kind present in either vintage: counts of features added, removed,
        changed, unchanged; the measure (``area_m2``, ``length_m`` or ``count``), its totals and
        delta, and the measure added and removed (road length added, green area added …).
    changes : geopandas.GeoDataFrame
        Every feature added, removed or changed (:data:`~townplan_gis.construction.diff.CHANGE_COLUMNS`),
        with its geometry.
    pieces : geopandas.GeoDataFrame
        The geometric differences per feature (the new piece of an extended road, the new part of
        a park), for area and length layers.
    notes : list of str
        What the comparison assumed (order of undated vintages, reprojection).
    """

    before: str
    after: str
    indicators: pd.DataFrame
    growth: pd.DataFrame
    layers: pd.DataFrame
    changes: gpd.GeoDataFrame
    pieces: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    _towns: tuple[Town, Town] | None = field(default=None, repr=False)

    def map_layers(self) -> dict[str, Any]:
        """Data for a before/after map: ``{"before": {kind: gdf}, "after": {kind: gdf},
        "added": gdf, "removed": gdf, "changed": gdf, "pieces": gdf}`` in the analysis CRS."""
        b, a = self._towns if self._towns is not None else (None, None)
        return {
            "before": dict(b.layers) if b is not None else {},
            "after": dict(a.layers) if a is not None else {},
            "added": self.changes[self.changes["change"] == "added"],
            "removed": self.changes[self.changes["change"] == "removed"],
            "changed": self.changes[self.changes["change"] == "changed"],
            "pieces": self.pieces,
        }

    def __repr__(self) -> str:
        return f"<Comparison {self.before} → {self.after}: {len(self.changes)} feature changes>"


def _year(town: Town) -> int | None:
    for key in ("year", "vintage"):
        value = town.metadata.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
    return None


def _indicators(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("key")
    a = after.set_index("key")
    keys = list(dict.fromkeys([*b.index, *a.index]))
    info = pd.concat([b, a])[["name_zh", "name_en", "unit"]]
    info = info[~info.index.duplicated()].reindex(keys)
    out = info.reset_index()
    out["before"] = b["value"].reindex(keys).astype("float64").to_numpy()
    out["after"] = a["value"].reindex(keys).astype("float64").to_numpy()
    out["delta"] = out["after"] - out["before"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * out["delta"] / out["before"].abs()
    out["delta_pct"] = pct.where(out["before"].abs() > 0)
    return out[["key", "name_zh", "name_en", "unit", "before", "after", "delta", "delta_pct"]]


def _growth(
    indicators: pd.DataFrame, after: Town, std: Any, growth: dict[str, str]
) -> pd.DataFrame:
    values = indicators.set_index("key")
    targets = {t.key: t for t in std.targets} if std is not None else {}
    rows = []
    for key, base in growth.items():
        if std is not None and key not in targets:
            continue
        b = values["before"].get(base, math.nan)
        a = values["after"].get(base, math.nan)
        g = 100.0 * (a / b - 1.0) if b and not math.isnan(b) and not math.isnan(a) else math.nan
        t = targets.get(key)
        status, gap = t.evaluate(g) if t is not None else ("no_target", math.nan)
        reported = after.statistics.get(key, math.nan)
        note = ""
        if math.isnan(g):
            note = f"{base} missing in a vintage: growth not measurable"
        elif not math.isnan(reported) and abs(reported - g) > 0.05:
            note = f"the town reports {reported:g} %, the vintages give {g:.2f} %"
        rows.append(
            {
                "key": key,
                "name_zh": values["name_zh"].get(base, ""),
                "base_key": base,
                "before": b,
                "after": a,
                "growth_pct": g,
                "target": None if t is None else t.target_text,
                "comparator": None if t is None else t.comparator,
                "status": status,
                "gap": gap,
                "reported_pct": reported,
                "note": note,
            }
        )
    columns = ["key", "name_zh", "base_key", "before", "after", "growth_pct", "target",
               "comparator", "status", "gap", "reported_pct", "note"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def compare(
    before: Town,
    after: Town,
    *,
    standard: Any = None,
    rules: Any = None,
    check_names: bool = True,
    **indicator_options: Any,
) -> Comparison:
    """Compare two vintages of a town: indicator deltas, growth targets, features added and removed.

    .. math:: g = 100 \\cdot \\left(\\frac{x_\\text{after}}{x_\\text{before}} - 1\\right)

    for each growth target of the standard (``population_growth_pct`` ← ``population``: the
    built-up population +4 % of docs/sources.md#weicheng-2017). Layers are compared feature by
    feature (:func:`~townplan_gis.construction.diff.diff_layer`) in ``before``'s CRS.

    Parameters
    ----------
    before, after : Town
        The older and the newer vintage (``metadata["year"]`` orders them when both have one).
        Not modified.
    standard : str, Path or Standard, optional
        The standard whose growth targets are evaluated; without one the growth is measured and
        ``status`` is ``no_target``.
    rules : path or ProgrammeRules, optional
        Its ``[compare]`` table: keys, precision, line tolerance, growth targets.
    check_names : bool, default True
        Refuse two towns with different names (set False for a renamed town, 乡 → 镇).
    **indicator_options
        Passed to ``tp.town_indicators``.

    Returns
    -------
    Comparison

    Raises
    ------
    TownPlanError
        Not two Towns, different names (with ``check_names``), or years in the wrong order.
    """
    if not isinstance(before, Town) or not isinstance(after, Town):
        raise TownPlanError("compare(before, after): give two Towns (two vintages of one town).")
    if check_names and before.name != after.name:
        raise TownPlanError(
            f"compare: the vintages are of different towns ('{before.name}', '{after.name}'). "
            f"Fix: compare two vintages of one town, or pass check_names=False for a renamed town."
        )
    rules = load_programme_rules(rules)
    std = load_standard(standard) if standard is not None else None
    yb, ya = _year(before), _year(after)
    notes = []
    if yb is not None and ya is not None and yb >= ya:
        raise TownPlanError(
            f"compare: 'before' is of {yb} and 'after' of {ya}: the vintages are swapped or the "
            f"same year. Fix: compare(older, newer)."
        )
    if yb is None or ya is None:
        notes.append("a vintage has no metadata year: the order given is taken as before → after")
    label_b = f"{before.name} {yb}" if yb is not None else f"{before.name} (before)"
    label_a = f"{after.name} {ya}" if ya is not None else f"{after.name} (after)"
    indicators = _indicators(
        town_indicators(before, **indicator_options), town_indicators(after, **indicator_options)
    )
    crs = before.crs if before.crs is not None else after.crs
    if crs is None:
        raise TownPlanError("compare: neither vintage has a layer; nothing to compare.")
    layer_rows, changes, pieces = [], [], []
    for kind in [k for k in LAYERS if k in before.layers or k in after.layers]:
        b = before.layer(kind, empty_ok=True)
        a = after.layer(kind, empty_ok=True)
        if b.crs is None:
            b = b.set_crs(crs)
        if a.crs is None or not a.crs.equals(crs):
            if a.crs is not None and len(a):
                notes.append(f"{kind}: the after vintage reprojected to {crs.to_string()}")
            a = a.to_crs(crs) if a.crs is not None else a.set_crs(crs)
        ch, summary, pc = diff_layer(
            b,
            a,
            kind,
            key=rules.keys.get(kind),
            precision_m=rules.precision_m,
            line_tolerance_m=rules.line_tolerance_m,
        )
        layer_rows.append({"layer": kind, "label_zh": LAYERS[kind].label_zh, **summary})
        changes.append(ch)
        pieces.append(pc)
    return Comparison(
        before=label_b,
        after=label_a,
        indicators=indicators,
        growth=_growth(indicators, after, std, dict(rules.growth)),
        layers=pd.DataFrame(layer_rows, columns=_LAYER_COLUMNS),
        changes=gpd.GeoDataFrame(pd.concat(changes, ignore_index=True), crs=crs),
        pieces=gpd.GeoDataFrame(pd.concat(pieces, ignore_index=True), crs=crs),
        notes=notes,
        _towns=(before, after),
    )
