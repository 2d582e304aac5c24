"""Planners' map styles: colours, weights and zh/en labels from ``townplan_gis/data/styles.toml``.

The five control lines are drawn in their own colours (红线 red, 绿线 green, 紫线 purple, 蓝线 blue,
黄线 yellow) with an outline and a light fill; 紫线 tiers (core / control / harmony) differ by dash and
fill strength. Roads are weighted by class (GB 50188-2007 classes), green land coloured by CJJ/T 85-2017
class, facilities by type, projects by review verdict and conflicts by grade. Source of the conventions:
domain brief §3–4; the colours themselves are a configurable house choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from townplan_gis.core.datafiles import load_toml_text
from townplan_gis.core.errors import DataFileError, TownPlanError

__all__ = [
    "CLASS_COLUMNS",
    "StyleClass",
    "classify",
    "field_label",
    "layer_label",
    "load_styles",
]

Lang = Literal["zh", "en"]

# The column whose value picks a feature's style, per styled kind.
CLASS_COLUMNS: dict[str, str] = {
    "roads": "road_class",
    "green": "green_class",
    "control_lines": "line_type",
    "facilities": "facility_type",
    "verdicts": "verdict",
    "conflicts": "grade",
}

_STYLE_KEYS = ("color", "weight", "opacity", "fillColor", "fillOpacity", "dashArray", "radius")


@dataclass(frozen=True)
class StyleClass:
    """One legend entry: the class key, its Leaflet path style and its label."""

    key: str
    style: dict[str, Any]
    label: str


@lru_cache(maxsize=1)
def load_styles() -> dict[str, Any]:
    """The packaged style table (``townplan_gis/data/styles.toml``) as a dict."""
    text = resources.files("townplan_gis.data").joinpath("styles.toml").read_text("utf-8")
    data = load_toml_text(text, source="townplan_gis/data/styles.toml")
    for section in ("labels", "fields", "layers"):
        if section not in data:
            raise DataFileError(f"townplan_gis/data/styles.toml: section [{section}] is missing.")
    return data


def _check_lang(lang: str) -> Lang:
    if lang not in ("zh", "en"):
        raise TownPlanError(f"lang must be 'zh' (Chinese) or 'en' (English), got {lang!r}.")
    return lang  # type: ignore[return-value]


def layer_label(kind: str, lang: str = "zh") -> str:
    """Layer name in the layer control and legend (e.g. ``"五线"`` / ``"Control lines"``)."""
    return load_styles()["labels"][_check_lang(lang)].get(kind, kind)


def field_label(field: str, lang: str = "zh") -> str:
    """Popup label of a column (e.g. ``"overlap"`` → ``"重叠面积"``); the column name if unknown."""
    return load_styles()["fields"][_check_lang(lang)].get(field, field)


def _style(kind: str, key: str | None) -> tuple[dict[str, Any], dict[str, str] | None]:
    table = load_styles().get(kind, load_styles()["generic"])
    base = dict(table.get("default", {}))
    entry = table.get(key, {}) if key is not None else {}
    merged = {**base, **entry}
    label = merged.pop("label", None)
    style = {k: merged[k] for k in _STYLE_KEYS if k in merged}
    style.setdefault("color", "#3388ff")
    style.setdefault("fillColor", style["color"])
    return style, label


def _class_keys(kind: str, gdf: pd.DataFrame) -> pd.Series:
    """The style key of every row, as strings; ``None`` where the row has no class."""
    index = gdf.index
    if kind == "conflicts":
        grade = gdf["grade"].astype("object") if "grade" in gdf else pd.Series(None, index=index)
        if "ignored" in gdf:
            ignored = gdf["ignored"].fillna(False).astype(bool).to_numpy()
            grade = grade.where(~ignored, "ignored")
        return grade.astype("object")
    column = CLASS_COLUMNS.get(kind)
    if column is None or column not in gdf:
        return pd.Series(None, index=index, dtype="object")
    keys = gdf[column].astype("object")
    if kind == "control_lines" and "zone" in gdf:
        # Purple tiers are the one place where a second column changes the drawing.
        zone = gdf["zone"].astype("object")
        tiered = (keys == "purple") & zone.isin(["core", "control", "harmony"])
        keys = keys.where(~tiered, "purple_" + zone.astype(str))
    return keys.where(keys.notna(), None)


def classify(
    kind: str, gdf: pd.DataFrame, *, lang: str = "zh"
) -> tuple[np.ndarray, list[StyleClass]]:
    """Style class of each row of a layer.

    Parameters
    ----------
    kind : str
        Layer kind (``roads``, ``control_lines`` …), or ``verdicts`` / ``conflicts`` for review
        results; any other kind gets one style.
    gdf : DataFrame
        The layer; read, never modified.
    lang : {"zh", "en"}
        Language of the labels.

    Returns
    -------
    codes : numpy.ndarray of int
        Position of each row's class in ``classes``, aligned to ``gdf``.
    classes : list of StyleClass
        The classes present, in the order of the style file (unknown values last, labelled with
        the raw value).
    """
    lang = _check_lang(lang)
    keys = _class_keys(kind, gdf)
    table = load_styles().get(kind, {})
    declared = [k for k in table if k != "default"]
    present = pd.unique(keys.dropna().astype(str))
    ordered = [k for k in declared if k in set(present)]
    ordered += sorted(k for k in present if k not in set(declared))
    has_none = bool(keys.isna().any())
    classes: list[StyleClass] = []
    for key in ordered:
        style, label = _style(kind, key)
        classes.append(StyleClass(key, style, (label or {}).get(lang, key)))
    if has_none or not classes:
        style, label = _style(kind, None)
        default_label = (label or {}).get(lang) or layer_label(kind, lang)
        classes.append(StyleClass("", style, default_label))
    position = {c.key: i for i, c in enumerate(classes)}
    codes = keys.fillna("").astype(str).map(position).fillna(len(classes) - 1).to_numpy(int)
    return codes, classes


def value_labels(kind: str, lang: str = "zh") -> dict[str, str]:
    """Display labels of a kind's class values (``arterial`` → ``主干路``), for popups."""
    table = load_styles().get(kind, {})
    return {
        k: v["label"][_check_lang(lang)]
        for k, v in table.items()
        if isinstance(v, dict) and "label" in v and k != "default"
    }
