"""Standards as data, and scorecards: measure a town (or a county of towns) against a standard.

A standard is a TOML file — packaged ones in ``townplan_gis/data/standards`` (``ezhou-2017``,
``weicheng-2017``, ``national-2016``, ``gb50188-2007``) or any user file — with a ``[standard]`` table
(``name``, ``title_zh``, ``title_en``, ``source``) and ``[[targets]]``, each::

    key = "paving_rate_pct"        # an indicator key (see townplan_gis.indicators.registry)
    comparator = ">="              # >=, >, <=, <, ==, between ([lo, hi]), between_left_open ((lo, hi])
    threshold = 90.0               # a number, or [lo, hi] for the between comparators
    unit = "%"                     # must equal the indicator's unit
    source = "鄂州市 … 2017"        # citation
    note = "value lost in the source; 90 % assumed"   # optional
    weight = 1.0                   # optional, for the score
    reported = false               # optional: true lets a key outside the registry name a reported statistic

Missing data is ``not_evaluable`` — never ``pass``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis._display import as_scorecard
from townplan_gis._toml import load_toml, load_toml_text
from townplan_gis.errors import DataFileError, TownPlanError

__all__ = [
    "COMPARATORS",
    "SCORECARD_COLUMNS",
    "Standard",
    "Target",
    "assess",
    "assess_many",
    "list_standards",
    "load_standard",
]

log = logging.getLogger(__name__)

SCORECARD_COLUMNS = [
    "key",
    "name_zh",
    "name_en",
    "value",
    "target",
    "comparator",
    "status",
    "gap",
    "unit",
    "source",
    "note",
]
COMPARATORS = (">=", ">", "<=", "<", "==", "between", "between_left_open")
_RANGE = ("between", "between_left_open")
_TARGET_FIELDS = {"key", "comparator", "threshold", "unit", "source", "note", "weight", "reported"}
_STANDARD_FIELDS = {"name", "title_zh", "title_en", "source", "year", "version", "note"}
# Relative tolerance of comparisons, so 99.99999999999 % of rounding noise meets a 100 % target.
_RTOL = 1e-9


@dataclass(frozen=True)
class Target:
    """One target of a standard."""

    key: str
    comparator: str
    threshold: float | tuple[float, float]
    unit: str
    source: str
    note: str = ""
    weight: float = 1.0
    reported: bool = False

    @property
    def target_text(self) -> Any:
        if self.comparator == "between":
            return f"[{self.threshold[0]:g}, {self.threshold[1]:g}]"
        if self.comparator == "between_left_open":
            return f"({self.threshold[0]:g}, {self.threshold[1]:g}]"
        return self.threshold

    def evaluate(self, value: float) -> tuple[str, float]:
        """``(status, gap)``; gap ≥ 0 is the margin by which the target is met, < 0 the shortfall."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "not_evaluable", math.nan
        v, c, t = float(value), self.comparator, self.threshold
        if c in _RANGE:
            lo, hi = t
            gap = min(v - lo, hi - v)
            eps = _RTOL * max(1.0, abs(lo), abs(hi))
            ok = lo - eps <= v <= hi + eps if c == "between" else lo + eps < v <= hi + eps
            return ("pass" if ok else "fail"), gap
        eps = _RTOL * max(1.0, abs(t))
        if c in (">=", ">"):
            gap = v - t
            ok = gap >= -eps if c == ">=" else gap > eps
        elif c in ("<=", "<"):
            gap = t - v
            ok = gap >= -eps if c == "<=" else gap > eps
        else:
            gap = -abs(v - t)
            ok = gap >= -eps
        return ("pass" if ok else "fail"), gap


@dataclass(frozen=True)
class Standard:
    """A named set of targets loaded from a TOML file."""

    name: str
    title_zh: str
    title_en: str
    source: str
    targets: tuple[Target, ...]
    path: str

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.targets]

    def __repr__(self) -> str:
        return f"<Standard {self.name!r}: {len(self.targets)} targets, {self.title_zh}>"


def _standards_dir() -> Any:
    return resources.files("townplan_gis").joinpath("data", "standards")


@lru_cache(maxsize=1)
def _standard_names() -> tuple[str, ...]:
    return tuple(
        sorted(
            p.name[: -len(".toml")] for p in _standards_dir().iterdir() if p.name.endswith(".toml")
        )
    )


def list_standards() -> list[str]:
    """Names of the packaged standards."""
    return list(_standard_names())


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise DataFileError(f"{where}: {what} must be a number, got {value!r}.")
    return float(value)


def _parse_target(entry: Any, i: int, source: str) -> Target:
    from townplan_gis.indicators.registry import indicator_info, is_known

    where = f"{source}: target #{i}"
    if not isinstance(entry, Mapping):
        raise DataFileError(f"{where}: must be a table ([[targets]]), got {entry!r}.")
    key = entry.get("key")
    if isinstance(key, str):
        where += f" (key '{key}')"
    unknown = sorted(set(entry) - _TARGET_FIELDS)
    if unknown:
        raise DataFileError(
            f"{where}: unknown field(s) {unknown}; accepted: {sorted(_TARGET_FIELDS)}."
        )
    for f in ("key", "comparator", "threshold", "unit", "source"):
        if f not in entry:
            raise DataFileError(f"{where}: required field '{f}' is missing.")
    if not isinstance(key, str) or not key:
        raise DataFileError(f"{where}: 'key' must be a non-empty string, got {key!r}.")
    reported = entry.get("reported", False)
    if not isinstance(reported, bool):
        raise DataFileError(f"{where}: 'reported' must be true or false, got {reported!r}.")
    comparator = entry["comparator"]
    if comparator not in COMPARATORS:
        raise DataFileError(
            f"{where}: comparator {comparator!r} is not one of {list(COMPARATORS)}."
        )
    raw = entry["threshold"]
    if comparator in _RANGE:
        if not isinstance(raw, list) or len(raw) != 2:
            raise DataFileError(
                f"{where}: comparator '{comparator}' needs threshold = [low, high], got {raw!r}."
            )
        threshold: Any = tuple(_number(x, where, "threshold") for x in raw)
        if threshold[0] > threshold[1]:
            raise DataFileError(f"{where}: threshold low {threshold[0]} > high {threshold[1]}.")
    else:
        threshold = _number(raw, where, "threshold")
    unit = entry["unit"]
    if not isinstance(unit, str):
        raise DataFileError(f"{where}: 'unit' must be a string, got {unit!r}.")
    if not reported or is_known(key):
        try:
            expected = indicator_info(key).unit
        except DataFileError as exc:  # the message lists the known keys
            raise DataFileError(
                f"{where}: {exc} For a reported statistic outside the registry set reported = true."
            ) from exc
        if unit != expected:
            raise DataFileError(
                f"{where}: unit '{unit}' does not match the indicator's unit '{expected}'."
            )
    weight = _number(entry.get("weight", 1.0), where, "weight")
    if weight <= 0:
        raise DataFileError(f"{where}: weight must be > 0, got {weight}.")
    for f in ("source", "note"):
        if f in entry and not isinstance(entry[f], str):
            raise DataFileError(f"{where}: '{f}' must be a string, got {entry[f]!r}.")
    return Target(
        key=key,
        comparator=comparator,
        threshold=threshold,
        unit=unit,
        source=entry["source"],
        note=entry.get("note", ""),
        weight=weight,
        reported=reported,
    )


def _parse(data: dict[str, Any], source: str) -> Standard:
    head = data.get("standard")
    if not isinstance(head, Mapping):
        raise DataFileError(f"{source}: missing the [standard] table (name, title_zh, source).")
    unknown = sorted(set(head) - _STANDARD_FIELDS)
    if unknown:
        raise DataFileError(
            f"{source}: [standard] has unknown field(s) {unknown}; accepted: {sorted(_STANDARD_FIELDS)}."
        )
    if not isinstance(head.get("name"), str) or not head["name"]:
        raise DataFileError(f'{source}: [standard] needs name = "…".')
    extra = sorted(set(data) - {"standard", "targets"})
    if extra:
        raise DataFileError(
            f"{source}: unknown top-level entries {extra}; expected [standard] and [[targets]]."
        )
    entries = data.get("targets")
    if not isinstance(entries, list) or not entries:
        raise DataFileError(f"{source}: no [[targets]] entries.")
    targets = tuple(_parse_target(e, i, source) for i, e in enumerate(entries, start=1))
    seen: set[str] = set()
    for i, t in enumerate(targets, start=1):
        if t.key in seen:
            raise DataFileError(f"{source}: target #{i} (key '{t.key}'): duplicate key.")
        seen.add(t.key)
    return Standard(
        name=head["name"],
        title_zh=str(head.get("title_zh", "")),
        title_en=str(head.get("title_en", "")),
        source=str(head.get("source", "")),
        targets=targets,
        path=source,
    )


@cache
def _packaged(name: str) -> Standard:
    res = _standards_dir().joinpath(f"{name}.toml")
    source = f"townplan_gis/data/standards/{name}.toml"
    return _parse(load_toml_text(res.read_text("utf-8"), source=source), source)


@lru_cache(maxsize=64)
def _from_file(path: str, mtime_ns: int) -> Standard:
    return _parse(load_toml(path), path)


def load_standard(standard: str | Path | Standard) -> Standard:
    """A standard by packaged name (``"ezhou-2017"``) or TOML path; parsed once and cached.

    Raises
    ------
    DataFileError
        Unknown name, missing file, or a malformed file (the message names the file, the target entry
        and the problem).
    """
    if isinstance(standard, Standard):
        return standard
    text = str(standard)
    path = Path(text)
    if path.suffix.casefold() == ".toml" or path.exists():
        if not path.is_file():
            raise DataFileError(f"{path}: standard file not found.")
        return _from_file(str(path.resolve()), path.stat().st_mtime_ns)
    if text in _standard_names():
        return _packaged(text)
    raise DataFileError(
        f"unknown standard '{text}'. Packaged standards: {list_standards()}; or give a path to a "
        f".toml file."
    )


def _indicator_table(town: Any, options: Mapping[str, Any]) -> pd.DataFrame:
    if isinstance(town, pd.DataFrame):
        if not {"key", "value"} <= set(town.columns):
            raise TownPlanError("an indicator table needs the columns 'key' and 'value'.")
        if options:
            raise TownPlanError(
                f"indicator options {sorted(options)} cannot change a precomputed indicator table. "
                f"Fix: pass them to town.indicators(...) when computing the table, or pass the Town."
            )
        return town
    return town.indicators(**options)


def assess(town: Any, standard: str | Path | Standard, **indicator_options: Any) -> pd.DataFrame:
    """Scorecard of a town against a standard, one row per target.

    Parameters
    ----------
    town : Town or DataFrame
        A town, or its indicator table (``town.indicators()``) computed beforehand.
    standard : str, Path or Standard
        Packaged name (``ezhou-2017``, ``weicheng-2017``, ``national-2016``, ``gb50188-2007``) or a
        TOML file.
    **indicator_options
        Passed to ``town.indicators()`` (e.g. ``coverage_distance_m=200``).

    Returns
    -------
    pandas.DataFrame
        Columns ``key, name_zh, name_en, value, target, comparator, status, gap, unit, source, note``.
        ``status`` is ``pass``, ``fail`` or ``not_evaluable`` (value missing — never a pass); ``gap``
        is the signed margin (≥ 0 met, < 0 short), NaN when not evaluable.

    Raises
    ------
    DataFileError
        The standard cannot be loaded (see :func:`load_standard`).
    TownPlanError
        ``town`` is a table without ``key``/``value`` columns, or a precomputed table is given
        together with indicator options (they could not be applied).

    Examples
    --------
    >>> import townplan_gis as tp
    >>> card = tp.assess(tp.sample_town(), "ezhou-2017")
    >>> row = card.set_index("key").loc["paving_rate_pct"]
    >>> row["status"], round(float(row["gap"]), 1)  # 77.3 % paved against 90 %
    ('fail', -12.7)
    """
    from townplan_gis.indicators.registry import indicator_info, reported_info

    std = load_standard(standard)
    table = _indicator_table(town, indicator_options)
    rows = {k: i for i, k in enumerate(table["key"])}
    values = table["value"].to_numpy()
    notes = table["note"].to_numpy() if "note" in table.columns else None
    records = []
    for t in std.targets:
        info = reported_info(t.key) if t.reported else indicator_info(t.key)
        i = rows.get(t.key)
        value = float(values[i]) if i is not None else math.nan
        status, gap = t.evaluate(value)
        value_note = (notes[i] if notes is not None and i is not None else "") or ""
        if i is None:
            value_note = "indicator not computed for this town"
        note = "; ".join(n for n in (t.note, value_note) if n)
        records.append(
            (
                t.key,
                info.name_zh,
                info.name_en,
                value,
                t.target_text,
                t.comparator,
                status,
                gap,
                t.unit,
                t.source,
                note,
            )
        )
    return as_scorecard(pd.DataFrame.from_records(records, columns=SCORECARD_COLUMNS), std)


def _resolve_town(item: Any) -> tuple[str, Any]:
    """``(name, town or indicator table)`` of one item given to :func:`assess_many`."""
    if isinstance(item, (str, Path)):
        from townplan_gis.io import read_town

        town = read_town(item)
        return town.name, town
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], pd.DataFrame):
        return str(item[0]), item[1]
    if not hasattr(item, "indicators"):
        raise TownPlanError(
            f"assess_many: cannot assess {type(item).__name__}; give Towns, paths, or "
            f"(name, indicator table) pairs (a dict of name → town.indicators() works too)."
        )
    return item.name, item


def assess_many(
    towns: Iterable[Any] | Mapping[str, pd.DataFrame],
    standard: str | Path | Standard,
    *,
    progress: bool | None = None,
    **indicator_options: Any,
) -> pd.DataFrame:
    """Rank towns against one standard (the construction competition of the 2017 plans).

    .. math:: \\text{score} = 100 \\cdot \\frac{\\sum_{t\\ \\text{pass}} w_t}{\\sum_t w_t}

    A target that cannot be evaluated counts as not passed. Towns with equal scores share a rank
    (competition ranking 1, 2, 2, 4).

    Parameters
    ----------
    towns : iterable of Town, path or (name, DataFrame); or a mapping of name to DataFrame
        Towns, paths read with :func:`townplan_gis.read_town` one at a time, or indicator tables
        computed beforehand (``{town.name: town.indicators() for town in towns}``), which are not
        recomputed.
    standard : str, Path or Standard
    progress : bool, optional
        Show a tqdm progress bar (on stderr); default ``townplan_gis.options.progress``.
    **indicator_options
        Passed to ``town.indicators()``.

    Returns
    -------
    pandas.DataFrame
        One row per town, sorted by rank: ``town, rank, score, n_pass, n_fail, n_not_evaluable,
        n_targets``, then one status column per target key.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> ranked = tp.assess_many(tp.sample_towns("weicheng"), "weicheng-2017", progress=False)
    >>> ranked[["town", "rank"]].head(2).values.tolist()
    [['渭城镇', 1], ['窑店镇', 2]]
    """
    from townplan_gis._progress import progress as progress_bar

    std = load_standard(standard)
    towns = list(towns.items()) if isinstance(towns, Mapping) else list(towns)
    weights = [t.weight for t in std.targets]
    rows = []
    for item in progress_bar(towns, desc=f"assess {std.name}", unit="town", progress=progress):
        name, town = _resolve_town(item)
        card = assess(town, std, **indicator_options)
        status = card["status"].to_numpy()
        passed = sum(w for w, s in zip(weights, status, strict=True) if s == "pass")
        row = {
            "town": name,
            "score": 100.0 * passed / sum(weights),
            "n_pass": int((status == "pass").sum()),
            "n_fail": int((status == "fail").sum()),
            "n_not_evaluable": int((status == "not_evaluable").sum()),
            "n_targets": len(status),
        }
        row.update(zip(card["key"], status, strict=True))
        rows.append(row)
    columns = [
        "town",
        "rank",
        "score",
        "n_pass",
        "n_fail",
        "n_not_evaluable",
        "n_targets",
        *std.keys,
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows)
    # Scores are sums of weights over a common total; round away float noise before ranking ties.
    out["rank"] = out["score"].round(9).rank(method="min", ascending=False).astype(int)
    return out.sort_values("rank", kind="stable").reset_index(drop=True)[columns]
