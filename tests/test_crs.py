"""Analysis-CRS choice and the GCJ-02 transform."""

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely.geometry import Point, box

import townplan_gis as tp
from townplan_gis.core.crs import analysis_crs, gcj02_to_wgs84, gk3_epsg, utm_epsg, wgs84_to_gcj02


@pytest.mark.parametrize(
    ("lon", "epsg"),
    [
        (110.3, 4546),
        (117.2, 4548),
        (75.0, 4534),
        (135.0, 4554),
        (108.7, 4545),
        (112.49, 4546),
        (112.51, 4547),
    ],
)
def test_gk3_zone(lon, epsg):
    # zone N = round(lon / 3), code = 4534 + N - 25 (docs/sources.md#epsg)
    assert gk3_epsg(lon) == epsg


def test_gk3_outside_zones_refused():
    with pytest.raises(tp.CRSError, match="crs="):
        gk3_epsg(10.0)


def test_analysis_crs_china_and_elsewhere():
    puzhou = gpd.GeoDataFrame(geometry=[Point(110.32, 34.83)], crs=4490)
    assert analysis_crs(puzhou).to_epsg() == 4546
    hefei = gpd.GeoDataFrame(geometry=[Point(117.2, 31.8)], crs=4326)
    assert analysis_crs(hefei).to_epsg() == 4548
    delft = gpd.GeoDataFrame(geometry=[Point(4.36, 52.01)], crs=4326)
    assert analysis_crs(delft).to_epsg() == 32631
    sydney = gpd.GeoDataFrame(geometry=[Point(151.2, -33.9)], crs=4326)
    assert analysis_crs(sydney).to_epsg() == 32756


def test_analysis_crs_uses_joint_extent_not_first_row():
    # First feature sits in zone 36 (108°E), the bulk of the extent centres in zone 37 (111°E).
    gdf = gpd.GeoDataFrame(geometry=[Point(109.6, 34.8), Point(112.0, 34.8)], crs=4490)
    assert analysis_crs(gdf).to_epsg() == gk3_epsg(110.8)


def test_analysis_crs_from_projected_input():
    gdf = gpd.GeoDataFrame(geometry=[box(436000, 3855000, 437000, 3856000)], crs=4546)
    assert analysis_crs(gdf).to_epsg() == 4546


def test_caller_crs_must_be_metric():
    gdf = gpd.GeoDataFrame(geometry=[Point(110.3, 34.8)], crs=4490)
    assert analysis_crs(gdf, crs="EPSG:32649").to_epsg() == 32649
    with pytest.raises(tp.CRSError, match="metres"):
        analysis_crs(gdf, crs="EPSG:4490")


def test_utm():
    assert utm_epsg(4.36, 52.0) == 32631
    assert utm_epsg(-74.0, 40.7) == 32618


def test_gcj02_reference_pair_within_1m():
    lon, lat = wgs84_to_gcj02(120.0, 30.0)
    geod = pyproj.Geod(ellps="WGS84")
    _, _, d = geod.inv(float(lon), float(lat), 120.00466044559735, 29.997534331696095)
    assert d < 1.0


def test_gcj02_inverse_round_trip_within_half_metre():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(75, 134, 1000), rng.uniform(19, 53, 1000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    _, _, d = pyproj.Geod(ellps="WGS84").inv(lon, lat, back_lon, back_lat)
    assert d.max() < 0.5


def test_gcj02_outside_china_unchanged():
    lon, lat = wgs84_to_gcj02(np.array([4.36, -74.0]), np.array([52.0, 40.7]))
    np.testing.assert_array_equal(lon, [4.36, -74.0])
    np.testing.assert_array_equal(lat, [52.0, 40.7])


def test_gcj02_offset_size_in_eastern_china():
    # docs/engineering.md#basemaps-china: WGS 84 vectors over Gaode tiles are off by hundreds of metres in eastern China
    lon, lat = wgs84_to_gcj02(121.47, 31.23)
    _, _, d = pyproj.Geod(ellps="WGS84").inv(121.47, 31.23, float(lon), float(lat))
    assert 100 < d < 700


def test_analysis_crs_of_numbers_that_fit_no_place_is_a_crs_error():
    # x = 10¹² m in EPSG:4546: transform_bounds gives inf; a CRSError, not inf or a pyproj error.
    bad = gpd.GeoDataFrame(geometry=[box(1e12, 3.8e6, 1e12 + 10, 3.8e6 + 10)], crs=4546)
    with pytest.raises(tp.CRSError, match=r"not a place on Earth.*EPSG:4546"):
        analysis_crs(bad)
    with pytest.raises(tp.CRSError, match="not a place on Earth"):
        analysis_crs(gpd.GeoDataFrame(geometry=[Point(0, 200)], crs=4490))


def test_analysis_crs_leaves_out_features_with_nonfinite_vertices():
    # One Inf vertex must not drop the whole layer from the extent (nor move it).
    geoms = [Point(110.32, 34.83), Point(float("inf"), 34.8)]
    assert analysis_crs(gpd.GeoDataFrame(geometry=geoms, crs=4490)).to_epsg() == 4546
