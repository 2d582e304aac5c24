"""What the commands share: exit codes, printing tables, reading the town, checking ``--out``, the
options every command that reads a town takes."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis.core.errors import OutputPathError, TownPlanError
from townplan_gis.core.safe import safe_frame
from townplan_gis.core.town import Town
from townplan_gis.io.files import read_layer, read_town

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INCOMPLETE",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_REJECTED",
    "add_input_options",
    "counts_text",
    "load_town",
    "number",
    "out_folder",
    "out_html",
    "print_frame",
    "status_text",
    "with_projects",
]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_REJECTED, EXIT_INCOMPLETE = 0, 1, 2, 3, 4

# Scorecard statuses, in display order (townplan_gis.standards: missing data is never a pass).
_STATUSES = ("pass", "fail", "not_evaluable")


def print_frame(df: pd.DataFrame, fmt: str = "table") -> None:
    """Print a table as aligned text (``table``), CSV (formula-like texts escaped) or JSON records."""
    if fmt == "csv":
        sys.stdout.write(safe_frame(df).to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        with pd.option_context(
            "display.max_rows",
            None,
            "display.max_columns",
            None,
            "display.width",
            200,
            "display.max_colwidth",
            60,
        ):
            sys.stdout.write(df.to_string(index=False) + "\n")


def counts_text(counts: Mapping[str, Any] | pd.Series) -> str:
    """``"pass 3, review 1, …"`` from a mapping or Series of counts."""
    return ", ".join(f"{k} {int(v)}" for k, v in counts.items())


def status_text(card: pd.DataFrame) -> str:
    """Number of scorecard rows per status, every status listed (zeros included)."""
    counts = card["status"].value_counts()
    return counts_text({s: counts.get(s, 0) for s in _STATUSES})


def load_town(path: str, args: argparse.Namespace) -> Town:
    """The town at ``path``, read with the command's ``--assume-crs`` and ``--encoding``."""
    return read_town(path, assume_crs=args.assume_crs, encoding=args.encoding)


def _same_path(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:  # pragma: no cover - an unresolvable path is not the input
        return False


def out_folder(out: str, *inputs: str | None) -> Path:
    """``--out`` of a command that writes a folder of files: not an existing file, not an input.

    Writing into the town's own folder would put projects.csv, conflicts.gpkg … among its layer
    files, and the next read would take projects.csv for the projects layer.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputPathError(
            f"--out {out}: is an existing file, but this command writes a folder of files into "
            f"--out. Fix: name a folder (it is created if missing), e.g. --out "
            f"{path.with_suffix('')}_out."
        )
    existing = next((a for a in path.parents if a.exists()), None)
    if existing is not None and not existing.is_dir():
        raise OutputPathError(
            f"--out {out}: {existing} is a file, so no folder can be made inside it. Fix: name a "
            f"folder outside it."
        )
    for given in inputs:
        if given and _same_path(path, given):
            raise OutputPathError(
                f"--out {out}: is the input {given}; the outputs would be written among the "
                f"town's layer files. Fix: name another folder, e.g. --out {path.name}_out."
            )
    return path


def out_html(out: str, *inputs: str | None) -> Path:
    """``--out`` of ``map``: an .html file; an existing HTML file is replaced, nothing else is."""
    path = Path(out)
    if path.is_dir():
        raise OutputPathError(
            f"--out {out}: is a folder; map writes one HTML file. Fix: name the file, e.g. "
            f"--out {path / 'map.html'}."
        )
    if any(given and _same_path(path, given) for given in inputs):
        raise OutputPathError(
            f"--out {out}: is the input town; writing the map there would destroy it. Fix: name an "
            f".html file, e.g. --out {path.with_suffix('')}_map.html."
        )
    if path.suffix.casefold() not in (".html", ".htm"):
        what = (
            "an existing file, which would be overwritten" if path.exists() else "not an .html name"
        )
        raise OutputPathError(
            f"--out {out}: is {what}; map writes an HTML page. Fix: name an .html file, e.g. --out "
            f"{path.with_suffix('.html')}."
        )
    return path


def with_projects(town: Town, args: argparse.Namespace) -> Town:
    """The town, with its projects replaced by those of ``--projects FILE`` when given."""
    if getattr(args, "projects_layer", None) and not args.projects:
        raise TownPlanError(
            f"--projects-layer {args.projects_layer}: names a layer inside --projects FILE, but no "
            f"--projects was given. Fix: pass --projects FILE too (the town's own projects layer "
            f"is read without --projects-layer)."
        )
    if not args.projects:
        return town
    gdf, _ = read_layer(
        args.projects, layer=getattr(args, "projects_layer", None), encoding=args.encoding
    )
    return town.with_layer("projects", gdf, assume_crs=args.assume_crs)


def number(*, positive: bool) -> Callable[[str], float]:
    """An argparse type: a finite number, > 0 (``positive``) or ≥ 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            raise argparse.ArgumentTypeError(
                f"{text!r} must be a finite number {'> 0' if positive else '≥ 0'}"
            )
        return value

    return parse


def add_input_options(p: argparse.ArgumentParser) -> None:
    """The options every command that reads a town shares."""
    p.add_argument("--assume-crs", help="CRS for layers without one, e.g. EPSG:4490")
    p.add_argument("--encoding", help="force the text encoding of shapefiles, e.g. gbk")
