"""Planners' map styles: how each class is drawn (``townplan_gis/data/styles.toml``), in the colours and
with the labels of the shared vocabulary (:mod:`townplan_gis.core.vocab`).

The five control lines are drawn in their own colours (红线 red, 绿线 green, 紫线 purple, 蓝线 blue,
黄线 yellow) with an outline and a light fill; 紫线 tiers (core / control / harmony) differ by dash and
fill strength. Roads are weighted by class (GB 50188-2007 classes), green land coloured by CJJ/T 85-2017
class, facilities by type, projects by review verdict and conflicts by grade. A class whose style has no
``color`` is outlined in its value's vocabulary colour, so a line type, a verdict or a grade has one
colour on the map, in the report and in Jupyter. Sources: ``docs/sources.md#vocabulary``,
``docs/sources.md#gb-50188-2007``, ``docs/sources.md#cjj-t-85-2017``; the shades are a house choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from townplan_gis.core import vocab
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

# The column whose value picks a feature's style, per styled kind; its vocabulary (same name) gives
# the classes' labels, order and outline colours.
CLASS_COLUMNS: dict[str, str] = {
    "roads": "road_class",
    "green": "green_class",
    "control_lines": "line_type",
    "facilities": "facility_type",
    "verdicts": "verdict",
    "conflicts": "grade",
    "line_conflicts": "severity",
}

_STYLE_KEYS = (
    "color",
    "weight",
    "opacity",
    "fillColor",
    "fillOpacity",
    "dashArray",
    "radius",
    "lineWeight",
    "groupRadius",
)


@dataclass(frozen=True)
class StyleClass:
    """One legend entry: the class key, its Leaflet path style and its label."""

    key: str
    style: dict[str, Any]
    label: str


@lru_cache(maxsize=1)
def load_styles() -> dict[str, Any]:
    """The packaged style table (``townplan_gis/data/styles.toml``) as a dict.

    ``["values"][lang][vocabulary]`` holds the vocabulary's labels (value → label), for callers that
    label coded columns (surface, zone, check …) from the style table.
    """
    text = resources.files("townplan_gis.data").joinpath("styles.toml").read_text("utf-8")
    data = load_toml_text(text, source="townplan_gis/data/styles.toml")
    if "layers" not in data:
        raise DataFileError("townplan_gis/data/styles.toml: section [layers] is missing.")
    data["values"] = {
        lang: {kind: vocab.labels(kind, lang) for kind in vocab.LABELS} for lang in ("zh", "en")
    }
    return data


def _check_lang(lang: str) -> Lang:
    if lang not in ("zh", "en"):
        raise TownPlanError(f"lang must be 'zh' (Chinese) or 'en' (English), got {lang!r}.")
    return lang  # type: ignore[return-value]


def layer_label(kind: str, lang: str = "zh") -> str:
    """Layer name in the layer control and legend (e.g. ``"五线"`` / ``"Control lines"``); the
    legend's own title for ``"legend"``."""
    lang = _check_lang(lang)
    if kind not in vocab.LABELS["layer"] and kind in vocab.TEXT:
        return vocab.text(kind, lang)
    return vocab.layer_label(kind, lang)


def field_label(field: str, lang: str = "zh") -> str:
    """Popup label of a column (e.g. ``"overlap"`` → ``"重叠面积"``); the column name if unknown."""
    return vocab.field_label(field, _check_lang(lang))


def _class_value(kind: str, key: str) -> tuple[str, str] | None:
    """(vocabulary, value) naming a style class: ``purple_core`` → the purple line; ``ignored`` → an
    ignored conflict."""
    if kind == "conflicts" and key == "ignored":
        return "ignored", "true"
    if kind == "control_lines" and key.startswith("purple_"):
        return "line_type", "purple"
    name = CLASS_COLUMNS.get(kind)
    return (name, key) if name else None


def _class_label(kind: str, key: str, lang: str) -> str:
    found = _class_value(kind, key)
    if found is None:
        return key
    words = vocab.label(*found, lang)
    if kind == "control_lines" and key.startswith("purple_"):
        zone = vocab.label("zone", key[len("purple_") :], lang)
        words = f"{words} {zone}" if lang == "zh" else f"{words}: {zone}"
    return words


def _style(kind: str, key: str | None) -> dict[str, Any]:
    styles = load_styles()
    table = styles.get(kind, styles["generic"])
    merged = {**table.get("default", {}), **(table.get(key, {}) if key is not None else {})}
    style = {k: merged[k] for k in _STYLE_KEYS if k in merged}
    found = _class_value(kind, key) if key is not None else None
    if "color" not in style and found is not None and found[1] in vocab.COLOURS.get(found[0], {}):
        style["color"] = vocab.colour(*found)
    style.setdefault("color", "#3388ff")
    style.setdefault("fillColor", style["color"])
    return style


def _legend_text(words: str, lang: str) -> str:
    # A legend entry starts a line: English labels begin with a capital there.
    return words[:1].upper() + words[1:] if lang == "en" else words


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
    declared = _declared(kind)
    present = pd.unique(keys.dropna().astype(str))
    ordered = [k for k in declared if k in set(present)]
    ordered += sorted(k for k in present if k not in set(declared))
    has_none = bool(keys.isna().any())
    classes: list[StyleClass] = []
    for key in ordered:
        words = _legend_text(_class_label(kind, key, lang), lang)
        classes.append(StyleClass(key, _style(kind, key), words))
    if has_none or not classes:
        classes.append(StyleClass("", _style(kind, None), layer_label(kind, lang)))
    position = {c.key: i for i, c in enumerate(classes)}
    codes = keys.fillna("").astype(str).map(position).fillna(len(classes) - 1).to_numpy(int)
    return codes, classes


def _declared(kind: str) -> list[str]:
    """The classes of a kind in legend order: the vocabulary's values, then any class the style file
    adds (purple tiers after the purple line, ignored conflicts after the grades)."""
    extra = [k for k in load_styles().get(kind, {}) if k != "default"]
    name = CLASS_COLUMNS.get(kind)
    ordered: list[str] = []
    for value in vocab.values(name) if name else ():
        ordered += [value, *(k for k in extra if k.startswith(f"{value}_"))]
    return ordered + [k for k in extra if k not in ordered]


def value_labels(kind: str, lang: str = "zh") -> dict[str, str]:
    """Display labels of a kind's class values (``arterial`` → ``主干路``), for popups."""
    lang = _check_lang(lang)
    return {k: _class_label(kind, k, lang) for k in _declared(kind)}
