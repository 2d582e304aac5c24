"""The ``townplan`` command: a thin shell over the townplan_gis API.

Exit codes: 0 success (for ``review``: no project rejected, and every project was fully checked); 2
bad input (a TownPlanError, a path that cannot be read or written, or a bad option: one line on
stderr, never a traceback); 3 ``review`` found at least one rejected project; 4 ``review`` could not
check every project (a ``not_checked`` or ``invalid`` verdict and no reject: a script must not read
the run as clean); 1 an internal error (a bug: one line asking for a report; ``--debug`` prints the
traceback).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from townplan_gis.core.errors import OutputPathError, TownPlanError
from townplan_gis.fiveline import review as run_review
from townplan_gis.indicators import town_indicators

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_REJECTED, EXIT_INCOMPLETE = 0, 1, 2, 3, 4

# Scorecard statuses, in display order (townplan_gis.standards: missing data is never a pass).
_STATUSES = ("pass", "fail", "not_evaluable")


def _print_frame(df: pd.DataFrame, fmt: str = "table") -> None:
    if fmt == "csv":
        from townplan_gis.core.safe import safe_frame

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


def _counts_text(counts) -> str:
    """``"pass 3, review 1, …"`` from a mapping or Series of counts."""
    return ", ".join(f"{k} {int(v)}" for k, v in counts.items())


def _status_text(card: pd.DataFrame) -> str:
    """Number of scorecard rows per status, every status listed (zeros included)."""
    counts = card["status"].value_counts()
    return _counts_text({s: counts.get(s, 0) for s in _STATUSES})


def _load_town(path: str, args: argparse.Namespace):
    from townplan_gis.io.files import read_town

    return read_town(path, assume_crs=args.assume_crs, encoding=args.encoding)


def _same_path(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:  # pragma: no cover - an unresolvable path is not the input
        return False


def _out_folder(out: str, *inputs: str | None) -> Path:
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


def _out_html(out: str, *inputs: str | None) -> Path:
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


def _with_projects(town, args: argparse.Namespace):
    """The town, with its projects replaced by those of ``--projects FILE`` when given."""
    if getattr(args, "projects_layer", None) and not args.projects:
        raise TownPlanError(
            f"--projects-layer {args.projects_layer}: names a layer inside --projects FILE, but no "
            f"--projects was given. Fix: pass --projects FILE too (the town's own projects layer "
            f"is read without --projects-layer)."
        )
    if not args.projects:
        return town
    from townplan_gis.io.files import read_layer

    gdf, _ = read_layer(
        args.projects, layer=getattr(args, "projects_layer", None), encoding=args.encoding
    )
    return town.with_layer("projects", gdf, assume_crs=args.assume_crs)


# --- info ------------------------------------------------------------------------------------------------
def cmd_info(args: argparse.Namespace) -> int:
    town = _load_town(args.path, args)
    epsg = town.crs.to_epsg() if town.crs is not None else None
    pop = "unknown" if town.population is None else f"{town.population:,.0f}"
    print(
        f"{town.name}  population {pop}  analysis CRS EPSG:{epsg} ({town.crs.name if town.crs else '-'})"
    )
    _print_frame(town.summary())
    if town.statistics:
        print("\nreported statistics:")
        for k, v in town.statistics.items():
            print(f"  {k} = {v:g}")
    rep = town.repairs
    print(f"\nrepairs and changes ({len(rep)}):" if len(rep) else "\nno repairs")
    if len(rep):
        _print_frame(rep[["layer", "action", "count", "detail"]])
    return EXIT_OK


# --- demo ------------------------------------------------------------------------------------------------
# Each later capability adds one step: a function (town, out_dir) -> None that prints and writes.
def _demo_info(town, out: Path) -> None:
    print(f"== {town.name} (sample, illustrative geometry) ==")
    print(town)
    _print_frame(town.summary()[["layer", "label_zh", "features", "geometry"]])


DEMO_STEPS: list[Callable] = [_demo_info]


# --- indicators and assess ---------------------------------------------------------------------------
def _write_csv_bom(df: pd.DataFrame, path: Path) -> Path:
    from townplan_gis.core.safe import safe_frame

    # UTF-8 with BOM so Excel on Chinese Windows shows 路网密度, not mojibake; formula-like texts
    # escaped so Excel never evaluates them.
    safe_frame(df).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def cmd_indicators(args: argparse.Namespace) -> int:
    town = _load_town(args.path, args)
    df = town_indicators(town, coverage_distance_m=args.coverage_distance)
    if args.format == "table":
        print(f"{town.name}: {len(df)} indicators")
        df = df[["key", "name_zh", "value", "unit", "note"]]
    _print_frame(df, args.format)
    return EXIT_OK


def cmd_assess(args: argparse.Namespace) -> int:
    from townplan_gis.standards import assess, assess_many, load_standard

    std = load_standard(args.standard)
    if len(args.paths) == 1:
        card = assess(_load_town(args.paths[0], args), std)
        if args.format == "table":
            print(f"{std.name} ({std.title_zh}): {_status_text(card)}")
            card = card[
                ["key", "name_zh", "value", "target", "comparator", "status", "gap", "unit"]
            ]
        _print_frame(pd.DataFrame(card), args.format)
        return EXIT_OK
    towns = (_load_town(p, args) for p in args.paths)
    ranked = assess_many(towns, std, progress=not args.no_progress)
    if args.format == "table":
        print(f"{std.name} ({std.title_zh}): {len(ranked)} towns ranked")
        print(ranked.attrs["rank_rule"])
    _print_frame(ranked, args.format)
    return EXIT_OK


def _demo_indicators(town, out: Path) -> None:
    from townplan_gis.standards import assess

    indicators = town_indicators(town)
    card = assess(indicators, "ezhou-2017")
    print("== indicators and the Ezhou 2017 scorecard (指标与考核) ==")
    _print_frame(card[["key", "name_zh", "value", "target", "comparator", "status", "gap"]])
    print(f"scorecard ezhou-2017: {_status_text(card)}")
    paths = [
        _write_csv_bom(indicators, out / "indicators.csv"),
        _write_csv_bom(pd.DataFrame(card), out / "scorecard.csv"),
    ]
    print("written: " + ", ".join(str(p) for p in paths))


DEMO_STEPS.append(_demo_indicators)


# --- map -------------------------------------------------------------------------------------------------
def _map_review(town):
    """The town's five-line review, for colouring the map: the same ``tp.review(town)`` that
    ``townplan review`` and the report run (red lines take their road class from the roads)."""
    if not (town.has("projects") and town.has("control_lines")):
        raise TownPlanError(
            f"--review needs 'projects' and 'control_lines' layers; town '{town.name}' has "
            f"{list(town.layers)}."
        )
    return run_review(town)


# Past this many features a page is ~100 MB and takes ~10 s to open (benchmarks/README.md, maps).
_MAP_FEATURES_HEAVY = 1_000_000


def cmd_map(args: argparse.Namespace) -> int:
    from townplan_gis.maps import plan_map, save_map
    from townplan_gis.maps.compact import CompactLayer, drawn_layers

    out = _out_html(args.out or f"{Path(args.path).stem}_map.html", args.path)
    town = _load_town(args.path, args)
    if args.findings_only and not args.review:
        raise TownPlanError("--findings-only draws the findings of a review: add --review.")
    review = _map_review(town) if args.review else None
    m = plan_map(
        town,
        review=review,
        basemap=args.basemap,
        lang=args.lang,
        simplify_m=args.simplify_m,
        tianditu_key=args.tianditu_key,
        renderer=args.renderer,
        findings_only=args.findings_only,
    )
    save_map(m, out, offline=not args.online)
    size = out.stat().st_size / 1e6
    mode = "online (CDN assets)" if args.online else "offline, self-contained"
    print(f"map of {town.name} written to {out} ({size:.1f} MB, {mode}, basemap {args.basemap})")
    layers = drawn_layers(m)
    compact = any(isinstance(c, CompactLayer) for c in m._children.values())
    drawn = " · ".join(f"{name} {n:,}" for _id, name, n in layers)
    print(f"drawn ({'compact' if compact else 'GeoJSON'} layers): {drawn}")
    if review is not None:
        passing = int((review.projects["verdict"] == "pass").sum())
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
                f"and the {len(review.projects) - passing:,} non-passing projects only."
            )
    return EXIT_OK


def _demo_map(town, out: Path) -> None:
    from townplan_gis.maps import plan_map, save_map

    review = _map_review(town) if town.has("projects") and town.has("control_lines") else None
    m = plan_map(town, review=review, basemap="osm", lang="zh")
    path = save_map(m, out / "map.html")
    what = "with its review" if review is not None else "without review (no projects or lines)"
    print(f"== plan map, {what} ==")
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB, self-contained; opens offline)")


DEMO_STEPS.append(_demo_map)


# --- review ----------------------------------------------------------------------------------------------
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


def _review_table(result) -> pd.DataFrame:
    table = pd.DataFrame(result.projects[_REVIEW_COLUMNS])
    table["reason"] = table["reason"].str.slice(0, 110)
    return table


def cmd_review(args: argparse.Namespace) -> int:
    import json

    from townplan_gis.core.errors import MissingLayerError

    out = _out_folder(args.out, args.path, args.projects)
    town = _with_projects(_load_town(args.path, args), args)
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
    result = run_review(town, rules=args.rules, derive=args.derive)
    paths = result.to_files(out)
    counts = result.verdict_counts()
    if args.format == "json":
        payload = {
            "town": town.name,
            "verdicts": {k: int(v) for k, v in counts.items()},
            "projects": json.loads(
                _review_table(result).to_json(orient="records", force_ascii=False)
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
        _print_frame(_review_table(result))
        print(f"verdicts: {_counts_text(counts)}")
        _print_completeness(result)
        print("written: " + ", ".join(str(p) for p in paths.values()))
    if result.any_rejected:
        return EXIT_REJECTED
    incomplete = result.projects["verdict"].isin(["not_checked", "invalid"])
    return EXIT_INCOMPLETE if incomplete.any() else EXIT_OK


def _print_completeness(result) -> None:
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


def _demo_review(town, out: Path) -> None:
    from townplan_gis.fiveline.rules import GRADES

    result = run_review(town)
    print("== five-line review of the projects (五线审查) ==")
    _print_frame(_review_table(result))
    print(f"verdicts: {_counts_text(result.verdict_counts())}")
    _print_completeness(result)
    ignored = result.conflicts["ignored"].astype(bool)
    grades = result.conflicts.loc[~ignored, "grade"]
    print(
        f"conflicts by grade: {_counts_text({g: (grades == g).sum() for g in GRADES})}; "
        f"slivers ignored {int(ignored.sum())}"
    )
    paths = result.to_files(out)
    print("written: " + ", ".join(str(p) for p in paths.values()))


DEMO_STEPS.append(_demo_review)


# --- report ----------------------------------------------------------------------------------------------
def _deliverables(
    town,
    out: Path,
    *,
    standard: str | None,
    lang: str,
    basemap: str = "osm",
    opinions: str = "none",
) -> dict:
    """Write report.html, workbook.xlsx and map.html (and per-project opinions) for a town."""
    from townplan_gis.deliverables import report, to_excel, write_opinions
    from townplan_gis.maps import plan_map, save_map
    from townplan_gis.standards import assess, load_standard

    out.mkdir(parents=True, exist_ok=True)
    indicators = town_indicators(town)
    std = load_standard(standard) if standard else None
    card = assess(indicators, std) if std is not None else None
    review = None
    if town.has("projects") and town.has("control_lines"):
        review = run_review(town)
    files = {
        "report": report(
            town,
            standard=std,
            scorecard=card,
            indicators=indicators,
            review=review,
            lang=lang,
            path=out / "report.html",
        ),
        "workbook": to_excel(
            out / "workbook.xlsx",
            scorecard=card,
            indicators=indicators,
            review=review,
            lang=lang,
            settings={"town": town.name, "standard": std.name if std else "none"},
        ),
        "map": save_map(
            plan_map(town, review=review, basemap=basemap, lang=lang), out / "map.html"
        ),
    }
    if review is not None and opinions != "none":
        flagged = ["reject", "not_checked", "review", "invalid"]
        wanted = {"rejected": ["reject"], "flagged": flagged}.get(opinions)
        # One file per project, also for repeated or clashing ids (logged), listed in index.csv.
        index = write_opinions(review, out / "opinions", town=town, lang=lang, verdicts=wanted)
        for pid, path in zip(index["project_id"], index["path"], strict=True):
            key = f"opinion {pid}"
            files[key if key not in files else f"opinion {path.name}"] = path
        files["opinions index"] = out / "opinions" / "index.csv"
    return {"files": files, "scorecard": card, "review": review}


def _print_deliverables(result: dict) -> None:
    card, review = result["scorecard"], result["review"]
    if card is not None:
        print(f"scorecard {card.attrs.get('standard', '')}: {_status_text(card)}")
        failed = card[card["status"] == "fail"]
        for _, r in failed.iterrows():
            print(
                f"  fail: {r['name_zh']} ({r['key']}) {r['value']:.4g} {r['comparator']} {r['target']}"
            )
    if review is not None:
        print(f"review verdicts: {_counts_text(review.verdict_counts())}")
    for label, path in result["files"].items():
        size = Path(path).stat().st_size / 1e6
        print(
            f"{label:>10}: {path} ({size:.1f} MB)"
            if not label.startswith("opinion")
            else f"{label:>10}: {path}"
        )


def cmd_report(args: argparse.Namespace) -> int:
    out = _out_folder(args.out, args.path, args.projects)
    town = _with_projects(_load_town(args.path, args), args)
    standard = None if args.standard.casefold() == "none" else args.standard
    result = _deliverables(
        town,
        out,
        standard=standard,
        lang=args.lang,
        basemap=args.basemap,
        opinions=args.opinions,
    )
    print(f"deliverables for {town.name}:")
    _print_deliverables(result)
    return EXIT_OK


def _demo_report(town, out: Path) -> None:
    print("== deliverables: report, workbook, map, review opinion (成果) ==")
    result = _deliverables(town, out, standard="ezhou-2017", lang="zh", opinions="rejected")
    _print_deliverables(result)


DEMO_STEPS.append(_demo_report)


def cmd_demo(args: argparse.Namespace) -> int:
    from townplan_gis.io.sample import sample_town

    out = _out_folder(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    town = sample_town()
    for step in DEMO_STEPS:
        step(town, out)
        print()
    print(f"outputs in {out}")
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors on one line (exit 2), like every other bad input."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(*, positive: bool) -> Callable[[str], float]:
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


def _add_input_options(p: argparse.ArgumentParser) -> None:
    """The options every command that reads a town shares."""
    p.add_argument("--assume-crs", help="CRS for layers without one, e.g. EPSG:4490")
    p.add_argument("--encoding", help="force the text encoding of shapefiles, e.g. gbk")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="townplan",
        description="Small-town planning: indicators, scorecards, five-control-line review, offline maps.",
        epilog="Exit codes: 0 ok; 2 bad input; 3 review rejected a project; 4 review could not check "
        "every project; 1 internal error.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log repairs and progress")
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an error (for bug reports)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="layers, feature counts, CRS and repairs of a town")
    p.add_argument("path", help="a .gpkg or a folder of layer files")
    _add_input_options(p)
    p.set_defaults(func=cmd_info)

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
        help="output .html file (default: <name>_map.html); an existing HTML file is replaced",
    )
    p.add_argument("--online", action="store_true", help="load Leaflet from CDNs (smaller file)")
    p.add_argument(
        "--simplify-m", type=_number(positive=False), help="simplification tolerance in metres"
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
    _add_input_options(p)
    p.set_defaults(func=cmd_map)

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
    _add_input_options(p)
    p.set_defaults(func=cmd_review)

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
        default="ezhou-2017",
        help="standard name or TOML file (default ezhou-2017; 'none' for no scorecard)",
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
        choices=["none", "rejected", "flagged", "all"],
        default="none",
        help="also write a review opinion (审查意见) per project into OUT/opinions/",
    )
    _add_input_options(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("indicators", help="planning indicators of a town (路网密度, 绿化覆盖率 …)")
    p.add_argument("path", help="a .gpkg or a folder of layer files")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument(
        "--coverage-distance",
        type=_number(positive=True),
        default=150.0,
        help="distance d of the tool-defined road coverage, m (default 150)",
    )
    _add_input_options(p)
    p.set_defaults(func=cmd_indicators)

    p = sub.add_parser(
        "assess",
        help="scorecard of a town against a standard; several towns are ranked",
        epilog="Packaged standards: ezhou-2017, weicheng-2017, national-2016, gb50188-2007.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="one town, or several to rank")
    p.add_argument("--standard", required=True, help="packaged name or a .toml file")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--no-progress", action="store_true", help="no progress bar when ranking")
    _add_input_options(p)
    p.set_defaults(func=cmd_assess)

    p = sub.add_parser("demo", help="run the main job on the bundled sample town (蒲州镇)")
    p.add_argument(
        "--out", default="townplan_output", help="output folder (default: ./townplan_output)"
    )
    p.set_defaults(func=cmd_demo)
    return parser


class _HeldWarnings(logging.Handler):
    """Holds warnings until the command ends: shown after a success, dropped after an error.

    A failing command prints one line (the error, which says what matters); GDAL's and the
    reader's warnings printed before it would bury that line.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def show(self) -> None:
        for record in self.records:
            print(self.format(record), file=sys.stderr)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    root = logging.getLogger()
    saved_level = root.level
    held = None
    if args.verbose or args.debug:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    else:
        held = _HeldWarnings()
        root.addHandler(held)
        root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    try:
        with warnings.catch_warnings():
            # NaN/Inf coordinates make shapely warn while reading and repairing; the review refuses
            # them with its own one-line error naming the rows, so the warnings are only noise.
            warnings.filterwarnings(
                "ignore", message="invalid value encountered", category=RuntimeWarning
            )
            code = int(args.func(args) or 0)
    except TownPlanError as exc:
        return _fail(args, f"townplan: error: {_one_line(exc)}", EXIT_BAD_INPUT)
    except OSError as exc:  # a path the user named cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        text = f"townplan: error: {_one_line(exc.strerror or exc)}{where}"
        return _fail(args, text, EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("townplan: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line by default, the traceback with --debug
        text = (
            f"townplan: internal error: {type(exc).__name__}: {_one_line(exc)} (please report; "
            f"run with --debug for the traceback)"
        )
        return _fail(args, text, EXIT_INTERNAL)
    finally:
        logging.captureWarnings(False)
        if held is not None:
            root.removeHandler(held)
            root.setLevel(saved_level)
    if held is not None:
        held.show()
    return code


def _fail(args: argparse.Namespace, text: str, code: int) -> int:
    if args.debug:
        traceback.print_exc()
    print(text, file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
