"""Bounded memory whatever the density: streaming the rows to a GeoPackage, or stopping early with
an error that estimates the size and says what to do (townplan_gis.fiveline.memory and .run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from review_helpers import grid_county

import townplan_gis as tp
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline import engine as engine_module
from townplan_gis.fiveline import result as result_module
from townplan_gis.fiveline.memory import BYTES_PER_ROW, ReviewTooLarge, estimate_review

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0


@pytest.fixture(scope="module")
def county():
    return grid_county()


@pytest.fixture(scope="module")
def in_memory(county):
    return tp.review(*county, chunk_size=97, progress=False)


def test_out_streams_the_same_rows_to_a_geopackage(county, in_memory, tmp_path):
    path = tmp_path / "rows.gpkg"
    streamed = tp.review(*county, chunk_size=97, out=path, progress=False)
    assert streamed.conflicts_file == path and path.exists()
    assert streamed.n_conflicts == in_memory.n_conflicts > 500
    # Nothing is held: the rows are read from the file on demand, the same rows in the same order.
    assert streamed._conflicts is None
    back = streamed.conflicts
    a, b = in_memory.conflicts, back

    def plain(frame):  # a GeoPackage gives nulls back as None, floats as floats
        frame = pd.DataFrame(frame.drop(columns="geometry")).astype(object)
        return frame.where(frame.notna(), None)

    pd.testing.assert_frame_equal(plain(a), plain(b))
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), 1e-6).all()
    pd.testing.assert_frame_equal(in_memory.projects, streamed.projects)
    pd.testing.assert_frame_equal(in_memory.summary, streamed.summary)
    # In batches, and one project by its id.
    batches = list(streamed.iter_conflicts(250))
    assert [len(x) for x in batches[:-1]] == [250] * (len(batches) - 1)
    assert sum(len(x) for x in batches) == streamed.n_conflicts
    joined = pd.concat(batches, ignore_index=True)  # in order, each row once
    assert joined["project_id"].tolist() == a["project_id"].tolist()
    assert joined["line_id"].tolist() == a["line_id"].tolist()
    assert joined["overlap_area_m2"].to_numpy() == pytest.approx(a["overlap_area_m2"].to_numpy())
    pid = a["project_id"].iloc[0]
    assert len(streamed.for_project(pid)) == len(in_memory.for_project(pid))
    assert streamed.settings["out"] == str(path)
    assert f"{streamed.n_conflicts} conflict rows" in repr(streamed)


def test_streamed_review_writes_its_files(county, in_memory, tmp_path):
    streamed = tp.review(*county, out=tmp_path / "conflicts.gpkg", progress=False)
    paths = streamed.to_files(tmp_path)  # the same GeoPackage: its rows are kept, not rewritten
    assert pyogrio.read_info(paths["conflicts.gpkg"], layer="conflicts")["features"] == len(
        in_memory.conflicts
    )
    assert len(pd.read_csv(paths["conflicts.csv"], encoding="utf-8-sig")) == len(
        in_memory.conflicts
    )
    other = streamed.to_files(tmp_path / "copy")  # elsewhere: copied batch by batch
    assert pyogrio.read_info(other["conflicts.gpkg"], layer="conflicts")["features"] == len(
        in_memory.conflicts
    )


def test_streamed_rows_that_do_not_fit_are_not_loaded(county, tmp_path, monkeypatch):
    streamed = tp.review(*county, out=tmp_path / "c.gpkg", progress=False)
    monkeypatch.setattr(result_module, "available_bytes", lambda: 1_000)
    with pytest.raises(tp.TownPlanError, match=r"iter_conflicts\(\)") as err:
        _ = streamed.conflicts
    assert f"{streamed.n_conflicts:,} conflict rows" in str(err.value)
    assert sum(len(b) for b in streamed.iter_conflicts()) == streamed.n_conflicts


def test_rows_past_the_budget_stop_the_review_with_the_size_and_the_fix(county):
    seen = []
    budget_gb = 200 * BYTES_PER_ROW / 2**30  # room for 200 rows
    with pytest.raises(ReviewTooLarge) as err:
        tp.review(
            *county,
            chunk_size=50,
            memory_budget_gb=budget_gb,
            progress=lambda done, total: seen.append(done),
        )
    msg = str(err.value)
    assert "conflict rows" in msg and "memory budget" in msg and "out=" in msg and "Fix:" in msg
    assert isinstance(err.value, tp.TownPlanError)
    # Stopped as soon as the rows passed the budget, long before the end.
    assert seen and seen[-1] < len(county[0]) / 2


def test_a_result_estimated_too_large_stops_before_any_work(monkeypatch, tmp_path):
    projects, lines = grid_county(1_200)
    monkeypatch.setattr(engine_module, "_ESTIMATE_FROM", 1_000)
    seen = []
    with pytest.raises(ReviewTooLarge, match=r"about [0-9,]+ conflict rows"):
        tp.review(
            projects,
            lines,
            memory_budget_gb=1e-6,
            progress=lambda done, total: seen.append(done),
        )
    assert seen == []  # no chunk was reviewed
    # With out= the same review streams its rows instead of stopping.
    streamed = tp.review(
        projects, lines, memory_budget_gb=1e-6, out=tmp_path / "c.gpkg", progress=False
    )
    assert streamed.n_conflicts > 1_000


def test_estimate_review_is_close(county, in_memory):
    est = estimate_review(*county)
    assert est.projects == len(county[0]) and est.lines == len(county[1])
    assert 0.6 * in_memory.n_conflicts <= est.rows <= 1.6 * in_memory.n_conflicts
    assert est.bytes >= est.rows * BYTES_PER_ROW
    assert "conflict rows" in est.describe()


def test_the_box_bound_is_the_estimate_only_when_it_fits(county):
    # Candidate pairs by bounding box bound the true pairs from above: when even the bound fits the
    # budget nothing more is measured; when it does not, the pairs are tested.
    import shapely

    from townplan_gis.fiveline.memory import estimate_pairs

    projects, lines = county
    geoms = np.asarray(projects.geometry.array, dtype=object)
    polys = np.asarray(lines.geometry.array, dtype=object)
    tree = shapely.STRtree(polys)
    exact = estimate_pairs(geoms, polys, tree, len(polys))
    bound = estimate_pairs(geoms, polys, tree, len(polys), fits=2**50)
    assert bound.rows > exact.rows
    assert estimate_pairs(geoms, polys, tree, len(polys), fits=1).rows == exact.rows


def test_available_memory_falls_back_to_free_pages_then_8_gb(monkeypatch):
    from townplan_gis.fiveline import memory

    monkeypatch.setattr(memory, "_meminfo_available", lambda: 3 * 2**30)
    assert memory.available_bytes() == 3 * 2**30
    monkeypatch.setattr(memory, "_meminfo_available", lambda: None)  # no /proc/meminfo
    pages = {"SC_AVPHYS_PAGES": 1_000, "SC_PAGE_SIZE": 4_096}
    monkeypatch.setattr(memory.os, "sysconf", pages.__getitem__)
    assert memory.available_bytes() == 4_096_000

    def unknown(name):
        raise ValueError(name)

    monkeypatch.setattr(memory.os, "sysconf", unknown)
    assert memory.available_bytes() == 8 * 2**30


def test_freed_memory_is_given_back_where_glibc_can(monkeypatch):
    import sys

    from townplan_gis.fiveline import memory

    calls = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: calls.append)
    assert memory.release_freed_memory() is True and calls == [0]
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)  # musl, macOS, Windows
    assert memory.release_freed_memory() is False
    monkeypatch.undo()
    memory._malloc_trim.cache_clear()
    assert memory.release_freed_memory() is sys.platform.startswith("linux")


def test_the_engine_is_released_before_the_result_is_assembled(county, in_memory, monkeypatch):
    # The accelerator's vertex arrays go, and the freed memory is given back, once every chunk is
    # done and before the conflicts frame is built (the peak of a county's review is there).
    from townplan_gis.fiveline import run as run_module
    from townplan_gis.fiveline.fast import Fast

    events = []
    release = Fast.release
    monkeypatch.setattr(Fast, "release", lambda self: events.append("release") or release(self))
    monkeypatch.setattr(run_module, "release_freed_memory", lambda: events.append("trim"))
    result = run_module.InMemory.result
    monkeypatch.setattr(
        run_module.InMemory, "result", lambda self: events.append("result") or result(self)
    )
    got = tp.review(*county, chunk_size=97, progress=False)
    assert events == ["release", "trim", "result", "trim"]
    pd.testing.assert_frame_equal(got.conflicts, in_memory.conflicts)
    pd.testing.assert_frame_equal(got.projects, in_memory.projects)


def test_the_vertex_arrays_are_freed_when_the_chunks_are_done(county, monkeypatch):
    # Nothing of the review but the engine may hold the vertex arrays read during the preparation
    # (the workers' futures held them through the result's assembly: 0.2 GB at 10⁶ parcels).
    import gc
    import weakref

    from townplan_gis.fiveline import run as run_module
    from townplan_gis.fiveline.fast import Fast

    refs = []
    release = Fast.release

    def spy(self):
        rings = (self.pieces, self.zones, self._line_rings)
        refs.extend(weakref.ref(r.x) for r in rings if r is not None and len(r))
        release(self)

    alive = []
    result = run_module.InMemory.result

    def at_result(self):
        gc.collect()
        alive.extend(r() is not None for r in refs)
        return result(self)

    monkeypatch.setattr(Fast, "release", spy)
    monkeypatch.setattr(run_module.InMemory, "result", at_result)
    tp.review(*county, chunk_size=97, progress=False)
    assert len(refs) >= 2 and alive == [False] * len(refs)


def test_a_released_engine_refuses_to_measure(county):
    from townplan_gis.fiveline.fast import Fast
    from townplan_gis.fiveline.lines import prepare_lines
    from townplan_gis.fiveline.prepare import prepare_lines_frame
    from townplan_gis.fiveline.rules import load_rules

    frame, _ = prepare_lines_frame(county[1], county[1].crs)
    lines = prepare_lines(frame, load_rules(None))
    fast = Fast(lines)
    geoms = np.asarray(county[0].geometry.array, dtype=object)[:50]
    left, _, area, _ = fast.polygon_overlaps(geoms, lines.pieces, lines.piece_tree)
    assert len(left) and (area > 0).all()
    fast.release()
    with pytest.raises(RuntimeError, match="released"):
        fast.polygon_overlaps(geoms, lines.pieces, lines.piece_tree)
    with pytest.raises(RuntimeError, match="released"):
        fast.union_measures(geoms[:2], np.array([0, 0]), 1)


def test_a_review_keeps_only_what_its_evidence_search_reads(county, in_memory):
    # Once the chunks are done the lines drop the setback zones and the other indexes
    # (PreparedLines.release_chunk_state): the nearest-feature search of the checks, run when the
    # Review's checks are first read, finds the same distances without them.
    from townplan_gis.fiveline.checks import search_nearest
    from townplan_gis.fiveline.lines import prepare_lines
    from townplan_gis.fiveline.prepare import prepare_lines_frame
    from townplan_gis.fiveline.rules import load_rules

    frame, _ = prepare_lines_frame(county[1], county[1].crs)
    lines = prepare_lines(frame, load_rules(None), setbacks=True)
    assert len(lines.zones) > 0 and len(lines.piece_tree) > 0
    geoms = np.asarray(county[0].geometry.array, dtype=object)
    need = np.ones((len(geoms), len(LINE_TYPES)), dtype=bool)
    full = search_nearest(geoms, need, lines, 50.0)
    assert np.isfinite(full).sum() > 100
    pieces, trees = lines.pieces, lines.type_trees
    lines.release_chunk_state()
    assert len(lines.zones) == len(lines.zone_tree) == len(lines.sb_tree) == 0
    assert len(lines.tree) == len(lines.piece_tree) == 0
    assert lines.pieces is pieces and lines.type_trees is trees and lines.arrays
    np.testing.assert_array_equal(search_nearest(geoms, need, lines, 50.0), full)
    fresh = tp.review(*county, chunk_size=97, progress=False)
    pd.testing.assert_frame_equal(fresh.checks, in_memory.checks)
