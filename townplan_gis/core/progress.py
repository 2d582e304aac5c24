"""One progress helper for every long operation (reading, reviewing, assessing many towns).

Built on ``tqdm.auto`` (a widget in Jupyter, a text bar on a terminal). It is switched off per call with
``progress=False`` or package-wide with ``townplan_gis.options.progress = False`` (or the environment
variable ``TOWNPLAN_PROGRESS=0``). Bars appear only after ``options.progress_delay_s`` seconds, so quick
calls print nothing, and they write to stderr, never to stdout.

>>> from townplan_gis.core.progress import progress
>>> total = 0
>>> for x in progress(range(3), desc="demo", progress=False):
...     total += x
>>> total
3
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm import TqdmWarning

from townplan_gis.core.options import options

__all__ = ["progress", "progress_enabled"]

T = TypeVar("T")


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether a bar should be shown: the per-call ``progress`` argument wins over the package option."""
    return options.progress if progress is None else bool(progress)


def progress(
    iterable: Iterable[T] | None = None,
    *,
    total: int | None = None,
    desc: str | None = None,
    unit: str = "it",
    progress: bool | None = None,
    leave: bool = False,
    **kwargs: Any,
):
    """A tqdm bar over ``iterable`` (or a manual bar with ``total`` to ``.update()``), or a silent one.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; omit it and use the result as a context manager with ``.update(n)``.
    total : int, optional
        Number of steps (default ``len(iterable)`` when it has one).
    desc, unit : str
        Label and unit shown on the bar (e.g. ``desc="review", unit="project"``).
    progress : bool, optional
        ``True``/``False`` to force; ``None`` follows ``townplan_gis.options.progress``.
    leave : bool, default False
        Keep the finished bar on screen.

    Returns
    -------
    tqdm.auto.tqdm
        Iterate over it, or call ``.update(n)``; a disabled bar costs almost nothing.
    """
    with warnings.catch_warnings():
        # Jupyter without ipywidgets: tqdm.auto falls back to a text bar; its warning is only noise.
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.auto import tqdm

    kwargs.setdefault("delay", options.progress_delay_s)
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        leave=leave,
        disable=not progress_enabled(progress),
        **kwargs,
    )
