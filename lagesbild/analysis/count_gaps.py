"""Missing is not zero, category by category: a kommun whose rows of a count layer's categories
are not in the period's counts (rejected at import, say Brå's Misshandel for Norsjö because the
total was below kvinnor + män, or left out of the file) has no figure for that layer, rather
than the sum of what is left ("0 brott" where every row of the layer was rejected, a partial
sum where some were).

Brå's and SCB's tables hold every category of every kommun, zeros included: in such a file
(a dataset with a total of 0 somewhere: it writes its zeros) a category that other kommuner have
in the period and this kommun lacks is a gap, never a zero. A file that writes no zero total at
all lists only what happened (a sparse table): there a missing row is a zero, as before. A county
is covered only when each of its kommuner is.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.memo import memo_dict
from lagesbild.core.crime_groups import category_key
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.taxonomy import Taxonomy

GAP_SV = "uppgift saknas (källan saknar lagrets brottskategorier för området)"
GAP_NOTE_SV = ("raderna för någon av lagrets brottskategorier saknas för området och perioden "
               "(avvisade vid importen eller inte med i filen)")


def count_gaps(frames: Frames, spec: LayerSpec, *, period: str,
               taxonomy: Taxonomy) -> frozenset[str]:
    """Kommuner and län lacking a row of one of `spec`'s categories that the period's counts
    hold for some other kommun (memoised per frames object)."""
    key = ("count_gaps", spec.pyramid_level, tuple(spec.categories), str(period), taxonomy)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _count_gaps(frames, spec, period=str(period), taxonomy=taxonomy)
    return memo[key]  # type: ignore[return-value]


def _count_gaps(frames: Frames, spec: LayerSpec, *, period: str,
                taxonomy: Taxonomy) -> frozenset[str]:
    from lagesbild.analysis.layer_rows import category_mask

    data = frames.incident_counts
    data = data[data["period"].astype(str) == period]
    rows = data[category_mask(data["category"], spec, taxonomy).to_numpy(dtype=bool)]
    if not len(rows):
        return frozenset()
    gaps: set[str] = set()
    writes_zeros = set(data.loc[(data["sex"] == "T") & (pd.to_numeric(data["count"]) == 0),
                                "source"].astype(str))
    for source in writes_zeros:  # one dataset at a time: its own kommuner and categories
        mine = rows[rows["source"].astype(str) == source]
        if not len(mine):
            continue
        keys = pd.Series([category_key(c) for c in mine["category"]], index=mine.index)
        wanted = keys.nunique()
        have = keys.groupby(mine["area_id"].astype(str)).nunique()
        present = set(data.loc[data["source"].astype(str) == source, "area_id"].astype(str))
        gaps |= {a for a, n in have.items() if n < wanted} | (present - set(have.index))
    kommuner = frames.kommuner["area_id"].astype(str)
    gaps &= set(kommuner)
    gaps |= {c for c in frames.lan["area_id"].astype(str)
             if any(k in gaps for k in kommuner if k[:2] == c[:2])}
    return frozenset(gaps)
