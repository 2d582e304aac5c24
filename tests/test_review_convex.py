"""The numpy overlap of convex polygons against GEOS and against hand-computed areas."""

from __future__ import annotations

import os
from fractions import Fraction

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity

from townplan_gis.fiveline.convex import (
    MAX_VERTICES,
    apart,
    clip_to_convex,
    convex_overlap,
    convex_rings,
)
from townplan_gis.fiveline.totals import _union_measures

X0, Y0 = 500_000.0, 3_850_000.0  # projected coordinates of CGCS2000 GK size: rounding matters


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def ring(*xy):
    """A polygon from vertices given relative to (X0, Y0), in metres."""
    return shapely.Polygon([(X0 + x, Y0 + y) for x, y in xy])


#: 10 × 10 m minus its 5 × 5 m north-east quarter: 75 m², concave.
L_SHAPE = ring((0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10))


def overlap(a, b, min_area=0.0):
    ra, rb = convex_rings(np.array([a])), convex_rings(np.array([b]))
    assert ra.ok[0] and rb.ok[0]
    area, geom, inside = convex_overlap(ra, np.array([0]), rb, np.array([0]), min_area=min_area)
    return area[0], geom[0], inside[0]


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
    # A spike (straight out and back) would pass the turn test; it is refused, and GEOS agrees that
    # such a ring is invalid. Accepted rings are what prepare_projects skips GEOS's check for.
    spike = ring((0, 0), (10, 0), (10, 10), (10, 15), (10, 10), (0, 10))
    assert not spike.is_valid and not convex_rings(np.array([spike])).ok[0]
    assert shapely.is_valid(geoms[rings.ok]).all()
    part = rings.take(np.array([2, 0]))
    assert len(part) == 2 and part.k.tolist() == [4, 4] and part.ok.all()


@pytest.mark.parametrize(
    ("b", "expected", "inside"),
    [
        (box(5, 5, 15, 15), 25.0, False),  # corners overlapping
        (box(2, 2, 4, 4), 4.0, False),  # b inside a
        (box(-1, -1, 11, 11), 100.0, True),  # a inside b
        (box(0, 0, 10, 10), 100.0, True),  # identical
        (box(10, 0, 20, 10), 0.0, False),  # shared edge: edge contact, no area
        (box(10, 10, 20, 20), 0.0, False),  # shared corner
        (box(20, 20, 30, 30), 0.0, False),  # apart
        (box(0, 10 - 1e-7, 10, 20), 1e-6, False),  # a 0.1 µm sliver: measured, not lost
    ],
)
def test_overlap_of_two_boxes(b, expected, inside):
    area, geom, is_inside = overlap(box(0, 0, 10, 10), b)
    # The sliver's 1e-7 m is 1.0012e-7 m at these coordinates (float spacing there is 4.7e-10 m).
    assert area == pytest.approx(expected, rel=2e-3, abs=1e-12)
    assert area == pytest.approx(box(0, 0, 10, 10).intersection(b).area, rel=1e-9, abs=1e-15)
    assert is_inside == inside
    if expected > 0:
        assert geom.is_valid
        assert geom.area == pytest.approx(area, rel=1e-6)
        assert shapely.equals_exact(
            shapely.normalize(geom), shapely.normalize(box(0, 0, 10, 10).intersection(b)), 1e-6
        )
    else:
        assert geom is None


def exact_overlap(a, b) -> float:
    """Area of a ∩ b (b convex) in rational arithmetic: Sutherland–Hodgman by hand."""

    def twice(poly):
        return sum(
            p[0] * q[1] - q[0] * p[1] for p, q in zip(poly, poly[1:] + poly[:1], strict=True)
        )

    pts = [tuple(map(Fraction, c)) for c in a.exterior.coords[:-1]]
    clip = [tuple(map(Fraction, c)) for c in b.exterior.coords[:-1]]
    if twice(clip) < 0:
        clip = clip[::-1]
    for c1, c2 in zip(clip, clip[1:] + clip[:1], strict=True):

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


def test_rotated_square_against_exact_rational_area():
    # A square rotated 45° about its centre over an axis-aligned one: an octagon. The exact area
    # of the float polygons is computed with rationals (Sutherland–Hodgman by hand).
    a = box(0, 0, 10, 10)
    b = affinity.rotate(box(0, 0, 10, 10), 45, origin="centroid")
    exact = exact_overlap(b, a)
    area, geom, _ = overlap(a, b)
    # By hand: the square minus four corner triangles with legs 10 - 5√2 → 200(√2 - 1) m².
    # (The rotation itself rounds the corners by ~1e-10 m: 8.6e-12 relative.)
    assert exact == pytest.approx(200 * (np.sqrt(2) - 1), rel=1e-10)
    assert area == pytest.approx(exact, rel=1e-12)
    assert shapely.get_num_coordinates(geom) == 9  # an octagon, closed
    assert area == pytest.approx(a.intersection(b).area, rel=1e-9)


def test_min_area_builds_only_larger_overlaps_and_order_is_kept():
    a = convex_rings(np.array([box(0, 0, 10, 10), box(0, 0, 1, 1)]))
    b = convex_rings(np.array([box(5, 0, 20, 10), box(0, 0, 0.5, 0.5)]))
    area, geom, _ = convex_overlap(a, np.array([0, 1, 0]), b, np.array([0, 1, 1]), min_area=1.0)
    np.testing.assert_allclose(area, [50.0, 0.25, 0.25])
    assert geom[0].area == pytest.approx(50.0) and geom[1] is None and geom[2] is None
    empty = convex_overlap(a, np.array([], dtype=int), b, np.array([], dtype=int))
    assert [len(x) for x in empty] == [0, 0, 0]


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


@settings(max_examples=int(os.environ.get("TOWNPLAN_HYPOTHESIS_EXAMPLES", 300)), deadline=None)
@given(convex_polygon(), convex_polygon(), st.floats(-60, 60), st.floats(-60, 60))
def test_overlap_equals_geos(a, b, dx, dy):
    b = affinity.translate(b, dx, dy)
    ra, rb = convex_rings(np.array([a])), convex_rings(np.array([b]))
    assert not ra.ok[0] or a.is_valid  # accepted rings are valid (prepare_projects relies on it)
    if not (ra.ok[0] and rb.ok[0]):
        # Hulls of more than MAX_VERTICES points, or rotated hulls whose nearly straight corner
        # rounds to a slight right turn: those go to GEOS.
        return
    area, geom, inside = convex_overlap(ra, np.array([0]), rb, np.array([0]), min_area=0.01)
    truth = exact_overlap(a, b)
    one = np.array([0])
    if apart(ra, one, rb, one)[0] or apart(rb, one, ra, one)[0]:
        assert not a.intersects(b) and area[0] == 0.0
    # The whole separating-axis test with touching=True decides whether interiors meet (the
    # control lines' overlaps_same_type); 1e-9 m of tolerance is below any area the test sees.
    disjoint = (
        apart(ra, one, rb, one, touching=True)[0] or apart(rb, one, ra, one, touching=True)[0]
    )
    if disjoint:
        assert truth <= 1e-9 * (a.length + b.length)
    else:
        assert truth > 0
    if np.isnan(area[0]):  # handed back to GEOS (the kernel then intersects it): allowed
        return
    # Against the rational answer: GEOS itself is off by up to 1.5e-6 m² on needle triangles
    # that hypothesis finds, where the numpy overlap is exact to the last bits.
    # Vertices up to 1e-9 m outside count as on the edge: at most 1e-9 m × the perimeters.
    assert area[0] == pytest.approx(truth, rel=1e-9, abs=1e-9 * (a.length + b.length))
    assert area[0] == pytest.approx(a.intersection(b).area, rel=1e-6, abs=1e-5)
    if area[0] > 0.01:
        assert geom[0].is_valid
        # The ring as stored: vertices rounded to the CRS coordinates, near-duplicates dropped.
        assert geom[0].area == pytest.approx(truth, rel=1e-9, abs=1e-7)
    if inside[0]:  # every vertex of a within 1e-9 m of b: the overlap is a itself
        assert truth == pytest.approx(a.area, rel=1e-9, abs=1e-7)


def test_apart_is_half_a_separating_axis_test():
    a = convex_rings(np.array([box(0, 0, 10, 10)]))
    others = np.array(
        [
            box(11, 0, 20, 10),  # right of a's east edge
            box(10, 0, 20, 10),  # shares that edge: not apart
            box(5, 5, 15, 15),  # overlaps
            # A strip across the NE corner at x + y in [21, 23]: its SW edge separates it from
            # a; no edge of a separates it (it reaches x = 5 and y = 5).
            ring((16, 5), (17, 6), (6, 17), (5, 16)),
        ]
    )
    b = convex_rings(others)
    zeros = np.zeros(len(others), dtype=int)
    rows = np.arange(len(others))
    # "apart(a, b)": an edge of b has every vertex of a right of it.
    assert apart(a, zeros, b, rows).tolist() == [True, False, False, True]
    assert apart(b, rows, a, zeros).tolist() == [True, False, False, False]
    assert not shapely.intersects(box(0, 0, 10, 10), others[3])
    # touching=True: boundary contact counts as apart, so the shared edge (row 1) is apart now,
    # from both sides; the overlapping boxes (row 2) are not.
    assert apart(a, zeros, b, rows, touching=True).tolist() == [True, True, False, True]
    assert apart(b, rows, a, zeros, touching=True).tolist() == [True, True, False, False]


def test_union_of_convex_overlaps_by_inclusion_exclusion():
    # Per group, the area of the union. Group 0: two 10 × 10 boxes overlapping 5 × 10 → 150 m².
    # Group 1: three boxes in a row, neighbours overlapping 2 × 10 each, the outer two apart →
    # 300 - 40 = 260 m². Group 2: three boxes overlapping pairwise and all together (a triangle
    # of overlaps): 300 - (50 + 40 + 35) + 25 = 200 m², the triple term added back. Group 3: a
    # single box. Group 4: four boxes overlapping pairwise → unioned by GEOS.
    geoms = np.array(
        [
            box(0, 0, 10, 10), box(5, 0, 15, 10),
            box(0, 20, 10, 30), box(8, 20, 18, 30), box(16, 20, 26, 30),
            box(0, 40, 10, 50), box(5, 40, 15, 50), box(2, 45, 12, 55),
            box(0, 60, 3, 63),
            box(0, 70, 10, 80), box(5, 70, 15, 80), box(2, 75, 12, 85), box(3, 72, 13, 82),
        ]
    )  # fmt: skip
    group = np.array([0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 4, 4, 4])
    area, length = _union_measures(geoms, group, 6)
    four = shapely.union_all(geoms[9:13]).area
    np.testing.assert_allclose(area, [150.0, 260.0, 200.0, 9.0, four, 0.0], rtol=1e-12)
    assert length.tolist() == [0.0] * 6


def clip(subject, window, min_area=0.0):
    rings = convex_rings(np.array([window]))
    assert rings.ok[0]
    area, geom = clip_to_convex(np.array([subject]), rings, np.array([0]), min_area=min_area)
    return area[0], geom[0]


def test_clip_to_convex_cuts_a_concave_subject():
    # The L (75 m²) cut by the box x 2..12, y 0..8:
    # x 2..10 × y 0..5 (40 m²) plus x 2..5 × y 5..8 (9 m²) = 49 m².

    area, geom = clip(L_SHAPE, box(2, 0, 12, 8))
    assert area == pytest.approx(49.0, rel=1e-12)
    assert geom.is_valid and geom.area == pytest.approx(49.0, rel=1e-12)
    assert shapely.equals(geom, L_SHAPE.intersection(box(2, 0, 12, 8)))
    # Clockwise subjects and windows entirely inside or outside.
    area, _ = clip(shapely.Polygon(list(L_SHAPE.exterior.coords)[::-1]), box(2, 0, 12, 8))
    assert area == pytest.approx(49.0, rel=1e-12)
    assert clip(L_SHAPE, box(1, 1, 2, 2))[0] == pytest.approx(1.0)
    assert clip(L_SHAPE, box(6, 6, 9, 9)) == (0.0, None)


def test_clip_to_convex_hands_back_what_it_cannot_draw():
    # A U cut below its arms' tops keeps one piece; cut across the arms only, two pieces: the
    # ring would bridge them, so the pair goes back to GEOS (NaN). The area would still be right.
    u = ring((0, 0), (9, 0), (9, 9), (6, 9), (6, 3), (3, 3), (3, 9), (0, 9))
    area, geom = clip(u, box(-1, -1, 10, 6))
    assert area == pytest.approx(u.intersection(box(-1, -1, 10, 6)).area) and geom.is_valid
    area, geom = clip(u, box(-1, 5, 10, 8))
    assert np.isnan(area) and geom is None
    holed = box(0, 0, 10, 10).difference(box(4, 4, 6, 6))
    assert np.isnan(clip(holed, box(0, 0, 5, 5))[0])


@st.composite
def star_polygon(draw):
    """A random simple polygon: 5–30 vertices at increasing angles and random radii."""
    n = draw(st.integers(5, 30))
    radii = np.array(draw(st.lists(st.floats(5, 40), min_size=n, max_size=n)))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * np.pi), min_size=n, max_size=n))))
    if np.diff(np.r_[angles, angles[0] + 2 * np.pi]).min() < 1e-3:
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    g = shapely.Polygon(np.c_[X0 + radii * np.cos(angles), Y0 + radii * np.sin(angles)])
    return g if g.is_valid else box(-10, -10, 10, 10)


@settings(max_examples=int(os.environ.get("TOWNPLAN_HYPOTHESIS_EXAMPLES", 300)), deadline=None)
@given(star_polygon(), convex_polygon(), st.floats(-40, 40), st.floats(-40, 40))
def test_clip_to_convex_equals_geos(subject, window, dx, dy):
    window = affinity.translate(window, dx, dy)
    if not convex_rings(np.array([window])).ok[0]:
        return
    area, geom = clip(subject, window, min_area=0.01)
    truth = subject.intersection(window)
    if np.isnan(area):  # handed back: only when GEOS's answer is in several pieces (or rounding)
        return
    assert area == pytest.approx(truth.area, rel=1e-9, abs=1e-7)
    if area > 0.01:
        assert geom.is_valid
        assert shapely.area(shapely.symmetric_difference(geom, truth)) < 1e-6
