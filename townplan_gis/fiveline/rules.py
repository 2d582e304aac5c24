"""The declarative review rules: loading, validating and resolving the rule file.

A rule file (TOML) maps (line type, zone tier, project type) to a grade — ``forbidden``, ``review`` or
``notice`` — with the clause and the procedure in Chinese and English, and carries the sliver tolerance,
the setback distances and the defaults for deriving control lines. The packaged default is
``townplan_gis/data/rules/default.toml``; its header explains the matching and cites the regulations
(城市道路管理条例, 城市绿线/紫线/蓝线/黄线管理办法; ``docs/sources.md#road-regulation-1996`` …).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from townplan_gis.core.datafiles import check_keys, did_you_mean, load_toml, load_toml_text
from townplan_gis.core.errors import DataFileError
from townplan_gis.core.schema import GREEN_CLASSES, LINE_TYPES, ROAD_CLASSES, ZONES, aliases
from townplan_gis.core.schema.spec import keep_other_families
from townplan_gis.core.vocab import GRADE_RANK, GRADES, RED_WIDTH_M

__all__ = ["GRADES", "GRADE_RANK", "Rule", "Rules", "load_rules"]

_TEXT = ("clause_zh", "clause_en", "procedure_zh", "procedure_en")
_DEFAULT_SOURCE = "townplan_gis/data/rules/default.toml"
# A setback shortfall needs the plan adjusted or justified: never a notice-only pass.
_SETBACK_GRADES = ("review", "forbidden")


def project_types() -> tuple[str, ...]:
    """Canonical project types (``data/aliases.toml`` [values.project_type])."""
    return tuple(aliases()["values"]["project_type"])


@dataclass(frozen=True)
class Rule:
    """One grading rule of a rule file (see the file's header for the matching order)."""

    line_type: str
    zone: str
    project_types: tuple[str, ...]
    grade: str
    clause_zh: str
    clause_en: str
    procedure_zh: str
    procedure_en: str
    index: int

    @property
    def specificity(self) -> int:
        return 2 * (self.project_types != ("*",)) + (self.zone != "*")


@dataclass
class Rules:
    """A validated rule file.

    Attributes
    ----------
    rules : list of Rule
    tolerance : dict
        ``min_area_m2``, ``min_pct_of_project``, ``inward_buffer_m``, ``min_length_m``, ``noise_m2``,
        ``never_ignore`` (list of ``"line"`` or ``"line:zone"``).
    setbacks : dict
        ``project_types``, ``distance_m`` (by road class, ``red_default``, ``blue``) and per line type
        ``grade``, ``review_within_m`` and the clause/procedure texts.
    derive : dict
        Defaults for :mod:`townplan_gis.fiveline.derive`.
    checks : dict
        ``nearest_search_m``: how far the evidence table searches for the nearest feature of each
        line type (:mod:`townplan_gis.fiveline.checks`).
    defaults : dict
        ``purple_zone``: the tier of purple lines without a ``zone`` (default ``"core"``).
    meta : dict
        The file's ``[meta]`` table (``version`` …).
    source : str
        ``"default"`` or the path of the user file; ``version`` the file's ``meta.version``.
    """

    rules: list[Rule]
    tolerance: dict[str, Any]
    setbacks: dict[str, Any]
    derive: dict[str, Any]
    defaults: dict[str, Any]
    meta: dict[str, Any]
    source: str
    checks: dict[str, Any] = field(default_factory=lambda: {"nearest_search_m": 50.0})
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    def resolve(self, line_type: str, zone: str | None, project_type: str) -> Rule:
        """The rule that grades this project type inside a line of this type and zone.

        Raises
        ------
        DataFileError
            When no rule of the file matches (every line type needs a ``zone = "*"``,
            ``project_types = ["*"]`` fallback rule).
        """
        key = (line_type, zone, project_type)
        if key not in self._cache:
            if line_type == "purple" and zone is None:
                zone = self.defaults.get("purple_zone", "core")
            found = [
                r
                for r in self.rules
                if r.line_type == line_type
                and r.zone in ("*", zone)
                and ("*" in r.project_types or project_type in r.project_types)
            ]
            if not found:
                raise DataFileError(
                    f"{self.source}: no rule for line_type '{line_type}', zone '{zone}', project "
                    f"type '{project_type}'. Fix: add a [[rule]] with zone = \"*\" and "
                    f"project_types = [\"*\"] for '{line_type}'."
                )
            self._cache[key] = max(found, key=lambda r: r.specificity)
        return self._cache[key]

    def sliver_exempt(self, line_type: str, zone: str | None) -> bool:
        """Whether the sliver tolerance is never applied to this line (e.g. blue, purple core)."""
        if line_type == "purple" and zone is None:
            zone = self.defaults.get("purple_zone", "core")
        never = self.tolerance["never_ignore"]
        return line_type in never or f"{line_type}:{zone}" in never

    def with_overrides(
        self,
        *,
        tolerance: Mapping[str, Any] | None = None,
        setback_m: Mapping[str, float] | None = None,
        setback_types: tuple[str, ...] | list[str] | None = None,
    ) -> Rules:
        """A copy with thresholds replaced (keys as in the rule file).

        Raises
        ------
        DataFileError
            An unknown key (with the closest accepted spelling), or a value that is not a finite
            number ≥ 0 (``never_ignore``: a list of ``"line"`` or ``"line:zone"``).
        """
        out = copy.deepcopy(self)
        out._cache = {}
        tolerance = dict(tolerance or {})
        setback_m = dict(setback_m or {})
        check_keys(
            tolerance,
            list(out.tolerance),
            where=f"the tolerance overrides (rules {self.source})",
            source="review(tolerance={...})",
        )
        check_keys(
            setback_m,
            _setback_keys(),
            where=f"the setback overrides (rules {self.source})",
            source="review(setback_m={...})",
        )
        for key, value in tolerance.items():
            if key == "never_ignore":
                if isinstance(value, str) or not isinstance(value, list | tuple):
                    raise DataFileError(
                        f"review(tolerance={{...}}): never_ignore = {value!r} must be a list such as "
                        f'["blue", "purple:core"].'
                    )
                out.tolerance[key] = list(value)
            else:
                out.tolerance[key] = _number(value, "tolerance", key, "review(tolerance={...})")
        for key, value in setback_m.items():
            out.setbacks["distance_m"][key] = _number(
                value, "setback_m", key, "review(setback_m={...})"
            )
        if setback_types is not None:
            # One type given as a string would otherwise be read letter by letter.
            one = isinstance(setback_types, str)
            out.setbacks["project_types"] = [setback_types] if one else list(setback_types)
        _check_thresholds(out)
        return out


def _number(value: Any, section: str, key: str, source: str, *, positive: bool = False) -> float:
    bad = (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    )
    if bad:
        need = "> 0" if positive else "≥ 0"
        raise DataFileError(
            f"{source}: [{section}] {key} = {value!r} must be a finite number {need}."
        )
    return float(value)


def _setback_keys() -> tuple[str, ...]:
    """Keys of ``[setbacks.distance_m]``: the road classes, ``red_default`` and ``blue``."""
    return (*ROAD_CLASSES, "red_default", "blue")


# Keys a user rule file may carry beyond those of the packaged default (documentation only).
_OPTIONAL_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("meta",): ("author", "date", "note", "source"),
}


def _keyed_tables() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Tables keyed by a vocabulary (road classes …) rather than by a fixed set of settings."""
    return {("setbacks", "distance_m"): _setback_keys(), ("derive", "red_width_m"): ROAD_CLASSES}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _check_value(value: Any, like: Any, name: str, source: str) -> None:
    """``value`` has the shape of the default's ``like``; numbers finite and ≥ 0, lists item by item."""
    if _kind(value) != _kind(like):
        raise DataFileError(
            f"{source}: {name} = {value!r} must be {_kind(like)}, like the default {like!r}."
        )
    if _kind(value) == "a number" and not (math.isfinite(value) and value >= 0):
        raise DataFileError(f"{source}: {name} = {value!r} must be a finite number ≥ 0.")
    if isinstance(value, list) and like:
        for i, item in enumerate(value):
            _check_value(item, like[0], f"{name}[{i}]", source)


def _check_schema(
    table: Mapping[str, Any], template: Mapping[str, Any], source: str, path: tuple[str, ...] = ()
) -> None:
    """Refuse sections and keys the packaged default does not have, and values of another shape.

    The accepted keys of each table are those of the default (so a setting added to default.toml is
    accepted at once) plus :data:`_OPTIONAL_KEYS`; tables keyed by a vocabulary
    (:func:`_keyed_tables`) accept its words, each value shaped like the default's values.
    """
    where = f"[{'.'.join(path)}]" if path else "the top level ([section] names)"
    keyed = _keyed_tables().get(path)
    if keyed is not None:
        check_keys(table, keyed, where=where, source=source)
        first = next(iter(template.values()))
        for key, value in table.items():
            _check_value(value, template.get(key, first), f"[{'.'.join(path)}] {key}", source)
        return
    check_keys(table, [*template, *_OPTIONAL_KEYS.get(path, ())], where=where, source=source)
    for key, value in table.items():
        if key not in template or key == "rule":  # optional text; [[rule]] has its own parser
            continue
        like = template[key]
        name = f"[{'.'.join((*path, key))}]" if isinstance(like, dict) else f"{where} {key}"
        if isinstance(like, dict):
            if not isinstance(value, dict):
                raise DataFileError(f"{source}: {name} must be a table, got {value!r}.")
            _check_schema(value, like, source, (*path, key))
        else:
            _check_value(value, like, name, source)


def _check_vocabulary(values: Any, accepted: tuple[str, ...], name: str, source: str) -> None:
    unknown = [v for v in values if v not in accepted]
    if unknown:
        hints = "".join(did_you_mean(str(v), accepted) for v in unknown)
        raise DataFileError(
            f"{source}: {name} {unknown} unknown{hints}; accepted {list(accepted)}."
        )


def _check_thresholds(rules: Rules) -> None:
    src = rules.source
    tol = rules.tolerance
    for key in ("min_area_m2", "min_pct_of_project", "inward_buffer_m", "min_length_m", "noise_m2"):
        tol[key] = _number(tol.get(key), "tolerance", key, src)
    never = tol.get("never_ignore", [])
    if not isinstance(never, list):
        raise DataFileError(f"{src}: [tolerance] never_ignore must be a list of strings.")
    for item in never:
        lt, _, zone = str(item).partition(":")
        if lt not in LINE_TYPES or (zone and zone not in ZONES):
            raise DataFileError(
                f"{src}: [tolerance] never_ignore entry {item!r} is not 'line' or 'line:zone' with "
                f"line in {list(LINE_TYPES)} and zone in {list(ZONES)}."
            )
    sb = rules.setbacks
    for key, value in sb["distance_m"].items():
        sb["distance_m"][key] = _number(value, "setbacks.distance_m", key, src)
    for lt in ("red", "blue"):
        part = sb.get(lt, {})
        if part.get("grade") not in _SETBACK_GRADES:
            raise DataFileError(
                f"{src}: [setbacks.{lt}] grade {part.get('grade')!r} is not one of "
                f"{list(_SETBACK_GRADES)}: a building short of its setback must be adjusted or "
                f"justified, so it never passes (a 'notice' grade would let it pass)."
            )
        part["review_within_m"] = _number(
            part.get("review_within_m", 0.0), f"setbacks.{lt}", "review_within_m", src
        )
    checks = rules.checks
    search = _number(checks.get("nearest_search_m", 50.0), "checks", "nearest_search_m", src)
    if not math.isfinite(search):
        raise DataFileError(
            f"{src}: [checks] nearest_search_m = {search} must be a finite distance in metres."
        )
    checks["nearest_search_m"] = search
    _check_vocabulary(sb.get("project_types", []), project_types(), "[setbacks] project_types", src)
    _check_derive(rules.derive, src)


def _check_derive(derive: Mapping[str, Any], src: str) -> None:
    """Radii of [derive] are > 0, its classes and types known.

    The widths of ``[derive.red_width_m]`` are checked with the schema (finite, ≥ 0): a class width
    of 0 means "no default", and roads of that class must carry their own width.
    """
    purple = derive.get("purple", {})
    if "point_core_radius_m" in purple:
        _number(
            purple["point_core_radius_m"],
            "derive.purple",
            "point_core_radius_m",
            src,
            positive=True,
        )
    for key in ("control_width_m", "harmony_width_m"):
        if key in purple:
            _number(purple[key], "derive.purple", key, src)
    green = derive.get("green", {})
    _check_vocabulary(green.get("classes", []), GREEN_CLASSES, "[derive.green] classes", src)
    yellow = derive.get("yellow", {})
    facility_types = tuple(aliases()["values"]["facility_type"])
    _check_vocabulary(
        yellow.get("facility_types", []), facility_types, "[derive.yellow] facility_types", src
    )
    if "point_radius_m" in yellow:
        _number(yellow["point_radius_m"], "derive.yellow", "point_radius_m", src, positive=True)


def _parse_rule(entry: Any, i: int, source: str) -> Rule:
    where = f"{source}: [[rule]] #{i + 1}"
    if not isinstance(entry, dict):
        raise DataFileError(f"{where} is not a table.")
    check_keys(
        entry,
        ("line_type", "zone", "project_types", "grade", *_TEXT),
        where=f"[[rule]] #{i + 1}",
        source=source,
    )
    line_type = entry.get("line_type")
    if line_type not in LINE_TYPES:
        raise DataFileError(f"{where}: line_type {line_type!r} is not one of {list(LINE_TYPES)}.")
    zone = entry.get("zone", "*")
    if zone != "*" and zone not in ZONES:
        raise DataFileError(
            f"{where} ({line_type}): zone {zone!r} is not '*' or one of {list(ZONES)}."
        )
    types = entry.get("project_types", ["*"])
    if isinstance(types, str) or not isinstance(types, list) or not types:
        raise DataFileError(f"{where} ({line_type}): project_types must be a non-empty list.")
    unknown = [t for t in types if t != "*" and t not in project_types()]
    if unknown or ("*" in types and len(types) > 1):
        raise DataFileError(
            f'{where} ({line_type}): project_types {unknown or types} invalid; use ["*"] alone or '
            f"types from {list(project_types())}."
        )
    grade = entry.get("grade")
    if grade not in GRADES:
        raise DataFileError(f"{where} ({line_type}): grade {grade!r} is not one of {list(GRADES)}.")
    missing = [k for k in _TEXT if not isinstance(entry.get(k), str) or not entry[k].strip()]
    if missing:
        raise DataFileError(
            f"{where} ({line_type}): missing text {missing}; every rule states its clause and "
            f"procedure in Chinese and English."
        )
    return Rule(line_type, zone, tuple(types), grade, index=i, **{k: entry[k] for k in _TEXT})


def _table(data: dict[str, Any], section: str, source: str) -> dict[str, Any]:
    """An optional table of the rule file, as a new dict."""
    value = data.get(section, {})
    if not isinstance(value, dict):
        raise DataFileError(f"{source}: [{section}] must be a table, got {value!r}.")
    return dict(value)


def _check_ambiguity(rules: list[Rule], source: str) -> None:
    seen: dict[tuple, Rule] = {}
    for r in rules:
        for t in r.project_types:
            key = (r.line_type, r.zone, t)
            if key in seen:
                raise DataFileError(
                    f"{source}: [[rule]] #{r.index + 1} and #{seen[key].index + 1} both grade "
                    f"line_type '{r.line_type}', zone '{r.zone}', project type '{t}'. Fix: keep one."
                )
            seen[key] = r
    for lt in LINE_TYPES:
        # Purple lines without a zone take [defaults] purple_zone, so per-zone fallbacks suffice there.
        zones = ZONES if lt == "purple" else ("*",)
        for z in zones:
            if (lt, "*", "*") not in seen and (lt, z, "*") not in seen:
                raise DataFileError(
                    f"{source}: no fallback rule for line_type '{lt}', zone '{z}' (project_types = "
                    f'["*"]). Fix: add one, so that every project type is graded.'
                )


def _build(data: dict[str, Any], source: str) -> Rules:
    _check_schema(data, _default_data(), source)
    entries = data.get("rule")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(f"{source}: no [[rule]] entries.")
    rules = [_parse_rule(e, i, source) for i, e in enumerate(entries)]
    _check_ambiguity(rules, source)
    for section in ("tolerance", "setbacks", "derive"):
        if not isinstance(data.get(section), dict):
            raise DataFileError(f"{source}: missing the [{section}] table.")
    if not isinstance(data["setbacks"].get("distance_m"), dict):
        raise DataFileError(f"{source}: missing the [setbacks.distance_m] table.")
    out = Rules(
        rules=rules,
        tolerance=dict(data["tolerance"]),
        setbacks=copy.deepcopy(data["setbacks"]),
        derive=copy.deepcopy(data["derive"]),
        defaults=dict(data.get("defaults", {})),
        checks=_table(data, "checks", source),
        meta=dict(data.get("meta", {})),
        source=source,
    )
    if out.defaults.get("purple_zone", "core") not in ZONES:
        raise DataFileError(f"{source}: [defaults] purple_zone must be one of {list(ZONES)}.")
    _check_thresholds(out)
    return out


@cache
def _default_data() -> dict[str, Any]:
    # Cached: callers never mutate it (_build and _merge copy what they change).
    text = resources.files("townplan_gis.data").joinpath("rules/default.toml").read_text("utf-8")
    data = load_toml_text(text, source=_DEFAULT_SOURCE)
    data.setdefault("derive", {}).setdefault("red_width_m", dict(RED_WIDTH_M))  # from vocab.toml
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "rule":
            out[key] = _merge(out[key], value)
        else:
            out[key] = keep_other_families(out.get(key), value) if key == "rule" else value
    return out


def load_rules(path: str | Path | Rules | None = None) -> Rules:
    """Load the review rules: the packaged default, or a user file that overrides it.

    A user file's ``[[rule]]`` list replaces the default rules of each line family it names (a family
    it does not name, e.g. 三区三线, keeps them); the other tables are overridden key by key.

    Parameters
    ----------
    path : str, Path or Rules, optional
        A TOML rule file; ``None`` or ``"default"`` for the packaged default.

    Returns
    -------
    Rules

    Raises
    ------
    DataFileError
        The file is missing, not TOML, or an entry is malformed; the message names the file, the
        entry and the problem.
    """
    if isinstance(path, Rules):
        return path
    base = _default_data()
    if path is None or str(path) == "default":
        return _build(base, "default")
    user = load_toml(path)
    return _build(_merge(base, user), str(path))
