"""Hypothesis properties of the review kernel against a brute-force all-pairs shapely computation."""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import townplan_gis as tp

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0
LINE_TYPES = ["red", "green", "purple", "blue", "yellow"]


@st.composite
def polygon(draw, big=False):
    """A box, a rotated box, a many-vertex disc (subdivided when big), a triangle, an L (concave) or
    a box with a hole, in a 200 m square: convex and small (compiled clipping), concave or holed (GEOS,
    or Sutherland–Hodgman for a piece cut by a convex project)."""
    kind = draw(st.sampled_from(["box", "rot", "disc", "tri", "ell", "holed"]))
    x = draw(st.floats(0, 200, allow_nan=False))
    y = draw(st.floats(0, 200, allow_nan=False))
    w = draw(st.floats(0.5, 120 if big else 60))
    h = draw(st.floats(0.5, 120 if big else 60))
    if kind == "box":
        g = shapely.box(x, y, x + w, y + h)
    elif kind == "rot":
        from shapely import affinity

        g = affinity.rotate(
            shapely.box(x, y, x + w, y + h), draw(st.floats(0, 90)), origin="centroid"
        )
    elif kind == "tri":
        # Offsets in whole millimetres: a vertex 6e-8 m off a line makes the brute-force noding of
        # the line tests (not the kernel) unreliable.
        dy = round(draw(st.floats(-h, h)), 3)
        dx = round(draw(st.floats(0, w)), 3)
        g = shapely.Polygon([(x, y), (x + w, y + dy), (x + dx, y + h)])
        g = g if g.is_valid and g.area > 0.01 else shapely.box(x, y, x + w, y + h)
    elif kind == "ell":
        g = shapely.box(x, y, x + w, y + h).difference(
            shapely.box(x + w / 2, y + h / 2, x + w, y + h)
        )
    elif kind == "holed":
        g = shapely.box(x, y, x + w, y + h).difference(
            shapely.box(x + w / 4, y + h / 4, x + 3 * w / 4, y + 3 * h / 4)
        )
    else:
        g = shapely.Point(x, y).buffer(w / 2, quad_segs=draw(st.integers(2, 64)))
    from shapely import affinity

    return affinity.translate(g, X0, Y0)


def frames(projects, lines, types):
    p = gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(len(projects))], "project_type": "building"},
        geometry=list(projects),
        crs=CRS,
    )
    lz = [("purple", "control") if t == "purple" else (t, None) for t in types]
    line = gpd.GeoDataFrame(
        {
            "line_type": [t for t, _ in lz],
            "zone": [z for _, z in lz],
            "code": [f"L{i}" for i in range(len(lines))],
        },
        geometry=list(lines),
        crs=CRS,
    )
    return p, line


cases = st.tuples(
    st.lists(polygon(), min_size=1, max_size=12),
    st.lists(polygon(big=True), min_size=1, max_size=8),
).flatmap(
    lambda pl: st.tuples(
        st.just(pl[0]),
        st.just(pl[1]),
        st.lists(st.sampled_from(LINE_TYPES), min_size=len(pl[1]), max_size=len(pl[1])),
    )
)
fast = settings(
    max_examples=int(os.environ.get("TOWNPLAN_HYPOTHESIS_EXAMPLES", 40)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _areas(result):
    c = result.conflicts[result.conflicts["check"] == "overlap"]
    return dict(
        zip(zip(c["project_id"], c["line_id"], strict=True), c["overlap_area_m2"], strict=True)
    )


@fast
@given(cases)
def test_overlap_areas_equal_brute_force(case):
    prj, lns, types = case
    p, line = frames(prj, lns, types)
    r = tp.review(p, line, setbacks=False, max_vertices=16, chunk_size=5)
    got = _areas(r)
    # Brute force: every pair, plain shapely, no index, no subdivision.
    expected = {}
    for i, a in enumerate(prj):
        for j, b in enumerate(lns):
            area = shapely.intersection(a, b).area
            if area > 1e-6:
                expected[(f"P{i}", f"L{j}")] = area
    assert set(got) == set(expected)
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, rel=1e-7, abs=1e-6)


@fast
@given(cases)
def test_total_overlap_per_type_at_most_project_area(case):
    prj, lns, types = case
    p, line = frames(prj, lns, types)
    r = tp.review(p, line, setbacks=False, max_vertices=16)
    areas = np.array([g.area for g in prj])
    for lt in LINE_TYPES:
        tot = r.projects[f"{lt}_overlap_m2"].to_numpy()
        assert (tot <= areas * (1 + 1e-9) + 1e-6).all()
        # ...and it is the area of the union of that type's lines inside the project.
        union = shapely.union_all([g for g, t in zip(lns, types, strict=True) if t == lt])
        exact = np.array([shapely.intersection(g, union).area for g in prj])
        assert tot == pytest.approx(exact, rel=1e-7, abs=1e-5)


@fast
@given(cases, st.randoms(use_true_random=False))
def test_invariant_under_input_order(case, rnd):
    prj, lns, types = case
    p, line = frames(prj, lns, types)
    ref = tp.review(p, line, max_vertices=16)
    order_p = list(range(len(p)))
    order_l = list(range(len(line)))
    rnd.shuffle(order_p)
    rnd.shuffle(order_l)
    shuffled = tp.review(p.iloc[order_p], line.iloc[order_l], max_vertices=16)
    a, b = _areas(ref), _areas(shuffled)
    assert set(a) == set(b)
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-9, abs=1e-9)
    v = shuffled.projects.loc[p.index, "verdict"]
    assert v.tolist() == ref.projects["verdict"].tolist()


@fast
@given(cases, st.floats(-5000, 5000), st.floats(-5000, 5000))
def test_invariant_under_translation(case, dx, dy):
    prj, lns, types = case
    p, line = frames(prj, lns, types)
    ref = tp.review(p, line, max_vertices=16)
    moved = tp.review(
        p.translate(dx, dy)
        .to_frame("geometry")
        .assign(**{c: p[c] for c in ("project_id", "project_type")})
        .set_crs(CRS, allow_override=True),
        line.assign(geometry=line.translate(dx, dy)),
        max_vertices=16,
    )
    a, b = _areas(ref), _areas(moved)
    # Translation moves float rounding; pairs near the noise floor may appear or vanish.
    for k in set(a) | set(b):
        assert a.get(k, 0.0) == pytest.approx(b.get(k, 0.0), rel=1e-6, abs=1e-4)
    assert moved.projects["verdict"].tolist() == ref.projects["verdict"].tolist()


@fast
@given(polygon(big=True), st.floats(0.05, 0.45), st.floats(0.05, 0.45), st.floats(0.01, 0.3))
def test_project_inside_a_line_has_100_percent(line_geom, fx, fy, fs):
    # A small box placed inside the line polygon (kept only if really within it).
    x0, y0, x1, y1 = line_geom.bounds
    w, h = x1 - x0, y1 - y0
    site = shapely.box(x0 + fx * w, y0 + fy * h, x0 + (fx + fs) * w, y0 + (fy + fs) * h)
    if not line_geom.contains(site) or site.area < 1:
        return
    p, line = frames([site], [line_geom], ["green"])
    r = tp.review(p, line, max_vertices=16)
    row = r.conflicts.iloc[0]
    assert row["pct_of_project"] == pytest.approx(100.0)
    assert row["overlap_area_m2"] == pytest.approx(site.area)
    assert r.projects["green_overlap_m2"].iloc[0] == pytest.approx(site.area)


@st.composite
def polyline(draw):
    n = draw(st.integers(2, 4))
    pts = [
        (
            X0 + draw(st.floats(0, 250, allow_nan=False)),
            Y0 + draw(st.floats(0, 250, allow_nan=False)),
        )
        for _ in range(n)
    ]
    line = shapely.LineString(pts)
    return line if line.length > 0.1 else shapely.LineString([(X0, Y0), (X0 + 100, Y0 + 37)])


def _interior_length(line, poly):
    """Independent brute force: node the line with the polygon boundary, keep the line's edges whose
    midpoint lies in the interior (edges along the boundary have their midpoint on it)."""
    total = 0.0
    for e in shapely.get_parts(shapely.union_all([line, poly.boundary])):
        mid = e.interpolate(0.5, normalized=True)
        if line.distance(mid) < 1e-7 and poly.contains_properly(mid):
            total += e.length
    return total


@fast
@given(
    st.lists(polyline(), min_size=1, max_size=6),
    st.lists(polygon(big=True), min_size=1, max_size=5),
)
def test_line_overlap_lengths_equal_brute_force(prj, lns):
    p = gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(len(prj))], "project_type": "utility"},
        geometry=prj,
        crs=CRS,
    )
    line = gpd.GeoDataFrame(
        {"line_type": "green", "code": [f"L{j}" for j in range(len(lns))]}, geometry=lns, crs=CRS
    )
    r = tp.review(p, line)
    c = r.conflicts
    got = dict(
        zip(zip(c["project_id"], c["line_id"], strict=True), c["overlap_length_m"], strict=True)
    )
    for i, a in enumerate(prj):
        for j, b in enumerate(lns):
            want = _interior_length(a, b)
            assert got.get((f"P{i}", f"L{j}"), 0.0) == pytest.approx(want, rel=1e-6, abs=1e-6)
