"""Standards as data, and scorecards: measure a town (or a county of towns) against a standard.

A standard is a TOML file — packaged ones in ``townplan_gis/data/standards`` (``ezhou-2017``,
``weicheng-2017``, ``national-2016``, ``gb50188-2007``) or any user file — with a ``[standard]`` table
(``name``, ``title_zh``, ``title_en``, ``source``) and ``[[targets]]``, each::

    key = "paving_rate_pct"        # an indicator key, or its name: "道路硬化率" (indicators.registry)
    comparator = ">="              # >= (≥), >, <= (≤), <, ==, between ([lo, hi]), between_left_open
    threshold = 90.0               # a number, or [lo, hi] for the between comparators
    unit = "%"                     # the indicator's unit, as printed or coded: "%", "％", "m²/人" …
    source = "鄂州市 … 2017"        # citation
    note = "value lost in the source; 90 % assumed"   # optional
    weight = 1.0                   # optional, for the score
    reported = false               # optional: true lets a key outside the registry name a reported statistic

A file may start with ``extends = "ezhou-2017"`` (a packaged name, or a path relative to the file): the
base's targets are kept, a target with the same key overrides the fields it gives (a changed comparator,
threshold or unit needs its own ``source``), and new keys are added.

The file is validated against this schema: an unknown section or key (``[standrad]``, ``thresold``)
is refused with the closest accepted spelling, never ignored; thresholds and weights must be finite
numbers (a threshold of ``inf`` with ``>=`` would always fail, one of ``-inf`` always pass), weights
> 0, a range two ordered numbers. Missing data is ``not_evaluable`` — never ``pass``.

The package, by seam: :mod:`~townplan_gis.standards.targets` (a target and how a value meets it),
:mod:`~townplan_gis.standards.load` (files: read, validate, extend), :mod:`~townplan_gis.standards.assess`
(one town's scorecard) and :mod:`~townplan_gis.standards.rank` (towns ranked against one standard).
"""

from townplan_gis.standards.assess import SCORECARD_COLUMNS, assess
from townplan_gis.standards.load import Standard, list_standards, load_standard
from townplan_gis.standards.rank import RANK_RULE, assess_many
from townplan_gis.standards.targets import COMPARATORS, Target

__all__ = [
    "COMPARATORS",
    "RANK_RULE",
    "SCORECARD_COLUMNS",
    "Standard",
    "Target",
    "assess",
    "assess_many",
    "list_standards",
    "load_standard",
]
