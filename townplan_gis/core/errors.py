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
    "GeometryError",
    "GeometryTypeError",
    "MissingColumnError",
    "MissingLayerError",
    "MissingValueError",
    "OutputPathError",
    "SchemaError",
    "TownPlanError",
    "UnknownValueError",
    "ValueRangeError",
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


class MissingValueError(UnknownValueError):
    """A required column has empty cells (null, NaN or blank text).

    Told apart from unknown values in the message; a subclass of :class:`UnknownValueError` so that
    callers catching that keep working.

    Attributes
    ----------
    layer, column : str
    rows : list
        Index labels of the rows with no value.
    values, unknown_rows : list
        Unknown values found in the same column, and their rows (empty when there are none).
    """

    def __init__(
        self,
        layer: str,
        column: str,
        *,
        rows: Sequence,
        accepted: Sequence[str],
        unknown_values: Sequence = (),
        unknown_rows: Sequence = (),
        stand_in: str | None = None,
    ):
        self.layer, self.column = layer, column
        self.rows, self.values = list(rows), list(unknown_values)
        self.unknown_rows = list(unknown_rows)
        choices = f"one of {sorted(accepted)}" if accepted else "a non-empty value"
        unless = f" (it may be empty only where '{stand_in}' is given)" if stand_in else ""
        also = f", or give these rows a '{stand_in}'" if stand_in else ""
        message = (
            f"layer '{layer}', column '{column}': missing value(s) in rows {_rows(self.rows)}; "
            f"the column is required{unless}. Fix: fill these rows with {choices} (Chinese "
            f"aliases are accepted too, see townplan_gis/data/aliases.toml){also}."
        )
        if self.values:
            message += (
                f" Also unknown value(s) {list(dict.fromkeys(self.values))} in rows "
                f"{_rows(self.unknown_rows)}: correct them or add an alias."
            )
        # Skip UnknownValueError.__init__: its message would call the empty cells unknown values.
        SchemaError.__init__(self, message)


class GeometryTypeError(SchemaError):
    """A layer holds geometry types it cannot hold (e.g. lines in a polygon layer)."""


class GeometryError(SchemaError):
    """A layer's geometries cannot be measured (e.g. a NaN or infinite vertex in a control line)."""


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


class ValueRangeError(SchemaError):
    """A numeric column holds values outside its accepted range (a negative, zero, infinite or
    implausibly large road width, a negative household count …).

    Attributes
    ----------
    layer, column : str
    values, rows : list
        The offending values and their index labels, in row order.
    """

    def __init__(
        self, layer: str, column: str, *, values: Sequence, rows: Sequence, accepted: str, fix: str
    ):
        self.layer, self.column = layer, column
        self.values, self.rows = list(values), list(rows)
        shown = list(dict.fromkeys(self.values))
        more = f" … and {len(shown) - 10} more" if len(shown) > 10 else ""
        super().__init__(
            f"layer '{layer}', column '{column}': value(s) {shown[:10]}{more} in rows "
            f"{_rows(self.rows)} are out of range: {accepted}. Fix: {fix}"
        )


class OutputPathError(TownPlanError):
    """An output path cannot be used: an existing file where a folder is expected, a file of
    another kind that would be overwritten, or one of the command's own inputs."""
