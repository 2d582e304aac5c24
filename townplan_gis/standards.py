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

The file is validated against this schema: an unknown section or key (``[standrad]``, ``thresold``)
is refused with the closest accepted spelling, never ignored; thresholds and weights must be finite
numbers (a threshold of ``inf`` with ``>=`` would always fail, one of ``-inf`` always pass), weights
> 0, a range two ordered numbers. Missing data is ``not_evaluable`` — never ``pass``.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis.core.datafiles import check_keys, did_you_mean, load_toml, load_toml_text
from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.core.progress import progress as progress_bar
from townplan_gis.core.reprs import as_scorecard
from townplan_gis.core.town import Town
from townplan_gis.indicators.registry import indicator_info, is_known, reported_info
from townplan_gis.indicators.table import town_indicators
from townplan_gis.io.files import read_town

__all__ = [
    "COMPARATORS",
    "RANK_RULE",
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
_TARGET_FIELDS = ("key", "comparator", "threshold", "unit", "source", "note", "weight", "reported")
_STANDARD_FIELDS = ("name", "title_zh", "title_en", "source", "year", "version", "note")
_TOP_LEVEL = ("standard", "targets")
RANK_RULE = (
    "rank: higher score first; equal scores: smaller relative_gap_sum first (Σ over failed targets of "
    "|gap| / |threshold|, the missed bound for a range, the absolute gap when that threshold is 0; "
    "a not-evaluable target adds the largest relative gap any ranked town has on it, at least 1); "
    "then town name (Unicode order). tie_break names what decided a town's place among equal scores."
)
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

    def relative_shortfall(self, value: float) -> float:
        """How far ``value`` is from this target, relative to the threshold it misses.

        .. math:: r = \\frac{|\\text{gap}|}{|t|}\\ \\text{(failed)},\\quad r = 0\\ \\text{(passed)}

        ``t`` is the threshold, or for a range the bound that is missed; when that bound is 0 the
        relative gap is undefined and ``r`` is the absolute gap in the target's unit.

        Returns
        -------
        float
            0 for a pass, ``r`` ≥ 0 for a fail, NaN when the value is missing (not evaluable).
        """
        status, gap = self.evaluate(value)
        if status == "not_evaluable":
            return math.nan
        if status == "pass":
            return 0.0
        bound = self.threshold
        if self.comparator in _RANGE:
            lo, hi = self.threshold  # type: ignore[misc]
            bound = lo if float(value) - lo <= hi - float(value) else hi
        bound = abs(float(bound))  # type: ignore[arg-type]
        return abs(gap) / bound if bound > 0 else abs(gap)


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


# What an infinite or NaN number would do, for the message that refuses it.
_WHY_FINITE = {
    "threshold": "a target that can never, or always, be met checks nothing",
    "weight": "an infinite weight would make every other target irrelevant",
}
# Comparators as people mistype them, and the spelling meant.
_COMPARATOR_HINTS = {"=>": ">=", "=<": "<=", "≥": ">=", "≤": "<=", "=": "==", "≠": None}


def _number(value: Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DataFileError(
            f"{where}: {what} must be a finite number, got {value!r}. Fix: write a number such as "
            f"{what} = 1.0 (inf and nan are refused: {_WHY_FINITE[what]})."
        )
    return float(value)


def _text(entry: Mapping[str, Any], field: str, where: str, *, required: bool = False) -> str:
    value = entry.get(field, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise DataFileError(
            f"{where}: '{field}' must be a{' non-empty' if required else ''} string, got {value!r}."
        )
    return value


def _parse_threshold(raw: Any, comparator: str, where: str) -> Any:
    if comparator not in _RANGE:
        if isinstance(raw, list):
            raise DataFileError(
                f"{where}: threshold {raw!r} is a range but comparator '{comparator}' takes one "
                f'number. Fix: use comparator = "between" for a range, or one number.'
            )
        return _number(raw, where, "threshold")
    if not isinstance(raw, list) or len(raw) != 2:
        raise DataFileError(
            f"{where}: comparator '{comparator}' needs threshold = [low, high], got {raw!r}."
        )
    lo, hi = (_number(x, where, "threshold") for x in raw)
    if lo > hi:
        raise DataFileError(
            f"{where}: threshold [{lo:g}, {hi:g}] is reversed (low > high) for '{comparator}'. "
            f"Fix: write [{hi:g}, {lo:g}]."
        )
    if comparator == "between_left_open" and lo == hi:
        raise DataFileError(
            f"{where}: threshold ({lo:g}, {hi:g}] is empty for 'between_left_open': no value "
            f"could pass. Fix: widen the range, or use comparator '==' with one number."
        )
    return (lo, hi)


def _parse_target(entry: Any, i: int, source: str) -> Target:
    where = f"{source}: target #{i}"
    if not isinstance(entry, Mapping):
        raise DataFileError(f"{where}: must be a table ([[targets]]), got {entry!r}.")
    key = entry.get("key")
    label = f"target #{i}" + (f" (key '{key}')" if isinstance(key, str) else "")
    where = f"{source}: {label}"
    check_keys(entry, _TARGET_FIELDS, where=label, source=source)
    for f in ("key", "comparator", "threshold", "unit", "source"):
        if f not in entry:
            raise DataFileError(f"{where}: required field '{f}' is missing.")
    if not isinstance(key, str) or not key:
        raise DataFileError(f"{where}: 'key' must be a non-empty string, got {key!r}.")
    reported = entry.get("reported", False)
    if not isinstance(reported, bool):
        raise DataFileError(f"{where}: 'reported' must be true or false, got {reported!r}.")
    comparator = entry["comparator"]
    if not isinstance(comparator, str) or comparator not in COMPARATORS:
        meant = _COMPARATOR_HINTS.get(str(comparator).strip())
        hint = (
            f" (did you mean '{meant}'?)" if meant else did_you_mean(str(comparator), COMPARATORS)
        )
        raise DataFileError(
            f"{where}: comparator {comparator!r} is not one of {list(COMPARATORS)}{hint}."
        )
    threshold = _parse_threshold(entry["threshold"], comparator, where)
    unit = _text(entry, "unit", where)
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
        raise DataFileError(f"{where}: weight must be > 0, got {weight:g}.")
    return Target(
        key=key,
        comparator=comparator,
        threshold=threshold,
        unit=unit,
        source=_text(entry, "source", where, required=True),
        note=_text(entry, "note", where),
        weight=weight,
        reported=reported,
    )


def _parse(data: dict[str, Any], source: str) -> Standard:
    check_keys(data, _TOP_LEVEL, where="the top level", source=source)
    head = data.get("standard")
    if not isinstance(head, Mapping):
        raise DataFileError(f"{source}: missing the [standard] table (name, title_zh, source).")
    check_keys(head, _STANDARD_FIELDS, where="[standard]", source=source)
    if not isinstance(head.get("name"), str) or not head["name"].strip():
        raise DataFileError(f'{source}: [standard] needs name = "…".')
    for f in ("title_zh", "title_en", "source", "version", "note"):
        _text(head, f, f"{source}: [standard]")
    if "year" in head and (
        isinstance(head["year"], bool) or not isinstance(head["year"], int | str)
    ):
        raise DataFileError(
            f"{source}: [standard] year must be a number or a string, got {head['year']!r}."
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
        title_zh=head.get("title_zh", ""),
        title_en=head.get("title_en", ""),
        source=head.get("source", ""),
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
                f"Fix: pass them to tp.town_indicators(town, ...) when computing the table, or pass the Town."
            )
        return town
    return town_indicators(town, **options)


def assess(town: Any, standard: str | Path | Standard, **indicator_options: Any) -> pd.DataFrame:
    """Scorecard of a town against a standard, one row per target.

    Parameters
    ----------
    town : Town or DataFrame
        A town, or its indicator table (``tp.town_indicators(town)``) computed beforehand.
    standard : str, Path or Standard
        Packaged name (``ezhou-2017``, ``weicheng-2017``, ``national-2016``, ``gb50188-2007``) or a
        TOML file.
    **indicator_options
        Passed to ``tp.town_indicators(town)`` (e.g. ``coverage_distance_m=200``).

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
        town = read_town(item)
        return town.name, town
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], pd.DataFrame):
        return str(item[0]), item[1]
    if not isinstance(item, Town):
        raise TownPlanError(
            f"assess_many: cannot assess {type(item).__name__}; give Towns, paths, or "
            f"(name, indicator table) pairs (a dict of name → tp.town_indicators(town) works too)."
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

    A target that cannot be evaluated counts as not passed. Equal scores are told apart by how far
    each town is from its targets, the sum of relative gaps

    .. math:: G = \\sum_{t\\ \\text{fail}} \\frac{|\\text{gap}_t|}{|\\text{threshold}_t|}
              + \\sum_{t\\ \\text{not evaluable}} \\max\\left(1, \\max_{\\text{towns}} r_t\\right)

    (smaller first; the missed bound for a range; the absolute gap in the target's unit when that
    threshold is 0; unweighted), and then by town name, so every town has its own rank (1, 2, 3 …)
    even when all of them fail every target. A not-evaluable target adds the largest relative gap
    r_t that any ranked town has on it, and at least 1 (a 100 % shortfall): on each target a missing
    value never counts as closer than a measured shortfall. The rule is :data:`RANK_RULE`, also in
    ``attrs["rank_rule"]`` of the result.

    Parameters
    ----------
    towns : iterable of Town, path or (name, DataFrame); or a mapping of name to DataFrame
        Towns, paths read with :func:`townplan_gis.read_town` one at a time, or indicator tables
        computed beforehand (``{town.name: tp.town_indicators(town) for town in towns}``), which are not
        recomputed.
    standard : str, Path or Standard
    progress : bool, optional
        Show a tqdm progress bar (on stderr); default ``townplan_gis.options.progress``.
    **indicator_options
        Passed to ``tp.town_indicators(town)``.

    Returns
    -------
    pandas.DataFrame
        One row per town, sorted by rank: ``town, rank, score, relative_gap_sum, tie_break, n_pass,
        n_fail, n_not_evaluable, n_targets``, then one status column per target key. ``tie_break``
        is ``""`` when the town's score is unique, ``"relative_gap_sum"`` when the gap sum set it
        apart from the towns with its score, ``"name"`` when score and gap sum are both equal to
        another town's.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> ranked = tp.assess_many(tp.sample_towns("weicheng"), "weicheng-2017", progress=False)
    >>> ranked[["town", "rank"]].head(2).values.tolist()
    [['渭城镇', 1], ['窑店镇', 2]]
    """
    std = load_standard(standard)
    towns = list(towns.items()) if isinstance(towns, Mapping) else list(towns)
    weights = [t.weight for t in std.targets]
    rows, shortfalls = [], []
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
        shortfalls.append(
            [t.relative_shortfall(v) for t, v in zip(std.targets, card["value"], strict=True)]
        )
    columns = [
        "town",
        "rank",
        "score",
        "relative_gap_sum",
        "tie_break",
        "n_pass",
        "n_fail",
        "n_not_evaluable",
        "n_targets",
        *std.keys,
    ]
    if not rows:
        out = pd.DataFrame(columns=columns)
        out.attrs["rank_rule"] = RANK_RULE
        return out
    out = pd.DataFrame(rows)
    out["relative_gap_sum"] = _gap_sums(shortfalls)
    # Scores and gap sums are float sums; round away their noise before comparing them.
    score = out["score"].round(9).tolist()
    gaps = out["relative_gap_sum"].round(9).tolist()
    names = [str(n) for n in out["town"]]
    order = sorted(range(len(out)), key=lambda i: (-score[i], gaps[i], names[i]))
    n_score = Counter(score)
    n_both = Counter(zip(score, gaps, strict=True))
    out["tie_break"] = [
        "name" if n_both[(s, g)] > 1 else "relative_gap_sum" if n_score[s] > 1 else ""
        for s, g in zip(score, gaps, strict=True)
    ]
    out = out.iloc[order].reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    out = out[columns]
    out.attrs["rank_rule"] = RANK_RULE
    return out


def _gap_sums(shortfalls: list[list[float]]) -> list[float]:
    """Σ relative shortfalls per town, a not-evaluable target counted as max(1, worst on it)."""
    fill = [
        max([1.0, *(r for r in column if not math.isnan(r))])
        for column in zip(*shortfalls, strict=True)
    ]
    return [
        sum(f if math.isnan(r) else r for f, r in zip(fill, row, strict=True)) for row in shortfalls
    ]
