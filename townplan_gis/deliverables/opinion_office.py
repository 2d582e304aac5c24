"""The issuing office of the review opinions (签发机关): its name, document-number pattern and contact.

Read from, in this order: the ``office=`` argument (a TOML file or a dict), the ``[metadata.office]``
section of the town (``town.toml``), an ``office.toml`` beside the town's data, and last the packaged
``townplan_gis/data/office.toml``, a placeholder: an opinion issued under it says so in its title
block (no silent fake authority).
"""

from __future__ import annotations

import datetime as _dt
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from townplan_gis.core.datafiles import check_keys, load_toml, load_toml_text
from townplan_gis.core.errors import DataFileError

__all__ = ["Office", "load_office"]

_PACKAGED = "townplan_gis/data/office.toml"
_KEYS = (
    "placeholder",
    "authority",
    "abbreviation",
    "number_pattern",
    "start_number",
    "department",
    "contact",
    "phone",
    "address",
)
_FIELDS = {"abbreviation", "year", "seq", "project_id"}


@dataclass(frozen=True)
class Office:
    """An issuing office. ``placeholder`` is True for the packaged example (never a real office)."""

    authority: str
    abbreviation: str
    number_pattern: str
    start_number: int
    department: str
    contact: str
    phone: str
    address: str
    placeholder: bool
    source: str

    def number(self, seq: int, *, year: int, project_id: str = "") -> str:
        """The document number (文号) of the ``seq``-th opinion (0-based), e.g. ``永规审〔2026〕001号``."""
        return self.number_pattern.format(
            abbreviation=self.abbreviation,
            year=year,
            seq=self.start_number + int(seq),
            project_id=project_id,
        )


def _check(raw: Mapping[str, Any], source: str) -> Office:
    check_keys(raw, _KEYS, where="the office table", source=source)
    for key in ("authority", "number_pattern"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise DataFileError(
                f"{source}: '{key}' must be non-empty text, got {raw.get(key)!r}. Fix: e.g. "
                f'authority = "永济市自然资源局", number_pattern = "{{abbreviation}}〔{{year}}〕{{seq:03d}}号".'
            )
    pattern = raw["number_pattern"]
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(pattern) if f}
    except ValueError as exc:
        raise DataFileError(f"{source}: number_pattern {pattern!r} is malformed ({exc}).") from exc
    unknown = sorted(used - _FIELDS)
    if unknown:
        raise DataFileError(
            f"{source}: number_pattern {pattern!r} uses {unknown}; the fields are "
            f"{sorted(_FIELDS)}. Fix: e.g. '{{abbreviation}}〔{{year}}〕{{seq:03d}}号'."
        )
    if "seq" not in used and "project_id" not in used:
        raise DataFileError(
            f"{source}: number_pattern {pattern!r} gives every opinion the same number. Fix: "
            f"include {{seq}} (or {{project_id}})."
        )
    start = raw.get("start_number", 1)
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise DataFileError(f"{source}: start_number must be a whole number ≥ 0, got {start!r}.")
    placeholder = raw.get("placeholder", False)
    if not isinstance(placeholder, bool):
        raise DataFileError(f"{source}: placeholder must be true or false, got {placeholder!r}.")
    texts = {}
    for key in ("abbreviation", "department", "contact", "phone", "address"):
        value = raw.get(key, "")
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise DataFileError(f"{source}: '{key}' must be text, got {value!r}.")
        texts[key] = str(value).strip()
    office = Office(
        authority=raw["authority"].strip(),
        number_pattern=pattern,
        start_number=start,
        placeholder=placeholder,
        source=source,
        **texts,
    )
    try:
        office.number(0, year=2026, project_id="P01")
    except (ValueError, KeyError, IndexError) as exc:
        raise DataFileError(
            f"{source}: number_pattern {pattern!r} cannot be filled in ({exc})."
        ) from exc
    return office


def _packaged() -> Office:
    raw = resources.files("townplan_gis.data").joinpath("office.toml").read_text("utf-8")
    return _check(load_toml_text(raw, source=_PACKAGED), _PACKAGED)


def load_office(office: Any = None, *, town: Any = None, near: str | Path | None = None) -> Office:
    """The office that issues the opinions.

    Parameters
    ----------
    office : Office, dict, str or Path, optional
        An office, its table, or a TOML file holding it (the keys of ``data/office.toml``, at the
        top level or under ``[office]``).
    town : Town, optional
        Its ``metadata["office"]`` (``[metadata.office]`` in ``town.toml``) is used when ``office`` is
        not given.
    near : str or Path, optional
        The town's file or folder: an ``office.toml`` in that folder (or beside that file) is used
        when neither ``office`` nor the town names one.

    Returns
    -------
    Office
        The packaged placeholder (``placeholder=True``) when nothing else is found.

    Raises
    ------
    DataFileError
        The table has an unknown key, no authority or number pattern, or a pattern that cannot be
        filled in, naming the file and the fix.
    """
    if isinstance(office, Office):
        return office
    if isinstance(office, Mapping):
        return _check(office, "the office= table")
    if office is not None:
        path = Path(office)
        raw = load_toml(path)
        return _check(raw.get("office", raw), str(path))
    meta = getattr(town, "metadata", None) or {}
    if isinstance(meta.get("office"), Mapping):
        return _check(meta["office"], "[metadata.office] of the town")
    if near is not None:
        base = Path(near)
        candidate = (base if base.is_dir() else base.parent) / "office.toml"
        if candidate.is_file():
            raw = load_toml(candidate)
            return _check(raw.get("office", raw), str(candidate))
    return _packaged()


def zh_date(when: _dt.date) -> str:
    """A date as offices write it: ``2026年12月7日``."""
    return f"{when.year}年{when.month}月{when.day}日"
