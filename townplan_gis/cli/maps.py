"""``townplan map PATH``: the plan map of a town, and its review, as one offline HTML file; with
``--print A3`` the print-ready plan sheet as PDF, PNG or SVG (:func:`townplan_gis.plan_figure`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from townplan_gis.cli.common import (
    EXIT_OK,
    _same_path,
    add_input_options,
    load_town,
    number,
    out_html,
)
from townplan_gis.core.errors import OutputPathError, TownPlanError
from townplan_gis.core.town import Town
from townplan_gis.fiveline import Review
from townplan_gis.maps.compact import CompactLayer, drawn_layers
from townplan_gis.maps.print_parts import PAPER_MM
from townplan_gis.maps.print_plan import PRINT_FORMATS, plan_figure
from townplan_gis.pipeline import Pipeline

# Past this many features a page is ~100 MB and takes ~10 s to open (benchmarks/README.md, maps).
_MAP_FEATURES_HEAVY = 1_000_000


def map_review(town: Town) -> Review:
    """The town's five-line review, for colouring the map: the same ``tp.review(town)`` that
    ``townplan review`` and the report run (red lines take their road class from the roads)."""
    if not (town.has("projects") and town.has("control_lines")):
        raise TownPlanError(
            f"--review needs 'projects' and 'control_lines' layers; town '{town.name}' has "
            f"{list(town.layers)}."
        )
    return Pipeline(town).review


def out_print(out: str, *inputs: str | None) -> Path:
    """``--out`` of ``map --print``: a .pdf, .png or .svg file; an existing one is replaced."""
    path = Path(out)
    formats = ", ".join(PRINT_FORMATS)
    if path.is_dir():
        raise OutputPathError(
            f"--out {out}: is a folder; map --print writes one file. Fix: name the file, e.g. "
            f"--out {path / 'plan.pdf'}."
        )
    if any(given and _same_path(path, given) for given in inputs):
        raise OutputPathError(
            f"--out {out}: is the input town; writing the plan there would destroy it. Fix: name a "
            f"{formats} file, e.g. --out {path.with_suffix('')}_plan.pdf."
        )
    if path.suffix.casefold() not in PRINT_FORMATS:
        what = (
            "an existing file, which would be overwritten"
            if path.exists()
            else f"not a {formats} name"
        )
        raise OutputPathError(
            f"--out {out}: is {what}; map --print writes {formats}. Fix: e.g. --out "
            f"{path.with_suffix('.pdf')}."
        )
    return path


def cmd_print(args: argparse.Namespace) -> int:
    """``map --print A3``: the print-ready plan sheet."""
    out = out_print(args.out or f"{Path(args.path).stem}_plan.pdf", args.path)
    town = load_town(args.path, args)
    review = map_review(town) if args.review else None
    extent = args.extent or ("builtup" if town.has("builtup") else "town")
    orientation = args.orientation or "landscape"
    fig = plan_figure(
        town,
        review=review,
        paper=args.print,
        orientation=orientation,
        extent=extent,
        lang=args.lang,
        out=out,
    )
    info = fig.townplan  # type: ignore[attr-defined]
    print(
        f"plan of {town.name} written to {out} ({info['paper'][0]} {orientation}, "
        f"1:{info['scale']:,}, extent {extent}"
        + ("" if args.extent or extent == "builtup" else ": the town has no builtup layer")
        + ")"
    )
    if info["outside"]:
        print(f"outside the frame (on the key map): {', '.join(info['outside'])}")
    if info["dropped"]:
        print(f"not labelled for lack of room: {', '.join(info['dropped'])}")
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    if args.print:
        return cmd_print(args)
    if args.orientation or args.extent:
        raise TownPlanError("--orientation and --extent shape a printed plan: add --print A3.")
    out = out_html(args.out or f"{Path(args.path).stem}_map.html", args.path)
    town = load_town(args.path, args)
    if args.findings_only and not args.review:
        raise TownPlanError("--findings-only draws the findings of a review: add --review.")
    review = map_review(town) if args.review else False
    job = Pipeline(town, review=review, basemap=args.basemap, lang=args.lang)
    options = dict(
        simplify_m=args.simplify_m,
        tianditu_key=args.tianditu_key,
        renderer=args.renderer,
        findings_only=args.findings_only,
    )
    m = job.map(**options)
    out = job.write_map(out, offline=not args.online, **options)
    size = out.stat().st_size / 1e6
    mode = "online (CDN assets)" if args.online else "offline, self-contained"
    print(f"map of {town.name} written to {out} ({size:.1f} MB, {mode}, basemap {args.basemap})")
    layers = drawn_layers(m)
    compact = any(isinstance(c, CompactLayer) for c in m._children.values())
    drawn = " · ".join(f"{name} {n:,}" for _id, name, n in layers)
    print(f"drawn ({'compact' if compact else 'GeoJSON'} layers): {drawn}")
    if args.review:
        projects = job.review.projects
        passing = int((projects["verdict"] == "pass").sum())
        if args.findings_only:
            print(
                f"not drawn: {passing:,} passing projects (--findings-only); every conflict and "
                f"every project with another verdict is drawn."
            )
        elif sum(n for *_x, n in layers) > _MAP_FEATURES_HEAVY:
            print(
                f"note: {sum(n for *_x, n in layers):,} features make a {size:.0f} MB page; a county "
                f"of 10^6 projects (2.4 million features, 120 MB) took 8-11 s and 1.5 GB of memory "
                f"to open in Chromium (benchmarks/README.md). --findings-only draws the conflicts "
                f"and the {len(projects) - passing:,} non-passing projects only."
            )
    return EXIT_OK


def demo_step(job: Pipeline, out: Path) -> None:
    """The demo's plan map (``map.html``), with the review when the town can be reviewed."""
    path = job.write_map(out / "map.html")
    what = "with its review" if job.includes_review else "without review (no projects or lines)"
    print(f"== plan map, {what} ==")
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, self-contained; opens offline)")


def register(sub: Any) -> None:
    p = sub.add_parser("map", help="plan map of a town (and its review) as one offline HTML file")
    p.add_argument("path", help="a .gpkg or a folder of layer files")
    p.add_argument("--review", action="store_true", help="review the projects; colour by verdict")
    p.add_argument(
        "--basemap",
        default="osm",
        help="osm, cartodb, esri-imagery, tianditu-vec, tianditu-img, gaode, gaode-satellite, "
        "none, or a tile URL template (default: osm)",
    )
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="legend language")
    p.add_argument(
        "--out",
        help="output .html file (default: <name>_map.html); an existing HTML file is replaced; "
        "with --print a .pdf, .png or .svg (default: <name>_plan.pdf)",
    )
    p.add_argument(
        "--print",
        metavar="PAPER",
        type=str.upper,
        choices=list(PAPER_MM),
        help="write the print-ready plan sheet on this paper (A4, A3, A2, A1, A0) instead of the "
        "web map: title block, legend, scale bar, north arrow, labels, key map",
    )
    p.add_argument(
        "--orientation",
        choices=["landscape", "portrait"],
        help="with --print: sheet orientation (default: landscape)",
    )
    p.add_argument(
        "--extent",
        choices=["builtup", "town"],
        help="with --print: frame the built-up area (default when the town has one) or the "
        "whole township",
    )
    p.add_argument("--online", action="store_true", help="load Leaflet from CDNs (smaller file)")
    p.add_argument(
        "--simplify-m", type=number(positive=False), help="simplification tolerance in metres"
    )
    p.add_argument("--tianditu-key", help="Tianditu key (default: $TIANDITU_KEY)")
    p.add_argument(
        "--renderer",
        choices=["auto", "geojson", "compact"],
        default="auto",
        help="compact: every layer as compressed integer geometry painted on canvas, for county "
        "maps of 10^5-10^6 features; geojson: one Leaflet object per feature; auto (default): "
        "compact above 5,000 features",
    )
    p.add_argument(
        "--findings-only",
        action="store_true",
        help="with --review: draw only the conflicts and the projects that do not pass",
    )
    add_input_options(p)
    p.set_defaults(func=cmd_map)
