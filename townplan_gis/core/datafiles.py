"""TOML reading with errors that name the file (tomllib on 3.11+, tomli before)."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from townplan_gis.core.errors import DataFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["check_keys", "did_you_mean", "load_toml", "load_toml_text"]


def load_toml_text(text: str, *, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(f"{source}: not valid TOML ({exc}). Fix the file's syntax.") from exc


def load_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataFileError(f"{path}: file not found.") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text ({exc}). Save the file as UTF-8.") from exc
    return load_toml_text(text, source=str(path))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest accepted spelling, or ``""`` when none is close.

    Examples
    --------
    >>> did_you_mean("tolerence", ["tolerance", "setbacks"])
    " (did you mean 'tolerance'?)"
    >>> did_you_mean("zzz", ["tolerance"])
    ''
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_keys(
    table: Mapping[str, Any], accepted: Iterable[str], *, where: str, source: str
) -> None:
    """Refuse keys of a TOML table that the schema does not know, each with a "did you mean".

    A misspelt key (``[tolerence]``, ``min_area``) would otherwise be ignored and the default used
    in its place: the user believes a setting is in force that is not.

    Parameters
    ----------
    table : mapping
        The parsed table (a section of a rules, standard or town file).
    accepted : iterable of str
        The keys the schema allows in this table.
    where : str
        Where the table sits, for the message, e.g. ``"[tolerance]"`` or ``"top level"``.
    source : str
        The file (or other source) the table came from, for the message.

    Raises
    ------
    DataFileError
        Naming every unknown key, its closest accepted spelling, and the accepted keys.

    Examples
    --------
    >>> check_keys({"min_area": 1}, ["min_area_m2", "noise_m2"], where="[tolerance]", source="r.toml")
    Traceback (most recent call last):
    ...
    townplan_gis.core.errors.DataFileError: r.toml: unknown key 'min_area' (did you mean 'min_area_m2'?) in [tolerance]. Accepted keys: min_area_m2, noise_m2.
    """
    allowed = list(accepted)
    unknown = [k for k in table if k not in allowed]
    if not unknown:
        return
    what = "; ".join(f"'{k}'{did_you_mean(k, allowed)}" for k in unknown)
    noun = "key" if len(unknown) == 1 else "keys"
    raise DataFileError(
        f"{source}: unknown {noun} {what} in {where}. Accepted keys: {', '.join(allowed)}."
    )
