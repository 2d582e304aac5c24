"""``programme(town)``: investment by item, type, source and stage, and the finance office's checks.

The checks (:data:`CHECKS`) report, never repair: an item whose works do not add up to its declared
total keeps both figures and the gap; a project without funding stays without; a deadline passed is
measured against the ``as_of`` date given, never the clock, and without one the deadline check is
listed as not done. Sources: docs/sources.md#puzhou-2017 (the commercial street: 2,700 万元 declared,
five works of 2,118 万元), docs/sources.md#programme-data, docs/sources.md#programme-rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.construction.findings import (
    CHECKS,
    FINDING_COLUMNS,
    checks_table,
    item_findings,
    project_findings,
)
from townplan_gis.construction.rules import load_programme_rules
from townplan_gis.construction.table import project_table
from townplan_gis.core.town import Town

__all__ = ["Programme", "programme"]


@dataclass(frozen=True)
class Programme:
    """A town's programme summarised and checked (:func:`programme`).

    Attributes
    ----------
    town : str or None
    as_of : pandas.Timestamp or None
        The date the deadlines were checked against.
    projects : geopandas.GeoDataFrame
        :func:`~townplan_gis.construction.table.project_table`, aligned to the town's projects.
    by_item, by_type, by_source, by_stage : pandas.DataFrame
        Investment (万元) by programme item (declared total, Σ of its works, gap, status), by project
        type, by funding source and by stage (every stage of the rule file, zeros included).
    totals : pandas.Series
        ``investment_wan_yuan``, one entry per funding source, ``funding_total_wan_yuan``,
        ``unfunded_wan_yuan`` (Σ of positive funding gaps and of the investment of projects with no
        funding given), ``completed_investment_wan_yuan``, ``n_projects``, ``n_completed``.
    findings : pandas.DataFrame
        One row per issue: ``check, level, row, project_id, name, programme_item, amount_wan_yuan,
        days, detail, detail_zh`` (``level``: error, warning).
    checks : pandas.DataFrame
        One row per check of :data:`CHECKS`: ``check, label_zh, status`` (checked / not_checked),
        ``n_checked, n_findings, note``: what was looked at, including checks that found nothing.
    rules : str
        The rule file used.
    """

    town: str | None
    as_of: pd.Timestamp | None
    projects: gpd.GeoDataFrame
    by_item: pd.DataFrame
    by_type: pd.DataFrame
    by_source: pd.DataFrame
    by_stage: pd.DataFrame
    totals: pd.Series
    findings: pd.DataFrame
    checks: pd.DataFrame
    rules: str = field(default="")

    def __repr__(self) -> str:
        t = self.totals
        when = "no as_of date" if self.as_of is None else f"as of {self.as_of:%Y-%m-%d}"
        return (
            f"<Programme {self.town or '(projects)'}: {int(t['n_projects'])} projects, "
            f"{t['investment_wan_yuan']:,.2f} 万元, {len(self.findings)} findings, {when}>"
        )


def _by_item(table: pd.DataFrame, tol: float) -> pd.DataFrame:
    items = table["programme_item"]
    rows = []
    groups = [(item, table[items == item]) for item in pd.unique(items.dropna())]
    if items.isna().any():
        groups.append((None, table[items.isna()]))
    for item, part in groups:
        declared = part["item_total_wan_yuan"].dropna().unique()
        inv = part["investment_wan_yuan"]
        total = float(declared[0]) if len(declared) == 1 else np.nan
        sub = float(inv.sum())
        gap = total - sub if inv.notna().all() else np.nan
        if item is None:
            status = "no_item"
        elif len(declared) > 1:
            status = "conflicting_totals"
        elif len(declared) == 0:
            status = "no_declared_total"
        elif inv.isna().any():
            status = "incomplete"
        elif abs(gap) <= tol:
            status = "balanced"
        else:
            status = "declared_exceeds_works" if gap > 0 else "works_exceed_declared"
        done = float(part["completed_investment_wan_yuan"].sum())
        rows.append((item, total, len(part), int(inv.notna().sum()), sub, gap, status, done))
    return pd.DataFrame(
        rows,
        columns=[
            "programme_item",
            "declared_total_wan_yuan",
            "n_projects",
            "n_with_investment",
            "works_total_wan_yuan",
            "gap_wan_yuan",
            "status",
            "completed_investment_wan_yuan",
        ],
    )


def _by(table: pd.DataFrame, column: str, order: list[str] | None = None) -> pd.DataFrame:
    g = table.groupby(column, sort=False, dropna=False)
    out = pd.DataFrame(
        {
            "n_projects": g.size(),
            "n_completed": g["completed"].sum().astype(int),
            "investment_wan_yuan": g["investment_wan_yuan"].sum().astype("float64"),
            "completed_investment_wan_yuan": g["completed_investment_wan_yuan"]
            .sum()
            .astype("float64"),
        }
    )
    if order is not None:
        given = [k for k in out.index if not pd.isna(k)]
        blank = [k for k in out.index if pd.isna(k)]
        extra = [k for k in given if k not in order]
        out = out.reindex([*order, *extra, *blank], fill_value=0)
    out.index = [None if pd.isna(k) else k for k in out.index]
    out.index.name = column
    return out.reset_index()


def _by_source(table: pd.DataFrame, rules: Any) -> pd.DataFrame:
    rows = []
    funding_total = float(table[rules.funding_columns].sum().sum())
    for f in rules.funding:
        amount = float(table[f.column].sum())
        share = 100.0 * amount / funding_total if funding_total > 0 else np.nan
        n = int((table[f.column] > 0).sum())
        rows.append((f.column, f.label_zh, f.label_en, f.matching, amount, share, n))
    return pd.DataFrame(
        rows,
        columns=[
            "source",
            "label_zh",
            "label_en",
            "matching",
            "amount_wan_yuan",
            "share_pct",
            "n_projects",
        ],
    )


def _totals(table: pd.DataFrame, rules: Any) -> pd.Series:
    inv = table["investment_wan_yuan"]
    gap = table["funding_gap_wan_yuan"]
    no_funding = table["funding_total_wan_yuan"].isna()
    unfunded = float(gap[gap > 0].sum()) + float(inv[no_funding].sum())
    values: dict[str, float] = {"investment_wan_yuan": float(inv.sum())}
    values.update({c: float(table[c].sum()) for c in rules.funding_columns})
    values["funding_total_wan_yuan"] = float(table["funding_total_wan_yuan"].sum())
    values["unfunded_wan_yuan"] = unfunded
    values["completed_investment_wan_yuan"] = float(table["completed_investment_wan_yuan"].sum())
    values["n_projects"] = len(table)
    values["n_completed"] = int(table["completed"].sum())
    return pd.Series(values, dtype="float64")


def programme(town: Any, *, as_of: Any = None, rules: Any = None) -> Programme:
    """A town's construction programme: investment by item, type, source and stage, and its checks.

    The finance office's checks (each listed in :attr:`Programme.checks`, with what it found):

    * **item totals** — an item's declared total against the sum of its works:
      gap = declared − Σ investment (万元); reported when |gap| > ``tolerance_wan_yuan``, never
      adjusted (Puzhou's commercial street: 2,700 declared, 2,118 in its five works, gap 582);
    * **funding** — a project with no funding source given, or whose sources do not add up to its
      investment (gap = investment − Σ sources); a project without investment;
    * **deadlines** — a project not completed whose deadline is before ``as_of`` (days overdue),
      and one behind its straight-line schedule; not done without ``as_of``;
    * **stages** — a project at a stage that requires completion (验收) reported below 100 %, or a
      status that contradicts the completion %.

    Parameters
    ----------
    town : Town, GeoDataFrame or DataFrame
        The town (its ``projects`` layer), or a projects table. Not modified.
    as_of : date-like, optional
        The date deadlines are checked against (``"2017-11-06"``); never the clock.
    rules : path or ProgrammeRules, optional
        Default ``townplan_gis/data/programme.toml``.

    Returns
    -------
    Programme

    Raises
    ------
    TownPlanError
        A town without projects; SchemaError subclasses for bad programme columns (unknown stage,
        negative amount, unreadable date, deadline before start: the message names the rows).

    Examples
    --------
    >>> import pandas as pd
    >>> works = pd.DataFrame({
    ...     "项目编号": ["P09-1", "P09-2", "P09-3", "P09-4", "P09-5"], "项目类型": "道路",
    ...     "所属工程": "商业街改造工程", "工程总投资": 2700, "投资": [860, 600, 238, 240, 180],
    ...     "上级补助": [500, 400, 238, 0, 0], "镇政府自筹": [360, 200, 0, 240, 180]})
    >>> p = programme(works)
    >>> p.by_item.loc[0, ["declared_total_wan_yuan", "works_total_wan_yuan", "gap_wan_yuan"]].tolist()
    [2700.0, 2118.0, 582.0]
    >>> print(p.findings.loc[0, "detail"])
    '商业街改造工程': declared 2,700 万元, its 5 works add up to 2,118 万元: 582 万元 more declared than listed.
    """
    rules = load_programme_rules(rules)
    table = project_table(town, as_of=as_of, rules=rules)
    name = town.name if isinstance(town, Town) else None
    tol = rules.tolerance_wan_yuan
    by_item = _by_item(table, tol)
    findings = pd.concat(
        [item_findings(by_item, table, tol), project_findings(table, rules)], ignore_index=True
    )
    order = {c: i for i, c in enumerate(CHECKS)}
    findings = (
        findings.assign(_o=findings["check"].map(order))
        .sort_values(["_o"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)[FINDING_COLUMNS]
    )
    return Programme(
        town=name,
        as_of=table.attrs["as_of"],
        projects=table,
        by_item=by_item,
        by_type=_by(table, "project_type"),
        by_source=_by_source(table, rules),
        by_stage=_stage_table(table, rules),
        totals=_totals(table, rules),
        findings=findings,
        checks=checks_table(table, findings, rules),
        rules=rules.path,
    )


def _stage_table(table: pd.DataFrame, rules: Any) -> pd.DataFrame:
    out = _by(table, "stage", order=rules.stage_codes)
    labels = {s.code: s.label_zh for s in rules.stages}
    out.insert(1, "label_zh", out["stage"].map(lambda s: labels.get(s, "(未填)")))
    return out
