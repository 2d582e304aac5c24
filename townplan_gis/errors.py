"""The townplan_gis exception family.

Every error names what a planner needs to fix the input: the layer, the column, the offending rows and
the accepted values or the fix. All inherit from :class:`TownPlanError`, itself a ``ValueError``, so
``except ValueError`` keeps working for callers who do not know this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "CRSError",
    "DataFileError",
    "EmptyLayerError",
    "EncodingError",
    "GeometryTypeError",
    "MissingColumnError",
    "MissingLayerError",
    "SchemaError",
    "TownPlanError",
    "UnknownValueError",
]


def _rows(rows: Iterable, limit: int = 10) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" … and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"[{shown}{more}]"


class TownPlanError(ValueError):
    """Base class of every error raised by townplan_gis."""


class SchemaError(TownPlanError):
    """A layer does not follow its canonical schema."""


class MissingColumnError(SchemaError):
    """A required column is absent (after Chinese/English aliases were applied)."""

    def __init__(
        self, layer: str, column: str, *, available: Sequence[str], aliases: Sequence[str]
    ):
        self.layer, self.column = layer, column
        alias_text = ", ".join(aliases) if aliases else "none"
        super().__init__(
            f"layer '{layer}': required column '{column}' is missing. Columns present: "
            f"{list(available)}. Accepted names for it: {column}, {alias_text}. "
            f"Fix: add or rename the column."
        )


class UnknownValueError(SchemaError):
    """A column holds values outside its domain."""

    def __init__(self, layer: str, column: str, *, values: Sequence, rows: Sequence, accepted):
        self.layer, self.column = layer, column
        self.values, self.rows = list(values), list(rows)
        super().__init__(
            f"layer '{layer}', column '{column}': unknown value(s) {list(dict.fromkeys(values))} "
            f"in rows {_rows(rows)}. Accepted values: {sorted(accepted)} (Chinese aliases are "
            f"accepted too, see townplan_gis/data/aliases.toml). Fix: correct the values or add "
            f"an alias."
        )


class GeometryTypeError(SchemaError):
    """A layer holds geometry types it cannot hold (e.g. lines in a polygon layer)."""


class EmptyLayerError(SchemaError):
    """A layer has no features at all."""

    def __init__(self, layer: str):
        self.layer = layer
        super().__init__(
            f"layer '{layer}' has no features. Fix: leave the layer out, or pass "
            f"allow_empty=True to keep an empty layer on purpose."
        )


class MissingLayerError(TownPlanError):
    """An operation needs a layer the town does not have."""


class CRSError(TownPlanError):
    """A layer has no coordinate reference system, or one that cannot be used."""


class EncodingError(TownPlanError):
    """Text in a file could not be decoded with any supported encoding."""


class DataFileError(TownPlanError):
    """A packaged or user data file (standard, rules, aliases, town.toml) is malformed."""
