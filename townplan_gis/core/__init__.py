"""The ground floor: errors, repairs, coordinate systems, geometry hygiene, the layer schema, the
vocabulary (labels, colours, units), data-file reading, and the Town itself as data.

Nothing here imports any other part of townplan_gis: every floor above builds on these modules.
"""
