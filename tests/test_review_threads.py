"""The threaded engine shares no prepared GEOS geometry between threads.

GEOS builds a prepared geometry's indexes lazily and without a lock. Before each worker thread
prepared its own copies, two threads calling a predicate on the same prepared control-line pieces
crashed the interpreter (segfault) on this very workload, at its first review. The workload covers
polygon projects (``covers``/``intersects`` on prepared pieces), line projects
(``contains_properly`` on prepared whole polygons) and setbacks. The workload runs in a subprocess
so that a crash fails this test instead of killing the test session.
"""

import subprocess
import sys
import textwrap

import pandas as pd

import townplan_gis as tp

WORKLOAD = textwrap.dedent(
    """
    import numpy as np, pandas as pd, geopandas as gpd, shapely, townplan_gis as tp
    rng = np.random.default_rng(7)
    n, k = {n}, {k}
    x, y = 500_000 + rng.uniform(0, 3000, n), 3_850_000 + rng.uniform(0, 3000, n)
    projects = gpd.GeoDataFrame(
        {{"project_id": [f"P{{i}}" for i in range(n)], "project_type": ["building"] * n}},
        geometry=shapely.box(x, y, x + 8, y + 8), crs="EPSG:4546")
    cx, cy = 500_000 + rng.uniform(0, 3000, k), 3_850_000 + rng.uniform(0, 3000, k)
    discs = shapely.buffer(shapely.points(cx, cy), 120, quad_segs=60)
    lines = gpd.GeoDataFrame({{"line_type": ["green"] * k}}, geometry=discs, crs="EPSG:4546")
    # Line projects use the whole polygons, prepared per thread on first use.
    roads = gpd.GeoDataFrame(
        {{"project_id": [f"R{{i}}" for i in range(n // 4)], "project_type": ["road"] * (n // 4)}},
        geometry=shapely.linestrings(
            np.stack([np.column_stack([x[: n // 4], y[: n // 4]]),
                      np.column_stack([x[: n // 4] + 300, y[: n // 4] + 40])], axis=1)),
        crs="EPSG:4546")
    mixed = gpd.GeoDataFrame(pd.concat([projects, roads], ignore_index=True), crs="EPSG:4546")
    """
)


def _frames(n: int, k: int):
    scope: dict = {}
    exec(WORKLOAD.format(n=n, k=k), scope)
    return scope["projects"], scope["lines"]


def test_threads_with_small_chunks_do_not_crash():
    code = WORKLOAD.format(n=20_000, k=400) + textwrap.dedent(
        """
        for _ in range(3):
            tp.review(projects, lines, chunk_size=200, n_jobs=2, setbacks=False, progress=False)
        tp.review(mixed, lines.assign(line_type="blue"), chunk_size=200, n_jobs=2, progress=False)
        # the reference engine's predicates run on pieces each thread prepares for itself
        tp.review(mixed, lines, engine="reference", chunk_size=200, n_jobs=2, progress=False)
        # dask's local threaded scheduler shares the broadcast lines between its threads too
        tp.review(projects, lines, engine="dask", chunk_size=200, setbacks=False, progress=False)
        print("ok")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    assert proc.stdout.strip() == "ok"


def test_threads_give_the_serial_result():
    projects, lines = _frames(3000, 60)
    key = ["project_id", "line_id"]
    serial = tp.review(projects, lines, engine="serial", setbacks=False, progress=False)
    threaded = tp.review(projects, lines, chunk_size=100, n_jobs=2, setbacks=False, progress=False)
    a = serial.conflicts.sort_values(key)[[*key, "overlap_area_m2"]].reset_index(drop=True)
    b = threaded.conflicts.sort_values(key)[[*key, "overlap_area_m2"]].reset_index(drop=True)
    assert len(a) > 500
    pd.testing.assert_frame_equal(a, b)
    # 8 m squares in 120 m discs: most overlaps are whole projects, the covers shortcut
    assert (serial.conflicts["pct_of_project"] > 99.999).mean() > 0.5


def test_shared_pieces_are_never_prepared_and_prepared_copies_are_private():
    import shapely

    from townplan_gis.fiveline.lines import prepare_lines
    from townplan_gis.fiveline.prepare import prepare_lines_frame
    from townplan_gis.fiveline.rules import load_rules

    _, lines = _frames(500, 40)
    frame, _ = prepare_lines_frame(lines, lines.crs)
    shared = prepare_lines(frame, load_rules(None), n_jobs=2)
    assert not shapely.is_prepared(shared.pieces).any()  # threads may share these
    plain = shared.for_thread(prepared=False)
    assert plain is not shared and plain.pieces is shared.pieces
    own = shared.for_thread()
    assert shapely.is_prepared(own.pieces).all()
    assert not any(a is b for a, b in zip(own.pieces, shared.pieces, strict=True))
    assert not shapely.is_prepared(shared.pieces).any()
