"""What a review opinion (审查意见书) says, as plain data: one dict per project that the HTML page
(:mod:`.opinion`), the Word file (:mod:`.opinion_docx`) and the PDF all print, so the three carry the
same words and the same numbers.

:class:`OpinionBatch` prepares what every opinion of one review shares once (the office, the date,
the centroids in CGCS2000, the nearby lines of each site, the evidence rows), so a county's opinions
are not each rebuilt from the whole review.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from townplan_gis.core.clock import generated_at
from townplan_gis.core.reprs import fmt_number
from townplan_gis.core.reprs import label as value_label
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.core.schema.spec import LINE_FAMILIES
from townplan_gis.core.vocab import check_status, col, text
from townplan_gis.deliverables.opinion_evidence import evidence_lines, own_conflicts
from townplan_gis.deliverables.opinion_map import site_box, site_map_png
from townplan_gis.deliverables.opinion_office import Office, load_office, zh_date
from townplan_gis.deliverables.pages import version
from townplan_gis.deliverables.tables import conflicts_table, line_text
from townplan_gis.fiveline.grade import MU_M2

__all__ = ["OpinionBatch", "opinion_content"]

# The geographic CRS of the centroid coordinates: CGCS2000 (EPSG:4490, docs/sources.md#epsg).
CGCS2000 = "EPSG:4490"
# A line type counts as checked for a project when the review says so: in the data, or declared absent.
_CHECKED = ("checked", "declared_absent")
_APPLICANT_COLUMNS = ("applicant", "developer", "建设单位", "申请单位")


def reviewed_types(review: Any) -> tuple[str, ...]:
    """The line types the review was asked to check: those of its selected families (三区三线 only
    when selected), every type when the review does not say (an older review)."""
    fams = (getattr(review, "evidence", None) or {}).get("families") or {}
    selected = fams.get("selected")
    if not selected:
        return LINE_TYPES
    return tuple(t for t in LINE_TYPES if any(t in LINE_FAMILIES.get(f, ()) for f in selected))


def _t(value: Any) -> str:
    """A cell as text: '' for None, NaN and NA (never 'nan')."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _num(value: Any) -> float:
    """A number, 0.0 for a missing or unreadable one."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if np.isnan(x) else x


class OpinionBatch:
    """What the opinions of one review share, prepared once.

    Parameters
    ----------
    review : Review
    town : Town, optional
        Names the town, gives each project's applicant, investment and status, and the lines drawn
        on the maps (else the lines the review's conflicts name are drawn).
    office : Office, dict, str or Path, optional
        :func:`~townplan_gis.deliverables.opinion_office.load_office`.
    lang : {"zh", "en"}
    maps : bool, default True
        Draw the location maps (False: the opinions say the map was left out).
    """

    def __init__(self, review: Any, *, town: Any = None, office: Any = None, lang: str = "zh",
                 maps: bool = True) -> None:  # fmt: skip
        self.review, self.town, self.lang, self.maps = review, town, lang, maps
        self.zh = lang == "zh"
        self.office: Office = load_office(office, town=town)
        when = generated_at()
        self.when: _dt.datetime = when
        self.date = zh_date(when.date()) if self.zh else when.date().isoformat()
        projects = review.projects
        self.ids = projects["project_id"].astype(str).to_numpy()
        self.by_id: dict[str, list[int]] = defaultdict(list)
        for i, pid in enumerate(self.ids):
            self.by_id[pid].append(i)
        geoms = np.asarray(projects.geometry.array, dtype=object)
        self.lonlat = np.full((len(geoms), 2), np.nan)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if ok.any() and projects.crs is not None:
            c = shapely.get_coordinates(shapely.centroid(geoms[ok]))
            tr = Transformer.from_crs(projects.crs, CGCS2000, always_xy=True)
            self.lonlat[ok] = np.column_stack(tr.transform(c[:, 0], c[:, 1]))
        conflicts = review.conflicts
        self.conflict_rows: dict[str, np.ndarray] = {
            str(k): v
            for k, v in conflicts.groupby(conflicts["project_id"].astype(str)).indices.items()
        }
        # The findings of every conflict row, translated and formatted once, worst first per project.
        cf = conflicts_table(
            SimpleNamespace(conflicts=conflicts.assign(_pos=np.arange(len(conflicts)))), lang
        )
        self.cf_pos = cf["_pos"].to_numpy(dtype=int)
        self.findings_all = _findings(cf, self.zh)
        self.cf_rows: dict[str, np.ndarray] = {
            str(k): v for k, v in cf.groupby(cf["project_id"].astype(str)).indices.items()
        }
        self.conf_geoms = np.asarray(conflicts.geometry.array, dtype=object)
        self.conf_grades = conflicts["grade"].astype(str).to_numpy()
        ign = (
            conflicts["ignored"]
            if "ignored" in conflicts
            else pd.Series(False, index=conflicts.index)
        )
        self.conf_counted = ~ign.fillna(False).astype(bool).to_numpy()
        lines = town.layer("control_lines", empty_ok=True) if town is not None else None
        if lines is None or not len(lines):
            lines = conflicts
        elif (
            lines.crs is not None
            and projects.crs is not None
            and not lines.crs.equals(projects.crs)
        ):
            lines = lines.to_crs(projects.crs)  # the map is drawn in the review's CRS
        self.lines = np.asarray(lines.geometry.array, dtype=object)
        self.line_types = lines["line_type"].astype(str).to_numpy()
        self.tree = shapely.STRtree(self.lines)
        checks = getattr(review, "checks", None)
        self.types = reviewed_types(review)
        self.check_rows: dict[int, np.ndarray] = {}
        if checks is not None and len(checks):
            self.check_type = checks.index.get_level_values(1).astype(str).to_numpy()
            self.check_status = checks["status"].astype(str).to_numpy()
            self.check_found = checks["features_found"].to_numpy(dtype=float)
            self.check_nearest = checks["nearest_distance_m"].to_numpy(dtype=float)
            # Review.checks has five rows per project, in the projects' order, indexed by the
            # projects' labels (which may repeat): by position when it has that shape, else by
            # label where labels are unique.
            t, n = len(self.types), len(projects)
            ids = checks["project_id"].astype(str).to_numpy()
            if len(checks) == t * n and (ids[::t] == self.ids).all():
                self.check_rows = {p: np.arange(p * t, p * t + t) for p in range(n)}
            elif projects.index.is_unique:
                where = projects.index.get_indexer(checks.index.get_level_values(0))
                self.check_rows = {
                    int(k): v for k, v in pd.Series(where).groupby(where).indices.items() if k >= 0
                }
        self.evidence = evidence_lines(review, lang, town_name=getattr(town, "name", ""))
        self.source_rows: dict[str, list[int]] = defaultdict(list)
        self.town_projects = town.projects if town is not None and town.has("projects") else None
        if self.town_projects is not None:
            for i, pid in enumerate(self.town_projects["project_id"].astype(str)):
                self.source_rows[pid].append(i)

    def source_row(self, project_id: str, label: Any) -> pd.Series | None:
        """The project's row in the town's own projects layer (applicant, investment, status)."""
        src = self.town_projects
        rows = self.source_rows.get(project_id, [])
        if src is None:
            return None
        if len(rows) > 1:
            rows = [i for i in rows if src.index[i] == label]
        return src.iloc[rows[0]] if len(rows) == 1 else None

    def map_png(self, site: Any, conflict_pos: np.ndarray) -> bytes | None:
        """The location map; ``conflict_pos``: the project's rows of ``review.conflicts``."""
        if not self.maps:
            return None
        near = self.tree.query(shapely.box(*site_box(site)))
        pos = conflict_pos[self.conf_counted[conflict_pos]] if len(conflict_pos) else conflict_pos
        geoms = self.conf_geoms[pos]
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        return site_map_png(
            site,
            lines=self.lines[near],
            line_types=self.line_types[near],
            overlaps=geoms[keep],
            grades=self.conf_grades[pos][keep],
            lang=self.lang,
        )


def _checks(batch: OpinionBatch, position: int) -> tuple[list[dict[str, str]], bool]:
    """The project's five line-type checks, and whether every type was checked."""
    rows_at = batch.check_rows.get(position)
    if rows_at is None:
        return [], False
    rows, seen = [], set()
    for i in rows_at:
        lt, status, found = batch.check_type[i], batch.check_status[i], batch.check_found[i]
        if status in _CHECKED:
            seen.add(lt)
        rows.append(
            {
                "line": value_label("line_type", lt, batch.lang),
                "status": status,
                "status_label": check_status(status, batch.lang),
                "found": "—" if np.isnan(found) else fmt_number(found, "count"),
                "nearest": fmt_number(batch.check_nearest[i]),
            }
        )
    return rows, set(batch.types) <= seen


def _findings(cf: pd.DataFrame, zh: bool) -> list[dict[str, Any]]:
    out = []
    for i, r in enumerate(cf.itertuples(index=False), start=1):
        r = r._asdict()
        area, length = _num(r.get("overlap_area_m2")), _num(r.get("overlap_length_m"))
        mu, pct, dist = _num(r.get("overlap_area_mu")), _num(r.get("pct_of_project")), None
        line = line_text(r.get("line_type"), r.get("line_name"), "zh" if zh else "en")
        setback = r.get("check") == "setback"
        if setback:
            dist = _num(r.get("distance_m"))
        ignored = bool(r["ignored"]) if pd.notna(r.get("ignored")) else False
        if area > 0:
            size = f"{fmt_number(area)} m²（{fmt_number(mu)} 亩）" if zh else (
                f"{fmt_number(area)} m² ({fmt_number(mu)} mu)")  # fmt: skip
        elif length > 0:
            size = f"长 {fmt_number(length)} m" if zh else f"{fmt_number(length)} m long"
        else:
            size = "点位" if zh else "point"
        out.append(
            {
                "n": i,
                "line": line,
                "zone": value_label("zone", r["zone"], "zh" if zh else "en") if _t(r.get("zone")) else "",
                "grade": _t(r.get("grade")),
                "grade_label": r["grade_label"],
                "size": size,
                "pct": fmt_number(pct, "%"),
                "distance": "" if dist is None else fmt_number(dist),
                "area_m2": area, "area_mu": mu, "length_m": length, "pct_value": pct,
                "distance_m": dist,
                "clause": _t(r.get("clause")),
                "procedure": _t(r.get("procedure")),
                "ignored": ignored,
                "setback": setback,
            }
        )  # fmt: skip
    return out


def _conclusion(verdict: str, findings: list[dict], complete: bool, row: pd.Series, zh: bool):
    """The conclusion word (符合 / 需补充审查 / 不符合) and the sentence after it.

    符合 only for a pass whose line types (of the families reviewed) were all checked (in the data or declared absent):
    a pass without that record, or with a type unchecked, is 需补充审查 and says why.
    """
    k, lang = (0 if zh else 1), ("zh" if zh else "en")
    word = {"pass": "pass", "reject": "reject"}.get(verdict, "review")
    if verdict == "pass" and not complete:
        word = "review"
    real = [f for f in findings if not f["ignored"]]
    sentences = {
        "reject": ("该项目与控制线存在禁止类冲突，不予核发规划许可；须调整选址或方案，消除下列禁止类冲突后重新报审。",
                   "The project has forbidden conflicts with control lines: no planning permit. Move or "
                   "redesign it to remove the forbidden conflicts below, then resubmit."),
        "review": ("该项目涉及控制线，须按下表所列程序办理审批后方可实施。",
                   "The project touches control lines: it may proceed only after the procedures listed below."),
        "invalid": ("项目数据无效，无法审查；请修正后重新提交。",
                    "The project's data is invalid and could not be reviewed; correct it and resubmit."),
    }  # fmt: skip
    if verdict == "pass":
        if real:
            s = ("该项目仅涉及提示事项（见下表），无需审批，符合控制线管理要求。",
                 "Notices only (listed below): no approval is needed; the project meets the control-line rules.")  # fmt: skip
        elif findings:
            s = ("该项目与控制线仅有低于容差的碎片重叠（见下表，已忽略），符合控制线管理要求。",
                 "The project meets the control lines only in slivers below the tolerance (listed "
                 "below, ignored); it meets the control-line rules.")  # fmt: skip
        else:
            s = (
                "该项目与所审查的各类控制线均无冲突，符合控制线管理要求。",
                "The project does not conflict with any control line reviewed.",
            )
        sentence = s[k]
        if not complete:
            sentence = (
                "未能确认所审查的各类控制线均已核对（审查结果缺少逐类核对记录或有未核对的类型），不能出具“符合”结论；"
                "请补齐控制线数据或核对记录后重新审查。审查所见："
                if zh else "It cannot be shown that every line type reviewed was checked (the review "
                "has no per-type record, or a type was not checked), so it cannot comply yet; "
                "complete the line data and review again. What the review saw: "
            ) + sentence  # fmt: skip
    elif verdict == "not_checked":
        why = _t(row.get("reason_zh" if zh else "reason")) or _t(row.get("reason"))
        why = why.removeprefix("未完成审查：").removeprefix("not checked: ")
        sentence = ("审查未完成，不能作出通过结论：" + why +
                    "。请补齐控制线数据、声明本镇没有的控制线类型或审查范围后重新审查。") if zh else (
            "The check is incomplete, so the project cannot pass: " + why + ". Complete the line "
            "data, declare the types the town has none of, or give the review coverage, then review "
            "again.")  # fmt: skip
    else:
        sentence = sentences.get(verdict, sentences["review"])[k]
        if verdict == "invalid" and _t(row.get("reason")):
            sentence += ("说明：" if zh else " Detail: ") + _t(
                row.get("reason_zh") or row.get("reason")
            )
    return {"key": word, "word": text(f"opinion_conclusion_{word}", lang), "text": sentence}


def opinion_content(
    batch: OpinionBatch, position: int, *, seq: int | None = None
) -> dict[str, Any]:
    """Everything the opinion of the project at ``position`` (in ``review.projects``) says.

    ``seq`` numbers the document (``office.number``); default the project's position, so a project
    keeps its number whichever subset of opinions is written.
    """
    zh, lang, review = batch.zh, batch.lang, batch.review
    row = review.projects.iloc[position]
    pid = batch.ids[position]
    hit = np.asarray(batch.by_id[pid])
    mine = batch.conflict_rows.get(pid, np.empty(0, dtype=int))
    rows = batch.cf_rows.get(pid, np.empty(0, dtype=int))
    shared = None
    if len(hit) > 1 and len(mine):
        sub = review.conflicts.iloc[mine].assign(_p=mine)
        own, shared = own_conflicts(review, sub, pid, position, hit)
        keep = set(own["_p"].tolist())
        mine = np.asarray(sorted(keep), dtype=int)
        rows = np.asarray([i for i in rows if batch.cf_pos[i] in keep], dtype=int)
    findings = [dict(batch.findings_all[i], n=k) for k, i in enumerate(rows, start=1)]
    checks, complete = _checks(batch, position)
    verdict = _t(row["verdict"])
    site = row.geometry
    area = float(site.area) if site is not None and not site.is_empty else 0.0
    length = float(site.length) if site is not None and not site.is_empty and area == 0 else 0.0
    lon, lat = batch.lonlat[position]
    src = batch.source_row(pid, review.projects.index[position])
    applicant = ""
    for c in _APPLICANT_COLUMNS:
        if src is not None and c in src and _t(src[c]).strip():
            applicant = _t(src[c]).strip()
            break
    missing = "（未提供，请填写）" if zh else "(not given: fill in)"
    facts = [
        ("申请单位" if zh else "Applicant", applicant or missing),
        (col("project_name", lang), _t(row.get("project_name")) or missing),
        (col("project_id", lang), pid),
        (col("project_type", lang), value_label("project_type", row.get("project_type"), lang)),
        ("所在城镇" if zh else "Town", _t(getattr(batch.town, "name", "")) or missing),
    ]
    if np.isfinite(lon):
        where = (f"东经 {lon:.6f}°，北纬 {lat:.6f}°（2000国家大地坐标系，项目中心点）" if zh
                 else f"{lon:.6f}° E, {lat:.6f}° N (CGCS2000, centre of the site)")  # fmt: skip
        facts.append(("中心点坐标" if zh else "Location", where))
    if area > 0:
        facts.append(("用地面积" if zh else "Site area",
                      f"{fmt_number(area)} m²（{fmt_number(area / MU_M2)} 亩）" if zh
                      else f"{fmt_number(area)} m² ({fmt_number(area / MU_M2)} mu)"))  # fmt: skip
    elif length > 0:
        facts.append(("线路长度" if zh else "Length", f"{fmt_number(length)} m"))
    if src is not None:
        if "investment_wan_yuan" in src and pd.notna(src["investment_wan_yuan"]):
            facts.append((col("investment_wan_yuan", lang), fmt_number(src["investment_wan_yuan"])))
        if "status" in src and pd.notna(src["status"]):
            facts.append(
                ("建设状态" if zh else "Status", value_label("project_status", src["status"], lang))
            )
    if shared:
        facts.append(("注意" if zh else "Note", shared.split("|")[0 if zh else 1]))
    office = batch.office
    number = office.number(position if seq is None else seq, year=batch.when.year, project_id=pid)
    try:
        png = batch.map_png(site, mine)
    except Exception as exc:  # a map must never block the written opinion; the page says so
        png = None
        map_note = ("位置示意图未能绘制：" if zh else "The map could not be drawn: ") + type(
            exc
        ).__name__
    else:
        map_note = (
            ""
            if png is not None or batch.maps
            else (
                "本批意见书未附位置示意图（按调用参数省略）。"
                if zh
                else "Maps left out for this batch."
            )
        )
    return {
        "lang": lang,
        "title": text("opinion_doc_title", lang),
        "number": number,
        "date": batch.date,
        "office": office,
        "placeholder_warning": (
            (
                "签发机关信息为软件自带的占位示例，不是真实机关，本意见书不得作为正式文件使用。请在 office.toml 中填写本单位信息。"
                if zh
                else "The issuing office is the packaged placeholder, not a real authority: this "
                "opinion is not an official document. Fill in office.toml with your office."
            )
            if office.placeholder
            else ""
        ),
        "project_id": pid,
        "facts": facts,
        "site": {
            "area_m2": area,
            "area_mu": area / MU_M2,
            "length_m": length,
            "lon": float(lon),
            "lat": float(lat),
        },
        "verdict": verdict,
        "conclusion": _conclusion(verdict, findings, complete, row, zh),
        "complete": complete,
        "findings": findings,
        "checks": checks,
        "evidence": batch.evidence,
        "map_png": png,
        "map_note": map_note,
        "version": version(),
    }
