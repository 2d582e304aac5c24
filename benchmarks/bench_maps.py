"""Benchmark: plan map of 10,000 parcel polygons + the five lines vs plain ``GeoDataFrame.explore()``.

Budget (issue 5): at most 5 MB of HTML, features shown within 3 s in headless Chromium. Both maps are
built from the same data and exported self-contained with :func:`townplan_gis.save_map` (the baseline
needs it too: the machine has no network, and a CDN page would stay blank), then opened from
``file://`` in Debian's Chromium with DNS blocked.

"Shown" = ``performance.now()`` at the second animation frame after the ``load`` event: every script
is inline and synchronous, so by then the features have been added and painted.

Run: ``python benchmarks/bench_maps.py [--n 10000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

import townplan_gis as tp

CRS = "EPSG:4546"
X0, Y0 = 430_000.0, 3_850_000.0
ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--host-resolver-rules=MAP * ~NOTFOUND"]


def parcels(n: int, *, vertices: int = 21, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` irregular parcels of ``vertices`` vertices on a 40 m grid (vectorised)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    cx, cy = X0 + (i % side) * 40.0, Y0 + (i // side) * 40.0
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = 14 + 4 * rng.random((n, vertices))
    xs = cx[:, None] + radius * np.cos(angles)
    ys = cy[:, None] + radius * np.sin(angles)
    ring = np.stack([xs, ys], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    geoms = shapely.polygons(ring)
    return gpd.GeoDataFrame(
        {"households": rng.integers(1, 40, n).astype(float), "name": [f"地块{k}" for k in i]},
        geometry=geoms,
        crs=CRS,
    )


def five_lines(extent: float) -> gpd.GeoDataFrame:
    b = shapely.box
    rows = [
        ("red", None, b(X0, Y0 + extent / 2 - 15, X0 + extent, Y0 + extent / 2 + 15)),
        ("red", None, b(X0 + extent / 2 - 12, Y0, X0 + extent / 2 + 12, Y0 + extent)),
        ("green", None, b(X0 + 100, Y0 + 100, X0 + 600, Y0 + 400)),
        ("purple", "core", b(X0 + 1000, Y0 + 1000, X0 + 1300, Y0 + 1300)),
        ("purple", "control", b(X0 + 900, Y0 + 900, X0 + 1400, Y0 + 1400)),
        ("purple", "harmony", b(X0 + 800, Y0 + 800, X0 + 1500, Y0 + 1500)),
        ("blue", None, shapely.LineString([(X0 - 50, Y0), (X0 + 300, Y0 + extent)]).buffer(40)),
        ("yellow", None, b(X0 + extent - 500, Y0 + 100, X0 + extent - 300, Y0 + 300)),
    ]
    return gpd.GeoDataFrame(
        {
            "line_type": [r[0] for r in rows],
            "zone": [r[1] for r in rows],
            "name": [f"L{k}" for k in range(len(rows))],
        },
        geometry=[r[2] for r in rows],
        crs=CRS,
    )


def build_ours(p: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, path: Path, **kw) -> float:
    t = time.perf_counter()
    town = tp.Town("bench", layers={"residential": p, "control_lines": lines})
    m = tp.plan_map(town, basemap="none", **kw)
    tp.save_map(m, path)
    return time.perf_counter() - t


def build_baseline(p: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, path: Path) -> float:
    t = time.perf_counter()
    m = p.explore(tiles=None)
    lines.explore(m=m, color="red")
    tp.save_map(m, path)  # inline Leaflet so it can render without network
    return time.perf_counter() - t


def shown_seconds(browser, path: Path) -> tuple[float, int, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load", timeout=120_000)
    ms = page.evaluate(
        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"
    )
    drawn = page.evaluate(
        "window.townplan ? townplan.drawn : document.querySelectorAll('.leaflet-overlay-pane path').length"
    )
    page.close()
    return ms / 1000, drawn, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    p = parcels(args.n)
    extent = float(np.ceil(np.sqrt(args.n)) * 40)
    lines = five_lines(extent)
    expected = len(p) + len(lines)
    out = Path(tempfile.mkdtemp(prefix="bench_maps_"))
    variants = {
        "townplan plan_map (canvas)": lambda f: build_ours(p, lines, f),
        "townplan plan_map (svg)": lambda f: build_ours(p, lines, f, canvas_threshold=10**9),
        "townplan plan_map simplify 1 m": lambda f: build_ours(p, lines, f, simplify_m=1.0),
        "GeoDataFrame.explore()": lambda f: build_baseline(p, lines, f),
    }
    results = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, build in variants.items():
            f = out / (name.split()[0].replace(".", "_") + f"_{len(results)}.html")
            build_s = statistics.median(build(f) for _ in range(args.repeat))
            shown = []
            for _ in range(args.repeat):
                s, drawn, errors = shown_seconds(browser, f)
                shown.append(s)
            results[name] = (
                f.stat().st_size / 1e6,
                build_s,
                statistics.median(shown),
                drawn,
                errors,
            )
        browser.close()
    print(
        f"{args.n} parcels ({21} vertices) + {len(lines)} control-line polygons; "
        f"median of {args.repeat}; files in {out}"
    )
    print(f"{'variant':34s} {'HTML MB':>8s} {'build s':>8s} {'shown s':>8s} {'drawn':>7s}  errors")
    for name, (mb, b, s, drawn, errors) in results.items():
        ok = "ok" if drawn == expected else f"MISSING ({expected} expected)"
        print(f"{name:34s} {mb:8.2f} {b:8.2f} {s:8.2f} {drawn:7d}  {len(errors)} {ok}")
    base = results["GeoDataFrame.explore()"]
    ours = results["townplan plan_map (canvas)"]
    print(
        f"ratio explore()/plan_map: size {base[0] / ours[0]:.1f}x, build {base[1] / ours[1]:.1f}x, "
        f"shown {base[2] / ours[2]:.1f}x"
    )
    print(
        f"budget (<= 5 MB, <= 3 s): size {'PASS' if ours[0] <= 5 else 'FAIL'}, "
        f"shown {'PASS' if ours[2] <= 3 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
