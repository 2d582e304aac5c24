"""``townplan import-osm FILE --out TOWN.gpkg``: a Town from an OpenStreetMap extract."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from townplan_gis.cli.common import EXIT_OK, number, print_frame
from townplan_gis.core.errors import OutputPathError
from townplan_gis.io.files import read_layer, write_town
from townplan_gis.io.osm import read_osm


def _boundary(value: str | None) -> Any:
    """``--boundary``: an existing file is read as the boundary layer; anything else names the
    administrative area in the extract (its name, or its admin_level as digits)."""
    if value is None:
        return None
    if Path(value).is_file():
        return read_layer(value)
    return value


def cmd_import_osm(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix.lower() != ".gpkg":
        raise OutputPathError(
            f"--out {args.out}: import-osm writes one GeoPackage. Fix: name a .gpkg file, e.g. "
            f"--out {out.with_suffix('.gpkg').name}."
        )
    if out.exists() and out.is_dir():
        raise OutputPathError(f"--out {args.out}: is a folder. Fix: name a .gpkg file.")
    town = read_osm(
        args.file,
        boundary=_boundary(args.boundary),
        builtup=args.builtup,
        population=args.population,
        crs=args.crs,
        name=args.name,
        mapping=args.mapping,
    )
    write_town(town, out)
    epsg = town.crs.to_epsg() if town.crs is not None else None
    pop = "unknown" if town.population is None else f"{town.population:,.0f}"
    print(f"{town.name}: population {pop}, analysis CRS EPSG:{epsg}")
    print_frame(town.summary()[["layer", "label_zh", "features", "geometry"]])
    if town.metadata.get("builtup_estimated"):
        print(f"built-up area: ESTIMATED ({town.metadata.get('builtup_source', '')})")
    rep = town.repairs
    counts = rep["action"].value_counts()
    print(
        f"import log ({len(rep)} entries, kept in the town's record): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print(f"written: {out}")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import-osm",
        help="build a town GeoPackage from an OpenStreetMap extract (.osm, .osm.pbf)",
        description="Read roads, green land, water, heritage, facilities, street lights, residential "
        "areas, the boundary and the built-up area from an OpenStreetMap extract, map OSM tags to "
        "the town's classes (townplan_gis/data/osm.toml, or --mapping), cut everything to the "
        "extract's bounds or the boundary, and write a town GeoPackage. Every mapping choice, "
        "default and skipped feature is recorded in the town's repairs (townplan info shows them).",
        epilog="Exit codes: 0 written; 2 bad input (unreadable extract, a boundary name that "
        "matches no or several areas, a bad mapping file or --out).",
    )
    p.add_argument("file", help="the OpenStreetMap extract (.osm XML or .osm.pbf)")
    p.add_argument(
        "--boundary",
        help="the town boundary: the name or admin_level of an administrative area in the extract, "
        "or a polygon file",
    )
    p.add_argument("--builtup", help="a built-up area polygon file (else estimated, and said so)")
    p.add_argument(
        "--population",
        type=number(positive=True),
        help="resident population (else the place node's population tag, recorded as such)",
    )
    p.add_argument("--crs", help="metric analysis CRS (default CGCS2000 3-degree GK zone, or UTM)")
    p.add_argument("--name", help="the town's name (default: the boundary's or place's name)")
    p.add_argument("--mapping", help="a TOML file overriding parts of the OSM mapping tables")
    p.add_argument("--out", required=True, help="the town GeoPackage to write (TOWN.gpkg)")
    p.set_defaults(func=cmd_import_osm)
