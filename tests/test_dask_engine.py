"""The dask engine gives exactly the in-memory engine's review, on a real 2-worker cluster.

The cluster is a ``distributed.LocalCluster`` with two worker *processes* (one thread each), so the
prepared control lines really travel by pickling and lose their prepared GEOS state, as on a
multi-node cluster.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from townplan_gis.fiveline import dask as dask_engine  # noqa: E402
from townplan_gis.fiveline import review  # noqa: E402
from townplan_gis.fiveline.dask import hilbert_distance, hilbert_order, partition  # noqa: E402

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_860_000.0
TYPES = np.array(["building", "road", "park", "utility", "renovation", "heritage", "agriculture"])


def _data(n: int = 1500, m: int = 160, seed: int = 3):
    """Random parcels (with lines, points, an invalid bow-tie, an empty, a None) and control lines."""
    rng = np.random.default_rng(seed)
    side = 3000.0
    cx, cy = X0 + rng.uniform(0, side, n), Y0 + rng.uniform(0, side, n)
    w, h = rng.uniform(10, 60, n), rng.uniform(10, 60, n)
    geoms = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2).astype(object)
    k = n // 10
    geoms[:k] = shapely.linestrings(
        np.stack(
            [np.stack([cx[:k], cy[:k]], -1), np.stack([cx[:k] + w[:k] * 3, cy[:k] + h[:k]], -1)], 1
        )
    )
    geoms[k : 2 * k] = shapely.points(cx[k : 2 * k], cy[k : 2 * k])
    geoms[2 * k] = Polygon([(X0, Y0), (X0 + 50, Y0 + 50), (X0 + 50, Y0), (X0, Y0 + 50)])  # bow-tie
    geoms[2 * k + 1] = Polygon()
    geoms[2 * k + 2] = None
    index = rng.permutation(n) * 7  # a shuffled, non-default index must survive
    projects = gpd.GeoDataFrame(
        {
            "project_id": [f"P{i:05d}" for i in range(n)],
            "name": [f"项目{i}" for i in range(n)],
            "project_type": rng.choice(TYPES, n),
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS, index=index),
        index=index,
    )
    lt = rng.choice(np.array(["red", "green", "purple", "blue", "yellow"]), m)
    lx, ly = X0 + rng.uniform(0, side, m), Y0 + rng.uniform(0, side, m)
    r = rng.uniform(20, 200, m)
    lines_g = shapely.buffer(shapely.points(lx, ly), r, quad_segs=6).astype(object)
    # A long meandering river with far more vertices than max_vertices, so pieces are exercised.
    t = np.linspace(0, side, 900)
    river = LineString(np.stack([X0 + t, Y0 + side / 2 + 300 * np.sin(t / 150)], -1)).buffer(40)
    lines_g[0] = river
    lt[0] = "blue"
    zone = np.where(lt == "purple", rng.choice(np.array(["core", "control"]), m), None)
    lines = gpd.GeoDataFrame(
        {
            "line_type": lt,
            "zone": zone,
            "name": [f"L{i}" for i in range(m)],
            "code": [f"C{i:04d}" for i in range(m)],
        },
        geometry=gpd.GeoSeries(lines_g, crs=CRS),
    )
    return projects, lines


@pytest.fixture(scope="module")
def data():
    return _data()


@pytest.fixture(scope="module")
def expected(data):
    projects, lines = data
    return review(projects, lines, chunk_size=400)


@pytest.fixture(scope="module")
def cluster():
    # Processes, not threads: the control lines are pickled to the workers as on a real cluster.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cl:
        yield cl


def _assert_same(a, b):
    # Both engines give the rows in the projects' input order: identical frames, row for row.
    pd.testing.assert_frame_equal(a.projects, b.projects)
    ca, cb = a.conflicts, b.conflicts
    pd.testing.assert_frame_equal(ca.drop(columns="geometry"), cb.drop(columns="geometry"))
    assert bool(ca.geometry.geom_equals_exact(cb.geometry, tolerance=0).all())
    pd.testing.assert_frame_equal(a.summary, b.summary)


def test_expected_review_is_not_trivial(expected):
    # Guards the identity tests below against comparing two empty results.
    c = expected.conflicts
    assert len(c) > 300
    assert {"red", "green", "purple", "blue", "yellow"} <= set(c["line_type"])
    assert (c["line_type"] == "blue").sum() > 10  # the subdivided river
    assert set(expected.projects["verdict"]) >= {"pass", "reject", "invalid"}


def test_expected_review_measures_the_right_geometries(data, expected):
    # Each polygon overlap equals shapely's intersection of that very project and line, which
    # catches any misalignment between project rows and geometries (e.g. with a shuffled index).
    projects, lines = data
    c = expected.conflicts
    c = c[(c["check"] == "overlap") & (c["overlap_area_m2"] > 0)]
    a = projects.set_index("project_id").geometry.reindex(c["project_id"]).to_numpy()
    b = lines.set_index("code").geometry.reindex(c["line_id"]).to_numpy()
    # Absolute 1e-9 m²: numpy and GEOS clipping differ by ~2e-12 m² on sub-millimetre slivers.
    np.testing.assert_allclose(
        c["overlap_area_m2"].to_numpy(),
        shapely.area(shapely.intersection(a, b)),
        rtol=1e-9,
        atol=1e-9,
    )


def test_dask_cluster_gives_identical_review(data, expected, cluster):
    projects, lines = data
    with distributed.Client(cluster):
        got = review(projects, lines, engine="dask", chunk_size=400)
    _assert_same(expected, got)


def test_run_accepts_a_scheduler_address(data, cluster):
    from townplan_gis.fiveline.chunk import review_chunk
    from townplan_gis.fiveline.conflicts import conflicts_frame
    from townplan_gis.fiveline.fast import Fast
    from townplan_gis.fiveline.lines import prepare_lines
    from townplan_gis.fiveline.prepare import choose_crs, prepare_lines_frame, prepare_projects
    from townplan_gis.fiveline.rows import Rows
    from townplan_gis.fiveline.rules import load_rules

    projects, lines = data
    rules = load_rules(None)
    crs = choose_crs(projects, lines)
    frame, _ = prepare_lines_frame(lines, crs)
    prepared, _ = prepare_projects(projects, crs)
    prepped = prepare_lines(frame, rules)
    settings = {"setbacks": True}
    works = list(
        dask_engine.run(
            prepared,
            prepped,
            rules,
            settings,
            Fast(prepped),
            client=cluster.scheduler_address,
            npartitions=7,
        )
    )
    assert len(works) == 7 and sum(w.n_projects for w in works) == len(prepared)
    rows = Rows.concat([w.rows for w in works])
    got = conflicts_frame(rows.take(np.argsort(rows.pos, kind="stable")), prepared, prepped)
    whole = review_chunk(prepared, prepped, rules, settings)
    pd.testing.assert_frame_equal(
        whole.drop(columns=["geometry", "_pos", "_line"]), got.drop(columns="geometry")
    )


def test_local_threaded_scheduler_without_client(data, expected):
    projects, lines = data
    got = review(projects, lines, engine="dask", chunk_size=300)
    _assert_same(expected, got)


def test_empty_projects(data):
    projects, lines = data
    got = review(projects.iloc[:0], lines, engine="dask")
    assert len(got.projects) == 0 and len(got.conflicts) == 0


def test_hilbert_distance_is_a_continuous_bijection():
    # On a 2^k grid the curve visits every cell once, each step to an edge-neighbour.
    for level in (1, 2, 4):
        n = 1 << level
        xs, ys = (a.ravel().astype(float) for a in np.meshgrid(np.arange(n), np.arange(n)))
        d = hilbert_distance(xs, ys, (0, 0, n - 1, n - 1), level=level)
        assert sorted(d.tolist()) == list(range(n * n))
        o = np.argsort(d)
        steps = np.abs(np.diff(xs[o])) + np.abs(np.diff(ys[o]))
        assert set(steps.tolist()) == {1.0}
    # Level 1 by hand: (0,0) → 0, (0,1) → 1, (1,1) → 2, (1,0) → 3.
    d = hilbert_distance(np.array([0.0, 0, 1, 1]), np.array([0.0, 1, 1, 0]), (0, 0, 1, 1), level=1)
    assert d.tolist() == [0, 1, 2, 3]


def test_hilbert_order_puts_missing_geometries_last():
    g = np.array([box(10, 10, 11, 11), None, Point(0, 0), Polygon(), Point(10, 0)], dtype=object)
    order = hilbert_order(g)
    assert sorted(order.tolist()) == [0, 1, 2, 3, 4]
    assert order[-2:].tolist() == [1, 3]


def test_partitions_cover_every_row_once_and_are_compact(data):
    projects, _ = data
    parts = partition(projects, 8)
    assert len(parts) == 8
    idx = np.concatenate([p.index.to_numpy() for p in parts])
    assert sorted(idx.tolist()) == sorted(projects.index.tolist())
    # Compact: the partitions' bounding boxes together cover far less than 8 × the whole extent.
    whole = shapely.box(*projects.total_bounds).area
    boxes = sum(shapely.box(*p.geometry.dropna().total_bounds).area for p in parts)
    assert boxes < 3 * whole


def test_review_forwards_client_and_rows_match_without_reordering(data, expected, cluster):
    projects, lines = data
    got = review(
        projects,
        lines,
        engine="dask",
        client=cluster.scheduler_address,
        npartitions=5,
        chunk_size=400,
    )
    # the in-memory engine orders rows by project input position too: identical frames outright
    pd.testing.assert_frame_equal(
        expected.conflicts.drop(columns="geometry"), got.conflicts.drop(columns="geometry")
    )
    pd.testing.assert_frame_equal(expected.projects, got.projects)


def test_in_memory_rows_do_not_depend_on_chunk_size(data, expected):
    projects, lines = data
    other = review(projects, lines, chunk_size=97)
    pd.testing.assert_frame_equal(
        expected.conflicts.drop(columns="geometry"), other.conflicts.drop(columns="geometry")
    )


def test_dask_cluster_gives_identical_review_with_projects_outside_the_coverage(data, cluster):
    # A town over the western half of the 3 km square: about half the projects are not checked,
    # each with its own text (its m² and % outside), which the partitions carry to the workers.
    projects, lines = data
    town = box(X0 - 100, Y0 - 100, X0 + 1500, Y0 + 3100)
    expected = review(projects, lines, coverage=town, chunk_size=400)
    outside = expected.projects["outside_coverage_pct"] > 0
    assert 0.3 < outside.mean() < 0.7
    assert (expected.projects["verdict"] == "not_checked").sum() > 100
    assert (
        expected.projects.loc[outside, "reason"].str.contains("outside the review coverage").all()
    )
    with distributed.Client(cluster):
        got = review(projects, lines, coverage=town, engine="dask", chunk_size=400)
    _assert_same(expected, got)


def test_partitions_carry_plain_texts_of_their_own_rows(data):
    import pyarrow as pa

    from townplan_gis.fiveline.text import coded_series

    projects, _ = data
    texts = pa.array([f"outside: {i} m²" for i in range(len(projects))])
    coded = projects.assign(_incomplete=coded_series(texts, index=projects.index))
    for part in partition(coded, 4):
        assert not isinstance(part["_incomplete"].dtype, pd.ArrowDtype)  # decoded
        assert part["_incomplete"].tolist() == [
            f"outside: {projects.index.get_loc(i)} m²" for i in part.index
        ]
