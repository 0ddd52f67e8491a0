"""The survey part of a release: every published share as the number of respondents who
answered yes, as the adversary reads it.

A share is shown with its n ("32,3 % (n=31)"), so a shown share gives the yes-count (share × n,
taken as exact: the strongest reading); a hidden share is ".. (n=31)", so its yes-count lies
between 0 and n. Cells are named "survey|<indicator>|<period>|<area>|<sex>", for the kommun and
county rows the map, compare, the pyramid and the report show, and "survey|<indicator>|<period>|
<kommun>|<area>|<sex>" for the rows of areas below the kommun (a city's stadsdelar) that the
small-area views show.

Relations, from what a reader knows: women's and men's yes-counts within the total's, up to the
rounding of the published shares (−1 ≤ T − K − M ≤ 1 when n_T = n_K + n_M; −1 ≤ T − K − M ≤
n_T − n_K − n_M + 1 when some respondents gave no sex; wider only where the file's own shares,
rounded at the source, already differ by more); a county share pooled from its kommuner is their
yes-counts' sum. A county with its own survey rows is a different survey: no sum ties it
to the kommuner. The constant in a relation is a published cell "const|1" of value 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis.audit import Relation, hidden_cell, shown_cell, total_of
from lagesbild.analysis.figures import indicator_figures, raw_indicator_figures
from lagesbild.analysis.release import cell_id
from lagesbild.core.frames import Frames
from lagesbild.core.settings import Settings

ONE = "const|1"
POOLED_NOTE = "länsvärde"


def survey_release(frames: Frames, indicator_id: str, *, period: str, settings: Settings
                   ) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of one indicator's published shares for `period` (module docstring)."""
    cells: list[dict[str, object]] = [shown_cell(ONE, "konstant", 1)]
    relations: list[Relation] = []
    kommun_ids = set(frames.kommuner["area_id"].astype(str))
    small = sorted(set(frames.indicators.loc[
        (frames.indicators["indicator_id"] == indicator_id)
        & (frames.indicators["period"] == period), "area_id"].astype(str))
        - kommun_ids - set(frames.lan["area_id"].astype(str)))
    kommun_of = _kommun_of(frames, small)
    for area_ids in ([None, small] if small else [None]):
        shown = indicator_figures(frames, indicator_id, period=period, settings=settings,
                                  area_ids=area_ids)
        raw = raw_indicator_figures(frames, indicator_id, period=period, settings=settings,
                                    area_ids=area_ids)
        more, linked = _table(raw, shown, indicator_id, period, pooled=area_ids is None,
                              kommun_ids=kommun_ids, kommun_of=kommun_of)
        cells, relations = cells + more, relations + linked
    return cells, relations


def _kommun_of(frames: Frames, area_ids: list[str]) -> dict[str, str]:
    """The kommun of each area below the kommun (by its parent or its code's first four digits)."""
    from lagesbild.analysis.small_places import _kommun_ids

    rows = frames.areas[frames.areas["area_id"].astype(str).isin(area_ids)]
    return {str(a): str(k) for a, k in zip(rows["area_id"], _kommun_ids(frames, rows))
            if not pd.isna(k)}


def _yes(value: object, n: object) -> int:
    return int(np.round(float(value) * float(n) / 100))


def _table(raw: pd.DataFrame, shown: pd.DataFrame, indicator_id: str, period: str, *,
           pooled: bool, kommun_ids: set[str], kommun_of: dict[str, str]
           ) -> tuple[list[dict[str, object]], list[Relation]]:
    table = f"enkät {indicator_id} {period}"
    usable = raw["value"].notna() & raw["n"].notna()
    raw, shown = raw[usable].reset_index(drop=True), shown[usable].reset_index(drop=True)
    area, sex = raw["area_id"].astype(str), raw["sex"].astype(str)
    is_pooled = raw["note"].astype(str).str.startswith(POOLED_NOTE).to_numpy() if pooled \
        else np.zeros(len(raw), dtype=bool)
    yes = {(a, s): _yes(v, n) for a, s, v, n, p in zip(area, sex, raw["value"], raw["n"], is_pooled)
           if not p}
    n_of = {(a, s): int(n) for a, s, n in zip(area, sex, raw["n"])}
    # a pooled county's truth is its kommuner's yes-counts summed (what the pooled share is)
    for a, s, p in zip(area, sex, is_pooled):
        if p:
            yes[(a, s)] = sum(v for (k, ks), v in yes.items()
                              if ks == s and k in kommun_ids and k[:2] == a[:2])

    def name(a: str, s: str) -> str:
        if a in kommun_of:  # below the kommun: the kommun in the name keeps it in its county
            return cell_id("survey", indicator_id, period, kommun_of[a], a, s)
        return cell_id("survey", indicator_id, period, a, s)

    cells = []
    for a, s, hidden in zip(area, sex, shown["suppressed"].astype(bool)):
        cells.append(hidden_cell(name(a, s), table, yes[(a, s)], high=n_of[(a, s)]) if hidden
                     else shown_cell(name(a, s), table, yes[(a, s)]))
    relations: list[Relation] = []
    for (a, s) in yes:
        if s != "T" or (a, "K") not in yes or (a, "M") not in yes:
            continue
        t, k, m = name(a, "T"), name(a, "K"), name(a, "M")
        spare = n_of[(a, "T")] - n_of[(a, "K")] - n_of[(a, "M")]
        # what a reader assumes, widened where the file's own rounding goes beyond it (shares
        # given as whole percent, a county summed over kommuner): the truth always satisfies it
        gap = yes[(a, "T")] - yes[(a, "K")] - yes[(a, "M")]
        low, high = min(-1, gap), max(max(spare, 0) + 1, gap)
        relations.append(Relation(((t, 1), (k, -1), (m, -1), (ONE, -low)), ">="))
        relations.append(Relation(((k, 1), (m, 1), (t, -1), (ONE, high)), ">="))
    for a, s, p in zip(area, sex, is_pooled):
        if p:
            members = [name(k, s) for (k, ks) in yes if ks == s and k in kommun_ids
                       and k[:2] == a[:2]]
            relations.append(total_of(name(a, s), members))
    return cells, relations
