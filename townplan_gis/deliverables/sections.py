"""The sections of the town report as template context: rows already formatted, labels translated.

Each function turns one part of the inputs (town, scorecard, review, indicators, settings) into plain
dicts for ``templates/report.html.j2``; no computation of indicators or review happens here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from townplan_gis.core.reprs import (
    badge,
    comparator_symbol,
    fmt_number,
    unit_label,
)
from townplan_gis.core.reprs import label as value_label
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.core.vocab import check_status, col, text
from townplan_gis.deliverables.charts import indicator_charts, png_data_uri
from townplan_gis.deliverables.pages import version
from townplan_gis.deliverables.tables import (
    conflict_rows,
    conflicts_table,
    indicator_unit,
    projects_table,
    scorecard_table,
    statistic_label,
)
from townplan_gis.deliverables.wording import (
    coverage_text,
    crs_text,
    geometry_text,
    note_text,
    repair_text,
    rules_text,
    setbacks_text,
    target_text,
    time_text,
    tolerance_text,
    zh_punct,
)


def _raw(v: Any) -> str:
    """Machine-readable value for ``data-value`` (repr of the float; '' for missing)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "" if v is None else str(v)
    return "" if x != x else repr(x)


def _measured_areas(indicators: pd.DataFrame | None) -> dict[str, float]:
    """Layer areas (km²) the indicators already measured, by layer kind: the built-up area."""
    if indicators is None or "key" not in indicators or "value" not in indicators:
        return {}
    value = pd.to_numeric(
        indicators.loc[indicators["key"] == "built_up_area_km2", "value"], errors="coerce"
    )
    return {"builtup": float(value.iloc[0])} if len(value) and pd.notna(value.iloc[0]) else {}


# --- sections ---------------------------------------------------------------------------------------------
def summary_section(town: Any, lang: str, indicators: pd.DataFrame | None = None) -> dict[str, Any]:
    zh = lang == "zh"
    crs = town.crs
    facts = [(("城镇" if zh else "Town"), town.name)]
    # The built-up area is an expensive union the indicators have already computed.
    measured = _measured_areas(indicators)
    for kind, lz, le in (
        ("boundary", "镇域面积", "Town area"),
        ("builtup", "建成区面积", "Built-up area"),
    ):
        if town.has(kind):
            km2 = measured.get(kind)
            if km2 is None:
                km2 = town.area_km2(kind)
            facts.append((lz if zh else le, f"{fmt_number(km2)} km² ({fmt_number(km2 * 100)} hm²)"))
    pop = town.population
    facts.append(
        (
            "常住人口" if zh else "Resident population",
            "—" if pop is None else f"{fmt_number(pop, 'persons')} {'人' if zh else 'persons'}",
        )
    )
    facts.append(
        (
            "分析坐标系" if zh else "Analysis CRS",
            crs_text(crs, lang),
        )
    )
    for k, v in town.statistics.items():
        unit = indicator_unit(k) or ("%" if k.endswith("_pct") else None)
        facts.append((statistic_label(k, lang), fmt_number(v, unit)))
    summary = town.summary()
    layers = [
        {
            "kind": "" if zh else r["layer"],
            "label": zh_punct(r["label_zh"]) if zh else r["label_en"],
            "features": fmt_number(r["features"], "count"),
            "geometry": geometry_text(r["geometry"], lang),
        }
        for _, r in summary.iterrows()
    ]
    meta = town.metadata or {}
    meta_labels = {
        "source": ("来源", "Source"),
        "note": ("说明", "Note"),
        "province": ("省", "Province"),
        "county": ("县（市）", "County"),
    }
    sources = [
        f"{meta_labels[k][0]}：{zh_punct(meta[k])}" if zh else f"{meta_labels[k][1]}: {meta[k]}"
        for k in meta_labels
        # A Chinese report quotes the data's own words only when they are Chinese: an English note
        # of a sample (its illustrative flag is shown in Chinese) stays in the English report.
        if meta.get(k) and not (zh and k in ("source", "note") and not _has_cjk(meta[k]))
    ]
    rep = town.repairs
    enc = rep[rep["action"] == "encoding"]
    sources += [
        f"{value_label('layer', r['layer'], lang) if zh else r['layer']}: {r['detail']}"
        for _, r in enc.iterrows()
    ]
    if not sources:
        sources = ["—"]
    # One line per (action, detail): "reprojected EPSG:4490 → EPSG:4546" once for all twelve layers.
    repairs = []
    if len(rep):
        grouped = (
            rep.assign(count=rep["count"].astype(int))
            .groupby(["action", "detail", "count"], sort=False)["layer"]
            .agg(", ".join)
        )
        repairs = [
            {
                "layer": "、".join(value_label("layer", x, lang) for x in kinds.split(", "))
                if zh
                else kinds,
                "action": repair_text(action, detail, lang)[0],
                "count": fmt_number(n, "count") if n else "",
                "detail": repair_text(action, detail, lang)[1],
            }
            for (action, detail, n), kinds in grouped.items()
        ]
    return {
        "facts": facts,
        "layers": layers,
        "layer_headers": ["", "图层", "要素数", "几何类型"]
        if zh
        else ["Kind", "Name", "Features", "Geometry"],
        "sources": sources,
        "repairs": repairs,
        "repair_headers": ["图层", "操作", "行数", "说明"]
        if zh
        else ["Layer", "Action", "Rows", "Detail"],
        "illustrative": bool(meta.get("illustrative")),
    }


def _zh(v: Any, lang: str) -> str:
    """A text as shown: full-width punctuation in Chinese, '' for a missing value."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return zh_punct(v) if lang == "zh" else str(v)


def _has_cjk(v: Any) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in str(v))


def scorecard_section(
    scorecard: pd.DataFrame | None, lang: str, standard_title: str = ""
) -> dict[str, Any]:
    if scorecard is None:
        return {"scorecard": [], "score_counts": [], "charts": [], "score_headers": []}
    sc = scorecard_table(scorecard, lang)
    rows = []
    for _, r in sc.iterrows():
        unit = r["unit"]
        rows.append(
            {
                "key": r["key"],
                "name": _zh(r["name"], lang),
                "unit": unit_label(unit, lang),
                "value": fmt_number(r["value"], unit),
                "value_raw": _raw(r["value"]),
                "comparator": comparator_symbol(r["comparator"]),
                "target": fmt_number(r["target"], unit),
                "target_raw": _raw(r["target"]),
                "status": r["status"],
                "badge": Markup(badge("status", r["status"], lang)),
                "gap": fmt_number(r["gap"], unit),
                "gap_raw": _raw(r["gap"]),
                "source": target_text(r, standard_title, lang),
                "note": "" if "note" not in sc else note_text(r.get("note"), lang),
            }
        )
    counts = sc["status"].value_counts()
    return {
        "scorecard": rows,
        "score_counts": [
            (Markup(badge("status", s, lang)), int(counts.get(s, 0))) for s in ("pass", "fail", "not_evaluable")
        ],
        "score_headers": [col("name", lang), col("unit", lang), col("value", lang),
                          col("target", lang), col("status", lang), col("gap", lang), col("source", lang)],
        "charts": [png_data_uri(p) for p in indicator_charts(sc, lang=lang)],
    }  # fmt: skip


def _num(v: Any) -> float:
    x = pd.to_numeric(v, errors="coerce")
    return 0.0 if x is None or pd.isna(x) else float(x)


def _overlap_total(r: pd.Series, lang: str) -> str:
    """Area overlapped (m²) for polygon projects, else length (m) for line projects, else —."""
    area = sum(_num(r.get(f"{lt}_overlap_m2")) for lt in LINE_TYPES)
    length = sum(_num(r.get(f"{lt}_overlap_length_m")) for lt in LINE_TYPES)
    if area > 0:
        return f"{fmt_number(area)} m²"
    if length > 0:
        return f"{fmt_number(length)} m"
    return "—"


def review_section(review: Any, lang: str, max_rows: int) -> dict[str, Any]:
    if review is None:
        return {"review": None, "verdict_counts": [], "project_headers": [], "conflict_headers": []}
    pj = projects_table(review, lang)
    projects = [
        {
            "project_id": r["project_id"],
            "project_name": _zh(r["project_name"], lang),
            "project_type": value_label("project_type", r["project_type"], lang),
            "verdict": r["verdict"],
            "badge": Markup(badge("verdict", r["verdict"], lang)),
            "n_conflicts": fmt_number(r["n_conflicts"], "count"),
            "overlap": _overlap_total(r, lang),
            "reason": _zh(r["reason"], lang),
        }
        for _, r in pj.head(max_rows).iterrows()
    ]
    cf = conflicts_table(review, lang)
    ignored = cf["ignored"].fillna(False).astype(bool)
    # Worst first, so a cut keeps what matters; the workbook has every row.
    conflicts, basis = conflict_rows(cf.head(max_rows), lang)
    if lang == "zh":
        for row in [*conflicts, *basis]:
            for k in ("project_name", "line", "reason", "clause", "procedure"):
                if k in row:
                    row[k] = zh_punct(row[k])
    counts = review.projects["verdict"].value_counts()
    zh = lang == "zh"
    return {
        "review": {
            "projects": projects,
            "conflicts": conflicts,
            "basis": basis,
            "n_real": int((~ignored).sum()),
            "n_ignored": int(ignored.sum()),
            "more_projects": max(0, len(pj) - max_rows),
            "more_conflicts": max(0, len(cf) - max_rows),
            **_completeness(review, lang),
        },
        "verdict_counts": [
            (Markup(badge("verdict", v, lang)), int(counts.get(v, 0)))
            for v in ("pass", "review", "reject", "not_checked", "invalid")
        ],
        "project_headers": [col("project_id", lang), col("project_name", lang), col("project_type", lang),
                            col("verdict", lang), col("n_conflicts", lang),
                            "重叠合计" if zh else "Overlap total", col("reason", lang)],
        "conflict_headers": [col("project_name", lang), col("line_type", lang), col("zone", lang),
                             col("grade", lang), col("overlap_area_m2", lang), col("overlap_area_mu", lang),
                             col("overlap_length_m", lang), col("pct_of_project", lang),
                             "依据与程序" if zh else "Clause & procedure"],
    }  # fmt: skip


def method_section(
    town: Any, standard_info: dict, review: Any, lang: str, generated: str
) -> list[tuple[str, str]]:
    zh = lang == "zh"
    crs = town.crs
    rows = [
        ("分析坐标系" if zh else "Analysis CRS", crs_text(crs, lang)),
        ("面积与长度" if zh else "Areas and lengths",
         "在分析坐标系（米制）中计算；1 亩 = 10000/15 m²" if zh
         else "measured in the metric analysis CRS; 1 mu = 10000/15 m²"),
    ]  # fmt: skip
    if standard_info:
        rows.append(("评价标准" if zh else "Standard", standard_info.get("name", "")))
        if standard_info.get("file"):
            rows.append(("标准文件" if zh else "Standard file", standard_info["file"].rsplit("/", 1)[-1] if zh else standard_info["file"]))  # fmt: skip
        if standard_info.get("source"):
            src = zh_punct(standard_info["source"]) if zh else standard_info["source"]
            rows.append(("标准依据" if zh else "Standard source", src))
    if review is not None:
        s = getattr(review, "settings", {}) or {}
        rows.append(
            (
                "审查规则文件" if zh else "Rule file",
                f"{rules_text(s.get('rules', ''), lang)} {s.get('rules_version', '')}".strip(),
            )
        )
        rows.append(
            (
                "容差（碎片）" if zh else "Tolerance (slivers)",
                tolerance_text(s.get("tolerance", ""), lang),
            )
        )
        if s.get("setbacks") is not None:
            rows.append(("退线" if zh else "Setbacks", setbacks_text(s.get("setbacks"), lang)))
        if s.get("crs"):
            rows.append(("审查坐标系" if zh else "Review CRS", str(s["crs"])))
    rows.append(("指标定义" if zh else "Indicator definitions",
                 "见附录各指标的定义与备注；不可计算的指标显示为 —，原因写在备注中" if zh
                 else "see the appendix; an indicator that cannot be computed shows — with the reason in its note"))  # fmt: skip
    rows.append((text("version", lang), f"townplan_gis {version()}"))
    rows.append((text("generated", lang), generated))
    return rows


def indicators_section(indicators: pd.DataFrame | None, lang: str) -> dict[str, Any]:
    if indicators is None:
        return {"indicators": [], "indicator_headers": []}
    rows = [
        {
            "key": r["key"],
            "name": _zh(r["name_zh"], lang) if lang == "zh" else r["name_en"],
            "value": fmt_number(r["value"], r["unit"]),
            "value_raw": _raw(r["value"]),
            "unit": unit_label(r["unit"], lang),
            "note": note_text(r["note"], lang),
        }
        for _, r in indicators.iterrows()
    ]
    return {
        "indicators": rows,
        "indicator_headers": [
            col("name", lang),
            col("value", lang),
            col("unit", lang),
            col("note", lang),
        ],
    }


# --- the evidence of a review --------------------------------------------------------------------------
def check_summary(review: Any, lang: str) -> list[dict[str, str]]:
    """Per line type: how it was checked, its features in the data, the projects checked against
    it and those with a feature found (from ``Review.checks`` and ``Review.evidence``)."""
    checks = getattr(review, "checks", None)
    evidence = getattr(review, "evidence", None) or {}
    if checks is None:
        return []
    types = evidence.get("line_types", {})
    status = checks["status"].astype(str).to_numpy()
    line = checks.index.get_level_values("line_type").to_numpy()
    found = checks["features_found"].fillna(0).to_numpy(dtype=float) > 0
    rows = []
    for lt in LINE_TYPES:
        mine = line == lt
        kinds = [
            x for x in ("checked", "declared_absent", "not_in_data") if (status[mine] == x).any()
        ]
        st = kinds[0] if kinds else types.get(lt, {}).get("status", "")
        rows.append(
            {
                "line_type": lt,
                "line": value_label("line_type", lt, lang),
                "status": st,
                "status_label": check_status(st, lang),
                "features": fmt_number(types.get(lt, {}).get("features"), "count"),
                "checked": fmt_number(int((mine & (status == "checked")).sum()), "count"),
                "found": fmt_number(int((mine & found).sum()), "count"),
            }
        )
    return rows


def evidence_rows(review: Any, lang: str) -> list[tuple[str, str, bool]]:
    """The evidence of a review as (item, value, is_hash) rows: sources with feature counts and
    content hashes, the coverage, the rule file and its hash, CRS, tolerance, version, time
    (``is_hash``: the value carries a hash, shown in a fixed-width font)."""
    ev = getattr(review, "evidence", None) or {}
    if not ev:
        return []
    zh = lang == "zh"
    names = {
        "projects": ("建设项目", "Projects"),
        "control_lines": ("控制线(五线)", "Control lines"),
    }
    rows: list[tuple[str, str, bool]] = []
    for src in ev.get("sources", []):
        name = names.get(src.get("layer"), (src.get("layer"), src.get("layer")))[0 if zh else 1]
        name = zh_punct(name) if zh else name
        n = fmt_number(src.get("features"), "count")
        label = f"{name}（{n} 个要素）" if zh else f"{name} ({n} features)"
        rows.append((label, f"SHA-256 {src.get('sha256', '')}", True))
    cov = ev.get("coverage", {})
    if cov:
        area = cov.get("area_m2")
        size = f"{fmt_number(area / 1e6)} km²" if isinstance(area, int | float) and area else "—"
        digest = f"{'；' if zh else '; '}SHA-256 {cov['sha256']}" if cov.get("sha256") else ""
        where = f"{coverage_text(cov.get('source', ''), lang)}{'；' if zh else '; '}{size}{digest}"
        rows.append((text("coverage", lang), where, bool(digest)))
    for f in ev.get("files", []):
        rules = f"{rules_text(f.get('rules', ''), lang)} {f.get('version', '')}{'；' if zh else '; '}SHA-256 {f.get('sha256') or '—'}"  # fmt: skip
        rows.append(("审查规则文件" if zh else "Rule file", rules, True))
    rows.append(("审查坐标系" if zh else "Analysis CRS", str(ev.get("analysis_crs", "")), False))
    tol = tolerance_text(ev.get("tolerance", {}), lang)
    rows.append(("容差（碎片）" if zh else "Tolerance (slivers)", tol, False))
    if ev.get("nearest_search_m") is not None:
        search = f"{fmt_number(ev['nearest_search_m'])} m"
        rows.append(("最近要素搜索距离" if zh else "Nearest-feature search", search, False))
    made_by = f"townplan_gis {ev.get('townplan_gis_version', '')}"
    rows.append((text("version", lang), made_by, False))
    rows.append(
        ("审查时间" if zh else "Reviewed at", time_text(ev.get("generated", ""), lang), False)
    )
    return rows


def project_check_rows(review: Any, project_id: str, lang: str) -> list[dict[str, str]]:
    """The five ``Review.checks`` rows of one project, formatted for an opinion."""
    checks = getattr(review, "checks", None)
    if checks is None:
        return []
    mine = checks[checks["project_id"].astype(str) == str(project_id)]
    rows = []
    for (_, lt), r in mine.iterrows():
        found = r["features_found"]
        rows.append(
            {
                "line": value_label("line_type", lt, lang),
                "status": str(r["status"]),
                "status_label": check_status(str(r["status"]), lang),
                "found": "—" if pd.isna(found) else fmt_number(found, "count"),
                "nearest": fmt_number(r["nearest_distance_m"]),
            }
        )
    return rows


def _completeness(review: Any, lang: str) -> dict[str, Any]:
    """The report's "what was checked" and "evidence" blocks (empty for a review without them)."""
    zh = lang == "zh"
    ev = getattr(review, "evidence", None) or {}
    search = ev.get("nearest_search_m")
    return {
        "check_rows": check_summary(review, lang),
        "check_headers": [col("line_type", lang), col("check_status", lang),
                          col("features_in_data", lang), col("projects_checked", lang),
                          col("projects_found", lang)],
        "coverage": coverage_text((ev.get("coverage") or {}).get("source", ""), lang),
        "evidence": evidence_rows(review, lang),
        "L": {
            "completeness": text("completeness", lang),
            "evidence": text("evidence", lang),
            "coverage": text("coverage", lang),
            "nearest_note": text("nearest_note", lang, d=fmt_number(search)) if search else "",
            "pass_means": (
                "“通过”表示：项目完全位于审查范围内，五类控制线均已核对（数据中有或已声明本镇没有），"
                "且没有高于“提示”的事项。"
                if zh
                else "“Pass” means: wholly inside the review coverage, all five line types checked "
                "(in the data or declared absent), and nothing above notice."
            ),
        },
    }  # fmt: skip


# --- assembly ---------------------------------------------------------------------------------------------
