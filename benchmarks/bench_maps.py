"""Benchmark: county plan maps with their review, offline, vs ``geopandas.explore`` (issue 17).

Data: the synthetic county of ``benchmarks/county.py`` (parcels as projects, the five control lines) and
its real review (``tp.review``): projects coloured by verdict, conflict overlaps by grade, lines by type,
popups with each feature's findings. Sizes: 10⁴ projects × 2·10³ lines and 10⁵ × 10⁴ (``--sizes``).

Variants, each written as one HTML file and opened from ``file://`` in Debian's Chromium with every host
unresolvable (``--host-resolver-rules=MAP * ~NOTFOUND``), so nothing can come from a CDN:

* ``compact`` — ``tp.plan_map(town, review=…)`` (``renderer="auto"`` picks the compact layers) +
  ``tp.save_map``.
* ``geojson`` — the same map with ``renderer="geojson"`` (one Leaflet object per feature), the renderer
  before issue 17; by default only at 10⁴ (``--geojson-max``).
* ``findings`` (``--findings``) — ``plan_map(findings_only=True)``: every conflict and only the
  projects that do not pass, what ``townplan map --findings-only`` draws for 10⁶ projects.
* ``explore`` — ``geopandas.explore`` on the same three frames: ``verdicts.explore(column="verdict",
  popup=True, tooltip=True, legend=False, tiles=None)``, then conflicts by ``grade`` and lines by
  ``line_type`` onto the same map, in EPSG:4326. Made offline by ``tp.save_map``, which inlines Leaflet
  and jQuery from the ``xstatic`` packages and drops Bootstrap / Font Awesome (only ``folium.Icon``
  markers use them). ``legend=False`` because explore's categorical legend loads jQuery UI from a CDN,
  which is not packaged; colours and popups are explore's own. Built in a subprocess with a timeout
  (``--explore-timeout``): at 10⁵ it can run for minutes.

Measured per variant (median of ``--repeat`` page loads; build time median of ``--build-repeat``):

* size of the HTML file, and build time (map + ``save_map``, the review excluded);
* ``drawn``: ``performance.now()`` when every layer has painted (compact: ``townplan.idle()``; the
  others: the second animation frame after ``load``; every script is inline and synchronous);
* ``popup``: ``performance.now()`` when the popup of a click on a known passing project (issued as
  soon as the map was drawn) is on screen — the time-to-interactive figure. At county zoom a parcel
  may be a pixel among its neighbours, so the popup is that of whatever is drawn on top there;
  ``popup ok`` checks, zoomed in on the project (zoom 17), that a click opens the project's own popup;
* ``zoom`` / ``pan``: milliseconds from ``setZoom(+1)`` / ``panBy`` to the second animation frame after;
* JS heap after load (Chrome DevTools ``Performance.getMetrics``), and ``uptime`` load averages, since
  other jobs may share the machine.

Run: ``python benchmarks/bench_maps.py [--sizes 10000 100000] [--repeat 3] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import shapely
from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).parent))
from county import make_county

import townplan_gis as tp
from townplan_gis.maps.layers import to_display

ARGS = ["--no-sandbox", "--disable-gpu", "--headless", "--host-resolver-rules=MAP * ~NOTFOUND"]
LINES_FOR = {10_000: 2_000}  # 10⁴ × 2·10³ as in the issue; otherwise make_county's n // 10
MAP_JS = "window[Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)]"
POPUP_WAIT_S = 30.0  # after a click on a drawn map: no popup by then counts as none


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def county(n: int):
    c = make_county(n, n_lines=LINES_FOR.get(n))
    review = tp.review(c["projects"], c["control_lines"])
    town = tp.Town("county", layers=c)
    return town, review


def build_townplan(town, review, path: Path, variant: str) -> float:
    t = time.perf_counter()
    renderer = "compact" if variant == "findings" else variant
    findings = variant == "findings"
    m = tp.plan_map(town, review=review, basemap="none", renderer=renderer, findings_only=findings)
    tp.save_map(m, path)
    return time.perf_counter() - t


_EXPLORE = """
import sys, time, pickle
import townplan_gis as tp
frames = pickle.load(open(sys.argv[1], "rb"))
t = time.perf_counter()
v, c, l = (f.to_crs(4326) for f in frames)
m = v.explore(column="verdict", popup=True, tooltip=True, legend=False, tiles=None, name="verdicts")
c.explore(m=m, column="grade", popup=True, tooltip=True, legend=False, name="conflicts")
l.explore(m=m, column="line_type", popup=True, tooltip=True, legend=False, name="lines")
tp.save_map(m, sys.argv[2])
print(time.perf_counter() - t)
"""


def explore_frames(town, review):
    """The three frames with the columns the plan map's popups show (geometry-only columns dropped)."""
    keep_c = [c for c in review.conflicts.columns if not c.endswith("_en") and c != "reason_zh"]
    return (
        review.projects.drop(columns=["reason_zh"]),
        review.conflicts[keep_c],
        town.control_lines,
    )


def build_explore(frames_pickle: Path, path: Path, timeout: float) -> float | None:
    try:
        out = subprocess.run(
            [sys.executable, "-c", _EXPLORE, str(frames_pickle), str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def known_project(town, review) -> tuple[str, float, float]:
    """The passing project farthest from any conflict or control line, and a point inside it.

    At county zoom a parcel is a few pixels across among conflict markers: a click near one opens
    that conflict's popup, rightly. The known project is the one a click cannot mistake.
    """
    v = review.projects
    ok = v[(v["verdict"] == "pass") & (v["n_conflicts"] == 0)]
    ok = ok.iloc[:: max(1, len(ok) // 2000)]  # 2,000 candidates: nearest queries are not free
    pts = shapely.point_on_surface(ok.geometry.array)
    others = np.concatenate(
        [
            review.conflicts.geometry.to_crs(ok.crs).array,
            town.control_lines.geometry.to_crs(ok.crs).array,
        ]
    )
    _idx, dist = shapely.STRtree(others).query_nearest(pts, return_distance=True, all_matches=False)
    best = int(np.argmax(dist))
    shown = to_display(ok.iloc[[best]])
    x, y = shapely.get_coordinates(shapely.point_on_surface(shown.array))[0]
    return str(ok["project_id"].iloc[best]), float(x), float(y)


def renderer_rss_mb() -> float | None:
    """Resident memory of the largest Chromium renderer process (one page is open at a time):
    typed arrays and canvases live outside the JS heap, so the heap alone understates a map."""
    try:
        import psutil
    except ImportError:
        return None
    sizes = []
    for proc in psutil.process_iter(["name", "cmdline", "memory_info"]):
        cmd = proc.info.get("cmdline") or []
        if "--type=renderer" in cmd and proc.info.get("memory_info"):
            sizes.append(proc.info["memory_info"].rss)
    return max(sizes) / 1e6 if sizes else None


def measure(browser, path: Path, project: tuple[str, float, float], timeout_s: float) -> dict:
    pid, lon, lat = project
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    out: dict = {"load": load()}
    try:
        page.goto(path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
        compact = page.evaluate("!!(window.townplan && townplan.idle)")
        if compact:
            page.wait_for_function("townplan.idle()", timeout=timeout_s * 1000)
        out["drawn_s"] = (
            page.evaluate(
                "new Promise(r => requestAnimationFrame(() => requestAnimationFrame("
                "() => r(performance.now()))))"
            )
            / 1000
        )

        # Click the known project as soon as the map is drawn; time until a popup is on screen.
        # At county zoom a parcel may be a pixel among its neighbours' markers: the popup is then
        # the topmost thing drawn there, so which project it shows is checked zoomed in, below.
        def click_project() -> str | None:
            x, y = page.evaluate(
                f"ll => {{ const c = {MAP_JS}.latLngToContainerPoint([ll[1], ll[0]]);"
                " return [c.x, c.y]; }",
                [lon, lat],
            )
            box = page.evaluate(f"{MAP_JS}.getContainer().getBoundingClientRect().toJSON()")
            page.mouse.click(box["x"] + x, box["y"] + y)
            try:
                page.wait_for_selector(".leaflet-popup-content", timeout=POPUP_WAIT_S * 1000)
            except PlaywrightTimeout:
                return None
            return page.evaluate("document.querySelector('.leaflet-popup-content').innerText")

        text = click_project()
        out["popup_s"] = page.evaluate("performance.now()") / 1000 if text is not None else None
        out["popup_title"] = text.splitlines()[0] if text else None
        for name, call in (
            ("zoom_ms", "setZoom(map.getZoom() + 1, {animate: false})"),
            ("pan_ms", "panBy([250, 120], {animate: false})"),
        ):
            out[name] = page.evaluate(
                f"""new Promise(r => {{ const map = {MAP_JS}, t = performance.now(); map.{call};
                requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - t))); }})"""
            )
        # Zoomed in on the known project (zoom 17, ~1 m per pixel), a click opens its own popup.
        page.evaluate(
            f"ll => {{ {MAP_JS}.closePopup(); {MAP_JS}.setView([ll[1], ll[0]], 17, {{animate: false}}); }}",
            [lon, lat],
        )
        page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        # A closed popup fades out for 200 ms before it leaves the page: wait for it to go.
        page.wait_for_selector(".leaflet-popup-content", state="detached", timeout=5000)
        text = click_project()
        out["popup_ok"] = text is not None and pid in text
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        out["heap_mb"] = metrics.get("JSHeapUsedSize", float("nan")) / 1e6
        out["renderer_mb"] = renderer_rss_mb()
        if compact:
            out["layers"] = page.evaluate("JSON.parse(JSON.stringify(townplan.layers))")
    except Exception as exc:  # a timeout or a crashed page is a result, not a benchmark failure
        out["failed"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    out["errors"] = errors[:3]
    page.close()
    return out


def run_size(n: int, args, browser, out_dir: Path) -> list[dict]:
    town, review = county(n)
    counts = {
        "projects": len(review.projects),
        "conflicts": len(review.conflicts),
        "lines": len(town.control_lines),
    }
    project = known_project(town, review)
    print(f"\n== {n:,} projects: {counts}, known project {project[0]} (load {load()})", flush=True)
    variants = ["compact"]
    if args.findings:
        variants.append("findings")
    if n <= args.geojson_max:
        variants.append("geojson")
    if not args.no_explore:
        variants.append("explore")
    results = []
    frames_pickle = out_dir / f"frames_{n}.pkl"
    if "explore" in variants:
        import pickle

        frames_pickle.write_bytes(pickle.dumps(explore_frames(town, review)))
    for variant in variants:
        path = out_dir / f"{variant}_{n}.html"
        builds = []
        reps = args.build_repeat if variant != "explore" else args.explore_repeat
        for _ in range(reps):
            if variant == "explore":
                b = build_explore(frames_pickle, path, args.explore_timeout)
            else:
                b = build_townplan(town, review, path, variant)
            builds.append((b, load()))
            if b is None:
                break
        ok_builds = [b for b, _l in builds if b is not None]
        row = {
            "size": n,
            "variant": variant,
            **counts,
            "builds_s": [b for b, _l in builds],
            "build_loads": [lo for _b, lo in builds],
            "build_s": statistics.median(ok_builds) if ok_builds else None,
        }
        if not ok_builds:
            row["failed"] = f"build > {args.explore_timeout:.0f} s (stopped)"
            results.append(row)
            print(f"{variant:8s} build stopped after {args.explore_timeout:.0f} s", flush=True)
            continue
        row["mb"] = path.stat().st_size / 1e6
        runs = [measure(browser, path, project, args.page_timeout) for _ in range(args.repeat)]
        row["runs"] = runs
        good = [r for r in runs if "failed" not in r]
        for key in ("drawn_s", "popup_s", "zoom_ms", "pan_ms", "heap_mb", "renderer_mb"):
            vals = [r[key] for r in good if r.get(key) is not None]
            row[key] = statistics.median(vals) if vals else None
        row["popup_ok"] = all(r.get("popup_ok") for r in good) and bool(good)
        if len(good) < len(runs):
            row["failed"] = next(r["failed"] for r in runs if "failed" in r)
        results.append(row)
        print(summary_line(row), flush=True)
    return results


def summary_line(r: dict) -> str:
    def f(v, fmt):
        return format(v, fmt) if isinstance(v, (int, float)) else "—"

    loads = "; ".join(r.get("build_loads", [])[:1] + [x["load"] for x in r.get("runs", [])][:3])
    return (
        f"{r['variant']:8s} {f(r.get('mb'), '8.2f')} MB  build {f(r.get('build_s'), '6.2f')} s  "
        f"drawn {f(r.get('drawn_s'), '6.2f')} s  popup {f(r.get('popup_s'), '6.2f')} s  "
        f"zoom {f(r.get('zoom_ms'), '6.0f')} ms  pan {f(r.get('pan_ms'), '6.0f')} ms  "
        f"heap {f(r.get('heap_mb'), '6.0f')} MB  renderer {f(r.get('renderer_mb'), '6.0f')} MB  "
        f"popup ok {r.get('popup_ok')}  "
        f"{r.get('failed', '')}  [load {loads}]"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3, help="page loads per file")
    ap.add_argument("--build-repeat", type=int, default=3, help="builds per townplan variant")
    ap.add_argument("--explore-repeat", type=int, default=1, help="builds of the explore map")
    ap.add_argument("--explore-timeout", type=float, default=900.0)
    ap.add_argument("--page-timeout", type=float, default=180.0)
    ap.add_argument("--geojson-max", type=int, default=10_000)
    ap.add_argument("--no-explore", action="store_true")
    ap.add_argument(
        "--findings",
        action="store_true",
        help="also the findings-only map (every conflict, projects that do not pass)",
    )
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument("--keep", type=Path, help="folder for the HTML files (default: a temp dir)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench_maps_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        version = browser.version
        for n in args.sizes:
            results += run_size(n, args, browser, out_dir)
        browser.close()
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "chromium": version,
        "platform": platform.platform(),
        "started_utc": started.isoformat(timespec="seconds"),
        "files": str(out_dir),
    }
    print(f"\n{machine}")
    print(
        "| size | variant | HTML MB | build s | drawn s | popup s | zoom ms | pan ms | JS heap MB "
        "| renderer MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        cells = [
            f"{r['size']:,}",
            r["variant"],
            *(
                "—" if r.get(k) is None else f"{r[k]:{fmt}}"
                for k, fmt in (
                    ("mb", ".2f"),
                    ("build_s", ".2f"),
                    ("drawn_s", ".2f"),
                    ("popup_s", ".2f"),
                    ("zoom_ms", ".0f"),
                    ("pan_ms", ".0f"),
                    ("heap_mb", ".0f"),
                    ("renderer_mb", ".0f"),
                )
            ),
        ]
        print("| " + " | ".join(cells) + " |" + (f" {r['failed']}" if r.get("failed") else ""))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": results}, indent=1))


if __name__ == "__main__":
    main()
