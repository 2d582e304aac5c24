"""One layer brought to its canonical schema: columns renamed, values coerced, geometries fixed, every
change recorded; errors about a renamed column name the file's own column."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd

from townplan_gis.core.errors import EmptyLayerError, MissingColumnError, SchemaError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema.columns import column_aliases, rename_columns, rename_repairs
from townplan_gis.core.schema.geometry_types import fix_geometry_types
from townplan_gis.core.schema.spec import LAYERS
from townplan_gis.core.schema.values import coerce_columns

__all__ = ["normalize_layer"]


def normalize_layer(
    gdf: gpd.GeoDataFrame,
    kind: str,
    *,
    allow_empty: bool = False,
) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Bring one layer to its canonical schema.

    Columns named by an alias (``道路等级``, ``红线宽度`` …) are renamed, values mapped to their canonical
    codes (``主干路`` → ``arterial``), numbers parsed (``"24m"`` → 24.0), and missing optional columns
    added as nulls. Extra columns are kept. A road with a red-line width may lack its class (or the
    whole ``road_class`` column may be absent): the class is kept as unknown (None) and the rows are
    recorded as a ``filled_unknown`` repair. GeometryCollections are reduced to the layer's allowed
    geometry family and recorded as ``extracted_parts``.

    Every rename is recorded (``renamed_columns``, ``道路等级→road_class``), and an error about a
    renamed column names the file's column: ``column 'type' (read as 'line_type' …)``. When several
    columns could be the same canonical one (``type`` and ``linetype``), the one whose values fit
    the column's vocabulary is taken. Numbers must be finite and within the column's range (road
    widths > 0 and ≤ :data:`MAX_ROAD_WIDTH_M`, households and investment ≥ 0, crown diameters
    > 0). Project ids used by several projects are recorded as ``duplicate_ids`` (kept as they
    are).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer as read. Not modified.
    kind : str
        Layer kind, one of :data:`LAYERS`.
    allow_empty : bool, default False
        Accept a layer with no features instead of raising :class:`EmptyLayerError`.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Repair)
        The normalised copy, and what was changed.

    Raises
    ------
    MissingColumnError, MissingValueError, UnknownValueError, ValueRangeError, GeometryTypeError,
    EmptyLayerError
        ``MissingValueError`` (empty cells in a required column) is a subclass of
        ``UnknownValueError`` (values outside the column's domain); ``ValueRangeError`` names the
        numbers out of range (``inf``, a negative or zero road width …).
    """
    if kind not in LAYERS:
        raise SchemaError(f"unknown layer kind '{kind}'. Accepted kinds: {list(LAYERS)}.")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"layer '{kind}' must be a GeoDataFrame, got {type(gdf).__name__}.")
    spec = LAYERS[kind]
    if len(gdf) == 0 and not allow_empty:
        raise EmptyLayerError(kind)
    repairs: list[Repair] = []
    out = gdf.copy()
    renames, _ = rename_columns(out, kind)
    if renames:
        out = out.rename(columns=renames)
        repairs += rename_repairs(kind, renames)
    for col in spec.columns:
        stand_in = col.required_unless is not None and col.required_unless in out.columns
        if col.required and col.name not in out.columns and not stand_in:
            raise MissingColumnError(
                kind,
                col.name,
                available=[c for c in out.columns if c != out.geometry.name],
                aliases=column_aliases(kind).get(col.name, []),
            )
    try:
        repairs += coerce_columns(out, spec)
    except SchemaError as exc:
        _name_source(exc, {canonical: source for source, canonical in renames.items()})
        raise
    if kind == "projects":
        repairs += _duplicate_ids(out)
    fix_geometry_types(out, spec, repairs)
    geom = out.geometry.name
    canonical = [c.name for c in spec.columns]
    order = canonical + [c for c in out.columns if c not in canonical and c != geom] + [geom]
    return out[order], repairs


def _name_source(exc: SchemaError, sources: Mapping[str, str]) -> None:
    """Make an error about a renamed column name the column as the file calls it.

    ``column 'line_type': unknown value(s) ['multipolygon']`` says nothing to a planner whose file
    has a column ``type`` (an alias of ``line_type``); the message then reads ``column 'type'
    (read as 'line_type')`` and says how to stop the alias applying. Changes ``exc`` in place.
    """
    message = str(exc)
    own = getattr(exc, "column", None)
    ordered = sorted(sources.items(), key=lambda item: item[0] != own)
    for canonical, source in ordered:
        named = f"column '{canonical}'"
        if named not in message:
            continue
        message = message.replace(
            named, f"column '{source}' (read as '{canonical}' through the alias table)", 1
        )
        message += (
            f" If the file's column '{source}' holds something else, rename it in the file (or "
            f"add a '{canonical}' column, which is then used instead)."
        )
        exc.source_column = source  # type: ignore[attr-defined]
        exc.args = (message,)
        return


def _duplicate_ids(projects: gpd.GeoDataFrame) -> list[Repair]:
    """A record of project ids used by more than one project (the ids are kept as they are)."""
    pid = projects["project_id"]
    dup = pid.notna() & pid.duplicated(keep=False)
    if not dup.any():
        return []
    groups = projects.index[dup].to_series().groupby(pid[dup].to_numpy(), sort=False)
    shown = [f"'{i}' (rows {', '.join(map(str, rows))})" for i, rows in groups][:10]
    more = f"; … and {groups.ngroups - 10} more ids" if groups.ngroups > 10 else ""
    return [
        Repair(
            "projects",
            "duplicate_ids",
            projects.index[dup].tolist(),
            f"project_id used by more than one project: {'; '.join(shown)}{more}. Kept as they "
            f"are; tables and opinions keyed by project_id cannot tell these projects apart. Fix: "
            f"give each project its own project_id (项目编号).",
        )
    ]
