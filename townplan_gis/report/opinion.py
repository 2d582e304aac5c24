"""The review opinion (审查意见) of one project: verdict, each conflict with its clause and the procedure it
requires, and a small static map, as one printable HTML page."""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from townplan_gis._display import badge, fmt_number, label
from townplan_gis.errors import TownPlanError
from townplan_gis.report._labels import col, text
from townplan_gis.report.charts import png_data_uri, project_map_png
from townplan_gis.report.html import _env, _version, _write_page, css
from townplan_gis.report.sections import evidence_rows, project_check_rows
from townplan_gis.report.tables import conflict_rows, conflicts_table, setting_text
from townplan_gis.review.grading import MU_M2

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


def _one_project(review: Any, project_id: str) -> tuple[pd.Series, Any]:
    projects = review.projects
    hit = projects[projects["project_id"].astype(str) == str(project_id)]
    if not len(hit):
        known = projects["project_id"].astype(str).tolist()
        raise TownPlanError(
            f"project_opinion: no project '{project_id}' in the review. Known project_id values: "
            f"{known[:30]}{' …' if len(known) > 30 else ''}."
        )
    return hit.iloc[0], hit


def project_opinion(
    review: Any,
    project_id: str,
    *,
    town: Any = None,
    lang: str = "zh",
    path: str | Path | None = None,
    title: str | None = None,
) -> Path | str:
    """Review opinion (审查意见) of one project as a printable HTML page.

    Parameters
    ----------
    review : Review
        From :func:`townplan_gis.review`.
    project_id : str
        The project's ``project_id``.
    town : Town, optional
        Adds the town name, the project's investment and status, and the nearby control lines to the map.
    lang : {"zh", "en"}, default "zh"
    path : str or Path, optional
        Write the page here and return the path; without it the HTML text is returned.
    title : str, optional
        Page title (default 建设项目五线审查意见).

    Returns
    -------
    Path or str

    Notes
    -----
    The conclusion follows the Review contract: ``reject`` when any non-ignored conflict is forbidden,
    ``review`` when any needs a procedure, ``pass`` otherwise (notices listed). Ignored slivers are
    listed greyed for transparency, never counted.
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"project_opinion: lang must be 'zh' or 'en', got {lang!r}.")
    zh = lang == "zh"
    row, project = _one_project(review, project_id)
    cf = conflicts_table(review, lang)
    cf = cf[cf["project_id"].astype(str) == str(project_id)]
    facts = [
        (col("project_id", lang), row["project_id"]),
        (col("project_name", lang), row.get("project_name")),
        (col("project_type", lang), row.get("project_type")),
    ]
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
        if len(src):
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
    overlaps = review.for_project(project_id) if hasattr(review, "for_project") else None
    try:
        png = project_map_png(project, conflicts=overlaps, lines=lines, lang=lang)
        map_uri = png_data_uri(png)
    except Exception as exc:  # a map must never block the written opinion
        log.warning("project_opinion: map of %s not drawn (%s)", project_id, exc)
        map_uri = None
    s = getattr(review, "settings", {}) or {}
    generated = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    method = [
        (
            "审查规则" if zh else "Rules",
            f"{s.get('rules', '')} {s.get('rules_version', '')}".strip(),
        ),
        ("坐标系" if zh else "CRS", str(s.get("crs", ""))),
        ("容差" if zh else "Tolerance", setting_text(s.get("tolerance", ""))),
        (text("version", lang), f"townplan_gis {_version()}"),
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
    page = (
        _env()
        .get_template("opinion.html.j2")
        .render(
            lang=lang,
            css=Markup(css()),
            title=title or text("opinion_title", lang),
            version=_version(),
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
    )
    return page if path is None else _write_page(page, path)
