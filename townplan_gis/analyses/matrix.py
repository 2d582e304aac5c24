"""The compatibility matrix of control lines (``townplan_gis/data/line_matrix.toml``).

Which line types may share land, and how a contact between two of them is graded, is domain knowledge a
planner may change, so it lives in a data file; its header explains the format and cites the sources
(docs/sources.md#three-lines-2019, docs/sources.md#line-matrix). This module loads and validates it and
resolves the entry for a pair of features.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from townplan_gis.core.datafiles import check_keys, did_you_mean, load_toml, load_toml_text
from townplan_gis.core.errors import DataFileError
from townplan_gis.core.schema import LINE_TYPES, ZONES

__all__ = [
    "KINDS",
    "SEVERITIES",
    "LineMatrix",
    "PairRule",
    "load_line_matrix",
]

#: Grades of a contact, worst first; ``allowed`` contacts are not listed.
SEVERITIES = ("conflict", "check", "notice", "allowed")
SEVERITY_ZH = {"conflict": "冲突", "check": "待核实", "notice": "提示", "allowed": "兼容"}
#: Kinds of contact between two features of different types (or of one type, per the matrix).
KINDS = ("overlap", "contained", "crossing")
_SOURCE = "townplan_gis/data/line_matrix.toml"
_TEXT = ("resolution_zh", "resolution_en", "source")
_PAIR_KEYS = ("sides", *KINDS, "keeps", *_TEXT)
_TOLERANCE = ("gap_width_m", "noise_m2", "near_duplicate_iou", "contained_share")


@dataclass(frozen=True)
class PairRule:
    """One ``[[pair]]`` entry: the grade of each kind of contact, who keeps its extent, and why."""

    sides: tuple[str, str]
    overlap: str
    contained: str
    crossing: str
    keeps: str | None
    resolution_zh: str
    resolution_en: str
    source: str
    index: int

    @property
    def specificity(self) -> int:
        return sum(":" in s for s in self.sides)

    def severity(self, kind: str) -> str:
        return str(getattr(self, kind))


@dataclass
class LineMatrix:
    """A validated compatibility matrix.

    Attributes
    ----------
    types : dict
        ``{line_type: {"label_zh", "label_en", "family"}}``.
    pairs : list of PairRule
    default : PairRule
        The grading of a pair of present types without an entry (``[defaults]``, ``check``).
    tolerance : dict
        ``gap_width_m``, ``noise_m2``, ``near_duplicate_iou``, ``contained_share``.
    default_tier : str
        The tier of a line of a tiered type (purple) that has none (``[defaults] tier``, core).
    meta : dict
    source : str
        ``"default"`` or the user file's path.
    """

    types: dict[str, dict[str, str]]
    pairs: list[PairRule]
    default: PairRule
    tolerance: dict[str, float]
    meta: dict[str, Any]
    source: str
    default_tier: str = "core"
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    def label(self, line_type: str, lang: str = "zh") -> str:
        entry = self.types.get(line_type, {})
        return str(entry.get(f"label_{lang}", line_type))

    def resolve(
        self, a: tuple[str, str | None], b: tuple[str, str | None]
    ) -> tuple[PairRule, bool]:
        """The entry grading features of (type, zone) ``a`` and ``b``, and whether its sides are
        in the order (b, a); :attr:`default` (an entry of its own) when none matches."""
        key = (a, b)
        if key not in self._cache:
            found = []
            for rule in self.pairs:
                s0, s1 = rule.sides
                if _matches(s0, a) and _matches(s1, b):
                    found.append((rule.specificity, rule, False))
                if _matches(s0, b) and _matches(s1, a):
                    found.append((rule.specificity, rule, True))
            if found:
                best = max(found, key=lambda f: f[0])
                self._cache[key] = (best[1], best[2])
            else:
                self._cache[key] = (self.default, False)
        return self._cache[key]


def _matches(side: str, feature: tuple[str, str | None]) -> bool:
    line_type, _, zone = side.partition(":")
    return line_type == feature[0] and (not zone or zone == feature[1])


def _severity(value: Any, where: str, name: str) -> str:
    if value not in SEVERITIES:
        hint = did_you_mean(str(value), SEVERITIES)
        raise DataFileError(f"{where}: {name} = {value!r} is not one of {list(SEVERITIES)}{hint}.")
    return str(value)


def _texts(entry: dict[str, Any], where: str) -> tuple[str, str, str]:
    missing = [k for k in _TEXT if not isinstance(entry.get(k), str) or not entry[k].strip()]
    if missing:
        raise DataFileError(
            f"{where}: missing {missing}; every entry states its resolution in Chinese and English "
            f"and its source (docs/sources.md#…)."
        )
    if not entry["source"].startswith("docs/sources.md#"):
        raise DataFileError(
            f"{where}: source {entry['source']!r} must cite an entry of docs/sources.md "
            f"(docs/sources.md#<entry>)."
        )
    return entry["resolution_zh"], entry["resolution_en"], entry["source"]


def _side(value: Any, types: dict[str, Any], where: str) -> str:
    if not isinstance(value, str):
        raise DataFileError(f"{where}: a side must be text such as 'red' or 'purple:core'.")
    line_type, colon, zone = value.partition(":")
    if line_type not in types:
        raise DataFileError(
            f"{where}: side {value!r}: line type '{line_type}' is not in [types]"
            f"{did_you_mean(line_type, types)}; known {list(types)}."
        )
    if colon and zone not in ZONES:
        raise DataFileError(
            f"{where}: side {value!r}: tier '{zone}' is not one of {list(ZONES)}"
            f"{did_you_mean(zone, ZONES)}."
        )
    return value


def _parse_pair(entry: Any, i: int, types: dict[str, Any], source: str) -> PairRule:
    where = f"{source}: [[pair]] #{i + 1}"
    if not isinstance(entry, dict):
        raise DataFileError(f"{where} is not a table.")
    check_keys(entry, _PAIR_KEYS, where=f"[[pair]] #{i + 1}", source=source)
    sides = entry.get("sides")
    if not isinstance(sides, list) or len(sides) != 2:
        raise DataFileError(
            f"{where}: sides must be a list of two line types, e.g. ['red', 'blue']."
        )
    s0, s1 = (_side(s, types, where) for s in sides)
    if "overlap" not in entry:
        raise DataFileError(f"{where} ({s0} × {s1}): overlap = … is required.")
    overlap = _severity(entry["overlap"], where, "overlap")
    kinds = {k: _severity(entry.get(k, overlap), where, k) for k in ("contained", "crossing")}
    keeps = entry.get("keeps")
    plain = {s0.partition(":")[0], s1.partition(":")[0]}
    if keeps is not None and keeps not in plain:
        raise DataFileError(
            f"{where} ({s0} × {s1}): keeps = {keeps!r} must be one of the two sides' line types "
            f"{sorted(plain)}."
        )
    return PairRule(
        (s0, s1), overlap, kinds["contained"], kinds["crossing"], keeps, *_texts(entry, where), i
    )


def _check_types(types: Any, source: str) -> dict[str, dict[str, str]]:
    if not isinstance(types, dict) or not types:
        raise DataFileError(f"{source}: missing the [types] tables (one per line type).")
    out = {}
    for name, entry in types.items():
        where = f"[types.{name}]"
        if not isinstance(entry, dict):
            raise DataFileError(f"{source}: {where} must be a table.")
        check_keys(entry, ("label_zh", "label_en", "family"), where=where, source=source)
        if not all(isinstance(entry.get(k), str) and entry[k] for k in ("label_zh", "label_en")):
            raise DataFileError(f"{source}: {where} needs label_zh and label_en.")
        out[name] = {k: str(v) for k, v in entry.items()}
    absent = [t for t in LINE_TYPES if t not in out]
    if absent:
        raise DataFileError(
            f"{source}: line types {absent} of the layer schema are not in [types]: their contacts "
            f"could not be graded. Fix: add a [types.<name>] table and their [[pair]] entries."
        )
    return out


def _check_tolerance(table: Any, source: str) -> dict[str, float]:
    if not isinstance(table, dict):
        raise DataFileError(f"{source}: [tolerance] must be a table.")
    check_keys(table, _TOLERANCE, where="[tolerance]", source=source)
    out = {}
    for key in _TOLERANCE:
        value = table.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise DataFileError(f"{source}: [tolerance] {key} = {value!r} must be a number.")
        if value < 0 or (key.endswith(("_iou", "_share")) and not 0 < value <= 1):
            need = "in (0, 1]" if key.endswith(("_iou", "_share")) else "≥ 0"
            raise DataFileError(f"{source}: [tolerance] {key} = {value!r} must be {need}.")
        out[key] = float(value)
    return out


def _build(data: dict[str, Any], source: str) -> LineMatrix:
    check_keys(
        data,
        ("meta", "tolerance", "defaults", "types", "pair"),
        where="the top level",
        source=source,
    )
    types = _check_types(data.get("types"), source)
    entries = data.get("pair")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(f"{source}: no [[pair]] entries.")
    pairs = [_parse_pair(e, i, types, source) for i, e in enumerate(entries)]
    seen: dict[frozenset | tuple, PairRule] = {}
    for rule in pairs:
        key = tuple(sorted(rule.sides))
        if key in seen:
            raise DataFileError(
                f"{source}: [[pair]] #{rule.index + 1} and #{seen[key].index + 1} both grade "
                f"{key[0]} × {key[1]}. Fix: keep one."
            )
        seen[key] = rule
    defaults = data.get("defaults")
    if not isinstance(defaults, dict):
        raise DataFileError(f"{source}: missing the [defaults] table.")
    check_keys(defaults, ("tier", "overlap", *_TEXT), where="[defaults]", source=source)
    tier = defaults.get("tier", "core")
    if tier not in ZONES:
        raise DataFileError(
            f"{source}: [defaults] tier = {tier!r} is not one of {list(ZONES)}"
            f"{did_you_mean(str(tier), ZONES)}."
        )
    overlap = _severity(defaults.get("overlap"), f"{source}: [defaults]", "overlap")
    default = PairRule(
        ("*", "*"), overlap, overlap, overlap, None, *_texts(defaults, f"{source}: [defaults]"), -1
    )
    return LineMatrix(
        types=types,
        pairs=pairs,
        default=default,
        default_tier=str(tier),
        tolerance=_check_tolerance(data.get("tolerance"), source),
        meta=dict(data.get("meta", {})),
        source=source,
    )


@cache
def _default_data() -> dict[str, Any]:
    text = resources.files("townplan_gis.data").joinpath("line_matrix.toml").read_text("utf-8")
    return load_toml_text(text, source=_SOURCE)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if key == "pair":
            out[key] = value
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_line_matrix(path: str | Path | LineMatrix | None = None) -> LineMatrix:
    """Load the compatibility matrix: the packaged default, or a user file that overrides it.

    A user file replaces the default's ``[[pair]]`` list when it has one and overrides the other
    tables key by key (a file with only ``[tolerance] gap_width_m = 1.0`` keeps every entry).

    Parameters
    ----------
    path : str, Path or LineMatrix, optional
        A TOML file; ``None`` or ``"default"`` for ``townplan_gis/data/line_matrix.toml``.

    Returns
    -------
    LineMatrix

    Raises
    ------
    DataFileError
        The file is missing, not TOML, or an entry is malformed (an unknown line type or tier, a
        grade not in ``conflict / check / notice / allowed``, two entries for the same pair, a
        schema line type without a ``[types]`` table, a missing resolution or source); the
        message names the file and the entry.

    Examples
    --------
    >>> m = load_line_matrix()
    >>> rule, _ = m.resolve(("red", None), ("blue", None))
    >>> rule.overlap, rule.crossing, rule.keeps
    ('conflict', 'notice', 'blue')
    >>> m.resolve(("purple", "core"), ("red", None))[0].overlap
    'conflict'
    >>> m.resolve(("purple", "harmony"), ("red", None))[0].overlap
    'notice'
    """
    if isinstance(path, LineMatrix):
        return path
    base = _default_data()
    if path is None or str(path) == "default":
        return _build(base, "default")
    return _build(_merge(base, load_toml(path)), str(path))
