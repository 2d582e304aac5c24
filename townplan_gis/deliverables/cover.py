"""The front of the town report: the cover, the overall conclusion and score, and the problem list
(整改清单) a bureau hands to the departments, and which standard applies to a town.

The cover states the standard used and where it applies; when the town lies elsewhere (a Shanxi town
scored against Ezhou's standard of Hubei) it says so in words, never silently. The problem list has
one row per failed target (how far from the target, with its unit) and per project the review rejected
or could not check, with a blank 责任部门 column to fill in.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd

from townplan_gis.core.reprs import comparator_symbol, fmt_number, unit_label
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.core.vocab import label, load_vocab
from townplan_gis.deliverables.wording import date_text, zh_punct

__all__ = [
    "choose_standard",
    "conclusion",
    "cover",
    "problem_list",
    "standard_info",
    "standard_region",
]


def standard_info(
    standard: Any, scorecard: pd.DataFrame | None, lang: str = "zh"
) -> dict[str, str]:
    if standard is None and scorecard is None:
        return {}
    info = dict(getattr(scorecard, "attrs", {}) or {}) if scorecard is not None else {}
    out = {"name": str(info.get("standard") or getattr(standard, "name", None) or standard or "")}
    out["code"] = out["name"]
    key = "title_zh" if lang == "zh" else "title_en"
    title = info.get(key) or getattr(standard, key, None)
    if title:
        out["title"] = zh_punct(title)  # a Chinese title takes full-width brackets
        out["name"] = f"{out['name']}（{out['title']}）"
    for key in ("file", "path"):
        v = info.get(key) or getattr(standard, key, None)
        if v:
            out["file"] = str(v)
    src = info.get("source") or getattr(standard, "source", None)
    if src:
        out["source"] = str(src)
    return out


def standard_region(name: str | None, lang: str = "zh") -> str:
    """Where a packaged standard applies (``湖北省鄂州市``, ``全国``), '' for a user's own file."""
    pair = load_vocab().get("standard_regions", {}).get(str(name or ""))
    return "" if not pair else str(pair[0 if lang == "zh" else 1])


def _town_place(town: Any) -> str:
    meta = town.metadata or {}
    return "".join(str(meta[k]) for k in ("province", "county") if meta.get(k))


def region_note(town: Any, standard_name: str | None, lang: str) -> str:
    """'' when the standard is national, the town's own, or a user's; else a sentence saying the town
    lies outside the standard's region (so its score is a reference)."""
    region = standard_region(standard_name, "zh")
    if not region or region == "全国":
        return ""
    meta = town.metadata or {}
    place = _town_place(town)
    if not place:
        return (
            f"本标准适用于{region}；本镇数据未注明所在省、县，请确认该标准是否适用。"
            if lang == "zh"
            else f"This standard applies to {standard_region(standard_name, 'en')}; the town's data "
            f"name no province or county: check that it applies."
        )
    province = str(meta.get("province") or "")
    county = str(meta.get("county") or "")
    if (province and region.startswith(province) and (not county or county in region)) or (
        county and county in region
    ):
        return ""
    return (
        f"注意：本标准为{region}的地方标准，本镇位于{place}，不在其适用范围内；评分仅作参照，"
        f"正式评价请采用本地标准。"
        if lang == "zh"
        else f"Note: this is the local standard of {standard_region(standard_name, 'en')}; the town "
        f"lies in {place}, outside it. The score is a reference only; use the local standard for a "
        f"formal assessment."
    )


def choose_standard(town: Any, default: str) -> tuple[str, str]:
    """The standard for a town when none is given, and why (one sentence, Chinese and English).

    A packaged standard whose region names the town's county (or its province) is chosen; otherwise
    ``default``, with the sentence saying it is from elsewhere and a reference only.
    """
    meta = town.metadata or {}
    county, province = str(meta.get("county") or ""), str(meta.get("province") or "")
    regions = load_vocab().get("standard_regions", {})
    for name, (zh, _) in regions.items():
        if zh != "全国" and ((county and county in zh) or (province and zh.startswith(province))):
            return name, (
                f"未指定 --standard：采用本地标准 {name}（适用于{zh}，本镇位于{_town_place(town)}）。"
                f" / no --standard: the local standard {name} (applies to {zh})."
            )
    place = _town_place(town)
    where = f"且没有适用于{place}的内置标准" if place else "本镇数据未注明所在地"
    return default, (
        f"未指定 --standard，{where}：采用 {default}"
        f"（{standard_region(default) or '默认'}）作为参照。"
        f"/ no --standard and no packaged standard for the town's place: {default} is used as a "
        f"reference (--standard NAME|FILE chooses another, --standard none leaves the scorecard out)."
    )


def cover(
    town: Any,
    *,
    title: str,
    standard: dict[str, str],
    when: _dt.datetime,
    lang: str,
    office: str | None = None,
) -> dict[str, Any]:
    """The cover's lines: title, town and place, the standard used (and a note when it is from
    elsewhere), the issuing office when configured, and the date."""
    zh = lang == "zh"
    meta = town.metadata or {}
    if office is None:
        given = meta.get("office")
        office = (given.get("name") or given.get("authority")) if isinstance(given, dict) else given
    rows = [("城镇" if zh else "Town", f"{_town_place(town)}{town.name}" if zh else town.name)]
    if standard:
        named, code = standard.get("title", ""), standard.get("code", "")
        region = standard_region(code, lang)
        unnamed = "未注明名称的标准" if zh else "unnamed standard"
        shown = (f"《{named}》" if zh else named) if named else code or unnamed
        extra = ("，" if zh else ", ").join(
            x
            for x in (
                code if named else "",
                (f"适用于{region}" if zh else region) if region else "",
            )
            if x
        )
        rows.append(
            (
                "评价标准" if zh else "Standard",
                f"{shown}（{extra}）" if zh and extra else f"{shown} ({extra})" if extra else shown,
            )
        )
    else:
        rows.append(
            (
                "评价标准" if zh else "Standard",
                "未指定（仅列出指标，不评分）" if zh else "none (indicators only, no score)",
            )
        )
    if office:
        rows.append(("编制单位" if zh else "Issued by", str(office)))
    rows.append(("编制日期" if zh else "Date", date_text(when, lang, time=False)))
    return {
        "title": title,
        "rows": rows,
        "note": region_note(town, standard.get("code") if standard else None, lang),
        "date": date_text(when, lang, time=False),
        "office": str(office) if office else "",
    }


def conclusion(
    scorecard: pd.DataFrame | None, review: Any, standard: dict[str, str], lang: str
) -> dict[str, Any]:
    """The overall conclusion: targets met of targets, the score (share met, %), the review's verdict
    counts, and one sentence saying it."""
    zh = lang == "zh"
    out: dict[str, Any] = {"score": None, "met": 0, "targets": 0, "sentences": []}
    if scorecard is not None and len(scorecard):
        status = scorecard["status"].astype(str)
        met, failed = int((status == "pass").sum()), int((status == "fail").sum())
        unknown = int((status == "not_evaluable").sum())
        total = len(status)
        out.update(met=met, failed=failed, unknown=unknown, targets=total)
        out["score"] = fmt_number(100.0 * met / total, "%")
        name = standard.get("title") or standard.get("code") or standard.get("name", "")
        against = f"对照《{name}》" if name else "对照评价标准"
        out["sentences"].append(
            f"{against}的 {total} 项指标，达标 {met} 项，未达标 {failed} 项，无法评价 {unknown} 项，"
            f"达标率 {out['score']}%。"
            if zh
            else f"Against {name}: {met} of {total} targets met, {failed} not met, {unknown} not "
            f"evaluable ({out['score']} % met)."
        )
        if unknown:
            out["sentences"].append(
                "无法评价的指标不计为达标，需补充数据后重新评价。"
                if zh
                else "Targets not evaluable are not counted as met: add the data and assess again."
            )
    if review is not None:
        counts = review.projects["verdict"].value_counts()
        n = len(review.projects)
        parts = [
            f"{label('verdict', v, lang)} {int(counts.get(v, 0))} 个"
            if zh
            else f"{label('verdict', v, lang)} {int(counts.get(v, 0))}"
            for v in ("pass", "review", "reject", "not_checked", "invalid")
            if counts.get(v, 0)
        ]
        out["verdicts"] = [
            (v, int(counts.get(v, 0)))
            for v in ("pass", "review", "reject", "not_checked", "invalid")
        ]
        out["sentences"].append(
            f"五线审查 {n} 个建设项目：{'，'.join(parts)}。"
            if zh
            else f"Five-line review of {n} projects: {', '.join(parts)}."
        )
    return out


def _gap_text(gap: Any, unit: Any, comparator: Any, lang: str) -> str:
    """How far from the target: ``差 12.65 个百分点``, ``差 1 个``, ``超出 0.5 km²``."""
    x = pd.to_numeric(gap, errors="coerce")
    if pd.isna(x):
        return "—"
    zh = lang == "zh"
    amount = fmt_number(abs(float(x)), unit)
    below = str(comparator) in (">=", ">") or float(x) < 0
    if unit == "%":
        u = "个百分点" if zh else "percentage points"
    else:
        u = unit_label(unit, lang)
    if zh:
        return f"{'差' if below else '超出'} {amount} {u}".strip()
    return f"{amount} {u} {'short' if below else 'over'}".strip()


def problem_list(scorecard: pd.DataFrame | None, review: Any, lang: str) -> list[dict[str, str]]:
    """整改清单: one row per failed target and per project rejected, not checked or invalid, each
    with what fails, by how much (with units), its basis, and blank 责任部门 / 整改期限 to fill in."""
    zh = lang == "zh"
    rows: list[dict[str, str]] = []
    if scorecard is not None:
        for _, r in scorecard.iterrows():
            if str(r["status"]) != "fail":
                continue
            unit = r.get("unit")
            name = r["name_zh"] if zh else r["name_en"]
            rows.append(
                {
                    "kind": "指标未达标" if zh else "Target not met",
                    "item": str(name),
                    "now": f"{fmt_number(r['value'], unit)} {unit_label(unit, lang)}".strip(),
                    "need": f"{comparator_symbol(r['comparator'])} {fmt_number(r['target'], unit)} {unit_label(unit, lang)}".strip(),
                    "gap": _gap_text(r.get("gap"), unit, r.get("comparator"), lang),
                }
            )
    if review is not None:
        order = {"reject": 0, "not_checked": 1, "invalid": 2}
        pj = review.projects
        bad = pj[pj["verdict"].isin(list(order))].copy()
        bad = bad.assign(_r=bad["verdict"].map(order)).sort_values(
            ["_r", "project_id"], kind="stable"
        )
        for _, r in bad.iterrows():
            reason = r.get("reason_zh") if zh and pd.notna(r.get("reason_zh")) else r.get("reason")
            name = "" if pd.isna(r.get("project_name")) else str(r.get("project_name"))
            rows.append(
                {
                    "kind": f"项目{label('verdict', r['verdict'], lang)}"
                    if zh
                    else f"Project: {label('verdict', r['verdict'], lang)}",
                    "item": f"{r['project_id']} {name}".strip(),
                    "now": zh_punct(reason) if zh else ("" if pd.isna(reason) else str(reason)),
                    "need": _need(str(r["verdict"]), lang),
                    "gap": _overlap(r, lang),
                }
            )
    for i, row in enumerate(rows, start=1):
        row["n"] = str(i)
    return rows


def _need(verdict: str, lang: str) -> str:
    """What a project of this verdict needs before it can proceed."""
    zh = lang == "zh"
    if verdict == "reject":
        return (
            "调整选址或方案，按所列程序报批"
            if zh
            else "relocate or redesign; follow the procedures listed"
        )
    if verdict == "invalid":
        return "修正项目图形后重新审查" if zh else "fix the project's geometry and review again"
    return "补充控制线数据后重新审查" if zh else "add the control-line data and review again"


def _overlap(r: pd.Series, lang: str) -> str:
    values = pd.to_numeric(
        pd.Series([r.get(f"{lt}_overlap_m2") for lt in LINE_TYPES]), errors="coerce"
    )
    area = float(values.fillna(0).sum())
    if area == area and area > 0:
        mu = area / (10000 / 15)
        return (
            f"占压控制线 {fmt_number(area)} m²（{fmt_number(mu)} 亩）"
            if lang == "zh"
            else f"{fmt_number(area)} m² ({fmt_number(mu)} mu) inside control lines"
        )
    return "—"
