"""Package-wide options: ``townplan_gis.options``.

>>> import townplan_gis as tp
>>> tp.options.progress = False   # no progress bars anywhere (scripts, CI logs)
>>> tp.options.lang = "en"        # notebook displays in English

The environment variable ``TOWNPLAN_PROGRESS=0`` switches progress bars off before import (useful in CI).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from townplan_gis.core.errors import TownPlanError

__all__ = ["Options", "options"]


def _env_progress() -> bool:
    return os.environ.get("TOWNPLAN_PROGRESS", "1").strip().casefold() not in (
        "0",
        "false",
        "no",
        "off",
    )


@dataclass
class Options:
    """Mutable package settings.

    Attributes
    ----------
    progress : bool, default True
        Show progress bars (tqdm.auto: a widget in Jupyter, text on a terminal) for long operations:
        reading towns, reviewing many projects, assessing many towns. Each of those functions also takes
        ``progress=`` to override this for one call.
    progress_delay_s : float, default 0.5
        A bar appears only when the operation lasts longer than this, so quick calls stay silent.
    lang : {"zh", "en"}, default "zh"
        Language of the rich notebook displays (Town, Review, Scorecard).
    """

    progress: bool = field(default_factory=_env_progress)
    progress_delay_s: float = 0.5
    lang: str = "zh"

    def __setattr__(self, name: str, value: object) -> None:
        names = [f.name for f in fields(self)]
        if name not in names:
            raise AttributeError(
                f"townplan_gis.options has no option '{name}'. Options: {', '.join(names)}."
            )
        if name == "lang" and value not in ("zh", "en"):
            raise TownPlanError(
                f"townplan_gis.options.lang must be 'zh' or 'en', got {value!r}. "
                "Fix: tp.options.lang = 'zh' (中文) or 'en'."
            )
        super().__setattr__(name, value)


options = Options()
