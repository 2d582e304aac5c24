"""Planning analyses beyond the project review (issue #18).

* :func:`check_lines` — control-line self-check (控制线自检): conflicts between line types by the
  compatibility matrix (``data/line_matrix.toml``), digitising errors within a type, numbered patches;
"""

from townplan_gis.analyses.matrix import LineMatrix, load_line_matrix
from townplan_gis.analyses.selfcheck import LineCheck, check_lines

__all__ = ["LineCheck", "LineMatrix", "check_lines", "load_line_matrix"]
