"""Standard files: finding, reading and validating them, as planners write them.

A file names its targets by indicator key or by the indicator's Chinese or English name
(``key = "人均道路面积"``), writes units and comparators as they are printed (``m²/人``, ``％``,
``km/km²``; ``≥ ≤ > <`` or ``>= <= > <``), and may extend another standard (``extends =
"ezhou-2017"``, or a path relative to the file): the base's targets are kept in their order, a target
of the same key overrides the fields it gives, and the other targets are added. An override that
changes a comparator, threshold or unit must say where the new value comes from (``source``), so no
figure is credited to a document that does not contain it. Every other rule of the schema holds: an
unknown section or key is refused with the closest accepted spelling, numbers are finite, a range is
two ordered numbers, the unit is the indicator's.
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
from townplan_gis.core.vocab import COMPARATOR_SPELLINGS, comparator_symbol, unit_code, unit_label
from townplan_gis.indicators.registry import (
    indicator_info,
    indicator_key,
    indicator_names,
    is_known,
)
from townplan_gis.standards.targets import COMPARATORS, RANGE_COMPARATORS, Target

__all__ = ["Standard", "list_standards", "load_standard"]

_TARGET_FIELDS = ("key", "comparator", "threshold", "unit", "source", "note", "weight", "reported")
_STANDARD_FIELDS = ("name", "title_zh", "title_en", "source", "year", "version", "note")
_TOP_LEVEL = ("extends", "standard", "targets")
# What an override may not change without naming its own source.
_FIGURES = ("comparator", "threshold", "unit")
# What an infinite or NaN number would do, for the message that refuses it.
_WHY_FINITE = {
    "threshold": "a target that can never, or always, be met checks nothing",
    "weight": "an infinite weight would make every other target irrelevant",
}
# Comparators as people mistype them, and the spelling meant ("≥" and its kin are accepted as such).
_COMPARATOR_HINTS = {"=>": ">=", "=<": "<=", "=": "==", "≠": None}


@dataclass(frozen=True)
class Standard:
    """A named set of targets loaded from a TOML file (``base``: the standard it extends, if any)."""

    name: str
    title_zh: str
    title_en: str
    source: str
    targets: tuple[Target, ...]
    path: str
    base: str = ""

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.targets]

    def __repr__(self) -> str:
        return f"<Standard {self.name!r}: {len(self.targets)} targets, {self.title_zh}>"


def _standards_dir() -> Any:
    return resources.files("townplan_gis").joinpath("data").joinpath("standards")


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


# --- one target ---------------------------------------------------------------------------------------
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
    if comparator not in RANGE_COMPARATORS:
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


def _comparator(raw: Any, where: str) -> str:
    """The canonical comparator (``≥`` → ``>=``), or a refusal with the spelling meant."""
    text = str(raw).strip() if isinstance(raw, str) else None
    canonical = COMPARATOR_SPELLINGS.get(text, text) if text is not None else None
    if canonical in COMPARATORS:
        return str(canonical)
    meant = _COMPARATOR_HINTS.get(str(raw).strip())
    hint = f" (did you mean '{meant}'?)" if meant else did_you_mean(str(raw), COMPARATORS)
    raise DataFileError(
        f"{where}: comparator {raw!r} is not one of {list(COMPARATORS)}{hint}; ≥ ≤ > < are "
        f"accepted as written."
    )


def _key(raw: Any, reported: bool, where: str) -> str:
    """The registry key a target names (by key or by the indicator's Chinese or English name)."""
    if not isinstance(raw, str) or not raw.strip():
        raise DataFileError(f"{where}: 'key' must be a non-empty string, got {raw!r}.")
    found = indicator_key(raw)
    if found is not None or reported:
        return found or raw
    if raw.isascii():
        try:
            indicator_info(raw)  # raises with the known keys and the closest one
        except DataFileError as exc:
            raise DataFileError(
                f"{where}: {exc} For a reported statistic outside the registry set reported = true."
            ) from exc
    raise DataFileError(
        f"{where}: no indicator is called '{raw}'{did_you_mean(raw, indicator_names())}. Fix: "
        f"write its key or its Chinese name as the registry has it (townplan_gis.indicators."
        f"indicator_info); for a "
        f"reported statistic outside the registry set reported = true."
    )


def _unit(raw: str, key: str, reported: bool, where: str) -> str:
    """The registry's unit code for the unit as written; it must be the indicator's unit."""
    unit = unit_code(raw) or raw
    if reported and not is_known(key):
        return unit
    expected = indicator_info(key).unit
    if unit != expected:
        raise DataFileError(
            f"{where}: unit '{raw}' does not match the indicator's unit '{expected}' (written "
            f"{unit_label(expected, 'zh')} or {unit_label(expected, 'en')})."
        )
    return unit


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
    reported = entry.get("reported", False)
    if not isinstance(reported, bool):
        raise DataFileError(f"{where}: 'reported' must be true or false, got {reported!r}.")
    key = _key(key, reported, where)
    comparator = _comparator(entry["comparator"], where)
    threshold = _parse_threshold(entry["threshold"], comparator, where)
    unit = _unit(_text(entry, "unit", where), key, reported, where)
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


# --- extending a standard -----------------------------------------------------------------------------
def _as_entry(t: Target) -> dict[str, Any]:
    """A target as the table a file would write for it."""
    threshold = list(t.threshold) if isinstance(t.threshold, tuple) else t.threshold
    return {
        "key": t.key,
        "comparator": t.comparator,
        "threshold": threshold,
        "unit": t.unit,
        "source": t.source,
        "note": t.note,
        "weight": t.weight,
        "reported": t.reported,
    }


def _override(base: Target, entry: Mapping[str, Any], i: int, source: str, name: str) -> Target:
    """A base target with the fields an entry of the extending file gives."""
    changed = [f for f in _FIGURES if f in entry]
    if changed and "source" not in entry:
        raise DataFileError(
            f"{source}: target #{i} (key '{entry['key']}') changes the {', '.join(changed)} of "
            f"'{base.key}' in {name} but gives no source. Fix: say where the new value comes from "
            f'(source = "…"): the base standard\'s source does not contain it.'
        )
    merged = {**_as_entry(base), **entry, "key": base.key}
    if changed and "note" not in entry:
        # The base's note speaks of the base's figure; say which figure this one replaces.
        unit = unit_label(base.unit, "en")
        merged["note"] = (
            f"replaces {name}'s {comparator_symbol(base.comparator)} {base.target_text} {unit}"
        ).rstrip()
    return _parse_target(merged, i, source)


def _extended(base: Standard, entries: list[Any], source: str) -> tuple[Target, ...]:
    """The base's targets with the file's entries applied: overridden by key, or added."""
    by_key = {t.key: t for t in base.targets}
    changed: dict[str, Target] = {}
    added: list[Target] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            raise DataFileError(
                f"{source}: target #{i}: must be a table ([[targets]]), got {entry!r}."
            )
        check_keys(entry, _TARGET_FIELDS, where=f"target #{i}", source=source)
        where = f"{source}: target #{i}"
        if "key" not in entry:
            raise DataFileError(f"{where}: required field 'key' is missing.")
        key = _key(entry["key"], bool(entry.get("reported", False)), where)
        if key in seen:
            raise DataFileError(f"{where} (key '{entry['key']}'): duplicate key.")
        seen.add(key)
        if key in by_key:
            changed[key] = _override(by_key[key], entry, i, source, base.name)
        else:
            added.append(_parse_target(entry, i, source))
    return tuple(changed.get(t.key, t) for t in base.targets) + tuple(added)


# --- one file -----------------------------------------------------------------------------------------
def _header(data: Mapping[str, Any], source: str) -> Mapping[str, Any]:
    check_keys(data, _TOP_LEVEL, where="the top level", source=source)
    head = data.get("standard")
    if not isinstance(head, Mapping):
        raise DataFileError(f"{source}: missing the [standard] table (name, title_zh, source).")
    if "extends" in head:
        raise DataFileError(
            f"{source}: 'extends' belongs at the top of the file, before [standard] (extends = "
            f"{head['extends']!r}), not inside [standard]."
        )
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
    return head


def _parse(data: dict[str, Any], source: str, base: Standard | None = None) -> Standard:
    head = _header(data, source)
    entries = data.get("targets", [] if base is not None else None)
    if not isinstance(entries, list) or (base is None and not entries):
        raise DataFileError(f"{source}: no [[targets]] entries.")
    if base is not None:
        targets = _extended(base, entries, source)
    else:
        targets = tuple(_parse_target(e, i, source) for i, e in enumerate(entries, start=1))
        seen: set[str] = set()
        for i, t in enumerate(targets, start=1):
            if t.key in seen:
                raise DataFileError(f"{source}: target #{i} (key '{t.key}'): duplicate key.")
            seen.add(t.key)
    name = head["name"]
    based = f"（基于 {base.title_zh or base.name}）" if base is not None else ""
    based_en = f" (based on {base.title_en or base.name})" if base is not None else ""
    return Standard(
        name=name,
        title_zh=head.get("title_zh") or (f"{name}{based}" if base is not None else ""),
        title_en=head.get("title_en") or (f"{name}{based_en}" if base is not None else ""),
        source=head.get("source") or (base.source if base is not None else ""),
        targets=targets,
        path=source,
        base=base.name if base is not None else "",
    )


@cache
def _packaged(name: str) -> Standard:
    res = _standards_dir().joinpath(f"{name}.toml")
    source = f"townplan_gis/data/standards/{name}.toml"
    data = load_toml_text(res.read_text("utf-8"), source=source)
    ext = data.get("extends")
    if ext is not None and ext not in _standard_names():
        raise DataFileError(f"{source}: extends = {ext!r} is no packaged standard.")
    return _parse(data, source, _packaged(ext) if ext is not None else None)


@lru_cache(maxsize=64)
def _raw(path: str, mtime_ns: int) -> dict[str, Any]:
    return load_toml(path)


def _base_of(ext: Any, path: Path, source: str) -> str | Path:
    """What ``extends`` names: a packaged standard, or a file (relative to the extending one)."""
    if not isinstance(ext, str) or not ext.strip():
        raise DataFileError(
            f'{source}: extends must name a standard, such as extends = "ezhou-2017", got {ext!r}.'
        )
    candidate = (path.parent / ext).resolve()
    if candidate.suffix.casefold() == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise DataFileError(f"{source}: extends = {ext!r}: {candidate} not found.")
        return candidate
    if ext in _standard_names():
        return ext
    raise DataFileError(
        f"{source}: extends = {ext!r} names no standard{did_you_mean(ext, _standard_names())}. "
        f"Packaged standards: {list_standards()}; or give a path to a .toml file."
    )


def _chain(path: Path) -> tuple[tuple[str, int], ...]:
    """The files a standard file reads (itself, then each file it extends) with their mtimes: the
    cache key, so an edited base is read again."""
    out: list[tuple[str, int]] = []
    while True:
        key = (str(path), path.stat().st_mtime_ns)
        if any(p == key[0] for p, _ in out):
            loop = " → ".join([*(p for p, _ in out), key[0]])
            raise DataFileError(f"{out[0][0]}: the extends chain loops: {loop}.")
        out.append(key)
        ext = _raw(*key).get("extends")
        if ext is None:
            return tuple(out)
        base = _base_of(ext, path, key[0])
        if not isinstance(base, Path):
            return tuple(out)
        path = base


@lru_cache(maxsize=64)
def _from_file(chain: tuple[tuple[str, int], ...]) -> Standard:
    path, mtime = chain[0]
    data = _raw(path, mtime)
    if "extends" not in data:
        return _parse(data, path)
    base = _base_of(data["extends"], Path(path), path)
    return _parse(data, path, _packaged(base) if isinstance(base, str) else _from_file(chain[1:]))


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
        return _from_file(_chain(path.resolve()))
    if text in _standard_names():
        return _packaged(text)
    raise DataFileError(
        f"unknown standard '{text}'. Packaged standards: {list_standards()}; or give a path to a "
        f".toml file."
    )
