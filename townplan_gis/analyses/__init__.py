"""Planning analyses beyond the project review (issue #18), on the review's lines and rules.

* :func:`check_lines` — control-line self-check (控制线自检): conflicts between line types by the
  compatibility matrix (``data/line_matrix.toml``), digitising errors within a type, numbered patches;
* :func:`buildable_land` — the land of each parcel left to build on by the lines and their setbacks
  (relaxed and strict), with its widest point and the part where a square of the minimum width fits;
* :func:`find_sites` — site search (选址): candidate sites clear of every constraint, ranked by a
  stated score, each reviewed with ``tp.review``, with the list of constraints checked;
"""

from townplan_gis.analyses.buildable import buildable_items, buildable_land
from townplan_gis.analyses.matrix import LineMatrix, load_line_matrix
from townplan_gis.analyses.selfcheck import LineCheck, check_lines
from townplan_gis.analyses.sites import SiteSearch, find_sites

__all__ = [
    "LineCheck",
    "LineMatrix",
    "SiteSearch",
    "buildable_items",
    "buildable_land",
    "check_lines",
    "find_sites",
    "load_line_matrix",
]
