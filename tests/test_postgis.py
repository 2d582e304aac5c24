"""PostGIS as a data source: towns and projects round-trip through a real PostgreSQL/PostGIS.

The database comes from ``TOWNPLAN_TEST_PG`` (``.ci/run`` installs PostgreSQL + PostGIS from Debian,
starts it on loopback and exports the URL). Outside CI the tests skip when it is unset; in CI
(``CI=true``) a missing or unreachable database is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

import townplan_gis as tp
from townplan_gis.core.errors import DataFileError
from townplan_gis.io import postgis

sa = pytest.importorskip("sqlalchemy")

URL = os.environ.get("TOWNPLAN_TEST_PG")
# EPSG:4546 = CGCS2000 / 3-degree GK CM 111E (Puzhou's zone); x0, y0 lie inside it.
X0, Y0 = 500_000.0, 3_860_000.0
CRS = "EPSG:4546"


def _reachable(url: str) -> str | None:
    try:
        eng = postgis.engine(url)
        with eng.connect() as conn:
            conn.execute(sa.text("SELECT postgis_version()"))
        eng.dispose()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def url() -> str:
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not URL:
        if in_ci:
            pytest.fail("CI=true but TOWNPLAN_TEST_PG is not set: .ci/run must start PostGIS.")
        pytest.skip("TOWNPLAN_TEST_PG not set (a postgresql:// URL of a database with PostGIS)")
    problem = _reachable(URL)
    if problem:
        if in_ci:
            pytest.fail(f"CI=true but the PostGIS test database is unreachable: {problem}")
        pytest.skip(f"PostGIS test database unreachable: {problem}")
    return URL


@pytest.fixture
def schema(url):
    """A fresh schema per test, dropped afterwards (names with a quote test identifier quoting)."""
    name = f"tp_test_{uuid.uuid4().hex[:8]}"
    yield name
    eng = postgis.engine(url)
    with eng.begin() as conn:
        conn.execute(sa.schema.DropSchema(name, cascade=True, if_exists=True))
    eng.dispose()


def _town(name: str = "测试镇") -> tp.Town:
    roads = gpd.GeoDataFrame(
        {
            "道路等级": ["主干路", "支路", "secondary"],
            "红线宽度": ["24m", None, 18],
            "lit": [True, None, False],
            "name": ["西厢大街", None, "Road 'O\"Neil'"],
        },
        geometry=[
            LineString([(X0, Y0), (X0 + 100, Y0)]),
            LineString([(X0, Y0), (X0, Y0 + 100)]),
            LineString([(X0 + 50, Y0 - 50), (X0 + 50, Y0 + 50)]),
        ],
        crs=CRS,
        index=[7, 3, 11],
    )
    lines = gpd.GeoDataFrame(
        {"类型": ["红线", "紫线", "blue"], "zone": [None, "core", None], "name": ["A", "B", "C"]},
        geometry=[
            box(X0, Y0 - 12, X0 + 100, Y0 + 12),
            Polygon(),  # an empty geometry must survive the trip
            shapely.MultiPolygon(
                [box(X0 + 200, Y0, X0 + 210, Y0 + 10), box(X0 + 220, Y0, X0 + 230, Y0 + 10)]
            ),
        ],
        crs=CRS,
        index=["cl-a", "cl-b", "cl-c"],
    )
    return tp.Town(
        name,
        layers={"roads": roads, "control_lines": lines},
        population=3210.0,
        statistics={"gas_coverage_pct": 55.5},
        metadata={"source": "test", "illustrative": True},
        allow_empty=True,
    )


def _assert_layers_equal(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    assert list(a.index) == list(b.index)
    assert a.crs.equals(b.crs)
    assert bool(a.geometry.geom_equals_exact(b.geometry, tolerance=0).all()) or bool(
        (a.geometry.geom_equals(b.geometry) | (a.geometry.is_empty & b.geometry.is_empty)).all()
    )
    cols = [c for c in a.columns if c != a.geometry.name]
    pd.testing.assert_frame_equal(
        pd.DataFrame(a[cols]).astype(object).where(pd.notna(a[cols]), None),
        pd.DataFrame(b[cols]).astype(object).where(pd.notna(b[cols]), None),
        check_dtype=False,
    )


def test_town_round_trip(url, schema):
    town = _town()
    assert tp.write_town(town, url, schema=schema) == schema
    back = tp.read_town(url, schema=schema)
    assert back.name == "测试镇"
    assert back.population == 3210.0
    assert back.statistics == {"gas_coverage_pct": 55.5}
    assert back.metadata == {"source": "test", "illustrative": True}
    assert back.crs.to_epsg() == 4546
    assert set(back.layers) == {"roads", "control_lines"}
    for kind in town.layers:
        _assert_layers_equal(town.layers[kind], back.layers[kind])
    assert bool(back.control_lines.loc["cl-b"].geometry.is_empty)
    assert back.roads.loc[3, "lit"] is pd.NA


def test_written_tables_have_gist_index_and_srid(url, schema):
    tp.write_town(_town(), url, schema=schema)
    eng = postgis.engine(url)
    with eng.connect() as conn:
        idx = (
            conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = 'control_lines'"
                ),
                {"s": schema},
            )
            .scalars()
            .all()
        )
        srid = conn.execute(
            sa.text("SELECT Find_SRID(:s, 'control_lines', 'geometry')"), {"s": schema}
        ).scalar()
    eng.dispose()
    assert any("gist" in i.lower() for i in idx)
    assert srid == 4546


def test_overwrite_replaces_the_previous_town_only(url, schema):
    tp.write_town(_town(), url, schema=schema)
    with pytest.raises(DataFileError, match="already holds town"):
        tp.write_town(_town("另一镇"), url, schema=schema, overwrite=False)
    # An unrelated table in the schema must survive an overwrite.
    eng = postgis.engine(url)
    with eng.begin() as conn:
        postgis.write_layer(_town().roads, conn, "office_notes", schema=schema)
    eng.dispose()
    smaller = tp.Town("另一镇", layers={"roads": _town().roads})
    tp.write_town(smaller, url, schema=schema)
    back = tp.read_town(url, schema=schema)
    assert back.name == "另一镇" and set(back.layers) == {"roads"}
    eng = postgis.engine(url)
    with eng.connect() as conn:
        names = set(sa.inspect(conn).get_table_names(schema=schema))
    eng.dispose()
    assert "control_lines" not in names and "office_notes" in names


def test_failed_write_leaves_previous_town(url, schema):
    tp.write_town(_town(), url, schema=schema)
    # A CRS without an EPSG code cannot become an SRID: the write fails half way, inside the transaction.
    custom = (
        "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )
    bad = tp.Town("坏镇", layers={"roads": _town().roads}, crs=custom)
    with pytest.raises(DataFileError, match="no EPSG code"):
        tp.write_town(bad, url, schema=schema)
    back = tp.read_town(url, schema=schema)
    assert back.name == "测试镇" and set(back.layers) == {"roads", "control_lines"}


def test_hostile_identifiers_are_quoted(url):
    # A schema and table named like an injection: identifiers are quoted by SQLAlchemy, not pasted.
    schema = f'tp "x"; DROP TABLE y; -- {uuid.uuid4().hex[:6]}'
    try:
        tp.write_town(_town(), url, schema=schema)
        assert tp.read_town(url, schema=schema).name == "测试镇"
        eng = postgis.engine(url)
        with eng.begin() as conn:
            postgis.write_layer(_town().roads, conn, 'Road"s 道路', schema=schema)
        eng.dispose()
        got = postgis.read_table(url, 'Road"s 道路', schema=schema)
        assert len(got) == 3
    finally:
        eng = postgis.engine(url)
        with eng.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        eng.dispose()


def test_tables_named_by_chinese_alias_are_discovered(url, schema):
    eng = postgis.engine(url)
    with eng.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
        postgis.write_layer(_town().control_lines, conn, "五线", schema=schema)
        postgis.write_layer(_town().roads, conn, "道路", schema=schema)
        postgis.write_layer(_town().roads, conn, "not_a_layer", schema=schema)
    eng.dispose()
    town = tp.read_town(url, schema=schema)
    assert set(town.layers) == {"roads", "control_lines"}
    assert town.name == schema  # no townplan_town table: the schema names the town
    assert "renamed_layer" in set(town.repairs["action"])
    # An explicit mapping reads any table as any kind.
    only = tp.read_town(url, schema=schema, tables={"roads": "not_a_layer"})
    assert set(only.layers) == {"roads"}


def _projects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "项目编号": ["P1", "P2", "P3"],
            "项目名称": ["游客中心", "道路拓宽", "x'); DROP TABLE projects; --"],
            "项目类型": ["building", "road", "park"],
            "status": ["规划", "规划", "批复"],
        },
        geometry=[
            box(X0, Y0, X0 + 10, Y0 + 10),
            LineString([(X0, Y0), (X0, Y0 + 5)]),
            Point(X0, Y0),
        ],
        crs=CRS,
    )


def test_read_projects_from_table_and_parameterised_sql(url, schema):
    eng = postgis.engine(url)
    with eng.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
        postgis.write_layer(_projects(), conn, "projects", schema=schema)
    eng.dispose()
    whole = tp.read_projects(url, table="projects", schema=schema)
    assert list(whole["project_id"]) == ["P1", "P2", "P3"]
    assert list(whole["project_type"]) == ["building", "road", "park"]
    assert whole.crs.to_epsg() == 4546
    assert whole.geometry.iloc[0].area == pytest.approx(100.0)  # a 10 m × 10 m square
    preparer = sa.create_engine("postgresql+psycopg://").dialect.identifier_preparer
    table = preparer.format_table(sa.table("projects", schema=schema))
    sql = f"SELECT * FROM {table} WHERE status = :status ORDER BY {preparer.quote('项目编号')}"
    some = tp.read_projects(url, sql=sql, params={"status": "规划"}, index_col="project_id")
    assert list(some.index) == ["P1", "P2"]
    # A hostile value is a value: it matches nothing and drops nothing.
    none = tp.read_projects(url, sql=sql, params={"status": "x'; DROP TABLE projects; --"})
    assert len(none) == 0
    assert len(tp.read_projects(url, table="projects", schema=schema)) == 3
    # Reprojection on read, e.g. to the town's analysis CRS.
    wgs = tp.read_projects(url, table="projects", schema=schema, crs="EPSG:4490")
    assert wgs.crs.to_epsg() == 4490 and 110.9 < wgs.geometry.iloc[0].centroid.x < 111.1


def test_read_projects_argument_and_srid_errors(url, schema):
    with pytest.raises(tp.TownPlanError, match="exactly one"):
        tp.read_projects(url)
    with pytest.raises(tp.TownPlanError, match="exactly one"):
        tp.read_projects(url, table="a", sql="SELECT 1")
    with pytest.raises(DataFileError, match="no geometry column"):
        tp.read_projects(url, sql="SELECT 'P1' AS project_id, 'park' AS project_type")
    with pytest.raises(DataFileError, match="no table"):
        tp.read_projects(url, table="nope", schema=schema)
    no_srid = (
        "SELECT 'P1' AS project_id, 'park' AS project_type, ST_MakeEnvelope(0, 0, 2, 3) AS geom"
    )
    with pytest.raises(DataFileError, match="no SRID"):
        tp.read_projects(url, sql=no_srid)
    got = tp.read_projects(url, sql=no_srid, assume_crs=CRS)
    assert got.crs.to_epsg() == 4546 and got.geometry.iloc[0].area == pytest.approx(6.0)


def test_unreachable_database_is_a_data_file_error_without_password():
    bad = "postgresql://someone:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(DataFileError, match="cannot reach the database") as err:
        tp.read_town(bad, schema="x")
    assert "s3cret" not in str(err.value)


def test_pair_overlaps_matches_hand_computed_areas(url, schema):
    # Squares: a = [0,10]², b = [5,15]×[0,10] overlaps a on 5 × 10 = 50 m²; c = [10,20]×[20,30] only
    # touches nothing of a and is 10 m above b (no pair); d = [10,12]×[0,2] touches a along x = 10
    # (area 0, a pair, since ST_Intersects counts touching) and lies inside b (4 m²).
    left = gpd.GeoDataFrame(
        {"lid": ["a", "c"]}, geometry=[box(0, 0, 10, 10), box(10, 20, 20, 30)], crs=CRS
    )
    right = gpd.GeoDataFrame(
        {"rid": ["b", "d"]}, geometry=[box(5, 0, 15, 10), box(10, 0, 12, 2)], crs=CRS
    )
    eng = postgis.engine(url)
    with eng.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
        postgis.write_layer(left, conn, "l", schema=schema)
        postgis.write_layer(right, conn, "r", schema=schema)
    eng.dispose()
    got = postgis.pair_overlaps(url, "l", "r", left_id="lid", right_id="rid", schema=schema)
    got = got.sort_values(["left_id", "right_id"]).reset_index(drop=True)
    assert list(zip(got.left_id, got.right_id, strict=True)) == [("a", "b"), ("a", "d")]
    np.testing.assert_allclose(got.area_m2, [50.0, 0.0])


def test_is_postgis_url():
    assert postgis.is_postgis_url("postgresql://u@h/db")
    assert postgis.is_postgis_url("postgres://u@h/db")
    assert postgis.is_postgis_url("postgresql+psycopg2://u@h/db")  # any SQLAlchemy PG driver
    assert not postgis.is_postgis_url("layers/puzhou.gpkg")
    assert not postgis.is_postgis_url(None)


def test_storage_crs_keeps_the_analysis_crs(url, schema):
    town = _town()
    tp.write_town(town, url, schema=schema, crs="EPSG:4490")
    eng = postgis.engine(url)
    with eng.connect() as conn:
        srid = conn.execute(
            sa.text("SELECT Find_SRID(:s, 'roads', 'geometry')"), {"s": schema}
        ).scalar()
    eng.dispose()
    assert srid == 4490
    back = tp.read_town(url, schema=schema)
    assert back.crs.to_epsg() == 4546
    # Lengths survive the round trip through geographic coordinates to well under a millimetre.
    np.testing.assert_allclose(back.roads.length, town.roads.length, atol=1e-3)


# -- review() against PostGIS -----------------------------------------------------------------------


def _random_layers(seed: int = 11, n: int = 600, m: int = 80):
    """Random polygon parcels and control lines, one of them a 1,800-vertex river (subdivided)."""
    rng = np.random.default_rng(seed)
    side = 2000.0
    cx, cy = X0 + rng.uniform(0, side, n), Y0 + rng.uniform(0, side, n)
    w, h = rng.uniform(10, 80, n), rng.uniform(10, 80, n)
    parcels = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    types = rng.choice(np.array(["building", "park", "road", "agriculture", "renovation"]), n)
    projects = gpd.GeoDataFrame(
        {"project_id": [f"R{i:04d}" for i in range(n)], "project_type": types},
        geometry=gpd.GeoSeries(parcels, crs=CRS),
    )
    lx, ly = X0 + rng.uniform(0, side, m), Y0 + rng.uniform(0, side, m)
    geoms = shapely.buffer(shapely.points(lx, ly), rng.uniform(20, 150, m), quad_segs=5).astype(
        object
    )
    t = np.linspace(0, side, 900)
    geoms[0] = LineString(np.stack([X0 + t, Y0 + side / 2 + 250 * np.sin(t / 97)], -1)).buffer(35)
    lt = rng.choice(np.array(["red", "green", "purple", "blue", "yellow"]), m)
    lt[0] = "blue"
    lines = gpd.GeoDataFrame(
        {
            "line_type": lt,
            "zone": np.where(lt == "purple", "control", None),
            "code": [f"L{i:03d}" for i in range(m)],
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS),
    )
    return projects, lines


def _cross_check(url: str, schema: str, projects: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> int:
    """review()'s polygon overlaps vs PostGIS ST_Area(ST_Intersection) for the same geometries."""
    from townplan_gis.fiveline.prepare import prepare_lines_frame

    rv = tp.review(projects, lines)
    noise = rv.settings["tolerance"]["noise_m2"]
    # The very geometries review() measured: repaired projects, normalised and repaired lines.
    mine = rv.projects[rv.projects.geom_type.isin(["Polygon", "MultiPolygon"])]
    assert mine["project_id"].is_unique
    frame, _ = prepare_lines_frame(lines, rv.projects.crs)
    code = frame["code"] if "code" in frame else pd.Series(None, index=frame.index)
    frame = frame.assign(
        line_id=code.where(code.notna(), [str(i) for i in frame.index]).astype(str)
    )
    eng = postgis.engine(url)
    with eng.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
        postgis.write_layer(mine[["project_id", "geometry"]], conn, "p", schema=schema)
        postgis.write_layer(frame[["line_id", "geometry"]], conn, "l", schema=schema)
    eng.dispose()
    pg = postgis.pair_overlaps(
        url, "p", "l", left_id="project_id", right_id="line_id", schema=schema
    )
    pg = pg.set_index(["left_id", "right_id"])["area_m2"]
    c = rv.conflicts
    c = c[(c["check"] == "overlap") & c["project_id"].isin(mine["project_id"])]
    # The development boundary is reviewed by the part of a project outside it (fiveline/sanqu.py):
    # that part is the project's area less PostGIS's overlap with the boundary.
    dev = set(frame.loc[frame["line_type"] == "dev_boundary", "line_id"])
    on_dev = pg.index.get_level_values(1).isin(dev)
    if dev:
        area = mine.set_index("project_id").area
        inside = pg[on_dev].groupby(level=0).sum().reindex(area.index, fill_value=0.0)
        expected = (area - inside)[lambda a: a > noise]
        outside = c[c["line_type"] == "dev_boundary"].groupby("project_id")["overlap_area_m2"].sum()
        assert set(outside.index) == set(expected.index)
        np.testing.assert_allclose(outside.reindex(expected.index), expected, rtol=1e-6)
    pg = pg[~on_dev & (pg > noise)]
    c = c[c["line_type"] != "dev_boundary"]
    ours = c.set_index(["project_id", "line_id"])["overlap_area_m2"]
    assert ours.index.is_unique
    assert set(ours.index) == set(pg.index)
    ours = ours.reindex(pg.index)
    rel = np.abs(ours.to_numpy() - pg.to_numpy()) / pg.to_numpy()
    assert rel.max() < 1e-6, pg.index[int(rel.argmax())]
    return len(pg)


def test_review_overlaps_equal_postgis_on_random_data(url, schema):
    projects, lines = _random_layers()
    n_pairs = _cross_check(url, schema, projects, lines)
    assert n_pairs > 200  # a real comparison, river pieces included


def test_review_overlaps_equal_postgis_on_puzhou(url, schema):
    town = tp.sample_town()
    n_pairs = _cross_check(url, schema, town.projects, town.control_lines)
    assert n_pairs >= 15  # 18 polygon pairs in the sample when this was written
