"""Per-project findings: the verdict, the worst grade, the counts and the reasons of each project.

Verdicts, first match wins (the Review contract):

1. ``invalid`` — unusable input (no or NaN geometry, unknown project type);
2. ``reject`` — any non-ignored conflict is ``forbidden``; a forbidden conflict is real even when the
   check is incomplete, so it is reported as such;
3. ``not_checked`` (未完成审查) — the check is incomplete: the project is not wholly inside the
   review's coverage, or a line type is neither in the line data nor declared absent;
4. ``review`` — any non-ignored conflict is ``review``;
5. ``pass`` — nothing above notice (notices are listed: "notices only").

Projects never span review chunks, so :func:`project_findings` runs per chunk, in the workers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from townplan_gis.fiveline.grade import GRADE_TEXT
from townplan_gis.fiveline.rows import Rows
from townplan_gis.fiveline.text import as_series, join, join_groups, strings, take

__all__ = ["FINDING_COLUMNS", "project_findings"]

#: The columns of :func:`project_findings`.
FINDING_COLUMNS = ("verdict", "worst_grade", "n_conflicts", "n_ignored", "reason", "reason_zh")

# By grade rank (0 = none), as GRADE_TEXT.
_GRADE_EN = pa.array(GRADE_TEXT.tolist(), type=pa.string())
_GRADE_ZH_BY_RANK = pa.array([None, "提示", "需审批", "禁止"], type=pa.string())
# Verdict codes: 0–3 the worst grade rank (0 none, 1 notice), 4 invalid, 5 not checked.
_VERDICT_BY_CODE = pa.array(
    ["pass", "pass", "review", "reject", "invalid", "not_checked"], type=pa.string()
)
_NOT_CHECKED = 5
# Without a finding (0), or with ignored slivers only (1). "No conflict" is said only of a project
# with no finding at all: slivers are overlaps too, so they are named.
_NONE_EN = pa.array(["no conflict", "sliver overlaps only (ignored)"])
_NONE_ZH = pa.array(["无冲突", "仅碎片重叠（已忽略）"])
# (en, zh): prefixes of notice-only passes, of incomplete checks, and of a rejection whose check
# is incomplete too.
_NOTICES = ("notices only: ", "仅提示事项：")
_INCOMPLETE = ("not checked: ", "未完成审查：")
_ALSO = ("; also not checked: ", "；另未完成审查：")
_THEN = ("; ", "；")


def _texts(projects: pd.DataFrame, name: str) -> pa.Array:
    """A text column of the projects as Arrow strings, "" for every row where it is absent."""
    return strings(projects[name]) if name in projects else pa.repeat("", len(projects))


def project_findings(rows: Rows, projects: pd.DataFrame) -> pd.DataFrame:
    """Verdict, worst grade, counts and reasons of ``projects`` from their conflict rows.

    Projects never span review chunks, so this runs per chunk, in the worker threads.

    Parameters
    ----------
    rows : Rows
        The projects' conflict rows.
    projects : pandas.DataFrame
        Prepared projects (``_pos``, ``_invalid``, ``_repaired``, and ``_incomplete`` /
        ``_incomplete_zh``: why the check is incomplete, "" when it is complete).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``_pos`` like ``projects``: ``verdict`` (see the module docstring),
        ``worst_grade``, ``n_conflicts`` (not ignored), ``n_ignored``, and ``reason`` /
        ``reason_zh``: the non-ignored findings, worst grade first, as ``"grade: reason; …"``;
        ``"notices only: …"`` when nothing is above notice; ``"not checked: <why>; …"`` when the
        check is incomplete; ``"no conflict"`` only when there is no finding at all.
    """
    at = projects["_pos"].to_numpy(dtype=np.int64)
    m = len(at)
    # Row → project within ``projects`` (positions are sorted within a chunk, not always 0..m-1).
    inv = np.searchsorted(at, rows.pos)
    rank = rows.rank.astype(np.int64)
    ignored = rows.ignored
    worst_all = np.zeros(m, dtype=np.int64)
    np.maximum.at(worst_all, inv, rank)
    worst = np.zeros(m, dtype=np.int64)
    np.maximum.at(worst, inv[~ignored], rank[~ignored])
    n_real = np.bincount(inv[~ignored], minlength=m)
    n_ign = np.bincount(inv[ignored], minlength=m)
    invalid = projects["_invalid"].to_numpy(dtype=object) != ""
    why_en = _texts(projects, "_incomplete")
    # Complete only where the text says so (""): a missing text does not make a check complete.
    complete = pc.fill_null(pc.equal(why_en, ""), False).to_numpy(zero_copy_only=False)
    incomplete = ~complete & ~invalid
    code = np.where(invalid, 4, np.where(worst == 3, 3, np.where(incomplete, _NOT_CHECKED, worst)))
    verdict = take(_VERDICT_BY_CODE, code)
    keep = np.flatnonzero(~ignored)
    order = np.lexsort((-rank[keep], inv[keep]))
    group, order_rows = inv[keep][order], keep[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group
    where = np.full(m, -1, dtype=np.int64)
    where[group[starts]] = np.arange(len(starts))
    place = pa.array(where, mask=where < 0)
    some = (n_ign > 0).astype(np.int64)
    note = projects["_repaired"].to_numpy(dtype=object)
    repaired = note != ""
    notices_only = ~invalid & ~incomplete & (worst == 1)
    texts = []
    for k, (col, labels, sep, between, none, bad, fix, why_col) in enumerate(
        (
            ("reason", _GRADE_EN, ": ", "; ", _NONE_EN, "", "; ", "_incomplete"),
            (
                "reason_zh",
                _GRADE_ZH_BY_RANK,
                "：",
                "；",
                _NONE_ZH,
                "输入无效：",
                "；已修复：",
                "_incomplete_zh",
            ),
        )
    ):
        reasons = getattr(rows, col)
        if isinstance(reasons, pa.ChunkedArray):  # one chunk's rows: small
            reasons = reasons.combine_chunks()
        found = join(take(labels, rank[order_rows]), sep, reasons.take(pa.array(order_rows)))
        found = join_groups(found, starts, between).take(place)  # null: no real finding
        text = pc.coalesce(found, take(none, some))
        # Rows replaced in place (Arrow's if_else on strings rebuilds every row: 10× slower).
        if notices_only.any():
            mask = pa.array(notices_only)
            text = pc.replace_with_mask(text, mask, join(_NOTICES[k], found.filter(mask)))
        if incomplete.any():
            why = why_en if k == 0 else _texts(projects, why_col)
            rejected = pa.array(incomplete & (worst == 3))
            if rejected.true_count:
                also = join(text.filter(rejected), _ALSO[k], why.filter(rejected))
                text = pc.replace_with_mask(text, rejected, also)
            other = pa.array(incomplete & (worst < 3))
            if other.true_count:
                tail = pc.coalesce(join(_THEN[k], found.filter(other)), "")
                then = join(_INCOMPLETE[k], why.filter(other), tail)
                text = pc.replace_with_mask(text, other, then)
        if invalid.any():
            why = strings(projects["_invalid"].to_numpy(dtype=object)[invalid])
            text = pc.replace_with_mask(text, pa.array(invalid), join(bad, why))
        if repaired.any():
            mask = pa.array(repaired)
            fixed = join(text.filter(mask), fix, strings(note[repaired]))
            text = pc.replace_with_mask(text, mask, fixed)
        texts.append(text)
    index = pd.Index(at, name="_pos")
    return pd.DataFrame(
        {
            "verdict": as_series(verdict, index=index),
            "worst_grade": as_series(take(_GRADE_EN, worst_all), index=index),
            "n_conflicts": pd.Series(n_real, index=index),
            "n_ignored": pd.Series(n_ign, index=index),
            "reason": as_series(texts[0], index=index),
            "reason_zh": as_series(texts[1], index=index),
        }
    )
