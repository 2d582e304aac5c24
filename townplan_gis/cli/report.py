"""``townplan report PATH``: the deliverables of a town (report, workbook, map, review opinions)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from townplan_gis.cli.common import (
    EXIT_OK,
    add_input_options,
    counts_text,
    load_town,
    out_folder,
    status_text,
    with_projects,
)
from townplan_gis.core.errors import TownPlanError
from townplan_gis.deliverables.opinion_office import load_office
from townplan_gis.pipeline import OPINION_SETS, Pipeline

# The standard of `townplan report` when --standard is not given; the command says so in its output.
DEFAULT_STANDARD = "ezhou-2017"


def print_deliverables(job: Pipeline, files: dict[str, Path]) -> None:
    """The scorecard's counts and failed targets, the review's verdicts, and each file written."""
    card = job.scorecard_or_none
    if card is not None:
        print(f"scorecard {card.attrs.get('standard', '')}: {status_text(card)}")
        failed = card[card["status"] == "fail"]
        for _, r in failed.iterrows():
            print(
                f"  fail: {r['name_zh']} ({r['key']}) {r['value']:.4g} {r['comparator']} {r['target']}"
            )
    if job.includes_review:
        print(f"review verdicts: {counts_text(job.review.verdict_counts())}")
    for label, path in files.items():
        size = Path(path).stat().st_size / 1e6
        print(
            f"{label:>10}: {path} ({size:.1f} MB)"
            if not label.startswith("opinion")
            else f"{label:>10}: {path}"
        )


def cmd_report(args: argparse.Namespace) -> int:
    out = out_folder(args.out, args.path, args.projects)
    town = with_projects(load_town(args.path, args), args)
    given = args.standard if args.standard is not None else DEFAULT_STANDARD
    standard = None if given.casefold() == "none" else given
    # The town is reviewed when it has projects and control lines (never derived lines here).
    job = Pipeline(town, standard=standard, lang=args.lang, basemap=args.basemap)
    sets, ids = opinion_choice(args.opinions)
    if ids and job.includes_review:
        known = set(job.review.projects["project_id"].astype(str))
        unknown = [i for i in ids if i not in known]
        if unknown:  # said before the report, workbook and map are written
            raise TownPlanError(
                f"--opinions: no project {unknown} in the review of {town.name}. Known ids: "
                f"{sorted(known)[:30]}."
            )
    options = {"format": args.format, "template": args.opinion_template}
    if sets != "none" or ids:
        options["office"] = load_office(args.office, town=town, near=args.path)
    files = job.write_deliverables(out, opinions=sets, **(options if sets != "none" else {}))
    if ids:
        index = job.write_opinions(out / "opinions", projects=ids, **options)
        for pid, path in zip(index["project_id"], index["path"], strict=True):
            files[f"opinion {pid}" if f"opinion {pid}" not in files else f"opinion {path.name}"] = (
                path
            )
        files["opinions index"] = out / "opinions" / "index.csv"
    office = options.get("office")
    if office is not None and office.placeholder:
        print(
            f"opinions: the issuing office is the packaged placeholder ({office.source}); each "
            f"opinion says so. Fix: --office FILE, an office.toml beside the town, or "
            f"[metadata.office] in town.toml."
        )
    print(f"deliverables for {town.name}:")
    if args.standard is None:
        print(
            f"standard {DEFAULT_STANDARD} (the default; --standard NAME|FILE chooses another, "
            f"--standard none leaves the scorecard out)"
        )
    print_deliverables(job, files)
    return EXIT_OK


def opinion_choice(value: str) -> tuple[str, list[str]]:
    """``--opinions``: a named set (``all`` …) or a comma-separated list of project ids."""
    value = value.strip()
    if value in ("none", *OPINION_SETS):
        return value, []
    ids = [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]
    if not ids:
        raise TownPlanError(
            f"--opinions {value!r}: give none, {', '.join(OPINION_SETS)} or project ids separated "
            f"by commas (P01,P02)."
        )
    return "none", ids


def demo_step(job: Pipeline, out: Path) -> None:
    """The demo's deliverables: report, workbook, map and the rejected projects' opinions."""
    print("== deliverables: report, workbook, map, review opinion (成果) ==")
    files = job.write_deliverables(out, opinions="rejected")
    print_deliverables(job, files)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="town report (HTML), Excel workbook and plan map: the deliverables",
        description="Write report.html (one self-contained page: summary, scorecard, charts, review, "
        "map, method; prints on A4), workbook.xlsx (scorecard, indicators, conflicts, projects) and "
        "map.html into --out.",
    )
    p.add_argument("path", help="a .gpkg or a folder of layer files (the town)")
    p.add_argument(
        "--standard",
        default=None,
        help=f"standard name or TOML file (default {DEFAULT_STANDARD}, said so in the output; "
        "'none' for no scorecard)",
    )
    p.add_argument(
        "--projects", help="read the projects from this file instead of the town's layer"
    )
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language (default zh)")
    p.add_argument(
        "--out", default="townplan_report", help="output folder (default ./townplan_report)"
    )
    p.add_argument(
        "--basemap", default="osm", help="basemap of map.html (the report's map has none)"
    )
    p.add_argument(
        "--opinions",
        default="none",
        metavar="{none,rejected,flagged,all,P01,P02,...}",
        help="also write a review opinion (审查意见书) per project into OUT/opinions/: a set of "
        "projects by verdict, or project ids separated by commas",
    )
    p.add_argument(
        "--format",
        choices=["html", "docx", "pdf"],
        default="html",
        help="file format of the opinions (pdf: printed by headless Chromium; default html)",
    )
    p.add_argument(
        "--office",
        default=None,
        help="TOML file of the issuing office of the opinions (default: office.toml beside the "
        "town, [metadata.office] in town.toml, else a placeholder the opinions flag)",
    )
    p.add_argument(
        "--opinion-template",
        default=None,
        help="Word template of the .docx opinions (default the packaged one)",
    )
    add_input_options(p)
    p.set_defaults(func=cmd_report)
