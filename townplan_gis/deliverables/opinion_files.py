"""A folder of review opinions (审查意见书): one HTML, Word or PDF file per project, and an ``index.csv``
listing them.

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


# The job the writing processes share: (batch, file names, folder, format, template, time stamp).
_JOB: tuple | None = None


def _workers(asked: int | None, n: int) -> int:
    import multiprocessing
    import os

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if asked is not None:
        if isinstance(asked, bool) or not isinstance(asked, int) or asked < 1:
            raise TownPlanError(
                f"write_opinions: workers must be a whole number ≥ 1, got {asked!r}."
            )
        return min(asked, max(1, n))
    return min(os.cpu_count() or 1, 4) if n >= 100 else 1


def _write_chunk(positions: list[int]) -> list[tuple[int, str, str, str | None]]:
    """Write the opinions at these positions; (position, number, conclusion, page for PDF) each."""
    from townplan_gis.deliverables.opinion import opinion_html
    from townplan_gis.deliverables.opinion_content import opinion_content

    assert _JOB is not None
    batch, names, out, format, template, stamp = _JOB
    done = []
    for pos in positions:
        content = opinion_content(batch, int(pos))
        path, page = out / names[pos], None
        if format == "docx":
            from townplan_gis.deliverables.opinion_docx import opinion_docx

            path.write_bytes(opinion_docx(content, template=template))
        elif format == "pdf":
            page = opinion_html(content, generated=stamp)
        else:
            path.write_text(opinion_html(content, generated=stamp), encoding="utf-8")
        done.append((int(pos), content["number"], content["conclusion"]["word"], page))
    return done


def write_opinions(
    review: Any,
    out_dir: str | Path,
    *,
    town: Any = None,
    lang: str = "zh",
    verdicts: Sequence[str] | None = None,
    projects: Sequence[str] | None = None,
    format: str = "html",
    office: Any = None,
    template: str | Path | None = None,
    maps: bool = True,
    workers: int | None = None,
) -> pd.DataFrame:
    """Write the review opinion (审查意见书) of each project into ``out_dir``, one file per project,
    and an index.

    Parameters
    ----------
    review : Review
        From :func:`townplan_gis.review`.
    out_dir : str or Path
        Folder for the files (created); ``index.csv`` (UTF-8 with BOM, for Excel) lists them.
    town : Town, optional
        As in :func:`~townplan_gis.deliverables.opinion.project_opinion`.
    lang : {"zh", "en"}, default "zh"
    verdicts : sequence of str, optional
        Only projects with these verdicts (e.g. ``["reject"]``); default all.
    projects : sequence of str, optional
        Only these project ids (every project with the id); an id not in the review is an error.
    format : {"html", "docx", "pdf"}, default "html"
        HTML pages, Word files on ``template``, or PDFs printed by headless Chromium.
    office : Office, dict, str or Path, optional
        The issuing office (default the town's, else the packaged placeholder, flagged on each
        opinion).
    template : str or Path, optional
        The Word template (``format="docx"``); default the packaged ``templates/opinion.docx``.
    maps : bool, default True
        Draw the location maps.
    workers : int, optional
        Processes writing the opinions (forked, so POSIX only; 1 elsewhere). Default: one per core
        (at most 4) from 100 opinions on, else 1.

    Returns
    -------
    pandas.DataFrame
        One row per file written: ``project_id``, ``project_name``, ``verdict``, ``conclusion``
        (符合 / 需补充审查 / 不符合), ``number`` (the document number), ``row`` (the project's index
        label), ``file`` (name inside ``out_dir``), ``path``, ``n_same_id`` (projects sharing the
        id, 1 when unique) and ``note``.

    Notes
    -----
    File names come from :func:`opinion_filenames` over all the review's projects, so a project's file
    name (and its document number) does not depend on ``verdicts`` or ``projects``. A project id
    used by several projects is logged as a warning and noted in the index and on each opinion; each
    of those projects gets its own file. A county's opinions are drawn on one reused map canvas
    (``benchmarks/bench_opinions.py``).
    """
    from townplan_gis.deliverables.opinion import FORMATS
    from townplan_gis.deliverables.opinion_content import OpinionBatch

    if lang not in ("zh", "en"):
        raise TownPlanError(f"write_opinions: lang must be 'zh' or 'en', got {lang!r}.")
    if format not in FORMATS:
        raise TownPlanError(f"write_opinions: format must be one of {FORMATS}, got {format!r}.")
    zh = lang == "zh"
    frame = review.projects
    ids = frame["project_id"].astype(str).to_numpy()
    names = [n.removesuffix(".html") + f".{format}" for n in opinion_filenames(ids)]
    counts = Counter(ids.tolist())
    for pid, n in counts.items():
        if n > 1:
            rows = frame.index[ids == pid].tolist()
            log.warning(
                "write_opinions: project_id '%s' is used by %d projects (rows %s): each gets its own "
                "opinion file (see index.csv). Fix: give each project its own id.",
                pid,
                n,
                rows,
            )
    wanted = np.ones(len(frame), dtype=bool)
    if verdicts is not None:
        wanted = frame["verdict"].astype(str).isin(list(verdicts)).to_numpy()
    if projects is not None:
        asked = [str(p) for p in projects]
        unknown = [p for p in asked if p not in counts]
        if unknown:
            known = list(counts)
            raise TownPlanError(
                f"write_opinions: no project {unknown} in the review. Known project_id values: "
                f"{known[:30]}{' …' if len(known) > 30 else ''}."
            )
        wanted &= np.isin(ids, asked)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    batch = OpinionBatch(review, town=town, office=office, lang=lang, maps=maps)
    stamp = batch.when.isoformat(timespec="seconds")
    positions = np.flatnonzero(wanted).tolist()
    global _JOB
    _JOB = (batch, names, out, format, template, stamp)
    try:
        n_workers = _workers(workers, len(positions))
        if n_workers > 1:
            import multiprocessing

            # Forked workers inherit the prepared batch: nothing is pickled but the positions.
            size = max(1, min(50, len(positions) // (4 * n_workers)))
            chunks = [positions[i : i + size] for i in range(0, len(positions), size)]
            with multiprocessing.get_context("fork").Pool(n_workers) as pool:
                done = [r for part in pool.imap(_write_chunk, chunks) for r in part]
        else:
            done = _write_chunk(positions)
    finally:
        _JOB = None
    records, pending = [], []
    for pos, number, word, page in done:
        pid, name = ids[pos], names[pos]
        path = out / name
        if page is not None:
            pending.append((path, page, number))
        notes = []
        if counts[pid] > 1:
            notes.append(
                f"项目编号重复（共 {counts[pid]} 个项目）"
                if zh
                else f"project_id shared by {counts[pid]} projects"
            )
        plain = f"{pid}.{format}"
        if name != plain and name.startswith(f"{pid}_"):
            notes.append("文件名加后缀以相区分" if zh else "file name suffixed to keep it apart")
        elif name != plain:
            notes.append(
                "文件名已转为安全字符并加后缀" if zh else "file name made file-safe and suffixed"
            )
        if batch.office.placeholder:
            notes.append("签发机关为占位示例" if zh else "placeholder office")
        row = frame.iloc[pos]
        records.append(
            {
                "project_id": pid,
                "project_name": row.get("project_name"),
                "verdict": row.get("verdict"),
                "conclusion": word,
                "number": number,
                "row": frame.index[pos],
                "file": name,
                "path": path,
                "n_same_id": counts[pid],
                "note": ("；" if zh else "; ").join(notes),
            }
        )
    if pending:
        from townplan_gis.deliverables.opinion_pdf import html_to_pdf

        pdfs = html_to_pdf([p for _, p, _ in pending], markers=[m for _, _, m in pending])
        for (path, _, _), data in zip(pending, pdfs, strict=True):
            path.write_bytes(data)
    index = pd.DataFrame(
        records,
        columns=[
            "project_id", "project_name", "verdict", "conclusion", "number", "row", "file",
            "path", "n_same_id", "note",
        ],
    )  # fmt: skip
    safe_frame(index.drop(columns="path")).to_csv(
        out / "index.csv", index=False, encoding="utf-8-sig"
    )
    log.info("%d opinions written to %s", len(index), out)
    return index
