"""The review opinion (审查意见) of one project: verdict, each conflict with its clause and the procedure it
requires, and a small static map, as one printable HTML page.

A folder of them, one page per project with an ``index.csv``: :mod:`.opinion_files`
(:func:`~townplan_gis.deliverables.opinion_files.write_opinions`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

from townplan_gis.core.clock import generated_at
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import badge, fmt_number, label
from townplan_gis.core.vocab import col, text
from townplan_gis.deliverables.charts import png_data_uri, project_map_png
from townplan_gis.deliverables.pages import css, template, version, write_page
from townplan_gis.deliverables.sections import evidence_rows, project_check_rows
from townplan_gis.deliverables.tables import conflict_rows, conflicts_table, setting_text
from townplan_gis.fiveline.grade import MU_M2

__all__ = ["project_opinion"]

log = logging.getLogger(__name__)

_CONCLUSION = {
    "reject": (
        "该项目与控制线存在禁止类冲突,不予核发规划许可;须调整选址或方案,消除下列禁止类冲突后重新报审。",
        "The project has forbidden conflicts with control lines: no planning permit. Move or redesign it "
        "to remove the forbidden conflicts below, then resubmit.",
    ),
    "review": (
        "该项目涉及控制线,须按下表所列程序办理审批后方可实施。",
        "The project touches control lines: it may proceed only after the procedures listed below.",
    ),
    "pass": (
        "该项目与五线无冲突,符合控制线管理要求。",
        "The project does not conflict with the five control lines.",
    ),
    "invalid": (
        "项目数据无效,无法审查;请修正后重新提交。",
        "The project's data is invalid and could not be reviewed; correct it and resubmit.",
    ),
    "not_checked": (
        "审查未完成,不能作出通过结论:",
        "The check is incomplete, so the project cannot pass: ",
    ),
}
# A pass with findings below approval (notices, ignored slivers): said so, never "no conflict".
_PASS_WITH_NOTES = (
    "该项目仅涉及提示事项(见下表),无需审批,符合控制线管理要求。",
    "Notices only (listed below): no approval is needed; the project meets the control-line rules.",
)
_PASS_SLIVERS = (
    "该项目与控制线仅有低于容差的碎片重叠(见下表,已忽略),符合控制线管理要求。",
    "The project meets the control lines only in slivers below the tolerance (listed below, "
    "ignored); it meets the control-line rules.",
)


def _conclusion(verdict: str, row: pd.Series, cf: pd.DataFrame, zh: bool) -> str:
    """The opinion's conclusion; "无冲突" / "no conflict" only when the project has no finding."""
    k = 0 if zh else 1
    if verdict == "pass" and len(cf):
        real = ~cf["ignored"].fillna(False).astype(bool) if "ignored" in cf else pd.Series(True)
        return (_PASS_WITH_NOTES if real.any() else _PASS_SLIVERS)[k]
    text = _CONCLUSION.get(verdict, ("", ""))[k]
    if verdict == "not_checked":
        why = str(row.get("reason_zh" if zh else "reason") or row.get("reason") or "")
        text += why.removeprefix("未完成审查：").removeprefix("not checked: ") + ("。请补齐控制线数据、声明本镇没有的控制线类型或审查范围后重新审查。" if zh
                            else ". Complete the line data, declare the types the town has none of, "
                            "or give the review coverage, then review again.")  # fmt: skip
    return text


def _nearest_note(review: Any, lang: str) -> str:
    """What the nearest distance of the checks table means, with the search distance used."""
    search = (getattr(review, "evidence", None) or {}).get("nearest_search_m")
    return text("nearest_note", lang, d=fmt_number(search)) if search else ""


def _one_project(
    review: Any, project_id: str, position: int | None
) -> tuple[pd.Series, Any, np.ndarray, int]:
    """The project's row, as a Series and a one-row frame, the positions of every project with that
    id, and the project's position."""
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
    return projects.iloc[position], projects.iloc[[position]], hit, int(position)


# A conflict row's geometry is part of its project (the overlap, or the part inside a setback band):
# within this distance, in metres of the analysis CRS, it is taken as inside.
_OWN_TOLERANCE_M = 0.01


def _own_conflicts(review: Any, project_id: str, position: int, hit: np.ndarray):
    """The conflict rows of the project at ``position``, and a note when its id is shared.

    The conflict rows name their project by id only. When several projects share the id, each row
    goes to the project whose geometry holds it (the same conflict held by two identical sites goes
    once to each); the note says so, and says when the counts do not match the projects' totals.
    """
    conflicts = review.conflicts
    mine = conflicts[conflicts["project_id"].astype(str).to_numpy() == str(project_id)]
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
    note = (
        f"项目编号“{project_id}”在审查数据中出现 {len(hit)} 次(行 "
        f"{', '.join(map(str, projects.index[hit]))});本意见对应行 {projects.index[position]} 的项目,"
        f"冲突按位置归属于该项目。"
        f"|project_id '{project_id}' is used by {len(hit)} projects (rows "
        f"{', '.join(map(str, projects.index[hit]))}); this opinion is the one of row "
        f"{projects.index[position]}, its conflicts attributed by location."
    )
    row = projects.iloc[position]
    if {"n_conflicts", "n_ignored"} <= set(projects.columns):
        expected = int(row["n_conflicts"]) + int(row["n_ignored"])
        if expected != len(own):
            note += (
                f" 按位置归属得到 {len(own)} 条冲突,审查结果记为 {expected} 条:请核对。"
                f"| Attribution by location found {len(own)} conflict rows where the review "
                f"counted {expected}: check them."
            )
    return own, note


def project_opinion(
    review: Any,
    project_id: str,
    *,
    town: Any = None,
    lang: str = "zh",
    path: str | Path | None = None,
    title: str | None = None,
    position: int | None = None,
) -> Path | str:
    """Review opinion (审查意见) of one project as a printable HTML page.

    Parameters
    ----------
    review : Review
        From :func:`townplan_gis.fiveline`.
    project_id : str
        The project's ``project_id``.
    town : Town, optional
        Adds the town name, the project's investment and status, and the nearby control lines to the map.
    lang : {"zh", "en"}, default "zh"
    path : str or Path, optional
        Write the page here and return the path; without it the HTML text is returned.
    title : str, optional
        Page title (default 建设项目五线审查意见).
    position : int, optional
        Position (0-based) of the project in ``review.projects``; required when several projects
        share ``project_id`` (their conflicts are then attributed by location and the page says so).

    Returns
    -------
    Path or str

    Raises
    ------
    TownPlanError
        No project has ``project_id``, or several do and ``position`` is not given.

    Notes
    -----
    The conclusion follows the Review contract: ``reject`` when any non-ignored conflict is forbidden,
    ``review`` when any needs a procedure, ``pass`` otherwise (notices listed). Ignored slivers are
    listed greyed for transparency, never counted.
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"project_opinion: lang must be 'zh' or 'en', got {lang!r}.")
    zh = lang == "zh"
    row, project, hit, position = _one_project(review, project_id, position)
    own, shared = _own_conflicts(review, project_id, position, hit)
    cf = conflicts_table(SimpleNamespace(conflicts=own), lang)
    facts = [
        (col("project_id", lang), row["project_id"]),
        (col("project_name", lang), row.get("project_name")),
        (col("project_type", lang), row.get("project_type")),
    ]
    if shared:
        facts.append(("注意" if zh else "Note", shared.split("|")[0 if zh else 1]))
    area = (
        float(row.geometry.area) if row.geometry is not None and not row.geometry.is_empty else 0.0
    )
    if area > 0:
        facts.append(
            (
                "用地面积" if zh else "Site area",
                f"{fmt_number(area)} m² ({fmt_number(area / MU_M2)} 亩)",
            )
        )
    if town is not None and town.has("projects"):
        src = town.projects[town.projects["project_id"].astype(str) == str(project_id)]
        if len(src) > 1:
            # several projects share the id: the one with this project's row label, else none
            src = src[src.index == row.name]
        if len(src) == 1:
            for c in ("investment_wan_yuan", "status"):
                if c in src and pd.notna(src.iloc[0][c]):
                    name = col(c, lang) if c != "status" else ("建设状态" if zh else "Status")
                    facts.append(
                        (
                            name,
                            fmt_number(src.iloc[0][c]) if c.endswith("yuan") else src.iloc[0][c],
                        )
                    )
    verdict = str(row["verdict"])
    conclusion = _conclusion(verdict, row, cf, zh)
    if verdict == "invalid" and row.get("reason"):
        # the conflicts table says the rest; for invalid input the reason is the only explanation
        conclusion += (" 说明:" if zh else " Detail: ") + str(row.get("reason"))
    conflicts, _basis = conflict_rows(cf, lang)
    lines = town.layer("control_lines", empty_ok=True) if town is not None else None
    overlaps = own
    try:
        png = project_map_png(project, conflicts=overlaps, lines=lines, lang=lang)
        map_uri = png_data_uri(png)
    except Exception as exc:  # a map must never block the written opinion
        log.warning("project_opinion: map of %s not drawn (%s)", project_id, exc)
        map_uri = None
    s = getattr(review, "settings", {}) or {}
    generated = generated_at().isoformat(timespec="seconds")
    method = [
        (
            "审查规则" if zh else "Rules",
            f"{s.get('rules', '')} {s.get('rules_version', '')}".strip(),
        ),
        ("坐标系" if zh else "CRS", str(s.get("crs", ""))),
        ("容差" if zh else "Tolerance", setting_text(s.get("tolerance", ""))),
        (text("version", lang), f"townplan_gis {version()}"),
    ]
    L = {
        "generated": text("generated", lang),
        "project": "一、项目概况" if zh else "1. Project",
        "verdict": "审查结论" if zh else "Verdict",
        "conflicts": "二、与控制线的冲突" if zh else "2. Conflicts with control lines",
        # An incomplete check found nothing only where it looked: never a bare "no conflicts".
        "no_conflicts": text("no_conflicts", lang)
        if verdict != "not_checked"
        else (
            "审查未完成,未发现冲突不代表没有冲突(见审查结论)。"
            if zh
            else "The check is incomplete: no conflict found does not mean none (see the verdict)."
        ),
        "map": "三、位置示意图" if zh else "3. Location sketch",
        "map_legend": (
            "黑框为项目范围;彩色为控制线(红、绿、紫、蓝、黄);斜线为重叠部分。"
            if zh
            else "Black outline: project; colours: control lines (red, green, purple, blue, yellow); "
            "hatched: overlaps."
        ),
        "basis": "四、审查依据" if zh else "4. Basis",
        "reviewer": "审查人" if zh else "Reviewer",
        "ignored": "碎片,已忽略" if zh else "sliver, ignored",
        "clause": col("clause", lang),
        "procedure": col("procedure", lang),
        "date": "日期" if zh else "Date",
        "checks": "各类控制线核对情况" if zh else "What was checked, line type by line type",
        "nearest_note": _nearest_note(review, lang),
    }
    page = template("opinion.html.j2").render(
        lang=lang,
        css=Markup(css()),
        title=title or text("opinion_title", lang),
        version=version(),
        generated=generated,
        town_name=town.name if town is not None else "",
        project=row,
        facts=[(a, "" if b is None else b) for a, b in facts],
        verdict_badge=Markup(badge("verdict", verdict, lang)),
        verdict_label=label("verdict", verdict, lang),
        conclusion=conclusion,
        conflicts=conflicts,
        headers=[
            "#",
            col("line_type", lang),
            col("zone", lang),
            col("grade", lang),
            col("overlap_area_m2", lang),
            col("overlap_area_mu", lang),
            col("overlap_length_m", lang),
            col("pct_of_project", lang),
        ],
        map_uri=map_uri,
        # The evidence names the rule file (with its hash), CRS, tolerance and version itself.
        method=[] if evidence_rows(review, lang) else method,
        evidence=evidence_rows(review, lang),
        checks=project_check_rows(review, project_id, lang),
        check_headers=[
            col("line_type", lang),
            col("check_status", lang),
            col("features_found", lang),
            col("nearest_distance_m", lang),
        ],
        L=L,
    )
    return page if path is None else write_page(page, path)
