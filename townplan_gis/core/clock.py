"""The time stamped on a written deliverable (report, opinion, workbook).

Everything else in a deliverable is a function of its inputs, so an archived review can be reproduced
byte for byte: set the environment variable ``SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC, the
reproducible-builds convention, https://reproducible-builds.org/specs/source-date-epoch/) and that
instant is stamped instead of the current time.
"""

from __future__ import annotations

import datetime as _dt
import os

from townplan_gis.core.errors import TownPlanError

__all__ = ["generated_at"]


def generated_at() -> _dt.datetime:
    """The generation time: ``SOURCE_DATE_EPOCH`` in UTC when set, else now in local time (aware).

    Raises
    ------
    TownPlanError
        ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return _dt.datetime.now().astimezone().replace(microsecond=0)
    try:
        seconds = int(raw)
        return _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise TownPlanError(
            f"the environment variable SOURCE_DATE_EPOCH is {raw!r}: it must be a whole number of "
            f"seconds since 1970-01-01 UTC (e.g. 1767225600). Fix: correct it or unset it."
        ) from None
