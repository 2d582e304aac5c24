"""What a map's popups and tooltips show for each layer kind: the fields, their labels and formats.

Labels are Chinese or English (:mod:`townplan_gis.maps.styles`); coded values (road class, zone, verdict,
grade, project type) are shown by their labels. Used by :mod:`townplan_gis.maps.plan`.
"""

from __future__ import annotations

from townplan_gis.core.schema import LINE_TYPES, aliases
from townplan_gis.maps.layers import FieldSpec
from townplan_gis.maps.styles import field_label, load_styles, value_labels

__all__ = ["popup_fields"]


def _coded(key: str, lang: str) -> dict[str, str]:
    table = load_styles().get("values", {}).get(lang, {})
    return dict(table.get(key, {}))


def _project_types(lang: str) -> dict[str, str]:
    """Chinese labels of project types: the first alias in the schema's alias table."""
    if lang != "zh":
        return {}
    table = aliases().get("values", {}).get("project_type", {})
    return {k: v[0] for k, v in table.items() if v}


def popup_fields(kind: str, lang: str) -> tuple[list[FieldSpec], list[str]]:
    """Popup fields and tooltip columns of a layer kind.

    Returns
    -------
    (list of FieldSpec, list of str)
        ``[(column, label, format)]`` of the popup, in order (format: ``text``, ``int``, ``num1``,
        ``area+``, ``pct``, ``bool`` or a dict of value labels), and the columns of the tooltip.
        An unknown kind gets its ``name``.
    """
    f = lambda col, fmt="text", label=None: (col, field_label(label or col, lang), fmt)  # noqa: E731
    lines = {**value_labels("control_lines", lang)}
    specs: dict[str, tuple[list[FieldSpec], list[str]]] = {
        "roads": (
            [
                f("name"),
                f("road_class", value_labels("roads", lang)),
                f("redline_width_m", "num1"),
                f("carriageway_width_m", "num1"),
                f("surface", _coded("surface", lang)),
                f("lit", "bool"),
            ],
            ["name", "road_class"],
        ),
        "green": (
            [f("name"), f("green_class", value_labels("green", lang))],
            ["name", "green_class"],
        ),
        "canopy": ([f("name"), f("crown_diameter_m", "num1")], ["name"]),
        "heritage": ([f("name"), f("grade")], ["name", "grade"]),
        "facilities": (
            [f("name"), f("facility_type", value_labels("facilities", lang))],
            ["name", "facility_type"],
        ),
        "streetlights": ([f("kind")], ["kind"]),
        "residential": ([f("name"), f("households", "int")], ["name"]),
        "control_lines": (
            [
                f("name"),
                f("line_type", {k: v for k, v in lines.items() if k in LINE_TYPES}),
                f("zone", _coded("zone", lang)),
                f("code"),
                f("source"),
            ],
            ["name", "line_type", "zone"],
        ),
        "projects": (
            [
                f("project_id"),
                f("name"),
                f("project_type", _project_types(lang)),
                f("investment_wan_yuan", "num1"),
                f("status"),
            ],
            ["project_id", "name"],
        ),
        "verdicts": (
            [
                f("project_id"),
                f("project_name"),
                f("project_type", _project_types(lang)),
                f("verdict", value_labels("verdicts", lang)),
                f("worst_grade", value_labels("conflicts", lang)),
                f("n_conflicts", "int"),
                f("n_ignored", "int"),
                f("reason"),
            ]
            + [
                (
                    f"{t}_overlap_m2",
                    f"{lines.get(t, t)} {field_label('overlap', lang)}",
                    "area+",
                )
                for t in LINE_TYPES
            ]
            + [
                (
                    f"{t}_overlap_length_m",
                    f"{lines.get(t, t)} {field_label('overlap_length_m', lang)}",
                    "num1+",
                )
                for t in LINE_TYPES
            ],
            ["project_id", "project_name", "verdict"],
        ),
        "conflicts": (
            [
                f("project_id"),
                f("project_name"),
                f("line_type", {k: v for k, v in lines.items() if k in LINE_TYPES}),
                f("line_name"),
                f("line_id"),
                f("zone", _coded("zone", lang)),
                f("check", _coded("check", lang)),
                f("overlap_area_m2", "area+", "overlap"),
                f("overlap_length_m", "num1+"),
                f("pct_of_project", "pct"),
                f("pct_of_line", "pct"),
                f("distance_m", "num1"),
                f("grade", value_labels("conflicts", lang), "conflict_grade"),
                f("clause"),
                f("procedure"),
                f("ignored", "bool"),
                f("reason"),
            ],
            ["project_name", "line_type", "grade"],
        ),
        "line_conflicts": (
            [
                f("patch_id"),
                f("patch_kind"),
                f("severity", value_labels("line_conflicts", lang)),
                f("line_a"),
                f("line_b"),
                f("area_m2", "area+", "patch_area"),
                f("resolution"),
            ],
            ["patch_id", "patch_kind", "severity"],
        ),
        "blind_spots": ([f("name"), f("area_m2", "area+", "blind_area")], ["name"]),
    }
    default = ([f("name")], ["name"])
    return specs.get(kind, default)
