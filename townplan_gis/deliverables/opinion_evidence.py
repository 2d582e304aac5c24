"""The parts of a review opinion taken from the review itself: the project's row, its own conflict rows
(also when several projects share an id), and the evidence of the check (data, line types, coverage,
rule file, tolerance) written out in words, Chinese or English.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import fmt_number
from townplan_gis.core.reprs import label as value_label
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.core.vocab import check_status

__all__ = ["evidence_lines", "one_project", "own_conflicts"]


def one_project(
    review: Any, project_id: str, position: int | None
) -> tuple[pd.Series, np.ndarray, int]:
    """The project's row, the positions of every project with that id, and the project's position."""
    projects = review.projects
    hit = np.flatnonzero(projects["project_id"].astype(str).to_numpy() == str(project_id))
    if not len(hit):
        known = projects["project_id"].astype(str).tolist()
        raise TownPlanError(
            f"project_opinion: no project '{project_id}' in the review. Known project_id values: "
            f"{known[:30]}{' …' if len(known) > 30 else ''}."
        )
    if position is None:
        if len(hit) > 1:
            raise TownPlanError(
                f"project_opinion: project_id '{project_id}' is used by {len(hit)} projects (rows "
                f"{projects.index[hit].tolist()}). Fix: pass position= (their positions in "
                f"review.projects: {hit.tolist()}), or use write_opinions, which writes one file per "
                f"project; better, give each project its own id."
            )
        position = int(hit[0])
    elif position not in hit:
        raise TownPlanError(
            f"project_opinion: position {position} of review.projects is not project "
            f"'{project_id}'; its positions are {hit.tolist()}."
        )
    return projects.iloc[position], hit, int(position)


# A conflict row's geometry is part of its project (the overlap, or the part inside a setback band):
# within this distance, in metres of the analysis CRS, it is taken as inside.
_OWN_TOLERANCE_M = 0.01


def own_conflicts(review: Any, mine: pd.DataFrame, project_id: str, position: int, hit: np.ndarray):
    """The conflict rows (``mine``: those naming ``project_id``) of the project at ``position``, and a
    note when its id is shared ("zh text|en text").

    The conflict rows name their project by id only. When several projects share the id, each row
    goes to the project whose geometry holds it (the same conflict held by two identical sites goes
    once to each); the note says so, and says when the counts do not match the projects' totals.
    """
    if len(hit) < 2 or not len(mine):
        return mine, None
    projects = review.projects
    sites = np.asarray(projects.geometry.to_numpy()[hit], dtype=object)
    parts = np.asarray(mine.geometry.to_numpy(), dtype=object)
    inside = shapely.covers(shapely.buffer(sites, _OWN_TOLERANCE_M)[None, :], parts[:, None])
    dist = shapely.distance(sites[None, :], parts[:, None])
    cols = [c for c in ("check", "line_type", "line_id", "line_name", "zone", "grade") if c in mine]
    keys = list(mine[cols].astype(str).itertuples(index=False, name=None))
    taken: list[set] = [set() for _ in hit]
    owner = np.full(len(mine), -1)
    for i, key in enumerate(keys):
        candidates = np.flatnonzero(inside[i])
        if not len(candidates) and np.isfinite(dist[i]).any():
            candidates = np.array([int(np.nanargmin(dist[i]))])
        for j in candidates:
            if key not in taken[j]:
                owner[i] = j
                taken[j].add(key)
                break
        else:
            if len(candidates):
                owner[i] = candidates[0]
    me = int(np.flatnonzero(hit == position)[0])
    own = mine[owner == me]
    rows = "、".join(map(str, projects.index[hit]))
    note = (
        f"项目编号“{project_id}”在审查数据中出现 {len(hit)} 次（第 {rows} 行）；本意见对应第 "
        f"{projects.index[position]} 行的项目，冲突按位置归属于该项目。"
        f"|project_id '{project_id}' is used by {len(hit)} projects (rows "
        f"{', '.join(map(str, projects.index[hit]))}); this opinion is the one of row "
        f"{projects.index[position]}, its conflicts attributed by location."
    )
    row = projects.iloc[position]
    if {"n_conflicts", "n_ignored"} <= set(projects.columns):
        expected = int(row["n_conflicts"]) + int(row["n_ignored"])
        if expected != len(own):
            zh, en = note.split("|")
            note = (
                f"{zh}按位置归属得到 {len(own)} 条冲突，审查结果记为 {expected} 条，请核对。"
                f"|{en} Attribution by location found {len(own)} conflict rows where the review "
                f"counted {expected}: check them."
            )
    return own, note


def _coverage(source: str, town_name: str, zh: bool) -> str:
    """The review's coverage source in words (the engine records it in English)."""
    if not zh:
        return source
    if source.startswith("town boundary"):
        return f"{town_name or '本镇'}的镇域边界（边界图层）"
    if source.startswith("convex hull"):
        return "未提供审查范围，按控制线数据的凸包计"
    if source.startswith("none"):
        return "无（既无控制线也未提供审查范围，任何项目都不能确认位于审查范围内）"
    return "调用时给定的审查范围"


def _rules(name: str, zh: bool) -> str:
    if name.startswith("default"):
        return "软件自带默认规则（default.toml）" if zh else name
    return f"规则文件 {PurePath(name).name}" if zh else name


def _tolerance(tol: dict[str, Any], zh: bool) -> str:
    if not tol:
        return "—"
    never = tol.get("never_ignore") or []
    names = []
    for item in never:
        lt, _, zone = str(item).partition(":")
        name = value_label("line_type", lt, "zh" if zh else "en")
        names.append(name + (value_label("zone", zone, "zh" if zh else "en") if zone else ""))
    if zh:
        out = (f"面积小于 {fmt_number(tol.get('min_area_m2'))} m² 或项目面积的 "
               f"{fmt_number(tol.get('min_pct_of_project'), '%')} %，或内缩 "
               f"{fmt_number(tol.get('inward_buffer_m'))} m 后消失的重叠为碎片；线状项目小于 "
               f"{fmt_number(tol.get('min_length_m'))} m")  # fmt: skip
        return out + (f"；{'、'.join(names)}不忽略碎片" if names else "")
    out = (f"overlaps below {fmt_number(tol.get('min_area_m2'))} m² or "
           f"{fmt_number(tol.get('min_pct_of_project'), '%')} % of the project, or gone under an "
           f"inward buffer of {fmt_number(tol.get('inward_buffer_m'))} m; line projects below "
           f"{fmt_number(tol.get('min_length_m'))} m")  # fmt: skip
    return out + (f"; never ignored: {', '.join(names)}" if names else "")


def _when(stamp: Any, zh: bool) -> str:
    try:
        t = _dt.datetime.fromisoformat(str(stamp)).astimezone()
    except ValueError:
        return str(stamp or "—")
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" if zh else t.strftime("%Y-%m-%d %H:%M %Z")


def evidence_lines(review: Any, lang: str, *, town_name: str = "") -> list[tuple[str, str]]:
    """The data and rules the review checked, as (item, text) lines; empty when the review has no
    evidence record (a hand-made review)."""
    ev = getattr(review, "evidence", None) or {}
    if not ev:
        return []
    zh = lang == "zh"
    rows: list[tuple[str, str]] = []
    layer_names = {
        "projects": ("建设项目", "projects"),
        "control_lines": ("控制线", "control lines"),
    }
    for src in ev.get("sources", []):
        name = layer_names.get(src.get("layer"), (str(src.get("layer")),) * 2)[0 if zh else 1]
        n = fmt_number(src.get("features"), "count")
        rows.append(
            (
                f"审查数据：{name}" if zh else f"Data: {name}",
                f"{n} 个要素，SHA-256 {src.get('sha256', '')}" if zh
                else f"{n} features, SHA-256 {src.get('sha256', '')}",
            )
        )  # fmt: skip
    types = ev.get("line_types", {})
    if types:
        parts = []
        for lt in LINE_TYPES:
            info = types.get(lt, {})
            status = str(info.get("status", ""))
            name = value_label("line_type", lt, lang)
            if status == "checked":
                n = fmt_number(info.get("features"), "count")
                parts.append(f"{name} {n} 条（已核对）" if zh else f"{name}: {n} (checked)")
            else:
                parts.append(f"{name}（{check_status(status, lang)}）" if zh
                             else f"{name} ({check_status(status, lang)})")  # fmt: skip
        rows.append(
            ("核对的控制线" if zh else "Line types checked", ("；" if zh else "; ").join(parts))
        )
    cov = ev.get("coverage") or {}
    if cov:
        area = cov.get("area_m2")
        size = f"{fmt_number(area / 1e6)} km²" if isinstance(area, (int, float)) and area else "—"
        where = _coverage(str(cov.get("source", "")), town_name, zh)
        digest = f"，SHA-256 {cov['sha256']}" if zh and cov.get("sha256") else (
            f", SHA-256 {cov['sha256']}" if cov.get("sha256") else "")  # fmt: skip
        rows.append(("审查范围" if zh else "Coverage", f"{where}，{size}{digest}" if zh
                     else f"{where}, {size}{digest}"))  # fmt: skip
    for f in ev.get("files", []):
        name = _rules(str(f.get("rules", "")), zh)
        rows.append(
            ("审查规则" if zh else "Rule file",
             f"{name}，版本 {f.get('version', '')}，SHA-256 {f.get('sha256') or '—'}" if zh
             else f"{name}, version {f.get('version', '')}, SHA-256 {f.get('sha256') or '—'}")
        )  # fmt: skip
    rows.append(("审查坐标系" if zh else "Analysis CRS", str(ev.get("analysis_crs", "—"))))
    rows.append(
        ("碎片容差" if zh else "Sliver tolerance", _tolerance(ev.get("tolerance") or {}, zh))
    )
    if ev.get("nearest_search_m") is not None:
        rows.append(("最近要素搜索距离" if zh else "Nearest-feature search",
                     f"{fmt_number(ev['nearest_search_m'])} m"))  # fmt: skip
    rows.append(("审查时间" if zh else "Reviewed at", _when(ev.get("generated"), zh)))
    rows.append(
        ("软件版本" if zh else "Software", f"townplan_gis {ev.get('townplan_gis_version', '')}")
    )
    return rows
