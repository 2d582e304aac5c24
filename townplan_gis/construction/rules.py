"""The programme's rule file (``townplan_gis/data/programme.toml``): stages, funding sources, checks,
acceptance, subsidy allocation and the before/after comparison, validated.

A user file replaces the packaged one whole (``rules="my_programme.toml"``). Unknown keys are refused
with the closest accepted spelling; numbers must be finite and in range; stage codes must be values
the projects layer's ``stage`` column accepts, funding columns columns of the projects layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from townplan_gis.core.datafiles import check_keys, did_you_mean, load_toml, load_toml_text
from townplan_gis.core.errors import DataFileError
from townplan_gis.core.schema import LAYERS, aliases

__all__ = [
    "VERDICTS",
    "WEIGHTS",
    "Allocation",
    "FundingSource",
    "ProgrammeRules",
    "Stage",
    "load_programme_rules",
]

#: The review's verdicts (see :class:`townplan_gis.Review`), the values ``conforming_verdicts`` takes.
VERDICTS = ("pass", "review", "reject", "not_checked", "invalid")
#: What an allocation rule may share the fund by.
WEIGHTS = ("score", "equal", "completed_investment")

_TABLES = {
    "programme": ("version", "title_zh", "title_en", "source"),
    "checks": ("tolerance_wan_yuan", "behind_schedule_points", "source"),
    "acceptance": ("require_all_completed", "conforming_verdicts", "min_score", "source"),
    "subsidy": (
        "office_share_pct",
        "matching_ratio",
        "unit_wan_yuan",
        "default_allocation",
        "source",
    ),
    "compare": ("precision_m", "line_tolerance_m", "source", "keys", "growth"),
}
_LISTS = {
    "stages": ("code", "label_zh", "label_en", "complete", "source"),
    "funding": ("column", "label_zh", "label_en", "matching", "source"),
    "allocations": ("name", "weight", "only_accepted", "label_zh", "label_en", "source"),
}


@dataclass(frozen=True)
class Stage:
    """A programme stage: canonical code, labels, whether a project at it must be complete."""

    code: str
    label_zh: str
    label_en: str
    complete: bool
    source: str


@dataclass(frozen=True)
class FundingSource:
    """A funding source: its column in the projects layer (万元) and whether it counts as matching."""

    column: str
    label_zh: str
    label_en: str
    matching: bool
    source: str


@dataclass(frozen=True)
class Allocation:
    """A rule for sharing the subsidy fund: by what weight, and whether only accepted towns share."""

    name: str
    weight: str
    only_accepted: bool
    label_zh: str
    label_en: str
    source: str


@dataclass(frozen=True)
class ProgrammeRules:
    """The parsed rule file. See ``townplan_gis/data/programme.toml`` for the meaning of each field."""

    stages: tuple[Stage, ...]
    funding: tuple[FundingSource, ...]
    tolerance_wan_yuan: float
    behind_schedule_points: float
    require_all_completed: bool
    conforming_verdicts: tuple[str, ...]
    min_score: float
    office_share_pct: float
    matching_ratio: float
    unit_wan_yuan: float
    default_allocation: str
    allocations: Mapping[str, Allocation]
    precision_m: float
    line_tolerance_m: float
    keys: Mapping[str, str]
    growth: Mapping[str, str]
    version: str
    title_zh: str
    path: str

    @property
    def funding_columns(self) -> list[str]:
        return [f.column for f in self.funding]

    @property
    def stage_codes(self) -> list[str]:
        return [s.code for s in self.stages]

    def stage(self, code: str) -> Stage:
        return next(s for s in self.stages if s.code == code)

    def allocation(self, name: str | None) -> Allocation:
        """The allocation rule named ``name`` (default: ``default_allocation``)."""
        name = self.default_allocation if name is None else name
        if name not in self.allocations:
            raise DataFileError(
                f"{self.path}: unknown allocation rule {name!r}"
                f"{did_you_mean(str(name), self.allocations)}. Rules in the file: "
                f"{list(self.allocations)}."
            )
        return self.allocations[name]

    def __repr__(self) -> str:
        return f"<ProgrammeRules {self.version} from {self.path}>"


def _number(table: Mapping[str, Any], key: str, where: str, *, low: float, high: float) -> float:
    value = table.get(key)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise DataFileError(
            f"{where}: '{key}' must be a finite number between {low:g} and {high:g}, got {value!r}."
        )
    return float(value)


def _flag(table: Mapping[str, Any], key: str, where: str) -> bool:
    value = table.get(key)
    if not isinstance(value, bool):
        raise DataFileError(f"{where}: '{key}' must be true or false, got {value!r}.")
    return value


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(f"{where}: '{key}' must be a non-empty string, got {value!r}.")
    return value


def _table(data: Mapping[str, Any], name: str, source: str) -> Mapping[str, Any]:
    table = data.get(name)
    if not isinstance(table, Mapping):
        raise DataFileError(f"{source}: the [{name}] table is missing.")
    check_keys(table, _TABLES[name], where=f"[{name}]", source=source)
    return table


def _entries(data: Mapping[str, Any], name: str, source: str) -> list[Mapping[str, Any]]:
    entries = data.get(name)
    if not isinstance(entries, list) or not entries:
        raise DataFileError(f"{source}: no [[{name}]] entries.")
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, Mapping):
            raise DataFileError(f"{source}: [[{name}]] #{i} must be a table, got {e!r}.")
        check_keys(e, _LISTS[name], where=f"[[{name}]] #{i}", source=source)
    return entries


def _stages(data: Mapping[str, Any], source: str) -> tuple[Stage, ...]:
    known = list(aliases()["values"].get("stage", {}))
    out = []
    for i, e in enumerate(_entries(data, "stages", source), start=1):
        where = f"{source}: [[stages]] #{i}"
        code = _text(e, "code", where)
        if code not in known:
            raise DataFileError(
                f"{where}: stage code {code!r} is not a value of the projects layer's 'stage' "
                f"column{did_you_mean(code, known)}. Accepted: {known} (add a new stage to "
                f"townplan_gis/data/aliases.toml [values.stage] first)."
            )
        out.append(
            Stage(
                code,
                _text(e, "label_zh", where),
                _text(e, "label_en", where),
                _flag(e, "complete", where),
                _text(e, "source", where),
            )
        )
    _unique([s.code for s in out], "stages", "code", source)
    return tuple(out)


def _funding(data: Mapping[str, Any], source: str) -> tuple[FundingSource, ...]:
    columns = [c.name for c in LAYERS["projects"].columns if c.unit == "万元"]
    allowed = [c for c in columns if c.startswith("funding_")]
    out = []
    for i, e in enumerate(_entries(data, "funding", source), start=1):
        where = f"{source}: [[funding]] #{i}"
        column = _text(e, "column", where)
        if column not in allowed:
            raise DataFileError(
                f"{where}: column {column!r} is not a funding column of the projects layer"
                f"{did_you_mean(column, allowed)}. Accepted: {allowed}."
            )
        out.append(
            FundingSource(
                column,
                _text(e, "label_zh", where),
                _text(e, "label_en", where),
                _flag(e, "matching", where),
                _text(e, "source", where),
            )
        )
    _unique([f.column for f in out], "funding", "column", source)
    return tuple(out)


def _allocations(data: Mapping[str, Any], source: str) -> dict[str, Allocation]:
    out = {}
    for i, e in enumerate(_entries(data, "allocations", source), start=1):
        where = f"{source}: [[allocations]] #{i}"
        weight = _text(e, "weight", where)
        if weight not in WEIGHTS:
            raise DataFileError(
                f"{where}: weight {weight!r} is not one of {list(WEIGHTS)}"
                f"{did_you_mean(weight, WEIGHTS)}."
            )
        name = _text(e, "name", where)
        if name in out:
            raise DataFileError(f"{where}: duplicate allocation name {name!r}.")
        out[name] = Allocation(
            name,
            weight,
            _flag(e, "only_accepted", where),
            _text(e, "label_zh", where),
            _text(e, "label_en", where),
            _text(e, "source", where),
        )
    return out


def _unique(values: list[str], table: str, key: str, source: str) -> None:
    seen = [v for i, v in enumerate(values) if v in values[:i]]
    if seen:
        raise DataFileError(f"{source}: [[{table}]] {key} {seen[0]!r} is given twice.")


def _mapping_of_text(table: Any, where: str) -> dict[str, str]:
    if not isinstance(table, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in table.items()
    ):
        raise DataFileError(f"{where} must be a table of names, got {table!r}.")
    return dict(table)


def _parse(data: Mapping[str, Any], source: str) -> ProgrammeRules:
    check_keys(data, [*_TABLES, *_LISTS], where="the top level", source=source)
    head = _table(data, "programme", source)
    checks = _table(data, "checks", source)
    acc = _table(data, "acceptance", source)
    sub = _table(data, "subsidy", source)
    cmp_ = _table(data, "compare", source)
    for name, table in (("checks", checks), ("acceptance", acc), ("subsidy", sub)):
        _text(table, "source", f"{source}: [{name}]")
    verdicts = acc.get("conforming_verdicts")
    if not isinstance(verdicts, list) or not all(v in VERDICTS for v in verdicts):
        raise DataFileError(
            f"{source}: [acceptance] conforming_verdicts must be a list of review verdicts "
            f"{list(VERDICTS)}, got {verdicts!r}."
        )
    allocations = _allocations(data, source)
    default = _text(sub, "default_allocation", f"{source}: [subsidy]")
    if default not in allocations:
        raise DataFileError(
            f"{source}: [subsidy] default_allocation {default!r} is not an [[allocations]] name"
            f"{did_you_mean(default, allocations)}. Names: {list(allocations)}."
        )
    keys = _mapping_of_text(cmp_.get("keys", {}), f"{source}: [compare.keys]")
    unknown = [k for k in keys if k not in LAYERS]
    if unknown:
        raise DataFileError(
            f"{source}: [compare.keys] names unknown layer kinds {unknown}; kinds: {list(LAYERS)}."
        )
    return ProgrammeRules(
        stages=_stages(data, source),
        funding=_funding(data, source),
        tolerance_wan_yuan=_number(
            checks, "tolerance_wan_yuan", f"{source}: [checks]", low=0, high=1e4
        ),
        behind_schedule_points=_number(
            checks, "behind_schedule_points", f"{source}: [checks]", low=0, high=100
        ),
        require_all_completed=_flag(acc, "require_all_completed", f"{source}: [acceptance]"),
        conforming_verdicts=tuple(verdicts),
        min_score=_number(acc, "min_score", f"{source}: [acceptance]", low=0, high=100),
        office_share_pct=_number(sub, "office_share_pct", f"{source}: [subsidy]", low=0, high=100),
        matching_ratio=_number(sub, "matching_ratio", f"{source}: [subsidy]", low=0, high=1e3),
        unit_wan_yuan=_positive(sub, "unit_wan_yuan", f"{source}: [subsidy]"),
        default_allocation=default,
        allocations=allocations,
        precision_m=_positive(cmp_, "precision_m", f"{source}: [compare]"),
        line_tolerance_m=_number(cmp_, "line_tolerance_m", f"{source}: [compare]", low=0, high=100),
        keys=keys,
        growth=_mapping_of_text(cmp_.get("growth", {}), f"{source}: [compare.growth]"),
        version=_text(head, "version", f"{source}: [programme]"),
        title_zh=_text(head, "title_zh", f"{source}: [programme]"),
        path=source,
    )


def _positive(table: Mapping[str, Any], key: str, where: str) -> float:
    value = _number(table, key, where, low=0, high=1e6)
    if value <= 0:
        raise DataFileError(f"{where}: '{key}' must be > 0, got {value:g}.")
    return value


@cache
def _packaged() -> ProgrammeRules:
    text = resources.files("townplan_gis.data").joinpath("programme.toml").read_text("utf-8")
    source = "townplan_gis/data/programme.toml"
    return _parse(load_toml_text(text, source=source), source)


@lru_cache(maxsize=16)
def _from_file(path: str, mtime_ns: int) -> ProgrammeRules:
    return _parse(load_toml(path), path)


def load_programme_rules(rules: str | Path | ProgrammeRules | None = None) -> ProgrammeRules:
    """The programme rules: the packaged file, a user TOML file, or rules already loaded.

    Parameters
    ----------
    rules : str, Path or ProgrammeRules, optional
        A TOML file laid out like ``townplan_gis/data/programme.toml`` (every table present);
        default the packaged file.

    Returns
    -------
    ProgrammeRules

    Raises
    ------
    DataFileError
        A missing or malformed file; the message names the file, the table and the key.

    Examples
    --------
    >>> rules = load_programme_rules()
    >>> [s.label_zh for s in rules.stages]
    ['确定项目', '实施', '观摩', '验收']
    >>> rules.office_share_pct, rules.matching_ratio
    (1.0, 1.0)
    """
    if rules is None:
        return _packaged()
    if isinstance(rules, ProgrammeRules):
        return rules
    path = Path(rules)
    if not path.is_file():
        raise DataFileError(f"{path}: programme rule file not found.")
    return _from_file(str(path.resolve()), path.stat().st_mtime_ns)
