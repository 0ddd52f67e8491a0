"""The rows a layer counts: its categories' mask over a table, an incident layer's incidents of a
period, and the kommuner whose incidents say whether victim and offender are close.

Kept per frames object (`analysis/memo.py`): a national police extract holds millions of rows,
so an incident layer's row positions are found once per layer filter and period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis.cube import incident_rows
from lagesbild.analysis.memo import memo_dict as _memo_dict
from lagesbild.analysis.memo import memoised as _memoised
from lagesbild.core.crime_groups import category_key
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.taxonomy import Taxonomy


def relation_known(frames: Frames, period: str) -> set[str]:
    """The kommuner whose incidents of `period` say whether the victim and the offender are
    close (the source had the field), and, when some do, the kommuner without any incident that
    period (0 is then a count): only those can have a close-relation figure, and only a county
    all of whose kommuner are among them."""
    key = ("relation_known", str(period))
    memo = _memo_dict(frames)
    if key not in memo:
        # kept with the derived tables: a page of kommun figures then needs no incident rows
        found = _memoised(frames, ("relation_known_areas", str(period)),
                          lambda: _relation_known(frames, period))
        memo[key] = frozenset(found["area_id"])
    return set(memo[key])  # type: ignore[arg-type]


def _relation_known(frames: Frames, period: str) -> pd.DataFrame:
    rows = incident_rows(frames, period)
    data = frames.incidents
    told = data["relation"].iloc[rows].notna().to_numpy()
    areas = data["area_id"].iloc[rows]
    # the distinct areas first: a national year is 1.5 million rows, and turning each to
    # text one by one (Arrow-backed strings iterate in Python) took seconds per year
    known = set(areas[told].drop_duplicates().astype(str))
    if known:  # the period's extracts have the field: a kommun without incidents has 0
        known |= (set(frames.kommuner["area_id"].astype(str))
                  - set(areas.drop_duplicates().astype(str)))
    return pd.DataFrame({"area_id": pd.Series(sorted(known), dtype=object)})


def layer_incidents(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy
                    ) -> pd.DataFrame:
    """The incidents an incident layer counts in `period`: its level, categories and relation.

    The rows' positions are found once per frames object, layer filter and period (`_memo`),
    by category and relation codes of the whole table made once (`_incident_codes`)."""
    key = ("layer_incidents", spec.pyramid_level, tuple(spec.categories), spec.relation,
           str(period), taxonomy)
    if key not in _memo_dict(frames):
        rows = incident_rows(frames, period)
        categories, category_codes, relation = _incident_codes(frames)
        keep = category_mask(categories, spec, taxonomy).to_numpy(dtype=bool)[category_codes[rows]]
        if spec.relation is not None:
            keep &= relation[rows] == bool(spec.relation)
        found = rows[keep]
        found.flags.writeable = False
        _memo_dict(frames)[key] = found
    return frames.incidents.iloc[_memo_dict(frames)[key]]


def _incident_codes(frames: Frames) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """The distinct categories of frames.incidents (missing as one of them), each row's code
    into them, and each row's relation (missing as False): made once per frames object."""
    key = ("incident_codes",)
    if key not in _memo_dict(frames):
        data = frames.incidents
        codes, uniques = pd.factorize(data["category"], use_na_sentinel=False)
        relation = data["relation"].fillna(False).astype(bool).to_numpy()
        for array in (codes, relation):
            array.flags.writeable = False
        _memo_dict(frames)[key] = (pd.Series(uniques, dtype=data["category"].dtype), codes,
                                   relation)
    return _memo_dict(frames)[key]


def category_mask(categories: pd.Series, spec: LayerSpec, taxonomy: Taxonomy) -> pd.Series:
    """True for the rows whose category belongs to `spec` (its pyramid level, its categories)."""
    mask = pd.Series(True, index=categories.index)
    if spec.pyramid_level is not None:
        mask &= taxonomy.level_of(categories) == int(spec.pyramid_level)
    if spec.categories:  # case, spaces and dashes ignored (`crime_groups.category_key`)
        wanted = {category_key(c) for c in spec.categories}
        codes, uniques = pd.factorize(categories.astype("string"))
        found = np.array([category_key(c) in wanted for c in uniques] + [False], dtype=bool)
        mask &= found[codes]
    return mask
