"""Layer kinds, canonical columns, value domains and the Chinese/English alias table.

A planner's file says 道路等级 = 主干路; townplan_gis works with ``road_class = "arterial"``.
:func:`normalize_layer` maps one to the other through ``data/aliases.toml``, checks the value domains and
coerces types, and records every change it makes. It never modifies the caller's GeoDataFrame.

The package, by seam: :mod:`~townplan_gis.core.schema.spec` (layer kinds, columns, domains, the alias
table), :mod:`~townplan_gis.core.schema.columns` (renaming columns),
:mod:`~townplan_gis.core.schema.values` (coercing values), :mod:`~townplan_gis.core.schema.geometry_types`
(fixing geometry types) and :mod:`~townplan_gis.core.schema.normalize` (one layer, end to end).
"""

from townplan_gis.core.schema.columns import rename_columns, rename_repairs
from townplan_gis.core.schema.normalize import normalize_layer
from townplan_gis.core.schema.spec import (
    GREEN_CLASSES,
    LAYERS,
    LINE_TYPES,
    MAX_ROAD_WIDTH_M,
    ROAD_CLASSES,
    STATISTICS,
    SURFACES,
    ZONES,
    Column,
    LayerSpec,
    absent_types,
    aliases,
    canonical_columns,
    check_declared,
    describe,
    layer_kind,
    value_key,
    value_lookup,
)

# The names fiveline/prepare.py imports under their former private spelling.
_key = value_key
_value_lookup = value_lookup

__all__ = [
    "GREEN_CLASSES",
    "LAYERS",
    "LINE_TYPES",
    "MAX_ROAD_WIDTH_M",
    "ROAD_CLASSES",
    "STATISTICS",
    "SURFACES",
    "ZONES",
    "Column",
    "LayerSpec",
    "absent_types",
    "aliases",
    "canonical_columns",
    "check_declared",
    "describe",
    "layer_kind",
    "normalize_layer",
    "rename_columns",
    "rename_repairs",
    "value_key",
    "value_lookup",
]
