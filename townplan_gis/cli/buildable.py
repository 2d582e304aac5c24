"""``townplan buildable PARCELS --town TOWN``: the land of each parcel left to build on (可建设用地)."""

from __future__ import annotations

import argparse
from typing import Any

import geopandas as gpd
import pandas as pd

from townplan_gis.analyses import buildable_items, buildable_land
from townplan_gis.cli._analysis_out import out_file, read_geo, write_out
from townplan_gis.cli.common import EXIT_OK, add_input_options, load_town, print_frame
from townplan_gis.core.errors import MissingLayerError

_COLUMNS = [
    "parcel",
    "gross_m2",
    "excluded_m2",
    "buildable_m2",
    "buildable_strict_m2",
    "usable_m2",
    "usable_strict_m2",
    "buildable",
    "note",
]
_SHOWN = 20


def _with_parcels(result: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The result with the parcel's label (``parcel``) and its own attributes in front."""
    own = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))
    own = own.rename(columns={c: f"parcel_{c}" for c in own.columns if c in result.columns})
    out = pd.concat([own, pd.DataFrame(result)], axis=1)
    out.insert(0, "parcel", parcels.index.to_numpy())
    return gpd.GeoDataFrame(out, geometry=result.geometry.name, crs=result.crs)


def cmd_buildable(args: argparse.Namespace) -> int:
    out = out_file(args.out, args.path, args.town)
    town = load_town(args.town, args)
    if not town.has("control_lines"):
        raise MissingLayerError(
            f"{args.town}: town '{town.name}' has no 'control_lines' layer; without lines every "
            f"parcel would be called wholly buildable. Fix: add the town's control lines."
        )
    parcels = read_geo(args.path, args, "parcels")
    result = buildable_land(
        parcels,
        town,
        setbacks=not args.no_setbacks,
        rules=args.rules,
        project_type=args.project_type,
        min_width_m=args.min_width_m,
        widest=args.widest,
    )
    table = _with_parcels(result, parcels)
    ok = table["buildable"].astype(bool)
    print(
        f"{args.path}: {len(table)} parcels against the lines of {town.name} for a "
        f"{args.project_type}, setbacks {'off' if args.no_setbacks else 'relaxed and strict'}; "
        f"gross {table['gross_m2'].sum():,.0f} m², buildable {table['buildable_m2'].sum():,.0f} m² "
        f"(strict {table['buildable_strict_m2'].sum():,.0f} m²), usable "
        f"{table['usable_m2'].sum():,.0f} m²; parcels with usable land {int(ok.sum())}, without "
        f"{int((~ok).sum())}"
    )
    cols = [c for c in _COLUMNS if c in table.columns]
    shown = pd.DataFrame(table[cols]).head(_SHOWN).round(1)
    print_frame(shown)
    if len(table) > _SHOWN:
        print(f"… {len(table) - _SHOWN} more parcels (--out FILE writes every one)")
    if out is not None:
        strict = table.drop(columns=table.geometry.name).set_geometry("geometry_strict")
        relaxed = table.drop(columns="geometry_strict")
        items = buildable_items(result)
        written = write_out(
            out,
            relaxed,
            layers={"buildable": relaxed, "buildable_strict": strict},
            sheets={"parcels": relaxed, "items": items},
        )
        print(f"written: {written}")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "buildable",
        help="the buildable land of each parcel after the control lines and their setbacks",
        description="For each parcel: its gross area, the land taken by each line type and tier "
        "and by each setback band, and the buildable remainder (every part kept) in m² and 亩, "
        "relaxed (the review's setbacks) and strict (the wider local setbacks of "
        "data/buildable.toml); usable only where a square of --min-width-m fits. --out writes "
        "every parcel: a .gpkg (layers 'buildable' and 'buildable_strict' with the remainder as "
        "geometry), a .xlsx (sheets parcels and items) or a .csv (the parcels).",
        epilog="Exit codes: 0 computed (parcels without usable land are listed, not an error); 2 "
        "bad input (unreadable file, a town without control lines, no CRS, parcels that are not "
        "polygons, unknown project type, bad --out); 1 internal error.",
    )
    p.add_argument("path", help="a file of parcel polygons (.gpkg, .shp, .geojson …)")
    p.add_argument(
        "--town", required=True, help="the town whose control lines apply (.gpkg or folder)"
    )
    p.add_argument("--layer", help="the parcels' layer inside a multi-layer file")
    p.add_argument(
        "--project-type", default="building", help="what is to be built (default building)"
    )
    p.add_argument(
        "--min-width-m", type=float, help="side of the square that must fit, m (default 10)"
    )
    p.add_argument("--no-setbacks", action="store_true", help="take the lines only, no setbacks")
    p.add_argument("--widest", action="store_true", help="also measure the widest point (slower)")
    p.add_argument("--rules", help="a review rule file (TOML) overriding the packaged one")
    p.add_argument("--out", help="write every parcel to FILE.gpkg, FILE.xlsx or FILE.csv")
    add_input_options(p)
    p.set_defaults(func=cmd_buildable)
