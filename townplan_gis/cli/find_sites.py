"""``townplan find-sites TOWN --area-m2 N --project-type T``: candidate sites (选址), ranked."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from townplan_gis.analyses import find_sites
from townplan_gis.cli._analysis_out import out_file, write_out
from townplan_gis.cli.common import (
    EXIT_OK,
    EXIT_REJECTED,
    add_input_options,
    load_town,
    print_frame,
)

#: Exit code when no site fits: the search ran and found nothing (not a pass, not a crash).
EXIT_NO_SITE = EXIT_REJECTED

_COLUMNS = [
    "rank",
    "site_id",
    "area_mu",
    "width_m",
    "length_m",
    "score",
    "road_name",
    "road_distance_m",
    "verdict",
    "reason",
]
_CONSTRAINTS = ["constraint", "kind", "grade", "features", "setback_m", "min_distance_m", "status"]


def cmd_find_sites(args: argparse.Namespace) -> int:
    out = out_file(args.out, args.path)
    town = load_town(args.path, args)
    near = [t.strip() for t in args.near.split(",") if t.strip()] if args.near else None
    result = find_sites(
        town,
        area_m2=args.area_m2,
        min_width_m=args.min_width_m,
        project_type=args.project_type,
        within=args.within,
        near=near,
        n=args.n,
        rules=args.rules,
    )
    s = result.settings
    width = f", at least {s['min_width_m']:g} m wide" if s.get("min_width_m") else ""
    print(
        f"{town.name}: sites of {s['area_m2']:,.0f} m² ({s['area_mu']:.1f} 亩){width} for a "
        f"{s['project_type']} in {s['within']}; free land {s['free_land_m2']:,.0f} m², "
        f"{s['candidates']} candidates, {len(result.sites)} site(s) chosen"
    )
    if len(result.sites):
        table = pd.DataFrame(result.table())
        print_frame(table[[c for c in _COLUMNS if c in table.columns]].round(3))
    else:
        print("no site of that size fits clear of the constraints below")
    refused = s.get("refused_by_review") or []
    if refused:
        print(f"candidates the review refused (not listed as sites): {len(refused)}")
    print("constraints checked (选址 summary):")
    print_frame(
        result.constraints[[c for c in _CONSTRAINTS if c in result.constraints.columns]].round(1)
    )
    if out is not None:
        written = write_out(
            out,
            result.table(),
            layers={"sites": result.sites},
            sheets={"sites": result.table(), "constraints": result.constraints},
        )
        print(f"written: {written}")
    return EXIT_OK if len(result.sites) else EXIT_NO_SITE


def register(sub: Any) -> None:
    p = sub.add_parser(
        "find-sites",
        help="candidate sites of a given size, clear of every line and setback (选址)",
        description="Search the built-up area (--within) for rectangular sites of --area-m2 (and "
        "--min-width-m) clear of every control line the review grades forbidden or review for "
        "--project-type, of the red and blue setback bands and of land already taken; rank them "
        "by the stated score (distance to a main road, to --near, compactness), review each with "
        "the five-line review, and list the constraints checked. --out writes the sites: a .gpkg "
        "(layer 'sites'), a .xlsx (sheets sites and constraints) or a .csv (the sites).",
        epilog="Exit codes: 0 at least one site found; 3 no site of that size fits (the "
        "constraints are listed); 2 bad input (unreadable town, no control lines or search area, "
        "a non-positive area, unknown project type or facility type, bad --out); 1 internal error.",
    )
    p.add_argument("path", help="the town (.gpkg or folder)")
    p.add_argument("--area-m2", type=float, required=True, help="site area, m² (30 亩 = 20000)")
    p.add_argument("--min-width-m", type=float, help="least width of the site, m")
    p.add_argument(
        "--project-type", required=True, help="what is to be built: building, park, utility …"
    )
    p.add_argument("--n", type=int, default=10, help="number of sites (default 10)")
    p.add_argument(
        "--within",
        default="builtup",
        choices=["builtup", "boundary", "dev_boundary"],
        help="search area: the built-up area (default), the town boundary, the development boundary",
    )
    p.add_argument("--near", help="facility types a site should be near, comma-separated (school)")
    p.add_argument("--rules", help="a review rule file (TOML) overriding the packaged one")
    p.add_argument("--out", help="write the sites to FILE.gpkg, FILE.xlsx or FILE.csv")
    add_input_options(p)
    p.set_defaults(func=cmd_find_sites)
