"""``competition(years, standard)``: the construction competition (建设竞赛) and its league over years.

Each year's ranking is :func:`townplan_gis.assess_many`'s: the weighted score of the standard's
targets (weights from the standard file), ties broken by the sum of relative gaps, then the town's
name (:data:`townplan_gis.standards.RANK_RULE`). The league puts the years side by side. Sources:
docs/sources.md#ezhou-2017 (the competition), docs/sources.md#programme-rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from townplan_gis.core.errors import TownPlanError
from townplan_gis.standards import RANK_RULE, assess_many, load_standard

__all__ = ["LEAGUE_RULE", "League", "competition"]

LEAGUE_RULE = (
    "league: towns in the order of the latest year's rank; towns absent that year follow, by their "
    "mean score over the years they took part (higher first), then by name. rank_change = previous "
    "year's rank − latest rank (positive: moved up), <NA> when the town was not ranked in both."
)
_RANKING = ("town", "rank", "score", "relative_gap_sum", "tie_break")


@dataclass(frozen=True)
class League:
    """Rankings of several years and the league table (:func:`competition`).

    Attributes
    ----------
    rankings : pandas.DataFrame
        One row per year × town: ``year, town, rank, score, relative_gap_sum, tie_break, n_pass,
        n_targets`` (``tie_break``: what set the town apart from towns with its score).
    league : pandas.DataFrame
        One row per town: ``town``, ``rank_<year>`` and ``score_<year>`` for each year (oldest
        first; <NA> when the town was not ranked that year), ``rank_change``, ``best_rank``,
        ``mean_score``, ``years``.
    years : list
        The years, oldest first.
    rank_rule, league_rule : str
        How ties within a year are broken (:data:`townplan_gis.standards.RANK_RULE`) and how the
        league is ordered (:data:`LEAGUE_RULE`).
    standard : str
    """

    rankings: pd.DataFrame
    league: pd.DataFrame
    years: list
    rank_rule: str
    league_rule: str
    standard: str


def _ranking(year: Any, value: Any, standard: Any, options: dict[str, Any]) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame) and "rank" in value.columns:
        missing = [c for c in _RANKING if c not in value.columns]
        if missing:
            raise TownPlanError(
                f"competition: the ranking given for {year} lacks columns {missing}; give the "
                f"towns, or the table tp.assess_many returns."
            )
        return value
    return assess_many(value, standard, progress=False, **options)


def competition(
    years: Mapping[Any, Any],
    standard: Any,
    **indicator_options: Any,
) -> League:
    """Rank the towns against a standard year by year, and the league table over the years.

    .. math:: \\text{score} = 100 \\cdot \\frac{\\sum_{t\\ \\text{pass}} w_t}{\\sum_t w_t}

    per year (weights ``w_t`` from the standard file), ranks with :func:`townplan_gis.assess_many`'s
    tie-breaks (relative gap sum, then name: :data:`townplan_gis.standards.RANK_RULE`); the league
    orders the towns by :data:`LEAGUE_RULE`.

    Parameters
    ----------
    years : mapping of year to towns or ranking
        Per year, the towns (anything :func:`townplan_gis.assess_many` takes: Towns, paths,
        indicator tables) or the ranking it returned for that year.
    standard : str, Path or Standard
    **indicator_options
        Passed to ``tp.town_indicators``.

    Returns
    -------
    League

    Raises
    ------
    TownPlanError
        No years, a year with no towns, a ranking table without the ranking columns.

    Examples
    --------
    >>> import pandas as pd
    >>> def ranks(*rows):
    ...     return pd.DataFrame(rows, columns=["town", "rank", "score", "relative_gap_sum",
    ...                                        "tie_break", "n_pass", "n_targets"])
    >>> lg = competition({2016: ranks(("甲", 1, 80.0, 0.1, "", 8, 10), ("乙", 2, 70.0, 0.3, "", 7, 10)),
    ...                   2017: ranks(("乙", 1, 90.0, 0.0, "", 9, 10), ("甲", 2, 80.0, 0.2, "", 8, 10))},
    ...                  "weicheng-2017")
    >>> lg.league[["town", "rank_2016", "rank_2017", "rank_change"]].values.tolist()
    [['乙', 2, 1, 1], ['甲', 1, 2, -1]]
    """
    if not years:
        raise TownPlanError("competition: no years given.")
    std = load_standard(standard)
    frames = []
    for year, value in years.items():
        ranked = _ranking(year, value, std, indicator_options)
        if len(ranked) == 0:
            raise TownPlanError(f"competition: no towns ranked in {year}.")
        keep = [c for c in (*_RANKING, "n_pass", "n_targets") if c in ranked.columns]
        frames.append(ranked[keep].assign(year=year))
    rankings = pd.concat(frames, ignore_index=True)
    rankings = rankings[["year", *[c for c in rankings.columns if c != "year"]]]
    order = list(years)
    wide_rank = rankings.pivot(index="town", columns="year", values="rank").reindex(columns=order)
    wide_score = rankings.pivot(index="town", columns="year", values="score").reindex(columns=order)
    league = pd.DataFrame(index=wide_rank.index)
    for y in order:
        league[f"rank_{y}"] = wide_rank[y].astype("Int64")
        league[f"score_{y}"] = wide_score[y].astype("float64")
    last = wide_rank[order[-1]]
    prev = wide_rank[order[-2]] if len(order) > 1 else pd.Series(np.nan, index=last.index)
    league["rank_change"] = (prev - last).astype("Int64")
    league["best_rank"] = wide_rank.min(axis=1).astype("Int64")
    league["mean_score"] = wide_score.mean(axis=1)
    league["years"] = wide_rank.notna().sum(axis=1).astype(int)
    names = league.index.astype(str)
    key = pd.DataFrame(
        {
            "absent": last.isna().to_numpy(),
            "rank": last.fillna(0).to_numpy(),
            "mean": -league["mean_score"].to_numpy(),
            "name": names,
        },
        index=league.index,
    )
    league = league.loc[key.sort_values(["absent", "rank", "mean", "name"]).index]
    return League(
        rankings=rankings,
        league=league.reset_index(),
        years=order,
        rank_rule=RANK_RULE,
        league_rule=LEAGUE_RULE,
        standard=std.name,
    )
