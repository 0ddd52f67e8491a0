"""Stored groups of kommuner as areas of the Lägesbild and Rapport pages: "grupp:<id>" beside
the län and the kommuner, named "Södra Lappland (grupp)"."""

from __future__ import annotations

PREFIX = "grupp:"


def area_options(frames) -> list[str]:  # noqa: ANN001 - Frames
    """The län, then the stored groups, then the kommuner by name."""
    groups = [f"{PREFIX}{g}" for g in frames.groups["group_id"].astype(str)]
    return list(frames.lan["area_id"]) + groups + \
        list(frames.kommuner.sort_values("name")["area_id"])


def group_of(frames, area_id: str) -> tuple[str, str, list[str]] | None:  # noqa: ANN001
    """(id, name, kommuner) of a stored group chosen as the area, else None."""
    if not str(area_id).startswith(PREFIX):
        return None
    from lagesbild.analysis.groups import resolve

    return resolve(frames, group=str(area_id)[len(PREFIX):])


def area_name(frames, area_id: str, lang: str = "sv") -> str:  # noqa: ANN001
    group = group_of(frames, area_id)
    if group is None:
        return frames.area_name(area_id)
    return f"{group[1]} ({'group' if lang == 'en' else 'grupp'})"
