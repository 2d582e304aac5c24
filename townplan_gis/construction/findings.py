"""The finance office's findings on a programme table, and the record of what was checked.

Each finding names the check (:data:`CHECKS`), the issue, the row and project, the amount or days
involved, and says it in English and Chinese. Nothing is corrected: the figures stay as given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CHECKS", "FINDING_COLUMNS", "checks_table", "item_findings", "project_findings", "wan"]

#: The checks, in report order: key → (Chinese label, English label).
CHECKS = {
    "item_totals": ("工程总投资与分项合计核对", "Item totals against their works"),
    "investment": ("项目投资填报", "Investment given"),
    "funding": ("资金来源落实", "Funding sources"),
    "deadlines": ("完工期限与进度", "Deadlines and schedule"),
    "stages": ("建设阶段与完成进度一致", "Stage and completion agree"),
}
FINDING_COLUMNS = [
    "check",
    "issue",
    "level",
    "row",
    "project_id",
    "name",
    "programme_item",
    "amount_wan_yuan",
    "days",
    "detail",
    "detail_zh",
]


def wan(x: float) -> str:
    """An amount in 万元 as people write it: ``2,700``, ``582``, ``0.5``.

    >>> wan(2700.0), wan(0.5), wan(1234.567)
    ('2,700', '0.5', '1,234.57')
    """
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _row(check: str, issue: str, level: str, en: str, zh: str, **kw: Any) -> dict[str, Any]:
    """One finding; ``kw``: ``row``, ``project`` (its table row), ``item``, ``amount``, ``days``."""
    project = kw.get("project")
    return {
        "check": check,
        "issue": issue,
        "level": level,
        "row": kw.get("row"),
        "project_id": None if project is None else project["project_id"],
        "name": None if project is None else project["name"],
        "programme_item": kw.get("item") if project is None else project["programme_item"],
        "amount_wan_yuan": kw.get("amount", np.nan),
        "days": kw.get("days", pd.NA),
        "detail": en,
        "detail_zh": zh,
    }


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    out["amount_wan_yuan"] = out["amount_wan_yuan"].astype("float64")
    out["days"] = out["days"].astype("Int64")
    return out


def item_findings(by_item: pd.DataFrame, table: pd.DataFrame, tol: float) -> pd.DataFrame:
    """Items whose works do not add up to the declared total (or cannot be added up)."""
    rows = []
    for r in by_item.itertuples(index=False):
        item, status = r.programme_item, r.status
        if status in ("balanced", "no_item"):
            continue
        n, works = r.n_projects, wan(r.works_total_wan_yuan)
        if status == "conflicting_totals":
            part = table[table["programme_item"] == item]["item_total_wan_yuan"].dropna()
            totals = ", ".join(wan(v) for v in part.unique())
            en = f"'{item}': its rows declare different totals ({totals} 万元); which one holds?"
            zh = f"「{item}」各行填报的工程总投资不一致({totals}万元),请核定。"
            rows.append(_row("item_totals", status, "error", en, zh, item=item))
        elif status == "no_declared_total":
            en = f"'{item}': no declared total given; its {n} works add up to {works} 万元."
            zh = f"「{item}」未填报工程总投资;{n}项分项合计{works}万元。"
            rows.append(_row("item_totals", status, "warning", en, zh, item=item))
        elif status == "incomplete":
            k = n - r.n_with_investment
            decl = wan(r.declared_total_wan_yuan)
            en = (
                f"'{item}': declared {decl} 万元; {k} of its {n} works have no investment, the "
                f"others add up to {works} 万元."
            )
            zh = f"「{item}」总投资{decl}万元;{n}项分项中{k}项未填投资,其余合计{works}万元。"
            rows.append(_row("item_totals", status, "error", en, zh, item=item))
        else:
            gap, decl = r.gap_wan_yuan, wan(r.declared_total_wan_yuan)
            more = "more" if gap > 0 else "less"
            en = (
                f"'{item}': declared {decl} 万元, its {n} works add up to {works} 万元: "
                f"{wan(abs(gap))} 万元 {more} declared than listed."
            )
            zh = (
                f"「{item}」总投资{decl}万元,{n}项分项合计{works}万元,"
                f"{'多' if gap > 0 else '少'}{wan(abs(gap))}万元。"
            )
            rows.append(_row("item_totals", status, "error", en, zh, item=item, amount=gap))
    return _frame(rows)


def _pid(project: Any, row: Any) -> str:
    pid = project["project_id"]
    return pid if isinstance(pid, str) else f"row {row}"


def _pct(value: float, zh: bool = False) -> str:
    if pd.isna(value):
        return "未填完成进度" if zh else "no completion %"
    return f"完成{value:g}%" if zh else f"{value:g} % complete"


def project_findings(table: pd.DataFrame, rules: Any) -> pd.DataFrame:
    """Per-project findings: investment, funding, deadlines, stages (masks first, text for the
    flagged rows only)."""
    pct, status = table["completion_pct"], table["status"]
    done = table["completed"].astype(bool)
    gap = table["funding_gap_wan_yuan"]
    labels = {s.code: s.label_zh for s in rules.stages}
    as_of = table.attrs.get("as_of")
    when = "" if as_of is None else f"{as_of:%Y-%m-%d}"
    rows: list[dict[str, Any]] = []
    # One dict per project, made once: a row lookup per finding would cost more than the checks.
    records = pd.DataFrame(table.drop(columns=table.geometry.name)).to_dict("records")

    def add(mask: pd.Series, check: str, issue: Any, level: str, en, zh, **kw: str) -> None:
        """One finding per flagged row; ``en``/``zh`` (and ``issue``) are functions of the row
        and its id, ``kw`` names columns whose value goes to ``amount`` or ``days``."""
        for i in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool)):
            p, row = records[i], table.index[i]
            pid = _pid(p, row)
            extra = {k: (int(p[c]) if k == "days" else p[c]) for k, c in kw.items()}
            kind = issue(p) if callable(issue) else issue
            rows.append(
                _row(check, kind, level, en(p, pid), zh(p, pid), row=row, project=p, **extra)
            )

    def done_text(p: dict[str, Any]) -> str:
        return _pct(p["completion_pct"])

    def done_zh(p: dict[str, Any]) -> str:
        return _pct(p["completion_pct"], True)

    add(
        table["investment_wan_yuan"].isna(),
        "investment",
        "no_investment",
        "error",
        lambda p, pid: f"{pid}: no investment given.",
        lambda p, pid: f"{pid}:未填报投资额。",
    )
    add(
        table["funding_total_wan_yuan"].isna(),
        "funding",
        "no_funding",
        "error",
        lambda p, pid: f"{pid}: no funding source given.",
        lambda p, pid: f"{pid}:未落实资金来源。",
        amount="investment_wan_yuan",
    )

    def sources(p: dict[str, Any]) -> tuple[str, str, str]:
        given, total = wan(p["funding_total_wan_yuan"]), wan(p["investment_wan_yuan"])
        return given, total, wan(abs(p["funding_gap_wan_yuan"]))

    add(
        gap.abs() > rules.tolerance_wan_yuan,
        "funding",
        lambda p: "funding_short" if p["funding_gap_wan_yuan"] > 0 else "funding_exceeds",
        "error",
        lambda p, pid: "{}: sources add up to {} 万元 of its {} 万元: {} 万元 {}.".format(
            pid,
            *sources(p),
            "without a source" if p["funding_gap_wan_yuan"] > 0 else "more than the investment",
        ),
        lambda p, pid: "{}:资金来源合计{}万元,投资{}万元,{}{}万元。".format(
            pid, *sources(p)[:2], "缺口" if p["funding_gap_wan_yuan"] > 0 else "超出", sources(p)[2]
        ),
        amount="funding_gap_wan_yuan",
    )
    if as_of is not None:
        add(
            table["deadline"].isna() & ~done,
            "deadlines",
            "no_deadline",
            "warning",
            lambda p, pid: f"{pid}: no deadline given; lateness cannot be checked.",
            lambda p, pid: f"{pid}:未填报完工期限,无法核查是否逾期。",
        )
        add(
            table["overdue"],
            "deadlines",
            "overdue",
            "error",
            lambda p, pid: (
                f"{pid}: deadline {p['deadline']:%Y-%m-%d} passed "
                f"{int(p['days_overdue'])} days before {when}; {done_text(p)}."
            ),
            lambda p, pid: (
                f"{pid}:完工期限{p['deadline']:%Y-%m-%d},截至{when}已逾期"
                f"{int(p['days_overdue'])}天,{done_zh(p)}。"
            ),
            days="days_overdue",
        )
        add(
            table["behind_schedule"],
            "deadlines",
            "behind_schedule",
            "warning",
            lambda p, pid: (
                f"{pid}: {done_text(p)} on {when}; the straight line from start to "
                f"deadline ({p['deadline']:%Y-%m-%d}) gives {p['expected_pct']:.0f} %."
            ),
            lambda p, pid: (
                f"{pid}:截至{when}{done_zh(p)},按期应完成约{p['expected_pct']:.0f}%,进度滞后。"
            ),
        )
    complete_stage = table["stage"].isin([s.code for s in rules.stages if s.complete])
    add(
        complete_stage & ~done,
        "stages",
        "stage_incomplete",
        "error",
        lambda p, pid: f"{pid}: at stage {p['stage']} but {done_text(p)}.",
        lambda p, pid: f"{pid}:已处于{labels[p['stage']]}阶段,{done_zh(p)}。",
    )
    said = ((status == "completed") & (pct < 100)) | (
        status.isin(["planned", "approved"]) & (pct > 0)
    )
    add(
        said,
        "stages",
        "status_conflict",
        "warning",
        lambda p, pid: f"{pid}: status {p['status']} but {done_text(p)}.",
        lambda p, pid: (
            f"{pid}:状态为{'已完工' if p['status'] == 'completed' else '未开工'},{done_zh(p)}。"
        ),
    )
    add(
        pct.isna() & (status != "completed"),
        "stages",
        "no_completion",
        "warning",
        lambda p, pid: f"{pid}: no completion % and not marked completed.",
        lambda p, pid: f"{pid}:未填报完成进度。",
    )
    return _frame(rows)


def checks_table(table: pd.DataFrame, findings: pd.DataFrame, rules: Any) -> pd.DataFrame:
    """One row per check: whether it was done, on how many, what it found, and why not."""
    n = len(table)
    count = findings["check"].value_counts()
    items = table["programme_item"].dropna().nunique()
    as_of = table.attrs.get("as_of")
    with_deadline = int(table["deadline"].notna().sum())
    rows = {
        "item_totals": (
            items,
            "checked" if items else "not_checked",
            f"{items} programme items" if items else "no project names a programme item",
        ),
        "investment": (n, "checked", f"{n} projects"),
        "funding": (n, "checked", f"{n} projects; sources: {', '.join(rules.funding_columns)}"),
        "deadlines": (
            with_deadline if as_of is not None else 0,
            "checked" if as_of is not None else "not_checked",
            f"as of {as_of:%Y-%m-%d}; {n - with_deadline} projects without a deadline"
            if as_of is not None
            else "no as_of date given: deadlines not checked (pass as_of='YYYY-MM-DD')",
        ),
        "stages": (n, "checked", f"{n} projects"),
    }
    return pd.DataFrame(
        [
            (key, CHECKS[key][0], CHECKS[key][1], status, k, int(count.get(key, 0)), note)
            for key, (k, status, note) in rows.items()
        ],
        columns=["check", "label_zh", "label_en", "status", "n_checked", "n_findings", "note"],
    )
