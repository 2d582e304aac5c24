"""The acceptance record (验收记录) of one town: what the inspection heard, saw and checked.

The 2017 Weicheng plan inspects by "hearing reports, checking documents, seeing projects"
(听汇报、查资料、看项目, docs/sources.md#weicheng-2017); the record follows those steps, then the
standard, the result and the subsidy. One row per item: ``section, section_zh, item, result, detail,
detail_zh``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from townplan_gis.construction.findings import wan

__all__ = ["RECORD_COLUMNS", "record"]

RECORD_COLUMNS = ["section", "section_zh", "item", "result", "detail", "detail_zh"]
_SECTIONS = {
    "report": "听汇报",
    "projects": "看项目",
    "documents": "查资料",
    "standard": "考核",
    "result": "结论",
    "subsidy": "奖补",
}


def _ids(frame: pd.DataFrame, extra: str | None = None, limit: int = 8) -> str:
    parts = [
        f"{r.project_id} ({getattr(r, extra)})" if extra else str(r.project_id)
        for r in frame.head(limit).itertuples(index=False)
    ]
    more = f", … {len(frame) - limit} more" if len(frame) > limit else ""
    return ", ".join(parts) + more


def _short(text: Any, limit: int = 100) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip("; ") + " …"


def _report(table: pd.DataFrame | None, rules: Any) -> list[tuple]:
    if table is None:
        return [("report", "programme", "no projects", "no projects layer", "无项目图层")]
    inv = float(table["investment_wan_yuan"].sum())
    done = float(table["completed_investment_wan_yuan"].sum())
    share = f" ({100 * done / inv:.1f} %)" if inv > 0 else ""
    sources = [(f.label_zh, f.label_en, float(table[f.column].sum())) for f in rules.funding]
    en = "; ".join(f"{e} {wan(v)} 万元" for _, e, v in sources)
    zh = ",".join(f"{z}{wan(v)}万元" for z, _, v in sources)
    return [
        (
            "report",
            "programme",
            f"{len(table)} projects, {wan(inv)} 万元",
            f"funding: {en}; investment completed {wan(done)} 万元{share}",
            f"项目{len(table)}个,总投资{wan(inv)}万元;资金来源:{zh};已完成投资{wan(done)}万元{share}",
        )
    ]


def _projects(projects: pd.DataFrame) -> list[tuple]:
    n = len(projects)
    if n == 0:
        return []
    left = projects[~projects["completed"]].assign(
        pct=lambda d: d["completion_pct"].map(lambda v: "no %" if pd.isna(v) else f"{v:g} %")
    )
    bad = projects[~projects["conforms"]]
    return [
        (
            "projects",
            "completed",
            f"{n - len(left)}/{n}",
            "all completed" if left.empty else f"not completed: {_ids(left, 'pct')}",
            "全部完工" if left.empty else f"未完工:{_ids(left, 'pct')}",
        ),
        (
            "projects",
            "conforming",
            f"{n - len(bad)}/{n}",
            "all conform to the plan (five-line review)"
            if bad.empty
            else f"do not conform: {_ids(bad, 'verdict')}",
            "均符合规划(五线审查)" if bad.empty else f"不符合规划:{_ids(bad, 'verdict')}",
        ),
    ]


def _documents(
    table: pd.DataFrame | None, projects: pd.DataFrame, when: Any, tol: float
) -> list[tuple]:
    if table is None:
        return []
    review = projects[projects["verdict"] == "review"]
    approvals = (
        "; ".join(f"{r.project_id}: {_short(r.review_reason)}" for r in review.head(8).itertuples())
        if len(review)
        else "none needed"
    )
    rows = [
        (
            "documents",
            "approvals",
            f"{len(review)} to check",
            approvals,
            f"需查验审批手续{len(review)}项" if len(review) else "无需另行查验审批手续",
        )
    ]
    unfunded = table[table["funding_total_wan_yuan"].isna() | (table["funding_gap_wan_yuan"] > tol)]
    rows.append(
        (
            "documents",
            "funding",
            "complete" if unfunded.empty else f"{len(unfunded)} not fully funded",
            "every project's funding adds up to its investment"
            if unfunded.empty
            else f"funding missing or short: {_ids(unfunded)}",
            "各项目资金来源均已落实" if unfunded.empty else f"资金未落实或有缺口:{_ids(unfunded)}",
        )
    )
    if when is not None:
        late = table[table["overdue"].fillna(False).astype(bool)]
        rows.append(
            (
                "documents",
                "deadlines",
                f"{len(late)} overdue on {when:%Y-%m-%d}",
                "none overdue" if late.empty else f"overdue: {_ids(late)}",
                "无逾期项目" if late.empty else f"逾期项目:{_ids(late)}",
            )
        )
    return rows


def record(
    name: str,
    info: dict[str, Any],
    row: pd.Series,
    rules: Any,
    rule: Any,
    standard: Any,
    when: Any,
) -> pd.DataFrame:
    """The acceptance record of town ``name`` (see the module docstring)."""
    table, projects, card = info["table"], info["projects"], info["card"]
    rows = (
        _report(table, rules)
        + _projects(projects)
        + _documents(table, projects, when, rules.tolerance_wan_yuan)
    )
    missed = card[card["status"] != "pass"]
    names = ", ".join(f"{k} ({s})" for k, s in zip(missed["key"], missed["status"], strict=True))
    names_zh = "、".join(missed["name_zh"].astype(str))
    rows += [
        (
            "standard",
            "targets",
            f"{int(row['n_targets_met'])}/{int(row['n_targets'])}",
            f"{standard.name}: " + ("all met" if missed.empty else f"not met: {names}"),
            f"{standard.title_zh}:" + ("全部达标" if missed.empty else f"未达标:{names_zh}"),
        ),
        (
            "standard",
            "score",
            f"{row['score']:.1f}",
            f"rank {int(row['rank'])}; acceptance needs ≥ {rules.min_score:g}",
            f"排名第{int(row['rank'])};验收要求不低于{rules.min_score:g}分",
        ),
        (
            "result",
            "acceptance",
            "accepted" if row["accepted"] else "not accepted",
            "accepted" if row["accepted"] else row["reason"],
            "验收合格" if row["accepted"] else f"验收不合格:{row['reason_zh']}",
        ),
    ]
    subsidy = float(row["subsidy_wan_yuan"])
    need, have = float(row["matching_required_wan_yuan"]), row["matching_funds_wan_yuan"]
    have_text = "not reported" if pd.isna(have) else f"{wan(float(have))} 万元"
    met = row["matching_met"]
    met_en = "n/a" if pd.isna(met) else ("met" if met else "NOT met")
    met_zh = "不适用" if pd.isna(met) else ("已落实" if met else "未落实")
    rows.append(
        (
            "subsidy",
            "subsidy",
            f"{wan(subsidy)} 万元",
            f"{rule.label_en}; matching 1:{rules.matching_ratio:g} requires {wan(need)} 万元, "
            f"own funds {have_text}: {met_en}",
            f"{rule.label_zh};按1:{rules.matching_ratio:g}配套需{wan(need)}万元,"
            f"自筹配套资金{'未填报' if pd.isna(have) else wan(float(have)) + '万元'}:{met_zh}",
        )
    )
    out = pd.DataFrame(rows, columns=["section", "item", "result", "detail", "detail_zh"])
    out.insert(1, "section_zh", out["section"].map(_SECTIONS))
    return out[RECORD_COLUMNS]
