"""The accelerator: fast paths of the review, each used only where it is tested equal to the
reference engine (:mod:`townplan_gis.fiveline.overlap`) and kept only where it pays.

* :mod:`~townplan_gis.fiveline.fast.rings` — polygons as plain vertex arrays;
* :mod:`~townplan_gis.fiveline.fast.clip` — the overlap of a small convex polygon with any polygon
  without holes, for whole arrays of pairs (≈ 0.7 µs a pair where GEOS takes 12–20 µs), and
  :mod:`~townplan_gis.fiveline.fast.clip_kernel`, its loop compiled by numba;
* :mod:`~townplan_gis.fiveline.fast.engine` — :class:`Fast`, the reference engine with that
  clipping for the pairs it takes.

``review(..., engine="reference")`` runs without any of it.
"""

from townplan_gis.fiveline.fast.engine import Fast

__all__ = ["Fast"]
