"""A folder of review opinions: one page per project, and an ``index.csv`` listing them.

Every project gets its own file, also when project ids repeat or differ only in characters a file name
cannot hold (``A/1``, ``A_1``, ``A:1``), and repeated ids are reported.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.safe import safe_frame
from townplan_gis.deliverables.opinion import project_opinion

__all__ = ["opinion_filenames", "write_opinions"]

log = logging.getLogger(__name__)


# Longest file-name stem kept, in UTF-8 bytes: with the hash suffix and ".html" a name stays far below
# the 255 bytes ext4, NTFS and APFS allow per name (a Chinese character takes 3 bytes).
_STEM_BYTES = 150
# Names Windows reserves for devices, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10))}


def _digest(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def opinion_filenames(project_ids: Iterable[Any]) -> list[str]:
    """One distinct, file-safe ``.html`` name per project, in order.

    Parameters
    ----------
    project_ids : iterable
        The projects' ``project_id`` values, one per project (repeats allowed).

    Returns
    -------
    list of str
        The id itself when it is a safe, unique name (letters, digits, ``-`` and ``_``, not starting
        with ``-``); otherwise the id with every other character (and a leading ``-``) replaced by
        ``_``, cut to 150 UTF-8 bytes, and an 8-character hash of the id (and, for a repeated id, of
        its occurrence number) appended. Names are unique also on case-insensitive file systems
        (``A1`` and ``a1`` both get a hash), never a Windows device name (``CON``), and at most 200
        bytes long. The same ids in the same order give the same names.

    Examples
    --------
    >>> opinion_filenames(["P1", "A/1", "A_1", "A:1"])  # doctest: +ELLIPSIS
    ['P1.html', 'A_1_....html', 'A_1.html', 'A_1_....html']
    """
    ids = ["" if v is None else str(v) for v in project_ids]
    counts = Counter(ids)
    seen: Counter = Counter()
    stems, digests, lengths = [], [], []
    for pid in ids:
        slug = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in pid) or "_"
        if slug.startswith("-"):  # "-5.html" would read as an option to command-line tools
            slug = "_" + slug[1:]
        stem = slug.encode("utf-8", "surrogatepass")[:_STEM_BYTES].decode("utf-8", "ignore")
        key = pid
        if counts[pid] > 1:
            seen[pid] += 1
            key = f"{pid}\x00{seen[pid]}"
        plain = stem == pid and counts[pid] == 1 and stem.upper() not in _RESERVED
        stems.append(stem)
        digests.append(_digest(key))
        lengths.append(0 if plain else 8)
    while True:
        names = [
            s if n == 0 else f"{s}_{d[:n]}" for s, d, n in zip(stems, digests, lengths, strict=True)
        ]
        groups: defaultdict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(names):
            groups[name.casefold()].append(i)
        clash = [i for group in groups.values() if len(group) > 1 for i in group]
        if not clash:
            return [f"{name}.html" for name in names]
        if all(lengths[i] == 40 for i in clash):  # two ids with one SHA-1: never seen
            raise TownPlanError(f"opinion_filenames: cannot tell apart {[ids[i] for i in clash]}.")
        for i in clash:
            lengths[i] = 8 if lengths[i] == 0 else min(40, lengths[i] * 2)


def write_opinions(
    review: Any,
    out_dir: str | Path,
    *,
    town: Any = None,
    lang: str = "zh",
    verdicts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Write the review opinion of each project into ``out_dir``, one file per project, and an index.

    Parameters
    ----------
    review : Review
        From :func:`townplan_gis.fiveline`.
    out_dir : str or Path
        Folder for the pages (created); ``index.csv`` (UTF-8 with BOM, for Excel) lists them.
    town : Town, optional
        As in :func:`project_opinion`.
    lang : {"zh", "en"}, default "zh"
    verdicts : sequence of str, optional
        Only projects with these verdicts (e.g. ``["reject"]``); default all.

    Returns
    -------
    pandas.DataFrame
        One row per page written: ``project_id``, ``project_name``, ``verdict``, ``row`` (the project's
        index label), ``file`` (name inside ``out_dir``), ``path``, ``n_same_id`` (projects sharing
        the id, 1 when unique) and ``note``.

    Notes
    -----
    File names come from :func:`opinion_filenames` over all the review's projects, so a project's file
    name does not depend on ``verdicts``. A project id used by several projects is logged as a warning
    and noted in the index and on each page; each of those projects gets its own page.
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"write_opinions: lang must be 'zh' or 'en', got {lang!r}.")
    zh = lang == "zh"
    projects = review.projects
    ids = projects["project_id"].astype(str).to_numpy()
    names = opinion_filenames(ids)
    counts = Counter(ids.tolist())
    for pid, n in counts.items():
        if n > 1:
            rows = projects.index[ids == pid].tolist()
            log.warning(
                "write_opinions: project_id '%s' is used by %d projects (rows %s): each gets its own "
                "opinion file (see index.csv). Fix: give each project its own id.",
                pid,
                n,
                rows,
            )
    wanted = np.ones(len(projects), dtype=bool)
    if verdicts is not None:
        wanted = projects["verdict"].astype(str).isin(list(verdicts)).to_numpy()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for pos in np.flatnonzero(wanted):
        pid, name = ids[pos], names[pos]
        path = project_opinion(
            review, pid, town=town, lang=lang, path=out / name, position=int(pos)
        )
        notes = []
        if counts[pid] > 1:
            notes.append(
                f"项目编号重复(共 {counts[pid]} 个项目)"
                if zh
                else f"project_id shared by {counts[pid]} projects"
            )
        if name != f"{pid}.html" and name.startswith(f"{pid}_"):
            notes.append("文件名加后缀以相区分" if zh else "file name suffixed to keep it apart")
        elif name != f"{pid}.html":
            notes.append(
                "文件名已转为安全字符并加后缀" if zh else "file name made file-safe and suffixed"
            )
        row = projects.iloc[pos]
        records.append(
            {
                "project_id": pid,
                "project_name": row.get("project_name"),
                "verdict": row.get("verdict"),
                "row": projects.index[pos],
                "file": name,
                "path": path,
                "n_same_id": counts[pid],
                "note": "; ".join(notes),
            }
        )
    index = pd.DataFrame(
        records,
        columns=[
            "project_id", "project_name", "verdict", "row", "file", "path", "n_same_id", "note",
        ],
    )  # fmt: skip
    safe_frame(index.drop(columns="path")).to_csv(
        out / "index.csv", index=False, encoding="utf-8-sig"
    )
    log.info("%d opinions written to %s", len(index), out)
    return index
