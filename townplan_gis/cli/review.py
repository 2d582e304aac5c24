"""``townplan review PATH``: every project checked against the five control lines (五线审查)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis.cli.common import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_REJECTED,
    add_input_options,
    counts_text,
    load_town,
    out_folder,
    print_frame,
    with_projects,
)
from townplan_gis.core.errors import MissingLayerError, TownPlanError
from townplan_gis.core.town import Town
from townplan_gis.fiveline import Review
from townplan_gis.fiveline.engine import ACCELERATE_FROM
from townplan_gis.fiveline.memory import STREAM_FROM
from townplan_gis.fiveline.rules import GRADES
from townplan_gis.io.dxf import read_dxf_lines, read_dxf_projects
from townplan_gis.io.dxf_write import write_conflicts_dxf
from townplan_gis.io.files import read_layer
from townplan_gis.pipeline import Pipeline

# The console's subset of the Review's PROJECT_COLUMNS (townplan_gis.fiveline.result).
_REVIEW_COLUMNS = [
    "project_id",
    "project_name",
    "project_type",
    "verdict",
    "worst_grade",
    "n_conflicts",
    "reason",
]


def review_table(result: Review) -> pd.DataFrame:
    """The projects as the console shows them: verdict, worst grade, conflicts, reason cut short."""
    table = pd.DataFrame(result.projects[_REVIEW_COLUMNS])
    table["reason"] = table["reason"].str.slice(0, 110)
    return table


def print_completeness(result: Review) -> None:
    """What the review covered and checked: a pass means inside it, all five types checked."""
    s = result.settings
    types = s.get("line_types", {})
    print(f"coverage: {s.get('coverage', '')}")
    print(
        "line types: checked "
        + (", ".join(types.get("present", [])) or "none")
        + "; declared absent "
        + (", ".join(types.get("declared_absent", [])) or "none")
        + "; not in the data (not checked) "
        + (", ".join(types.get("not_in_data", [])) or "none")
    )
    families = result.evidence.get("families", {})
    if families:
        print(
            "families: checked "
            + (", ".join(families.get("selected", [])) or "none")
            + "; not selected "
            + (", ".join(families.get("not_selected", [])) or "none")
        )


def with_imports(town: Town, args: argparse.Namespace) -> Town:
    """The town with ``--lines`` and ``--projects`` read in (DXF drawings with ``--crs`` and, for
    projects, ``--project-type``), else its own layers."""
    dxf = args.projects is not None and Path(args.projects).suffix.lower() == ".dxf"
    if args.project_type and not dxf:
        raise TownPlanError(
            "--project-type: gives the type of the projects of a DXF drawing (--projects plan.dxf), "
            "which has no type column; other project files carry a project_type column."
        )
    if args.lines is not None:
        if Path(args.lines).suffix.lower() == ".dxf":
            lines = read_dxf_lines(args.lines, crs=args.crs, encoding=args.encoding)
        else:
            lines = read_layer(args.lines, encoding=args.encoding)
        town = town.with_layer("control_lines", lines, assume_crs=args.assume_crs)
    if not dxf:
        return with_projects(town, args)
    projects = read_dxf_projects(
        args.projects, crs=args.crs, project_type=args.project_type, encoding=args.encoding
    )
    return town.with_layer("projects", projects)


def cmd_review(args: argparse.Namespace) -> int:
    out = out_folder(args.out, args.path, args.projects)
    town = with_imports(load_town(args.path, args), args)
    if not town.has("projects"):
        raise MissingLayerError(
            f"town '{town.name}' has no projects to review. Fix: add a 'projects' layer or pass "
            f"--projects FILE."
        )
    if not town.has("control_lines") and not args.derive:
        raise MissingLayerError(
            f"town '{town.name}' has no 'control_lines' layer. Fix: add one, or pass --derive to "
            f"derive the lines from roads, water, heritage, green land and facilities."
        )
    options: dict[str, Any] = {"engine": args.engine}
    if args.stream or len(town.layer("projects")) >= STREAM_FROM:
        # Into the file written anyway: memory stays bounded by one chunk of rows.
        out.mkdir(parents=True, exist_ok=True)
        options["out"] = out / "conflicts.gpkg"
    if args.families:
        options["families"] = args.families
    result = Pipeline(town, rules=args.rules, derive=args.derive, review_options=options).review
    paths = result.to_files(out)
    if args.dxf:
        paths["dxf"] = write_conflicts_dxf(result, args.dxf)
    counts = result.verdict_counts()
    if args.format == "json":
        payload = {
            "town": town.name,
            "verdicts": {k: int(v) for k, v in counts.items()},
            "projects": json.loads(
                review_table(result).to_json(orient="records", force_ascii=False)
            ),
            "settings": result.settings,
            "evidence": result.evidence,
            "files": {k: str(v) for k, v in paths.items()},
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        print(
            f"{town.name}: {len(result.projects)} projects reviewed, rules {result.settings['rules']} "
            f"{result.settings['rules_version']}, {result.settings['crs']}"
        )
        print_frame(review_table(result))
        print(f"verdicts: {counts_text(counts)}")
        print_completeness(result)
        print("written: " + ", ".join(str(p) for p in paths.values()))
    if result.any_rejected:
        return EXIT_REJECTED
    incomplete = result.projects["verdict"].isin(["not_checked", "invalid"])
    return EXIT_INCOMPLETE if incomplete.any() else EXIT_OK


def demo_step(job: Pipeline, out: Path) -> None:
    """The demo's review: verdicts, conflicts by grade, and its files."""
    result = job.review
    print("== five-line review of the projects (五线审查) ==")
    print_frame(review_table(result))
    print(f"verdicts: {counts_text(result.verdict_counts())}")
    print_completeness(result)
    ignored = result.conflicts["ignored"].astype(bool)
    grades = result.conflicts.loc[~ignored, "grade"]
    print(
        f"conflicts by grade: {counts_text({g: (grades == g).sum() for g in GRADES})}; "
        f"slivers ignored {int(ignored.sum())}"
    )
    paths = result.to_files(out)
    print("written: " + ", ".join(str(p) for p in paths.values()))


def register(sub: Any) -> None:
    p = sub.add_parser(
        "review",
        help="check every project against the five control lines (五线审查)",
        description="Check every project against the red, green, purple, blue and yellow lines, grade "
        "each overlap by the rule file, and write conflicts.gpkg, conflicts.csv, projects.csv, "
        "checks.csv (per project and line type: checked, features found, nearest distance) and "
        "evidence.json (inputs and rule file with their hashes) into --out (UTF-8 with BOM, opens "
        "in Excel). A project passes only inside the town boundary (the review's coverage) with "
        "all five line types checked: in the data, or declared absent (absent_line_types in "
        "town.toml); otherwise its verdict is not_checked.",
        epilog="Exit codes: 0 no project rejected and every project fully checked (projects needing "
        "review are listed); 3 at least one project rejected (a forbidden overlap); 4 no reject, but "
        "a project could not be fully checked (not_checked or invalid); 2 bad input (missing layer, "
        "bad rule file, no CRS).",
    )
    p.add_argument("path", help="a .gpkg or a folder of layer files (the town)")
    p.add_argument(
        "--projects", help="read the projects from this file instead of the town's layer"
    )
    p.add_argument("--projects-layer", help="layer name inside --projects (multi-layer files)")
    p.add_argument("--rules", help="a rule file (TOML) overriding the packaged default rules")
    p.add_argument(
        "--derive",
        action="store_true",
        help="add control lines derived from roads, water, heritage, green, facilities "
        "for line types the town's control_lines lack",
    )
    p.add_argument(
        "--out", default="townplan_review", help="output folder (default: ./townplan_review)"
    )
    p.add_argument("--format", choices=["table", "json"], default="table", help="console output")
    p.add_argument(
        "--project-type",
        help="the type of the projects of a DXF drawing (--projects plan.dxf): building, 住宅, 0701 …",
    )
    p.add_argument(
        "--lines",
        help="read the control lines from this file (a DXF by layer name, or a layer file)",
    )
    p.add_argument("--crs", help="the CRS of DXF drawings (they carry none), e.g. EPSG:4546")
    p.add_argument(
        "--families",
        help="line families to check: five (五线), three (三区三线) or five,three (default: every "
        "family whose lines are in the data or declared absent)",
    )
    p.add_argument("--dxf", help="also write the conflicts and project outlines to this DXF file")
    p.add_argument(
        "--engine",
        choices=["threads", "serial", "reference"],
        default="threads",
        help=f"threads: two threads, the accelerated engine from {ACCELERATE_FROM:,} projects "
        "(below that, loading its compiled kernels costs more than they save; the same rows) "
        "(default); serial: the same on one thread; reference: the plain reference engine (GEOS "
        "for every pair), to compare with",
    )
    p.add_argument(
        "--stream",
        action="store_true",
        help=f"write the conflict rows to --out/conflicts.gpkg chunk by chunk instead of holding "
        f"them in memory (the default from {STREAM_FROM:,} projects)",
    )
    add_input_options(p)
    p.set_defaults(func=cmd_review)
