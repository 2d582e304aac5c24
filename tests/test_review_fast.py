"""The accelerator (townplan_gis.fiveline.fast) against exact areas, GEOS and the reference engine.

The compiled clip must give GEOS's areas (to 1e-9 relative; exact rationals where GEOS itself rounds),
valid polygons, and hand back what it cannot do; ``review()`` with it must give the reference
engine's conflict rows and verdicts on random polygons, lines, points and collections, and on the
benchmark counties.
"""

from __future__ import annotations

import os
import sys
from fractions import Fraction
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import affinity

import townplan_gis as tp
from townplan_gis.fiveline.fast.clip import BACK, C_IN_Z, CUT, DISJOINT, Z_IN_C, clip
from townplan_gis.fiveline.fast.rings import BLOCK, MAX_VERTICES, PolygonRings, convex_rings
from townplan_gis.fiveline.overlap import Reference

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from county import make_layout

X0, Y0 = 500_000.0, 3_850_000.0  # projected coordinates of CGCS2000 GK size: rounding matters
CRS = "EPSG:4546"
EXAMPLES = int(os.environ.get("TOWNPLAN_HYPOTHESIS_EXAMPLES", 300))


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def ring(*xy):
    """A polygon from vertices given relative to (X0, Y0), in metres."""
    return shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])


#: 10 × 10 m minus its 5 × 5 m north-east quarter: 75 m², concave.
L_SHAPE = ring((0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10))
#: A U: 9 × 9 m with a 3 m wide notch from the top down to y = 3.
U_SHAPE = ring((0, 0), (9, 0), (9, 9), (6, 9), (6, 3), (3, 3), (3, 9), (0, 9))


def one(c, z):
    """Clip convex ``c`` by polygon ``z``: (area, status, geometry)."""
    cr, zr = convex_rings(np.array([c])), PolygonRings(np.array([z]))
    assert cr.ok[0] and zr.ok[0]
    got = clip(cr, np.array([0]), zr, np.array([0]), min_area=0.0)
    return got.area[0], got.status[0], got.geometry[0]


def exact_area(subject, window) -> float:
    """Area of subject ∩ window (window convex) in rational arithmetic: Sutherland–Hodgman by
    hand on the float coordinates (exact for any simple subject)."""

    def twice(poly):
        return sum(
            p[0] * q[1] - q[0] * p[1] for p, q in zip(poly, poly[1:] + poly[:1], strict=True)
        )

    pts = [tuple(map(Fraction, c)) for c in subject.exterior.coords[:-1]]
    clip_ = [tuple(map(Fraction, c)) for c in window.exterior.coords[:-1]]
    if twice(clip_) < 0:
        clip_ = clip_[::-1]
    for c1, c2 in zip(clip_, clip_[1:] + clip_[:1], strict=True):

        def side(p, c1=c1, c2=c2):
            return (c2[0] - c1[0]) * (p[1] - c1[1]) - (c2[1] - c1[1]) * (p[0] - c1[0])

        out = []
        for p, q in zip(pts, pts[1:] + pts[:1], strict=True):
            if side(p) >= 0:
                out.append(p)
            if (side(p) >= 0) != (side(q) >= 0):
                t = side(p) / (side(p) - side(q))
                out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
        pts = out
        if not pts:
            return 0.0
    return float(abs(twice(pts)) / 2)


# --- rings -----------------------------------------------------------------------------------


def test_convex_rings_accepts_convex_polygons_only():
    square = box(0, 0, 10, 10)
    clockwise = shapely.Polygon(list(square.exterior.coords)[::-1])
    collinear = ring((0, 0), (5, 0), (10, 0), (10, 10))
    holed = square.difference(box(2, 2, 4, 4))
    many = shapely.Point(X0, Y0).buffer(10, quad_segs=16)  # 64 vertices
    star = shapely.Polygon(  # a pentagram: all turns one way, but it winds twice
        [(X0 + np.cos(a), Y0 + np.sin(a)) for a in np.arange(5) * 4 * np.pi / 5]
    )
    geoms = np.array(
        [square, clockwise, collinear, L_SHAPE, holed, many, star, shapely.Point(X0, Y0), None]
    )
    rings = convex_rings(geoms)
    assert rings.ok.tolist() == [True, True, True, False, False, False, False, False, False]
    assert rings.k[:3].tolist() == [4, 4, 4]
    # Counter-clockwise whatever the input orientation: positive shoelace area.
    for i in range(3):
        x, y = rings.x[i, : rings.k[i]] - X0, rings.y[i, : rings.k[i]] - Y0
        assert (x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2 == pytest.approx(
            shapely.area(geoms[i]), rel=1e-12
        )
    assert convex_rings(np.array([many]), max_vertices=64).ok[0]
    assert MAX_VERTICES < 64
    # A spike (straight out and back) would pass the turn test; it is refused (GEOS agrees that
    # such a ring is invalid).
    spike = ring((0, 0), (10, 0), (10, 10), (10, 15), (10, 10), (0, 10))
    assert not spike.is_valid and not convex_rings(np.array([spike])).ok[0]
    part = rings.take(np.array([2, 0]))
    assert len(part) == 2 and part.k.tolist() == [4, 4] and part.ok.all()


def test_polygon_rings_counter_clockwise_with_blocks():
    # A clockwise L, a 20-gon, a holed box and a point; edges in blocks of BLOCK.
    cw = shapely.Polygon(list(L_SHAPE.exterior.coords)[::-1])
    disc = shapely.Polygon(
        [(X0 + 10 * np.cos(a), Y0 + 10 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 21)[:-1]]
    )
    rings = PolygonRings(np.array([cw, disc, box(0, 0, 4, 4).difference(box(1, 1, 2, 2)), None]))
    assert rings.ok.tolist() == [True, True, False, False]
    assert rings.k.tolist() == [6, 20, 0, 0]
    x, y = rings.x[:6] - X0, rings.y[:6] - Y0
    assert (x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2 == pytest.approx(75.0)

    def blocks(k):
        return [BLOCK] * (k // BLOCK) + ([k % BLOCK] if k % BLOCK else [])

    assert rings.n_blocks.tolist() == [len(blocks(6)), len(blocks(20)), 0, 0]
    assert rings.block_len.tolist() == blocks(6) + blocks(20)
    # The 20-gon's last block (edges 20 - m .. 19, the last closing back to vertex 0) spans its
    # vertices 20 - m .. 19 and 0.
    m, last = blocks(20)[-1], len(blocks(6)) + len(blocks(20)) - 1
    xs = np.r_[rings.x[6 + 20 - m : 6 + 20], rings.x[6]]
    assert rings.block_x0[last] == xs.min() and rings.block_x1[last] == xs.max()


# --- the clip ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "z", "expected", "status"),
    [
        (box(5, 5, 15, 15), box(0, 0, 10, 10), 25.0, CUT),  # corners overlapping
        (box(2, 2, 4, 4), box(0, 0, 10, 10), 4.0, C_IN_Z),  # C inside Z
        (box(-1, -1, 11, 11), box(0, 0, 10, 10), 100.0, Z_IN_C),  # Z inside C
        (box(20, 20, 30, 30), box(0, 0, 10, 10), 0.0, DISJOINT),  # apart
        (box(6, 6, 9, 9), L_SHAPE, 0.0, DISJOINT),  # in the L's notch: apart, boxes overlap
        (box(2, -1, 12, 8), L_SHAPE, 49.0, CUT),  # 8 × 5 + 3 × 3
        (box(1, 1, 2, 2), L_SHAPE, 1.0, C_IN_Z),
        (box(-1, 5, 10, 8), U_SHAPE, 18.0, CUT),  # across both arms: two pieces, 9 m² each
    ],
)
def test_clip_cases_by_hand(c, z, expected, status):
    area, got, geom = one(c, z)
    assert area == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert got == status
    if status == CUT:
        assert geom.is_valid and geom.area == pytest.approx(expected, rel=1e-12)
        assert shapely.area(shapely.symmetric_difference(geom, c.intersection(z))) < 1e-9
    else:
        assert geom is None


def test_two_pieces_come_as_a_multipolygon():
    area, _, geom = one(box(-1, 5, 10, 8), U_SHAPE)
    assert area == pytest.approx(18.0)
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert sorted(g.area for g in geom.geoms) == pytest.approx([9.0, 9.0])


@pytest.mark.parametrize(
    "c",
    [
        box(10, 0, 20, 10),  # shares Z's east edge: edge contact
        box(10, 10, 20, 20),  # shares a corner
        box(5, 0, 15, 10),  # half over, along the south and north edges
        ring((5, -5), (15, 5), (5, 15), (-5, 5)),  # a diamond with its corners on Z's edges
    ],
)
def test_degenerate_contacts_are_handed_back(c):
    # A vertex of one polygon on the other's boundary: GEOS decides (the review measures these
    # pairs with the reference engine).
    area, status, geom = one(c, box(0, 0, 10, 10))
    assert status == BACK and np.isnan(area) and geom is None


def test_the_kernel_codes_are_the_clip_statuses():
    from townplan_gis.fiveline.fast import clip_kernel as kernel

    assert (
        kernel.DISJOINT_CODE,
        kernel.C_IN_Z_CODE,
        kernel.Z_IN_C_CODE,
        kernel.CUT_CODE,
        kernel.BACK_CODE,
    ) == (DISJOINT, C_IN_Z, Z_IN_C, CUT, BACK)


# A V-shaped notch from the top whose tip (12, 5) lies on the ray from C's first vertex (3, 5)
# towards +x: the ray touches Z's boundary at a vertex, crossing it twice there, once at x = 20.
V_NOTCH = ring((0, 0), (20, 0), (20, 10), (15, 10), (12, 5), (9, 10), (0, 10))


@pytest.mark.parametrize(
    ("c", "z", "status", "expected"),
    [
        (box(2, 5, 3, 6), V_NOTCH, C_IN_Z, 1.0),  # the ray through the notch's tip: inside
        (box(2, 5, 3, 6), ring((0, 0), (10, 0), (12, 5), (10, 10), (0, 10)), C_IN_Z, 1.0),
        (box(11.5, 8, 12.5, 9), V_NOTCH, DISJOINT, 0.0),  # inside the notch: outside Z
        (box(22, 5, 23, 6), V_NOTCH, DISJOINT, 0.0),  # east of Z, its ray crosses nothing
    ],
)
def test_point_test_of_a_clipper_wholly_inside_or_apart(c, z, status, expected):
    area, got, geom = one(c, z)
    assert (got, area, geom) == (status, expected, None)
    assert c.intersection(z).area == pytest.approx(expected)


def test_min_area_builds_only_larger_overlaps_and_order_is_kept():
    cs = convex_rings(np.array([box(0, 0, 10, 10), box(0, 0, 1, 1)]))
    zs = np.array([box(5, 1, 20, 9), box(0.2, 0.2, 0.7, 0.7)])
    got = clip(cs, np.array([0, 1, 0]), PolygonRings(zs), np.array([0, 1, 1]), min_area=1.0)
    np.testing.assert_allclose(got.area, [40.0, 0.25, 0.25])
    assert got.status.tolist() == [CUT, Z_IN_C, Z_IN_C]
    assert got.geometry[0].area == pytest.approx(40.0) and got.geometry[1] is None
    empty = clip(cs, np.zeros(0, int), PolygonRings(zs), np.zeros(0, int))
    assert [len(x) for x in (empty.area, empty.status, empty.geometry)] == [0, 0, 0]


def test_rotated_square_against_exact_rational_area():
    # A square rotated 45° about its centre over an axis-aligned one: an octagon,
    # 200 (√2 − 1) m² by hand (the rotation rounds the corners by ~1e-10 m).
    a = box(0, 0, 10, 10)
    b = affinity.rotate(box(0, 0, 10, 10), 45, origin="centroid")
    exact = exact_area(b, a)
    assert exact == pytest.approx(200 * (np.sqrt(2) - 1), rel=1e-10)
    area, status, geom = one(a, b)
    assert status == CUT and area == pytest.approx(exact, rel=1e-12)
    assert shapely.get_num_coordinates(geom) == 9  # an octagon, closed


@st.composite
def convex_polygon(draw):
    """A random convex polygon: the hull of 3–12 random points, at a random angle and place."""
    n = draw(st.integers(3, 12))
    xy = np.array(
        draw(st.lists(st.tuples(st.floats(-50, 50), st.floats(-50, 50)), min_size=n, max_size=n))
    )
    hull = shapely.MultiPoint(xy + np.array([X0, Y0])).convex_hull
    if hull.geom_type != "Polygon" or hull.area < 1e-3:
        hull = box(0, 0, 1, 1)
    return affinity.rotate(hull, draw(st.floats(0, 360)), origin="centroid")


@st.composite
def star_polygon(draw):
    """A random simple polygon: 5–40 vertices at increasing angles and random radii."""
    n = draw(st.integers(5, 40))
    radii = np.array(draw(st.lists(st.floats(0.5, 40), min_size=n, max_size=n)))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * np.pi), min_size=n, max_size=n))))
    if np.diff(np.r_[angles, angles[0] + 2 * np.pi]).min() < 1e-3:
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    g = shapely.Polygon(np.c_[X0 + radii * np.cos(angles), Y0 + radii * np.sin(angles)])
    return g if g.is_valid else box(-10, -10, 10, 10)


@settings(max_examples=EXAMPLES, deadline=None)
@given(star_polygon(), convex_polygon(), st.floats(-40, 40), st.floats(-40, 40))
def test_clip_equals_exact_and_geos(z, c, dx, dy):
    c = affinity.translate(c, dx, dy)
    if not convex_rings(np.array([c])).ok[0]:
        return  # nearly straight corners rounded to a slight right turn: GEOS's pairs
    area, status, geom = one(c, z)
    if status == BACK:  # a vertex within 1e-9 m of the other boundary: GEOS decides
        return
    # Against rationals (GEOS itself is off by up to ~1e-6 m² on needle slivers hypothesis finds).
    truth = exact_area(z, c)
    assert area == pytest.approx(truth, rel=1e-9, abs=1e-9)
    assert area == pytest.approx(c.intersection(z).area, rel=1e-9, abs=1e-6)
    if status == CUT:
        assert geom.is_valid
        assert geom.area == pytest.approx(truth, rel=1e-9, abs=1e-7)
        assert shapely.area(shapely.symmetric_difference(geom, c.intersection(z))) < 1e-6
    elif status == C_IN_Z:
        assert truth == pytest.approx(c.area, rel=1e-9)
    elif status == Z_IN_C:
        assert truth == pytest.approx(z.area, rel=1e-9)
    else:
        assert truth <= 1e-9


# --- the engines ------------------------------------------------------------------------------


@st.composite
def shape(draw):
    """A project or line in a 120 m square: box, rotated box, triangle, L (concave), holed box,
    disc, thin sliver, line, point, or a collection of a box and a line."""
    kind = draw(
        st.sampled_from(["box", "rot", "tri", "ell", "holed", "disc", "sliver", "line", "point"])
    )
    x, y = draw(st.floats(0, 120)), draw(st.floats(0, 120))
    w, h = draw(st.floats(0.5, 60)), draw(st.floats(0.5, 60))
    if kind == "box":
        g = box(x, y, x + w, y + h)
    elif kind == "rot":
        g = affinity.rotate(box(x, y, x + w, y + h), draw(st.floats(0, 90)), origin="centroid")
    elif kind == "tri":
        g = ring((x, y), (x + w, y + round(draw(st.floats(-h, h)), 3)), (x + w / 3, y + h))
        g = g if g.is_valid and g.area > 0.01 else box(x, y, x + w, y + h)
    elif kind == "ell":
        g = box(x, y, x + w, y + h).difference(box(x + w / 2, y + h / 2, x + w, y + h))
    elif kind == "holed":
        g = box(x, y, x + w, y + h).difference(box(x + w / 4, y + h / 4, x + w / 2, y + h / 2))
    elif kind == "disc":
        g = shapely.Point(X0 + x, Y0 + y).buffer(w / 2, quad_segs=draw(st.integers(2, 16)))
    elif kind == "sliver":  # 0.1–2 mm wide: below every tolerance
        g = box(x, y, x + w, y + draw(st.floats(1e-4, 2e-3)))
    elif kind == "line":
        g = shapely.LineString([(X0 + x, Y0 + y), (X0 + x + w, Y0 + y + h)])
    else:
        g = shapely.Point(X0 + x, Y0 + y)
    if draw(st.booleans()) and kind in ("box", "rot"):  # a site with its access road
        road = shapely.LineString([(X0 + x, Y0 + y), (X0 + x - w, Y0 + y - h)])
        g = shapely.GeometryCollection([g, road])
    return g


@st.composite
def zone(draw):
    """A control polygon: a box, a rotated box, a star, an L or a holed box."""
    kind = draw(st.sampled_from(["box", "rot", "star", "ell", "holed"]))
    x, y = draw(st.floats(0, 120)), draw(st.floats(0, 120))
    w, h = draw(st.floats(2, 90)), draw(st.floats(2, 90))
    if kind == "star":
        return affinity.translate(draw(star_polygon()), x, y)
    if kind == "rot":
        return affinity.rotate(box(x, y, x + w, y + h), draw(st.floats(0, 90)), origin="centroid")
    if kind == "ell":
        return box(x, y, x + w, y + h).difference(box(x + w / 2, y + h / 2, x + w, y + h))
    if kind == "holed":
        return box(x, y, x + w, y + h).difference(box(x + w / 4, y + h / 4, x + w / 2, y + h / 2))
    return box(x, y, x + w, y + h)


def frames(prj, lns, types):
    p = gpd.GeoDataFrame(
        {
            "project_id": [f"P{i}" for i in range(len(prj))],
            "project_type": (["building", "road", "park"] * len(prj))[: len(prj)],
        },
        geometry=list(prj),
        crs=CRS,
    )
    line = gpd.GeoDataFrame(
        {
            "line_type": types,
            "zone": ["control" if t == "purple" else None for t in types],
            "code": [f"L{i}" for i in range(len(lns))],
        },
        geometry=list(lns),
        crs=CRS,
    )
    return p, line


def assert_same_review(a, b):
    """Identical conflict rows (texts, grades, flags) and verdicts; numbers to 1e-9 relative."""
    ca, cb = a.conflicts.drop(columns="geometry"), b.conflicts.drop(columns="geometry")
    assert len(ca) == len(cb)
    numbers = [
        "overlap_area_m2",
        "overlap_area_mu",
        "overlap_length_m",
        "pct_of_project",
        "pct_of_line",
        "distance_m",
    ]
    # Reasons quote areas to 0.1 m²: equal unless an area sits on a rounding boundary.
    texts = [c for c in ca.columns if c not in numbers and not c.startswith("reason")]
    pd.testing.assert_frame_equal(ca[texts], cb[texts])
    for c in numbers:
        np.testing.assert_allclose(ca[c], cb[c], rtol=1e-9, atol=1e-9)
    assert (ca["reason"] == cb["reason"]).mean() > 0.99 if len(ca) > 100 else True
    pa_, pb = a.projects, b.projects
    pd.testing.assert_series_equal(pa_["verdict"], pb["verdict"])
    pd.testing.assert_series_equal(pa_["worst_grade"], pb["worst_grade"])
    for c in [c for c in pa_.columns if c.endswith(("_m2", "_length_m"))]:
        np.testing.assert_allclose(pa_[c], pb[c], rtol=1e-9, atol=1e-9)
    ga, gb = a.conflicts.geometry.to_numpy(), b.conflicts.geometry.to_numpy()
    poly = shapely.get_dimensions(gb) == 2
    sym = shapely.area(shapely.symmetric_difference(ga[poly], gb[poly]))
    assert (sym <= 1e-6 * np.maximum(shapely.area(gb[poly]), 1.0)).all()


cases = st.tuples(
    st.lists(shape(), min_size=1, max_size=14),
    st.lists(zone(), min_size=1, max_size=8),
).flatmap(
    lambda pl: st.tuples(
        st.just(pl[0]),
        st.just(pl[1]),
        st.lists(
            st.sampled_from(["red", "green", "purple", "blue", "yellow"]),
            min_size=len(pl[1]),
            max_size=len(pl[1]),
        ),
    )
)


@settings(
    max_examples=int(os.environ.get("TOWNPLAN_HYPOTHESIS_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(cases)
def test_fast_engine_equals_reference(case):
    prj, lns, types = case
    p, line = frames(prj, lns, types)
    fast = tp.review(p, line, max_vertices=16, chunk_size=5, progress=False)
    ref = tp.review(p, line, max_vertices=16, engine="reference", n_jobs=1, progress=False)
    assert_same_review(fast, ref)


@pytest.mark.parametrize("layout", ["county", "peers"])
def test_fast_engine_equals_reference_on_the_benchmark_counties(layout):
    county = make_layout(layout, 2_000, seed=1)
    p, lines = county["projects"], county["control_lines"]
    fast = tp.review(p, lines, progress=False)
    ref = tp.review(p, lines, engine="reference", progress=False)
    assert fast.n_conflicts > 2_000  # not trivially equal
    assert_same_review(fast, ref)
    assert (fast.conflicts["reason"] == ref.conflicts["reason"]).all()


def test_fast_refuses_rings_of_other_pieces():
    # The review may hand Fast the vertex arrays it read beforehand; arrays of other pieces
    # would clip against the wrong polygons, so they are refused.
    from townplan_gis.fiveline.fast import Fast
    from townplan_gis.fiveline.lines import prepare_lines
    from townplan_gis.fiveline.prepare import prepare_lines_frame
    from townplan_gis.fiveline.rules import load_rules

    county = make_layout("peers", 200, seed=2)
    frame, _ = prepare_lines_frame(county["control_lines"], county["control_lines"].crs)
    lines = prepare_lines(frame, load_rules(None))
    own = Fast.rings(lines.pieces)
    assert Fast(lines, pieces=own, zones=Fast.rings(lines.zones)).pieces is own
    with pytest.raises(ValueError, match="not those of these lines"):
        Fast(lines, pieces=Fast.rings(lines.pieces[:-1]))
    whole = Fast.rings(lines.geoms)
    assert Fast(lines, line_rings=whole).line_rings is whole
    with pytest.raises(ValueError, match="not those of these lines"):
        Fast(lines, line_rings=Fast.rings(lines.geoms[1:]))


_SHAPES = st.sampled_from(["box", "rotated", "L", "U", "line", "multi"])


@settings(max_examples=EXAMPLES // 3, deadline=None)
@given(
    st.lists(
        st.tuples(_SHAPES, st.floats(-8, 8), st.floats(-8, 8), st.floats(0, 3.1)),
        min_size=1,
        max_size=9,
    ),
    st.lists(st.integers(0, 3), min_size=9, max_size=9),
)
def test_fast_union_measures_equal_the_reference(shapes, labels):
    # Groups of one to four overlaps; pairs with a convex member are measured by
    # |A ∪ B| = |A| + |B| − |A ∩ B| in the accelerator, everything else by GEOS's union.
    made = {
        "box": box(0, 0, 6, 4),
        "L": L_SHAPE,
        "U": U_SHAPE,
        "line": shapely.LineString([(X0, Y0), (X0 + 9, Y0 + 3)]),
        "multi": shapely.MultiPolygon([box(0, 0, 2, 2), box(5, 5, 7, 7)]),
    }
    geoms = []
    for kind, dx, dy, angle in shapes:
        base = box(0, 0, 5, 3) if kind == "rotated" else made[kind]
        g = (
            affinity.rotate(base, angle, origin=(X0, Y0), use_radians=True)
            if kind == "rotated"
            else base
        )
        geoms.append(affinity.translate(g, dx, dy))
    geoms = np.array(geoms, dtype=object)
    group = np.array(labels[: len(geoms)])
    _, group = np.unique(group, return_inverse=True)
    n = int(group.max()) + 1
    fast = FAST.union_measures(geoms, group, n)
    ref = Reference().union_measures(geoms, group, n)
    np.testing.assert_allclose(fast[0], ref[0], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fast[1], ref[1], rtol=1e-9, atol=1e-9)


def _fast_engine():
    from townplan_gis.fiveline.fast import Fast
    from townplan_gis.fiveline.lines import prepare_lines
    from townplan_gis.fiveline.prepare import prepare_lines_frame
    from townplan_gis.fiveline.rules import load_rules

    lines = make_layout("peers", 100, seed=3)["control_lines"]
    frame, _ = prepare_lines_frame(lines, lines.crs)
    return Fast(prepare_lines(frame, load_rules(None)))


FAST = _fast_engine()


def test_fast_union_of_pairs_by_hand_without_geos(monkeypatch):
    # Two 6 × 4 boxes sharing 3 × 3 = 9 m²: 24 + 24 − 9 = 39 m². The L (75 m²) holds the box
    # 1..4 × 1..4 whole: the union is the L; the box 4..7 × 4..7 shares 3 × 1 + 1 × 2 = 5 m² with
    # it: 75 + 9 − 5 = 79 m². No pair reaches GEOS's union. (Pairs with collinear edges are
    # degenerate contacts: the clip hands them back, and GEOS measures them.)
    def no_geos(*args, **kwargs):
        raise AssertionError("a pair with a convex member went to GEOS")

    monkeypatch.setattr(Reference, "union_measures", no_geos)
    geoms = np.array(
        [box(0, 0, 6, 4), box(3, 1, 9, 5), L_SHAPE, box(1, 1, 4, 4), box(4, 4, 7, 7), L_SHAPE],
        dtype=object,
    )
    area, length = FAST.union_measures(geoms, np.array([0, 0, 1, 1, 2, 2]), 3)
    assert area == pytest.approx([39.0, 75.0, 79.0], rel=1e-12)
    assert length.tolist() == [0.0, 0.0, 0.0]


def test_fast_union_clips_an_overlap_against_the_other_overlaps_line():
    # A = P ∩ L1 and B = P ∩ L2 share P's edges (a degenerate contact for the clip), so the
    # accelerator clips A against L2 itself: |A ∩ B| = |A ∩ L2|. The union equals GEOS's.
    from townplan_gis.fiveline.fast import Fast
    from townplan_gis.fiveline.lines import prepare_lines
    from townplan_gis.fiveline.prepare import prepare_lines_frame
    from townplan_gis.fiveline.rules import load_rules

    star = affinity.rotate(U_SHAPE, 0.3, origin=(X0, Y0), use_radians=True)
    zones = [affinity.translate(box(0, 0, 10, 10), 0.37, 0.21), affinity.translate(star, 2.2, 1.3)]
    lines = gpd.GeoDataFrame({"line_type": ["green", "green"]}, geometry=zones, crs=CRS)
    frame, _ = prepare_lines_frame(lines, lines.crs)
    engine = Fast(prepare_lines(frame, load_rules(None)))
    parcel = affinity.rotate(box(4, 3, 12, 9), 0.2, origin=(X0, Y0), use_radians=True)
    a, b = shapely.intersection(parcel, zones[0]), shapely.intersection(parcel, zones[1])
    assert convex_rings(np.array([a])).ok[0] and a.area > 1 and b.area > 1
    calls = []
    real = Reference.union_measures

    def counted(self, *args, **kwargs):
        calls.append(len(args[0]))
        return real(self, *args, **kwargs)

    pairs = np.array([a, b], dtype=object)
    want = shapely.union(a, b).area
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Reference, "union_measures", counted)
        area, _ = engine.union_measures(pairs, np.array([0, 0]), 1, line=np.array([0, 1]))
    assert area[0] == pytest.approx(want, rel=1e-9)
    assert calls == []  # measured without GEOS's union


def test_load_readies_the_compiled_kernels_and_times_it():
    import sys

    from townplan_gis.fiveline.fast import Fast

    took = Fast.load()
    assert 0 < took < 120  # the first run after an installation compiles (seconds), then caches
    assert {"numba", "townplan_gis.fiveline.fast.clip_kernel"} <= set(sys.modules)
    assert "townplan_gis.fiveline.fast.rings_kernel" in sys.modules
    assert Fast.load() < took + 1.0  # loaded once per process


def test_a_small_review_in_a_fresh_process_does_not_load_the_kernels(tmp_path):
    # Loading numba and the kernels (≈ 0.45 s, ≈ 10 s the first time) costs a small review more
    # than the accelerator saves: it is measured by the reference engine, with the same result,
    # until the kernels are loaded or the review is large (ACCELERATE_FROM).
    import json
    import subprocess

    script = """
import json, sys
import geopandas as gpd, shapely
import townplan_gis as tp
from townplan_gis.fiveline import engine
from townplan_gis.fiveline.fast import Fast
sq = lambda x0, y0, x1, y1: shapely.box(500_000 + x0, 3_850_000 + y0, 500_000 + x1, 3_850_000 + y1)
sites = gpd.GeoDataFrame({"project_type": ["building", "park"]},
                         geometry=[sq(90, 0, 110, 10), sq(10, 10, 20, 20)], crs="EPSG:4546")
lines = gpd.GeoDataFrame({"line_type": ["green"]}, geometry=[sq(0, 0, 100, 100)], crs="EPSG:4546")
def run():
    r = tp.review(sites, lines, coverage=sq(-500, -500, 500, 500), progress=False)
    return [r.settings["accelerated"],
            r.conflicts["overlap_area_m2"].round(6).tolist(), r.projects["verdict"].tolist()]
out = {"plain": run(), "numba_after_plain": "numba" in sys.modules}
engine.ACCELERATE_FROM = 2
out["large"] = run()
engine.ACCELERATE_FROM = 10**9
out["loaded"] = run()
print(json.dumps(out))
"""
    got = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    out = json.loads(got.stdout.strip().splitlines()[-1])
    assert out["numba_after_plain"] is False
    assert [out[k][0] for k in ("plain", "large", "loaded")] == [False, True, True]
    assert out["plain"][1:] == out["large"][1:] == out["loaded"][1:]
    assert out["plain"][1] == [100.0, 100.0]  # the building's 10 × 10 m corner, the whole park


def test_the_clip_refuses_positions_it_would_read_as_garbage():
    # The compiled loop reads unchecked: a ring that is not ok (no vertices) or a position past
    # the arrays is refused before it can be measured as an overlap.
    cs = convex_rings(np.array([box(0, 0, 10, 10), L_SHAPE]))  # the L is not convex
    zs = PolygonRings(np.array([box(5, 5, 20, 20), box(0, 0, 4, 4).difference(box(1, 1, 2, 2))]))
    assert cs.ok.tolist() == [True, False] and zs.ok.tolist() == [True, False]
    assert clip(cs, np.array([0]), zs, np.array([0])).area.tolist() == [25.0]
    for ic, iz in [([1], [0]), ([0], [1]), ([2], [0]), ([0], [2]), ([-1], [0])]:
        with pytest.raises(ValueError, match="must point at"):
            clip(cs, np.array(ic), zs, np.array(iz))
