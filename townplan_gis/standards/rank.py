"""Ranking towns against one standard: the construction competition of the 2017 programmes
(``docs/sources.md#ezhou-2017``, ``docs/sources.md#weicheng-2017``)."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.progress import progress as progress_bar
from townplan_gis.core.town import Town
from townplan_gis.io.files import read_town
from townplan_gis.standards.assess import assess
from townplan_gis.standards.load import Standard, load_standard

__all__ = ["RANK_RULE", "assess_many"]

log = logging.getLogger(__name__)

RANK_RULE = (
    "rank: higher score first; equal scores: smaller relative_gap_sum first (Σ over failed targets of "
    "|gap| / |threshold|, the missed bound for a range, the absolute gap when that threshold is 0; "
    "a not-evaluable target adds the largest relative gap any ranked town has on it, at least 1); "
    "then town name (Unicode order). tie_break names what decided a town's place among equal scores."
)


def _resolve_town(item: Any) -> tuple[str, Any]:
    """``(name, town or indicator table)`` of one item given to :func:`assess_many`."""
    if isinstance(item, (str, Path)):
        town = read_town(item)
        return town.name, town
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], pd.DataFrame):
        return str(item[0]), item[1]
    if not isinstance(item, Town):
        raise TownPlanError(
            f"assess_many: cannot assess {type(item).__name__}; give Towns, paths, or "
            f"(name, indicator table) pairs (a dict of name → tp.town_indicators(town) works too)."
        )
    return item.name, item


def assess_many(
    towns: Iterable[Any] | Mapping[str, pd.DataFrame],
    standard: str | Path | Standard,
    *,
    progress: bool | None = None,
    **indicator_options: Any,
) -> pd.DataFrame:
    """Rank towns against one standard (the construction competition of the 2017 plans).

    .. math:: \\text{score} = 100 \\cdot \\frac{\\sum_{t\\ \\text{pass}} w_t}{\\sum_t w_t}

    A target that cannot be evaluated counts as not passed. Equal scores are told apart by how far
    each town is from its targets, the sum of relative gaps

    .. math:: G = \\sum_{t\\ \\text{fail}} \\frac{|\\text{gap}_t|}{|\\text{threshold}_t|}
              + \\sum_{t\\ \\text{not evaluable}} \\max\\left(1, \\max_{\\text{towns}} r_t\\right)

    (smaller first; the missed bound for a range; the absolute gap in the target's unit when that
    threshold is 0; unweighted), and then by town name, so every town has its own rank (1, 2, 3 …)
    even when all of them fail every target. A not-evaluable target adds the largest relative gap
    r_t that any ranked town has on it, and at least 1 (a 100 % shortfall): on each target a missing
    value never counts as closer than a measured shortfall. The rule is :data:`RANK_RULE`, also in
    ``attrs["rank_rule"]`` of the result.

    Parameters
    ----------
    towns : iterable of Town, path or (name, DataFrame); or a mapping of name to DataFrame
        Towns, paths read with :func:`townplan_gis.read_town` one at a time, or indicator tables
        computed beforehand (``{town.name: tp.town_indicators(town) for town in towns}``), which are not
        recomputed.
    standard : str, Path or Standard
    progress : bool, optional
        Show a tqdm progress bar (on stderr); default ``townplan_gis.options.progress``.
    **indicator_options
        Passed to ``tp.town_indicators(town)``.

    Returns
    -------
    pandas.DataFrame
        One row per town, sorted by rank: ``town, rank, score, relative_gap_sum, tie_break, n_pass,
        n_fail, n_not_evaluable, n_targets``, then one status column per target key. ``tie_break``
        is ``""`` when the town's score is unique, ``"relative_gap_sum"`` when the gap sum set it
        apart from the towns with its score, ``"name"`` when score and gap sum are both equal to
        another town's.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> ranked = tp.assess_many(tp.sample_towns("weicheng"), "weicheng-2017", progress=False)
    >>> ranked[["town", "rank"]].head(2).values.tolist()
    [['渭城镇', 1], ['窑店镇', 2]]
    """
    std = load_standard(standard)
    towns = list(towns.items()) if isinstance(towns, Mapping) else list(towns)
    weights = [t.weight for t in std.targets]
    rows, shortfalls = [], []
    for item in progress_bar(towns, desc=f"assess {std.name}", unit="town", progress=progress):
        name, town = _resolve_town(item)
        card = assess(town, std, **indicator_options)
        status = card["status"].to_numpy()
        passed = sum(w for w, s in zip(weights, status, strict=True) if s == "pass")
        row = {
            "town": name,
            "score": 100.0 * passed / sum(weights),
            "n_pass": int((status == "pass").sum()),
            "n_fail": int((status == "fail").sum()),
            "n_not_evaluable": int((status == "not_evaluable").sum()),
            "n_targets": len(status),
        }
        row.update(zip(card["key"], status, strict=True))
        rows.append(row)
        shortfalls.append(
            [t.relative_shortfall(v) for t, v in zip(std.targets, card["value"], strict=True)]
        )
    columns = [
        "town",
        "rank",
        "score",
        "relative_gap_sum",
        "tie_break",
        "n_pass",
        "n_fail",
        "n_not_evaluable",
        "n_targets",
        *std.keys,
    ]
    if not rows:
        out = pd.DataFrame(columns=columns)
        out.attrs["rank_rule"] = RANK_RULE
        return out
    out = pd.DataFrame(rows)
    out["relative_gap_sum"] = _gap_sums(shortfalls)
    # Scores and gap sums are float sums; round away their noise before comparing them.
    score = out["score"].round(9).tolist()
    gaps = out["relative_gap_sum"].round(9).tolist()
    names = [str(n) for n in out["town"]]
    order = sorted(range(len(out)), key=lambda i: (-score[i], gaps[i], names[i]))
    n_score = Counter(score)
    n_both = Counter(zip(score, gaps, strict=True))
    out["tie_break"] = [
        "name" if n_both[(s, g)] > 1 else "relative_gap_sum" if n_score[s] > 1 else ""
        for s, g in zip(score, gaps, strict=True)
    ]
    out = out.iloc[order].reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    out = out[columns]
    out.attrs["rank_rule"] = RANK_RULE
    return out


def _gap_sums(shortfalls: list[list[float]]) -> list[float]:
    """Σ relative shortfalls per town, a not-evaluable target counted as max(1, worst on it)."""
    fill = [
        max([1.0, *(r for r in column if not math.isnan(r))])
        for column in zip(*shortfalls, strict=True)
    ]
    return [
        sum(f if math.isnan(r) else r for f, r in zip(fill, row, strict=True)) for row in shortfalls
    ]
