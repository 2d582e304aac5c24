"""The OpenStreetMap mapping tables (``townplan_gis/data/osm.toml``): loading, a user's override,
validation, tag matching, and the import ledger that records every choice in ``town.repairs``.

An entry table maps ``"key=value"`` (or ``"key=*"``) to a class with its reason, or to ``skip``
with the reason; the first matching entry wins. :class:`Ledger` counts, per town layer, the features
read, kept and skipped (by reason) and turns them into :class:`~townplan_gis.core.repairs.Repair`
rows, so that ``features in = kept + skipped`` can be read off ``town.repairs``.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from townplan_gis.core.datafiles import check_keys, load_toml, load_toml_text
from townplan_gis.core.errors import DataFileError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema import GREEN_CLASSES, ROAD_CLASSES, aliases

__all__ = ["ENTRY_TABLES", "Ledger", "load_osm_mapping", "match_entries", "tag_keys"]

_SOURCE = "townplan_gis/data/osm.toml"
# Entry tables, by their path in the file, and the class field each entry carries (None: only why).
ENTRY_TABLES: dict[tuple[str, ...], str | None] = {
    ("roads", "highway"): "road_class",
    ("roads", "service"): "road_class",
    ("green",): "green_class",
    ("water", "areas"): None,
    ("water", "waterways"): "width_m",
    ("heritage",): None,
    ("facilities",): "facility_type",
    ("streetlights",): None,
    ("residential",): None,
}
# Tables keyed by the value of one tag (the others by "key=value").
_VALUE_KEYED: dict[tuple[str, ...], str] = {
    ("roads", "highway"): "highway",
    ("roads", "service"): "service",
    ("water", "waterways"): "waterway",
}


@cache
def _packaged() -> dict[str, Any]:
    text = resources.files("townplan_gis.data").joinpath("osm.toml").read_text("utf-8")
    return load_toml_text(text, source=_SOURCE)


def _get(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for part in path:
        data = data.get(part, {}) if isinstance(data, Mapping) else {}
    return data


def _entries(data: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """The entries of an entry table (sub-tables such as [roads.highway] are not entries)."""
    table = _get(data, path)
    nested = {p[len(path)] for p in ENTRY_TABLES if len(p) > len(path) and p[: len(path)] == path}
    return {k: v for k, v in table.items() if k not in nested}


def _accepted(field_name: str) -> tuple[str, ...] | None:
    return {
        "road_class": ROAD_CLASSES,
        "green_class": GREEN_CLASSES,
        "facility_type": tuple(aliases()["values"]["facility_type"]),
    }.get(field_name)


def _check_entry(path: tuple[str, ...], key: str, entry: Any, source: str) -> None:
    where: str = f"{source}: [{'.'.join(path)}] {key!r}"
    if path not in _VALUE_KEYED:
        tag, eq, tag_value = key.partition("=")
        if not eq or not tag.strip() or not tag_value.strip():
            raise DataFileError(
                f"{where}: an entry's name is 'key=value' or 'key=*' (e.g. \"leisure=park\")."
            )
    if not isinstance(entry, Mapping):
        raise DataFileError(f'{where} must be a table such as {{ skip = "why" }}.')
    field_name = ENTRY_TABLES[path]
    if "skip" in entry:
        if set(entry) != {"skip"} or not isinstance(entry["skip"], str) or not entry["skip"]:
            raise DataFileError(f'{where}: a skipped entry has only skip = "the reason".')
        return
    allowed = ("why",) if field_name is None else (field_name, "why")
    check_keys(entry, (*allowed, "skip"), where=f"[{'.'.join(path)}] {key!r}", source=source)
    if not isinstance(entry.get("why"), str) or not entry["why"].strip():
        raise DataFileError(f'{where}: missing why = "the reason for this mapping".')
    if field_name is None:
        return
    value = entry.get(field_name)
    accepted = _accepted(field_name)
    if field_name == "width_m":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 500
        if not ok:
            raise DataFileError(f"{where}: width_m = {value!r} must be a number of metres > 0.")
    elif accepted is not None and value not in accepted:
        raise DataFileError(
            f'{where}: {field_name} = {value!r} is not one of {list(accepted)}, or skip = "why".'
        )


def _merge(base: dict[str, Any], user: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``user`` over ``base``: entry tables entry by entry (the user's entries tried first), other
    tables key by key; unknown tables and settings refused with a did-you-mean."""
    out = copy.deepcopy(base)

    def walk(path: tuple[str, ...], over: Mapping[str, Any]) -> None:
        into = _get(out, path)
        if path in ENTRY_TABLES:
            nested = {
                k: v
                for k, v in over.items()
                if isinstance(v, Mapping) and (*path, k) in ENTRY_TABLES
            }
            plain = {k: v for k, v in over.items() if k not in nested}
            rest = {k: v for k, v in into.items() if k not in plain}
            into.clear()
            into.update({**plain, **rest})
            for k, v in nested.items():
                walk((*path, k), v)
            return
        check_keys(
            over,
            list(into),
            where=f"[{'.'.join(path)}]" if path else "the top level",
            source=source,
        )
        for k, v in over.items():
            if isinstance(into.get(k), dict):
                if not isinstance(v, Mapping):
                    raise DataFileError(f"{source}: [{'.'.join((*path, k))}] must be a table.")
                walk((*path, k), v)
            else:
                into[k] = v

    walk((), user)
    return out


def load_osm_mapping(mapping: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The mapping tables: the packaged ``data/osm.toml``, with a user's file or dict merged over it.

    Raises
    ------
    DataFileError
        A user file that is missing or not TOML, an unknown table or setting (with the closest
        accepted name), an entry without its reason, or a class outside the vocabulary.
    """
    base = _packaged()
    if mapping is None:
        data, source = copy.deepcopy(base), _SOURCE
    else:
        source = "mapping={...}" if isinstance(mapping, Mapping) else str(mapping)
        user = mapping if isinstance(mapping, Mapping) else load_toml(mapping)
        data = _merge(base, user, source)
    for path in ENTRY_TABLES:
        for key, entry in _entries(data, path).items():
            _check_entry(path, key, entry, source)
    data["_source"] = source
    return data


def tag_keys(data: Mapping[str, Any]) -> list[str]:
    """Every tag key the mapping looks at (the columns to read from ``other_tags``)."""
    keys = {
        *data["names"]["keys"],
        "highway", "service", "width", "est_width", "lanes", "surface", "lit", "area",
        "waterway", "boundary", "admin_level", "place", "population", "population:date",
        "historic", "heritage", "protection_title", "landuse", "building", "lamp_type",
        "light:method", "type",
    }  # fmt: skip
    for path in ENTRY_TABLES:
        if path not in _VALUE_KEYED:
            keys.update(k.partition("=")[0] for k in _entries(data, path))
    return sorted(keys)


def match_entries(tags: pd.DataFrame, data: Mapping[str, Any], path: tuple[str, ...]) -> pd.Series:
    """Per feature, the name of the first entry of an entry table its tags match (None if none).

    Vectorised: one comparison per entry over the whole column.
    """
    out = np.full(len(tags), None, dtype=object)
    free = np.ones(len(tags), dtype=bool)
    by_value = _VALUE_KEYED.get(path)
    for name in _entries(data, path):
        key, _, value = (by_value, "=", name) if by_value else name.partition("=")
        if key not in tags.columns:
            continue
        col = tags[key]
        hit = (col.notna() if value == "*" else col == value).to_numpy(dtype=bool) & free
        out[hit] = name
        free &= ~hit
    return pd.Series(out, index=tags.index, dtype=object)


def entry(data: Mapping[str, Any], path: tuple[str, ...], name: str) -> dict[str, Any]:
    return _entries(data, path)[name]


def label(path: tuple[str, ...], name: str) -> str:
    """``highway=residential`` for a value-keyed entry, the entry name otherwise."""
    by_value = _VALUE_KEYED.get(path)
    return f"{by_value}={name}" if by_value else name


def _examples(refs: list[str], limit: int = 5) -> str:
    more = f" … and {len(refs) - limit} more" if len(refs) > limit else ""
    return ", ".join(refs[:limit]) + more


@dataclass
class Ledger:
    """What the import did to one town layer: features read, kept, skipped by reason, and notes."""

    layer: str
    read: int = 0
    skipped: Counter = field(default_factory=Counter)
    skipped_refs: dict[str, list[str]] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)

    def skip(self, reason: str, refs: list[str] | np.ndarray) -> None:
        """Record features left out of the layer, with the reason (OSM refs as examples)."""
        refs = [str(r) for r in refs]
        if not refs:
            return
        self.skipped[reason] += len(refs)
        self.skipped_refs.setdefault(reason, []).extend(refs)

    def note(self, action: str, rows: list | np.ndarray, detail: str) -> None:
        """Record a mapping choice or default applied to ``rows`` of the layer as built."""
        self.repairs.append(Repair(self.layer, action, list(rows), detail))

    def finish(self, kept: int) -> list[Repair]:
        """The layer's repairs: its notes, one per skip reason, and the count ``read = kept + skipped``."""
        out = list(self.repairs)
        for reason, n in self.skipped.items():
            out.append(
                Repair(
                    self.layer,
                    "osm_skipped",
                    [],
                    f"{n} OSM feature(s) skipped: {reason} ({_examples(self.skipped_refs[reason])})",
                )
            )
        total = sum(self.skipped.values())
        parts = ", ".join(f"{r.split(':')[0]} {n}" for r, n in self.skipped.most_common())
        if kept + total != self.read:  # pragma: no cover - a bug in the importer, not bad input
            raise AssertionError(f"{self.layer}: {self.read} read ≠ {kept} kept + {total} skipped")
        out.append(
            Repair(
                self.layer,
                "osm_counts",
                [],
                f"{self.read} OSM feature(s) read = {kept} kept + {total} skipped"
                + (f" ({parts})" if parts else ""),
            )
        )
        return out
