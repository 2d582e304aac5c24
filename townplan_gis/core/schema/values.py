"""Cell values brought to a column's type and domain: numbers parsed and bounded, booleans read,
coded values mapped to their canonical codes; missing and unknown values refused with the rows."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.core.errors import (
    MissingColumnError,
    MissingValueError,
    SchemaError,
    UnknownValueError,
    ValueRangeError,
)
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema.columns import accepted_values, blank_cells, column_aliases
from townplan_gis.core.schema.spec import Column, LayerSpec, aliases, value_key, value_lookup

__all__ = ["coerce_columns"]


_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(m|米|户|万元|万|%)?\s*$")


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


def _lacking(gdf: gpd.GeoDataFrame, col: Column) -> tuple[pd.Series, pd.Series]:
    """Rows of a required column with no value: (not allowed, allowed through ``required_unless``)."""
    missing = blank_cells(gdf[col.name])
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
            accepted=accepted_values(col),
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
            accepted=accepted_values(col),
        )


def _map_domain(series: pd.Series, layer: str, col: Column, lacking: pd.Series) -> pd.Series:
    lookup = value_lookup(col.name)
    present = ~blank_cells(series)
    # Each distinct value is looked up once (a layer of 10⁵ features has a handful of values).
    table = {v: lookup.get(value_key(v)) for v in pd.unique(series[present])}
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
    lookup = value_lookup(column)
    present = series.notna()
    keys = series.map(lambda v: lookup.get(value_key(v)) if pd.notna(v) else None)
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


def _as_text(s: pd.Series) -> pd.Series:
    """A text column as Python ``str`` objects, missing cells None; a whole float reads as an
    integer (``12.0`` → ``"12"``, a code read from a spreadsheet)."""
    if pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        # Texts already (the common case): no Python call per cell.
        return s.astype(object).where(s.notna(), None)
    return s.map(
        lambda v: (
            None
            if pd.isna(v)
            else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
        )
    ).astype("object")


def coerce_columns(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> list[Repair]:
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
                    aliases=column_aliases(spec.kind).get(col.name, []),
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
                gdf[col.name] = _as_text(s)
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
