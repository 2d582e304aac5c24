"""Build the 2016 vintage of the sample town 蒲州镇 → layers/puzhou_2016.gpkg.

ILLUSTRATIVE, NOT SURVEYED. The town a year before the 2017 sample (``layers/build_puzhou.py``): the same
layers with what was built in 2016–2017 taken out, so that ``compare(before, after)`` has something to
show. Taken out or changed (all invented): 北街's eastern half (400 → 900 m) and 东街 not yet built,
南环路 still unpaved, the 中心游园 and 街角游园 parks, the street trees and lights of 西厢大街, the 鹳雀小区
quarter, the fitness square and the 北街 public toilet; no projects layer (the 2017 programme did not
exist yet). The population is the 2017 population less the reported growth of 3.1 % (12,600 / 1.031 →
12,221), so the growth measured between the vintages agrees with the town's own statistic. Statistics
are a little lower. Deterministic.

Run: ``python layers/build_puzhou_2016.py`` (writes ``layers/puzhou_2016.gpkg``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import shapely

import townplan_gis as tp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_puzhou  # noqa: E402  (the 2017 builder, next to this file)

POPULATION_2016 = round(12600 / 1.031)
EAST_OF_2016 = 400.0  # local x (m) where 北街 ended in 2016


def build() -> tp.Town:
    """The 2016 vintage, derived from the 2017 sample town (which is not modified)."""
    town = build_puzhou.build()
    x0 = build_puzhou.X0
    roads = town.roads.copy()
    roads = roads[roads["name"] != "东街"]
    north = roads["name"] == "北街"
    cut = shapely.box(-1e9, -1e9, x0 + EAST_OF_2016, 1e9)
    roads.loc[north, "geometry"] = shapely.intersection(roads.loc[north, "geometry"].array, cut)
    roads.loc[roads["name"] == "南环路", "surface"] = "unpaved"
    green = town.green[~town.green["name"].isin(["中心游园", "街角游园"])]
    canopy = town.canopy[town.canopy["name"] != "西厢大街行道树"]
    lights = town.streetlights
    # The LED lights along 西厢大街 (11 m either side of its centreline) came with the 2017 works.
    on_street = (lights.geometry.y - build_puzhou.Y0).abs().round(3).eq(11.0) & (
        (lights.geometry.x - x0).abs() <= 940
    )
    residential = town.residential[town.residential["name"] != "鹳雀小区"]
    facilities = town.facilities[~town.facilities["name"].isin(["全民健身广场", "北街公厕"])]
    layers = {kind: gdf for kind, gdf in town.layers.items() if kind not in ("projects",)}
    layers.update(
        roads=roads,
        green=green,
        canopy=canopy,
        streetlights=lights[~on_street],
        residential=residential,
        facilities=facilities,
    )
    return tp.Town(
        town.name,
        layers=layers,
        population=POPULATION_2016,
        statistics={
            "water_supply_coverage_pct": 95.0,
            "tap_water_coverage_pct": 96.0,
            "safe_drinking_water_pct": 100,
            "gas_coverage_pct": 38,
            "garbage_treatment_pct": 52,
            "sewage_treatment_pct": 40,
            "permit_rate_pct": 96,
            "flush_toilet_pct": 60,
            "population_growth_pct": 2.4,
            "well_equipped_streets_count": 1,
            "greening_plan_adopted": 1,
            "scattered_homestead_approvals": 0,
        },
        crs=town.crs,
        metadata={
            **town.metadata,
            "year": 2016,
            "note": "Illustrative 2016 vintage, not surveyed: the 2017 sample town with the works "
            "of 2016–2017 taken out (layers/build_puzhou_2016.py).",
            "source": "townplan_gis layers/build_puzhou_2016.py",
        },
    )


def main() -> Path:
    town = build()
    out = HERE / "puzhou_2016.gpkg"
    tp.write_town(town, out, crs=build_puzhou.STORE_CRS)
    print(f"wrote {out}: {town}")
    return out


if __name__ == "__main__":
    main()
