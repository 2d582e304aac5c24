"""The words of a review opinion shared by its HTML page and its Word file: headings, table headers,
the office's contact line."""

from __future__ import annotations

from typing import Any

from townplan_gis.core.vocab import col, text

__all__ = ["check_headers", "contact_text", "finding_headers", "labels"]


def contact_text(office: Any, lang: str) -> str:
    """The office's department, contact, phone and address on one line (blank ones left out)."""
    zh = lang == "zh"
    parts = [
        (("经办科室" if zh else "Department"), office.department),
        (("联系人" if zh else "Contact"), office.contact),
        (("电话" if zh else "Phone"), office.phone),
        (("地址" if zh else "Address"), office.address),
    ]
    sep, colon = ("；", "：") if zh else ("; ", ": ")
    return sep.join(f"{k}{colon}{v}" for k, v in parts if v) or "—"


def labels(lang: str) -> dict[str, str]:
    """The headings and words of an opinion, shared by the HTML and the Word file."""
    zh = lang == "zh"
    return {
        "number": text("opinion_number", lang),
        "project": text("opinion_project", lang),
        "conclusion": text("opinion_conclusion", lang),
        "verdict": "审查结论" if zh else "Verdict",
        "engine": "审查结果" if zh else "review verdict",
        "findings": text("opinion_findings", lang),
        "checks": text("opinion_checks", lang),
        "map": text("opinion_map", lang),
        "map_legend": text("opinion_map_legend", lang),
        "handler": text("opinion_handler", lang),
        "checker": text("opinion_checker", lang),
        "date": text("opinion_date", lang),
        "seal": text("opinion_seal", lang),
        "contact": text("opinion_contact", lang),
        "clause": col("clause", lang),
        "procedure": col("procedure", lang),
        "ignored": "碎片，已忽略" if zh else "sliver, ignored",
        "no_findings": text("opinion_no_findings", lang),
        "no_checks": (
            "审查结果未附各类控制线的核对记录。"
            if zh
            else "The review has no record of the line types checked."
        ),
    }


def finding_headers(lang: str) -> list[str]:
    zh = lang == "zh"
    return [
        "序号" if zh else "#",
        col("line_type", lang),
        col("zone", lang),
        col("grade", lang),
        "重叠规模" if zh else "Overlap",
        col("pct_of_project", lang),
        "退线距离（m）" if zh else "Setback distance (m)",
    ]


def check_headers(lang: str) -> list[str]:
    return [
        col("line_type", lang),
        col("check_status", lang),
        col("features_found", lang),
        col("nearest_distance_m", lang),
    ]
