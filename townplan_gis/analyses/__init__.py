"""Planning analyses beyond the project review (issue #18), on the review's lines and rules.

* :func:`check_lines` — control-line self-check (控制线自检): conflicts between line types by the
  compatibility matrix (``data/line_matrix.toml``), digitising errors within a type, numbered patches;
* :func:`buildable_land` — the land of each parcel left to build on by the lines and their setbacks
  (relaxed and strict), with its widest point and the part where a square of the minimum width fits;
* :func:`find_sites` — site search (选址): candidate sites clear of every constraint, ranked by a
  stated score, each reviewed with ``tp.review``, with the list of constraints checked;
* :func:`park_service_coverage`, :func:`life_circles` — service coverage along the street network
  (公园绿地服务半径覆盖率, GB 50180 life circles), from :mod:`townplan_gis.indicators.service`, whose
  figures are also indicator keys (``park_service_coverage_pct`` …) for the standards.

Each returns frames aligned to its input and a tidy table for a report or a workbook sheet
(``LineCheck.table()``, :func:`buildable_items`, ``SiteSearch.table()``, :func:`life_circles`).
"""

from townplan_gis.analyses.buildable import buildable_items, buildable_land
from townplan_gis.analyses.matrix import LineMatrix, load_line_matrix
from townplan_gis.analyses.selfcheck import LineCheck, check_lines
from townplan_gis.analyses.sites import SiteSearch, find_sites
from townplan_gis.indicators.network import street_network
from townplan_gis.indicators.service import ServiceCoverage, life_circles, park_service_coverage

__all__ = [
    "LineCheck",
    "LineMatrix",
    "ServiceCoverage",
    "SiteSearch",
    "buildable_items",
    "buildable_land",
    "check_lines",
    "find_sites",
    "life_circles",
    "load_line_matrix",
    "park_service_coverage",
    "street_network",
]
