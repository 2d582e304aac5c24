"""``townplan check-lines TOWN|LINES``: the control lines checked against each other (控制线自检)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis.analyses import LineCheck, check_lines
from townplan_gis.cli._analysis_out import out_file, read_geo, write_out
from townplan_gis.cli.common import (
    EXIT_OK,
    EXIT_REJECTED,
    add_input_options,
    counts_text,
    load_town,
    print_frame,
)
from townplan_gis.core.errors import MissingLayerError
from townplan_gis.core.schema import layer_kind
from townplan_gis.core.town import Town
from townplan_gis.io.vector import check_gpkg, layer_names

#: Exit code when a patch is graded ``conflict``: the same code as a review that rejects a project
#: (1 is the house's internal error, so a script can tell a finding from a crash).
EXIT_CONFLICT = EXIT_REJECTED

_COLUMNS = [
    "patch_id",
    "kind_zh",
    "severity",
    "code_a",
    "name_a",
    "code_b",
    "name_b",
    "area_m2",
    "area_mu",
]


def _source(path: str, args: argparse.Namespace) -> Town | Any:
    """A town (a folder, or a GeoPackage with town layers) or a single layer of lines."""
    p = Path(path)
    is_town = p.is_dir()
    if p.suffix.casefold() == ".gpkg" and p.is_file() and not args.layer:
        check_gpkg(p)
        is_town = any(layer_kind(n) for n in layer_names(p))
    if not is_town:
        return read_geo(path, args, "control lines")
    town = load_town(path, args)
    if not town.has("control_lines"):
        raise MissingLayerError(
            f"{path}: town '{town.name}' has no 'control_lines' layer to check. Fix: add one, or "
            f"name a file of control lines (--layer NAME for a layer inside a GeoPackage)."
        )
    return town


def _table(result: LineCheck) -> pd.DataFrame:
    table = result.table()[_COLUMNS].copy()
    table["area_m2"] = table["area_m2"].round(1)
    table["area_mu"] = table["area_mu"].round(3)
    return table


def cmd_check_lines(args: argparse.Namespace) -> int:
    out = out_file(args.out, args.path)
    lines = _source(args.path, args)
    result = check_lines(lines, matrix=args.matrix, tolerance_m=args.tolerance_m)
    if not result.settings.get("n_lines", 0):
        raise MissingLayerError(
            f"{args.path}: no control-line features to check; an empty check is no pass. Fix: "
            f"name the file or layer that holds the lines (--layer NAME inside a GeoPackage)."
        )
    counts = result.patches["severity"].value_counts()
    severities = {k: int(counts.get(k, 0)) for k in ("conflict", "check", "notice")}
    s = result.settings
    print(
        f"{args.path}: {s.get('n_lines', 0)} line features checked, matrix "
        f"{s.get('matrix', '')} {s.get('matrix_version', '')}; patches: {counts_text(severities)}"
    )
    levels = ["conflict", "check", "notice"] if args.all else ["conflict", "check"]
    shown = result.patches["severity"].isin(levels)
    if shown.any():
        print_frame(_table(result)[shown.to_numpy()])
    found = result.pairs[result.pairs["status"] != "allowed"]
    print(
        f"type pairs checked: {len(found)} (clear {int((found['status'] == 'clear').sum())}, "
        f"with findings {int((found['status'] == 'found').sum())})"
    )
    if out is not None:
        written = write_out(
            out,
            result.table(),
            layers={"patches": result.patches},
            sheets={
                "patches": result.table(),
                "summary": result.summary,
                "pairs": result.pairs,
                "lines": result.lines.reset_index(names="row"),
            },
        )
        print(f"written: {written}")
    return EXIT_CONFLICT if severities["conflict"] else EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check-lines",
        help="check the control lines against each other (控制线自检: overlaps, crossings, gaps)",
        description="Check that the control lines agree with each other: every pair of features "
        "that share land is classified (重叠 overlap, 压占 contained, 交叉 crossing) and graded by "
        "the compatibility matrix (conflict, check, notice); within one type, duplicates, slivers "
        "and gaps narrower than the tolerance; invalid and empty geometry. Each finding is a "
        "numbered patch (图斑编号 TB-0001 …). The conflicts and checks are printed (--all: the "
        "notices too); --out writes every patch: a .gpkg (layer 'patches' with the geometry), a "
        ".xlsx (sheets patches, summary, pairs, lines) or a .csv (the patches).",
        epilog="Exit codes: 0 no patch graded conflict (checks and notices may remain, listed); "
        "3 at least one patch graded conflict; 2 bad input (unreadable file, no control lines, no "
        "CRS, unknown line type, bad matrix file, bad --out); 1 internal error.",
    )
    p.add_argument("path", help="a town (.gpkg or folder) or a file of control lines")
    p.add_argument("--layer", help="read this layer of a multi-layer file as the control lines")
    p.add_argument("--matrix", help="a compatibility matrix (TOML) overriding the packaged one")
    p.add_argument(
        "--tolerance-m", type=float, help="gap and sliver width, m (default the matrix's, 0.5)"
    )
    p.add_argument("--all", action="store_true", help="print the notices too")
    p.add_argument("--out", help="write the patches to FILE.gpkg, FILE.xlsx or FILE.csv")
    add_input_options(p)
    p.set_defaults(func=cmd_check_lines)
