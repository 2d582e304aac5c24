"""``acceptance(towns, standard, fund_wan_yuan=…)``: the December inspection (验收) and the subsidies.

Per town: which projects are completed, which conform to the plan (their five-line review,
:func:`townplan_gis.review`), which targets of the standard are met (:func:`townplan_gis.assess`), and
the result by the rule file's ``[acceptance]`` table; then the fund (以奖代补) shared by an allocation
rule of the rule file after the office's share, the matching each town must put up and whether its
own funds cover it. Sources: docs/sources.md#programme-subsidy, docs/sources.md#programme-rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from townplan_gis.construction.findings import wan
from townplan_gis.construction.record import record
from townplan_gis.construction.rules import Allocation, ProgrammeRules, load_programme_rules
from townplan_gis.construction.subsidy import allocate
from townplan_gis.construction.table import parse_date, project_table
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.town import Town
from townplan_gis.fiveline import review as five_line_review
from townplan_gis.indicators import town_indicators
from townplan_gis.io.files import read_town
from townplan_gis.standards import assess, assess_many, load_standard

__all__ = ["COUNTY_COLUMNS", "Acceptance", "acceptance"]

COUNTY_COLUMNS = [
    "town",
    "rank",
    "score",
    "accepted",
    "reason",
    "reason_zh",
    "n_projects",
    "n_completed",
    "n_conforming",
    "n_targets_met",
    "n_targets",
    "investment_wan_yuan",
    "completed_investment_wan_yuan",
    "allocation_weight",
    "subsidy_wan_yuan",
    "matching_required_wan_yuan",
    "matching_funds_wan_yuan",
    "matching_met",
]


@dataclass(frozen=True)
class Acceptance:
    """The acceptance of a county's towns and the subsidies (:func:`acceptance`).

    Attributes
    ----------
    county : pandas.DataFrame
        One row per town, in rank order (:data:`COUNTY_COLUMNS`): rank and score against the
        standard (``tp.assess_many``), ``accepted`` with the reasons when not, projects completed
        and conforming, targets met, investment (万元), the allocation weight, the subsidy, the
        matching required (subsidy × ratio), the matching funds (Σ of the matching sources over the
        town's projects) and ``matching_met`` (<NA> for a town without subsidy).
    projects : pandas.DataFrame
        One row per town × project: ``town, row, project_id, name, project_type, completion_pct,
        completed, verdict, conforms, review_reason``.
    targets : pandas.DataFrame
        One row per town × target (the scorecard): ``town, key, name_zh, value, target,
        comparator, status, gap, unit``.
    fund : pandas.Series
        ``fund_wan_yuan, office_share_pct, office_wan_yuan, distributable_wan_yuan,
        allocated_wan_yuan, unallocated_wan_yuan, unit_wan_yuan, n_accepted``.
    allocation : Allocation
        The rule the fund was shared by.
    records : dict of str to pandas.DataFrame
        The acceptance record (验收记录) per town: ``section, section_zh, item, result, detail,
        detail_zh`` for 听汇报 (the programme), 看项目 (completion and conformity), 查资料 (funding
        and the approvals the review names), 考核 (the standard), 结论 and 奖补.
    standard, rules, as_of
        The standard's name, the rule file, the inspection date (or None).
    """

    county: pd.DataFrame
    projects: pd.DataFrame
    targets: pd.DataFrame
    fund: pd.Series
    allocation: Allocation
    records: dict[str, pd.DataFrame]
    standard: str
    rules: str
    as_of: pd.Timestamp | None

    def __repr__(self) -> str:
        n = int(self.county["accepted"].sum())
        return (
            f"<Acceptance {self.standard}: {n} of {len(self.county)} towns accepted, "
            f"{wan(float(self.fund['allocated_wan_yuan']))} of "
            f"{wan(float(self.fund['fund_wan_yuan']))} 万元 allocated ({self.allocation.name})>"
        )


def _towns(towns: Iterable[Any]) -> list[Town]:
    out = []
    for t in towns:
        if isinstance(t, (str, Path)):
            t = read_town(t)
        if not isinstance(t, Town):
            raise TownPlanError(
                f"acceptance: give Towns or paths to towns, got {type(t).__name__}."
            )
        out.append(t)
    if not out:
        raise TownPlanError("acceptance: no towns given.")
    names = [t.name for t in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TownPlanError(
            f"acceptance: town name(s) {twice} given more than once; each town is accepted once."
        )
    return out


def _verdicts(town: Town, table: pd.DataFrame, given: Any) -> pd.DataFrame:
    """The review's verdict and reason per project, aligned to the programme table."""
    review = five_line_review(town) if given is None else given
    found = getattr(review, "projects", None)
    if not isinstance(found, pd.DataFrame) or "verdict" not in found.columns:
        raise TownPlanError(
            f"acceptance: the review given for '{town.name}' is not a tp.review result."
        )
    if not found.index.equals(table.index):
        raise TownPlanError(
            f"acceptance: the review given for '{town.name}' does not cover its projects (other "
            f"rows). Fix: pass tp.review(town) of this town, or leave reviews out."
        )
    return pd.DataFrame({"verdict": found["verdict"], "review_reason": found["reason"]})


_PROJECTS = [
    "town",
    "row",
    "project_id",
    "name",
    "project_type",
    "completion_pct",
    "completed",
    "verdict",
    "conforms",
    "review_reason",
]
_TARGETS = ["town", "key", "name_zh", "value", "target", "comparator", "status", "gap", "unit"]


def _town_projects(town: Town, table: pd.DataFrame, verdicts: pd.DataFrame, rules) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "town": town.name,
            "row": table.index,
            "project_id": table["project_id"].to_numpy(),
            "name": table["name"].to_numpy(),
            "project_type": table["project_type"].to_numpy(),
            "completion_pct": table["completion_pct"].to_numpy(),
            "completed": table["completed"].to_numpy(dtype=bool),
            "verdict": verdicts["verdict"].to_numpy(),
            "review_reason": verdicts["review_reason"].to_numpy(),
        }
    )
    out.insert(8, "conforms", out["verdict"].isin(rules.conforming_verdicts).to_numpy())
    return out


def _decide(
    projects: pd.DataFrame, score: float, rules: ProgrammeRules, has_projects: bool
) -> tuple[bool, list[str], list[str]]:
    en: list[str] = []
    zh: list[str] = []
    if not has_projects:
        en.append("no projects layer: nothing to inspect")
        zh.append("无项目图层,无可验收项目")
    if rules.require_all_completed and has_projects and not projects["completed"].all():
        left = projects[~projects["completed"]]
        ids = ", ".join(str(p) for p in left["project_id"].head(5))
        en.append(f"{len(left)} of {len(projects)} projects not completed ({ids})")
        zh.append(f"{len(projects)}个项目中{len(left)}个未完工({ids})")
    bad = projects[~projects["conforms"]]
    if len(bad):
        ids = ", ".join(
            f"{p} ({v})" for p, v in zip(bad["project_id"], bad["verdict"], strict=True)
        )
        en.append(f"{len(bad)} project(s) do not conform to the plan: {ids}")
        zh.append(f"{len(bad)}个项目不符合规划(五线审查):{ids}")
    if score < rules.min_score:
        en.append(f"score {score:.1f} below {rules.min_score:g}")
        zh.append(f"考核得分{score:.1f}低于{rules.min_score:g}分")
    return not en, en, zh


def acceptance(
    towns: Iterable[Any],
    standard: Any,
    *,
    fund_wan_yuan: float,
    rules: Any = None,
    allocation: str | None = None,
    as_of: Any = None,
    reviews: Mapping[str, Any] | None = None,
    **indicator_options: Any,
) -> Acceptance:
    """Accept (验收) each town's works and share the subsidy fund by a stated rule.

    A town is **accepted** when (rule file ``[acceptance]``, [I]) every project of its programme
    is completed (``require_all_completed``), every project's review verdict is one of
    ``conforming_verdicts`` (pass, review: "review" conforms subject to the procedure the review
    names, listed in the record for the document check), and its score against the standard
    reaches ``min_score`` (60). The fund F is shared by the allocation rule (default
    ``score_share``: in proportion to the score, accepted towns only) after the office's share
    (1 %), in whole units (:func:`~townplan_gis.construction.subsidy.allocate`)::

        subsidy_i = (F − O) · w_i / Σ_accepted w_j,   O = F · 1 %

    and each town must match its subsidy (ratio 1:1): required = subsidy × ratio, against the
    matching sources (镇村户自筹 + 镇政府自筹) of its projects. Ranks and scores are
    :func:`townplan_gis.assess_many`'s (tie-breaks: relative gap sum, then name). Sources:
    docs/sources.md#programme-subsidy, docs/sources.md#programme-rules.

    Parameters
    ----------
    towns : iterable of Town or path
        The county's towns (names unique). Not modified.
    standard : str, Path or Standard
        The standard the towns are assessed against (``"weicheng-2017"``).
    fund_wan_yuan : float
        The subsidy fund for the year, 万元 (e.g. 2,000 for ten towns).
    rules : path or ProgrammeRules, optional
        Default ``townplan_gis/data/programme.toml``.
    allocation : str, optional
        An ``[[allocations]]`` name of the rule file (default its ``default_allocation``).
    as_of : date-like, optional
        The inspection date, recorded; deadlines in the record are checked against it.
    reviews : mapping of town name to Review, optional
        Reviews already computed (``tp.review(town)``); the others are computed here.
    **indicator_options
        Passed to ``tp.town_indicators``.

    Returns
    -------
    Acceptance

    Raises
    ------
    TownPlanError
        No towns, a town given twice, a review that is not of the town's projects, a bad fund
        (negative, not a whole number of 0.01 万元), an unknown allocation rule (DataFileError).
    """
    rules = load_programme_rules(rules)
    rule = rules.allocation(allocation)
    std = load_standard(standard)
    when = None if as_of is None else parse_date(as_of, what="as_of")
    towns = _towns(towns)
    reviews = dict(reviews or {})
    unknown = sorted(set(reviews) - {t.name for t in towns})
    if unknown:
        raise TownPlanError(f"acceptance: reviews given for towns not in the list: {unknown}.")
    tables = {t.name: town_indicators(t, **indicator_options) for t in towns}
    ranking = assess_many(tables, std, progress=False).set_index("town")
    per_town: dict[str, dict[str, Any]] = {}
    for town in towns:
        has = "projects" in town.layers
        table = project_table(town, as_of=when, rules=rules) if has else None
        projects = (
            _town_projects(town, table, _verdicts(town, table, reviews.get(town.name)), rules)
            if table is not None
            else pd.DataFrame(columns=_PROJECTS)
        )
        card = assess(tables[town.name], std)
        score = float(ranking.at[town.name, "score"])
        ok, en, zh = _decide(projects, score, rules, has)
        per_town[town.name] = {
            "table": table,
            "projects": projects,
            "card": card,
            "accepted": ok,
            "en": en,
            "zh": zh,
        }
    order = list(ranking.index)
    county = _county(order, ranking, per_town, rules, rule, fund_wan_yuan)
    fund = county.attrs.pop("fund")
    records = {
        name: record(
            name, per_town[name], county.set_index("town").loc[name], rules, rule, std, when
        )
        for name in order
    }
    listed = [per_town[n]["projects"] for n in order if len(per_town[n]["projects"])]
    targets = pd.concat([per_town[n]["card"].assign(town=n) for n in order], ignore_index=True)
    return Acceptance(
        county=county,
        projects=pd.concat(listed, ignore_index=True)
        if listed
        else pd.DataFrame(columns=_PROJECTS),
        targets=targets[_TARGETS],
        fund=fund,
        allocation=rule,
        records=records,
        standard=std.name,
        rules=rules.path,
        as_of=when,
    )


def _county(order, ranking, per_town, rules, rule, fund_wan_yuan) -> pd.DataFrame:
    rows = []
    for name in order:
        info = per_town[name]
        table, projects, card = info["table"], info["projects"], info["card"]
        matching = [f.column for f in rules.funding if f.matching]
        if table is None:
            inv = done = local = np.nan
        else:
            inv = float(table["investment_wan_yuan"].sum(min_count=1))
            done = float(table["completed_investment_wan_yuan"].sum(min_count=1))
            local = float(table[matching].sum(axis=1, min_count=1).sum(min_count=1))
        rows.append(
            {
                "town": name,
                "rank": int(ranking.at[name, "rank"]),
                "score": float(ranking.at[name, "score"]),
                "accepted": info["accepted"],
                "reason": "; ".join(info["en"]),
                "reason_zh": ";".join(info["zh"]),
                "n_projects": len(projects),
                "n_completed": int(projects["completed"].sum()) if len(projects) else 0,
                "n_conforming": int(projects["conforms"].sum()) if len(projects) else 0,
                "n_targets_met": int((card["status"] == "pass").sum()),
                "n_targets": len(card),
                "investment_wan_yuan": inv,
                "completed_investment_wan_yuan": done,
                "matching_funds_wan_yuan": local,
            }
        )
    out = pd.DataFrame(rows)
    weight = {
        "score": out["score"],
        "equal": pd.Series(1.0, index=out.index),
        "completed_investment": out["completed_investment_wan_yuan"],
    }[rule.weight]
    eligible = out["accepted"] if rule.only_accepted else pd.Series(True, index=out.index)
    out["allocation_weight"] = weight.where(eligible, 0.0).astype("float64")
    shared = allocate(
        out["allocation_weight"].tolist(),
        eligible.tolist(),
        fund_wan_yuan=fund_wan_yuan,
        office_share_pct=rules.office_share_pct,
        unit_wan_yuan=rules.unit_wan_yuan,
        names=out["town"].tolist(),
    )
    out["subsidy_wan_yuan"] = shared.subsidies_wan_yuan
    out["matching_required_wan_yuan"] = out["subsidy_wan_yuan"] * rules.matching_ratio
    met = (
        out["matching_funds_wan_yuan"].fillna(0.0) + rules.tolerance_wan_yuan
        >= out["matching_required_wan_yuan"]
    )
    out["matching_met"] = pd.array(met.to_numpy(), dtype="boolean")
    out.loc[out["subsidy_wan_yuan"] <= 0, "matching_met"] = pd.NA
    out = out[COUNTY_COLUMNS]
    out.attrs["fund"] = pd.Series(
        {
            "fund_wan_yuan": float(fund_wan_yuan),
            "office_share_pct": rules.office_share_pct,
            "office_wan_yuan": shared.office_wan_yuan,
            "distributable_wan_yuan": shared.distributable_wan_yuan,
            "allocated_wan_yuan": float(np.round(shared.subsidies_wan_yuan.sum(), 10)),
            "unallocated_wan_yuan": shared.unallocated_wan_yuan,
            "unit_wan_yuan": shared.unit_wan_yuan,
            "n_accepted": float(out["accepted"].sum()),
        }
    )
    return out
