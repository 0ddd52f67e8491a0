"""Draft findings for a group of kommuner: the group's pooled figures against the county and the
riket, over time and between women and men (the same rules as a kommun's drafts,
`analysis.findings`), followed by each member kommun's own drafts, named by the kommun.

The Södra Lappland example: the group's pooled figures show what no single small kommun can
(its cells are often hidden), while a member's own draft (young women's insecurity in
Vilhelmina) keeps what the pooling would average away.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from lagesbild.analysis.findings import Finding, draft_findings
from lagesbild.analysis.groups import figures_with_group
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy


def group_drafts(frames: Frames, specs: dict[str, LayerSpec], taxonomy: Taxonomy,
                 settings: Settings, *, gid: str, name: str, members: list[str], period: str,
                 lang: str = "sv") -> list[Finding]:
    """The group's drafts (strongest first), then each member's (strongest first within the
    member, members in the group's order). A member's finding id is prefixed by its code
    ("2462/above_county:…"), so the same finding of two kommuner are two findings."""

    def figures(spec: LayerSpec, when: str, sex: str) -> pd.DataFrame:
        return figures_with_group(frames, spec, members=members, name=name, gid=gid,
                                  period=when, sex=sex, taxonomy=taxonomy, settings=settings)

    county = frames.parent_of(members[0]) if members else None
    found = draft_findings(frames, specs, taxonomy, settings, area_id=f"grupp:{gid}",
                           period=period, lang=lang, figures=figures, name=name, county=county)
    for member in members:
        own = draft_findings(frames, specs, taxonomy, settings, area_id=member, period=period,
                             lang=lang)
        found += [dataclasses.replace(f, id=f"{member}/{f.id}") for f in own]
    return found
