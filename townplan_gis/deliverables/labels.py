"""Column headers (with units) and section titles of the deliverables, in Chinese and English.

Value labels (status, verdict, grade, zone, line type) are the shared vocabulary of
:func:`townplan_gis.core.vocab.label`; this module holds only what the deliverables add.
"""

from __future__ import annotations

__all__ = ["CHECK_STATUS", "COLUMNS", "SHEETS", "TEXT", "check_status", "col", "text"]

# column → (zh, en); units in the header so a printed or exported table is self-explaining.
COLUMNS: dict[str, tuple[str, str]] = {
    # scorecard / indicators
    "key": ("指标代码", "Key"),
    "name": ("指标", "Indicator"),
    "name_zh": ("指标名称", "Indicator (zh)"),
    "name_en": ("指标名称(英文)", "Indicator"),
    "value": ("数值", "Value"),
    "target": ("目标值", "Target"),
    "comparator": ("比较", "Comparator"),
    "status": ("评价", "Status"),
    "gap": ("差距", "Gap"),
    "unit": ("单位", "Unit"),
    "source": ("依据", "Source"),
    "definition": ("定义", "Definition"),
    "note": ("备注", "Note"),
    # conflicts / projects (Review contract)
    "project_id": ("项目编号", "Project ID"),
    "project_name": ("项目名称", "Project"),
    "project_type": ("项目类型", "Project type"),
    "line_type": ("控制线", "Control line"),
    "line_id": ("控制线编号", "Line ID"),
    "line_name": ("控制线名称", "Line name"),
    "zone": ("保护层级", "Zone"),
    "check": ("检查", "Check"),
    "overlap_area_m2": ("重叠面积 (m²)", "Overlap area (m²)"),
    "overlap_area_mu": ("重叠面积 (亩)", "Overlap area (mu)"),
    "overlap_length_m": ("重叠长度 (m)", "Overlap length (m)"),
    "pct_of_project": ("占项目比例 (%)", "Share of project (%)"),
    "pct_of_line": ("占控制线比例 (%)", "Share of line (%)"),
    "distance_m": ("距离 (m)", "Distance (m)"),
    "grade": ("等级", "Grade"),
    "clause": ("依据条款", "Clause"),
    "procedure": ("所需程序", "Required procedure"),
    "ignored": ("忽略(碎片)", "Ignored (sliver)"),
    "reason": ("说明", "Reason"),
    "verdict": ("审查结论", "Verdict"),
    "worst_grade": ("最高等级", "Worst grade"),
    "n_conflicts": ("冲突数 (个)", "Conflicts"),
    "n_ignored": ("忽略碎片数 (个)", "Ignored slivers"),
    "red_overlap_m2": ("占红线面积 (m²)", "Red-line overlap (m²)"),
    "green_overlap_m2": ("占绿线面积 (m²)", "Green-line overlap (m²)"),
    "purple_overlap_m2": ("占紫线面积 (m²)", "Purple-line overlap (m²)"),
    "blue_overlap_m2": ("占蓝线面积 (m²)", "Blue-line overlap (m²)"),
    "yellow_overlap_m2": ("占黄线面积 (m²)", "Yellow-line overlap (m²)"),
    "red_overlap_length_m": ("占红线长度 (m)", "Red-line overlap length (m)"),
    "green_overlap_length_m": ("占绿线长度 (m)", "Green-line overlap length (m)"),
    "purple_overlap_length_m": ("占紫线长度 (m)", "Purple-line overlap length (m)"),
    "blue_overlap_length_m": ("占蓝线长度 (m)", "Blue-line overlap length (m)"),
    "yellow_overlap_length_m": ("占黄线长度 (m)", "Yellow-line overlap length (m)"),
    "investment_wan_yuan": ("投资 (万元)", "Investment (10k CNY)"),
    "area_m2": ("面积 (m²)", "Area (m²)"),
    "area_mu": ("面积 (亩)", "Area (mu)"),
    # the evidence of a review (Review.checks, Review.evidence)
    "outside_coverage_pct": ("超出审查范围 (%)", "Outside the coverage (%)"),
    "check_status": ("核对情况", "Check"),
    "features_found": ("发现要素 (个)", "Features found"),
    "nearest_distance_m": ("最近距离 (m)", "Nearest distance (m)"),
    "features_in_data": ("数据中要素 (个)", "Features in the data"),
    "projects_checked": ("已核对项目 (个)", "Projects checked"),
    "projects_found": ("发现要素的项目 (个)", "Projects with features found"),
    "layer": ("数据", "Data"),
    "sha256": ("内容指纹 (SHA-256)", "Content hash (SHA-256)"),
}

#: Review.checks ``status`` → (zh, en).
CHECK_STATUS: dict[str, tuple[str, str]] = {
    "checked": ("已核对", "checked"),
    "declared_absent": ("声明本镇无此类控制线", "declared absent: the town has none"),
    "not_in_data": ("数据中没有，未核对", "not in the data: not checked"),
    "project_invalid": ("项目数据无效，未核对", "project invalid: not checked"),
}

SHEETS: dict[str, tuple[str, str]] = {
    "scorecard": ("达标评分", "Scorecard"),
    "indicators": ("指标", "Indicators"),
    "conflicts": ("冲突明细", "Conflicts"),
    "projects": ("项目审查", "Projects"),
    "method": ("说明", "Method"),
    "checks": ("审查核对", "Checks"),
    "evidence": ("审查证据", "Evidence"),
}

TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("{town} 小城镇建设评估报告", "Small-town construction assessment: {town}"),
    "opinion_title": ("建设项目五线审查意见", "Five-control-line review opinion"),
    "summary": ("一、城镇概况", "1. Town summary"),
    "scorecard": ("二、达标评分", "2. Scorecard"),
    "charts": ("三、指标与目标对比", "3. Indicators against targets"),
    "review": ("四、五线审查", "4. Five-control-line review"),
    "map": ("五、规划图", "5. Plan map"),
    "method": ("六、方法与依据", "6. Method and sources"),
    "appendix": ("附录:全部指标", "Appendix: all indicators"),
    "layers": ("图层", "Layers"),
    "sources": ("数据来源", "Data sources"),
    "repairs": ("数据修复与变更", "Repairs and changes"),
    "projects": ("项目审查结论", "Verdict per project"),
    "conflicts": ("冲突明细", "Conflicts"),
    "no_standard": (
        "未指定评价标准,仅列出指标(见附录)。",
        "No standard was chosen; the indicators are listed in the appendix.",
    ),
    "no_review": (
        "未进行五线审查(缺少项目或控制线图层)。",
        "No five-control-line review (no projects or control-line layer).",
    ),
    "no_map": ("未生成规划图。", "No plan map."),
    "no_conflicts": ("没有冲突。", "No conflicts."),
    "illustrative": (
        "示意数据:几何为示意,并非测绘成果。",
        "Illustrative data: the geometry is not surveyed.",
    ),
    "generated": ("生成时间", "Generated"),
    "completeness": (
        "审查完整性：各类控制线的核对情况",
        "What was checked: each control-line type",
    ),
    "evidence": ("审查证据：数据与规则文件", "Evidence of the check: data and rule files"),
    "coverage": ("审查范围", "Review coverage"),
    "nearest_note": (
        "最近距离：与项目重叠或接触时为 0；未发现要素时为 {d} m 范围内最近要素的距离，范围内没有则为 —。",
        "Nearest distance: 0 when a feature overlaps or touches the project; when none was found, "
        "the nearest within {d} m, — when there is none that close.",
    ),
    "standard": ("评价标准", "Standard"),
    "version": ("软件版本", "Software version"),
}


def col(name: str, lang: str) -> str:
    """Header of a column in ``lang`` (unknown columns keep their name)."""
    pair = COLUMNS.get(name)
    return name if pair is None else pair[0 if lang == "zh" else 1]


def text(key: str, lang: str, **kw: str) -> str:
    """Section title or sentence ``key`` in ``lang``, with ``{town}``-style fields filled from ``kw``."""
    return TEXT[key][0 if lang == "zh" else 1].format(**kw)


def check_status(status: str, lang: str) -> str:
    """Label of a Review.checks ``status`` in ``lang`` (unknown values as they are)."""
    pair = CHECK_STATUS.get(str(status))
    return str(status) if pair is None else pair[0 if lang == "zh" else 1]
