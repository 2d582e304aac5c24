"""The indicator keys of service coverage along the street network, read from ``data/service.toml``.

Kept apart from ``registry.py`` so the registry stays small; the registry wraps each spec as an
``Indicator`` (key, Chinese name, English name, unit, definition, family).
"""

from __future__ import annotations

from importlib import resources

from townplan_gis.core.datafiles import load_toml_text

Spec = tuple[str, str, str, str, str, str]


def service_specs() -> list[Spec]:
    """Service coverage along the street network (indicators/service.py): the park service radius
    coverage of the city check-up and one pair of keys per life-circle category of
    ``data/service.toml`` (docs/sources.md#city-checkup-2021, docs/sources.md#gb-50180-2018)."""
    text = resources.files("townplan_gis.data").joinpath("service.toml").read_text("utf-8")
    cfg = load_toml_text(text, source="townplan_gis/data/service.toml")
    walk = (
        "walked along the roads from the nearest point of a road edge (straight line only when the "
        "town has no roads, stated in the note), residential land in 20 m cells"
    )
    out = [
        (
            "park_service_coverage_pct",
            "公园绿地服务半径覆盖率",
            "Park service radius coverage",
            "%",
            f"Residential land of the built-up area within the service radius of a G1 park (≥ 5,000 "
            f"m²: 500 m; 2,000–5,000 m²: 300 m) ÷ residential land of the built-up area × 100; "
            f"{walk}. 建成区内公园绿地服务半径覆盖的居住用地面积占居住用地总面积的比例（沿道路网步行距离）。",
            "service",
        ),
        (
            "park_service_coverage_households_pct",
            "公园绿地服务半径覆盖率(户数)",
            "Park service radius coverage (households)",
            "%",
            f"Households of residential quarters within a park's service radius (each quarter's "
            f"households × its covered share of land) ÷ households of the quarters in the built-up "
            f"area × 100; {walk}. 按户数计的公园绿地服务半径覆盖率。",
            "service",
        ),
    ]
    circles = cfg["life_circles"]
    for key, spec in circles["categories"].items():
        radius = float(circles[spec["circle"]])
        label = f"{spec['circle'].removesuffix('min')}分钟生活圈{spec['label_zh']}覆盖率"
        out.append(
            (
                f"life_circle_{key}_pct",
                label,
                f"{spec['circle']} life circle: {spec['label_en'].lower()}",
                "%",
                f"Residential land of the built-up area within {radius:g} m ({spec['circle']} walk, "
                f"GB 50180-2018) of a {spec['label_en'].lower()} ÷ residential land × 100; {walk}.",
                "service",
            )
        )
        out.append(
            (
                f"life_circle_{key}_households_pct",
                f"{label}(户数)",
                f"{spec['circle']} life circle: {spec['label_en'].lower()} (households)",
                "%",
                f"Households within {radius:g} m ({spec['circle']} walk, GB 50180-2018) of a "
                f"{spec['label_en'].lower()} ÷ households of the quarters in the built-up area × "
                f"100; each quarter's households × its covered share of land; {walk}.",
                "service",
            )
        )
    return out
