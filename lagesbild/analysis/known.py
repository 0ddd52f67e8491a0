"""Missing is not zero, for women and men: a source without the victim's sex has no K/M figure.

A police extract without a victim-sex column (or a crime table with totals only) counts no
victim as a woman or a man: its K and M counts are 0, and shown as "0 brott, 0,0 per 100 000"
they would say that no woman was a victim. The counts stay what they are for protection (0
victims of known sex is what the data hold, and hiding or showing less is always safe), but
every view shows "uppgift saknas" for K and M where the kommun's source for the period does not
tell the sex. A kommun without any data that period keeps its zeros when other kommuner's data
tell the sex (0 is then a count); a county only when all its kommuner tell it.

The same holds for whole kommuner: a kommun's own police extract, or a crime table listing some
kommuner, says nothing about the others, and their zeros would make the county's figure the
sum of one kommun's. A kommun is covered for a period by the incident datasets whose span
reaches into the period and that hold any row in the kommun (any year, any category: a kommun
with no reported offence of any kind over an extract's years is not in it), or by a crime table
with any row for it that period (`covered_areas`). Other kommuner show "uppgift saknas", and a
county is shown only when all its kommuner are covered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis.memo import memo_dict
from lagesbild.core.frames import Frames

MISSING_SV = "uppgift saknas (källan anger inte brottsoffrets kön)"
NOTE_SV = "källan anger inte brottsoffrets kön för perioden"
UNCOVERED_SV = "uppgift saknas (källan täcker inte området)"
UNCOVERED_NOTE_SV = "ingen källa för perioden täcker området"


def sex_known(frames: Frames, period: str, source: str) -> frozenset[str]:
    """Kommuner and län whose `source` ("counts" or "incidents") data of `period` tell the
    victim's sex (memoised per frames object)."""
    key = ("sex_known", str(period), source)
    memo = memo_dict(frames)
    if key not in memo:
        if source == "counts":
            data = frames.incident_counts
            data = data[data["period"].astype(str) == str(period)]
            areas = data["area_id"].astype(str)
            told = data["sex"].isin(["K", "M"]).to_numpy()
        else:  # the store's cube (`Frames.incident_cube`), not the rows
            from lagesbild.analysis.cube import cube_rows

            data = frames.incident_cube.iloc[cube_rows(frames, period)]
            data = data[data["area_id"].notna()]
            areas = data["area_id"].astype(str)
            told = data["victim_sex"].isin(["K", "M"]).to_numpy(dtype=bool)
        known = set(areas[told].unique())
        kommuner = frames.kommuner["area_id"].astype(str)
        if known:  # a kommun without any data that period: its zeros are counts
            known |= set(kommuner) - set(areas.unique())
        known |= {c for c in frames.lan["area_id"].astype(str)
                  if all(k in known for k in kommuner if k[:2] == c[:2])}
        memo[key] = frozenset(known)
    return memo[key]  # type: ignore[return-value]


def covered_areas(frames: Frames, period: str, source: str) -> frozenset[str]:
    """Kommuner and län that `source`'s data cover for `period` (module docstring; memoised)."""
    key = ("covered_areas", str(period), source)
    memo = memo_dict(frames)
    if key not in memo:
        if source == "counts":
            data = frames.incident_counts
            covered = set(data.loc[data["period"].astype(str) == str(period),
                                   "area_id"].astype(str))
        else:
            from lagesbild.analysis.time_coverage import dataset_extents, sources_by_kommun

            year = int(str(period)[:4]) if str(period)[:4].isdigit() else None
            extents = dataset_extents(frames)
            reaching = {s for s, (a, b) in extents.items()
                        if year is not None and a.year <= year <= b.year}
            covered = {k for k, sources in sources_by_kommun(frames).items()
                       if reaching & set(sources)}
        kommuner = frames.kommuner["area_id"].astype(str)
        covered &= set(kommuner)
        covered |= {c for c in frames.lan["area_id"].astype(str)
                    if all(k in covered for k in kommuner if k[:2] == c[:2])}
        memo[key] = frozenset(covered)
    return memo[key]  # type: ignore[return-value]


def blank_uncovered(out: pd.DataFrame, covered: frozenset[str], *,
                    kommun_of: pd.Series | None = None,
                    count_columns: tuple[str, ...] = ("count",),
                    value_columns: tuple[str, ...] = ("value", "ci_low", "ci_high")
                    ) -> pd.DataFrame:
    """`out` with the rows of areas outside `covered` emptied (every sex): "uppgift saknas"."""
    return blank_unknown_sex(out, covered, kommun_of=kommun_of, count_columns=count_columns,
                             value_columns=value_columns, sexes=("K", "M", "T"),
                             display=UNCOVERED_SV, note=UNCOVERED_NOTE_SV)


def blank_unknown_sex(out: pd.DataFrame, known: frozenset[str], *,
                      kommun_of: pd.Series | None = None,
                      count_columns: tuple[str, ...] = ("count",),
                      value_columns: tuple[str, ...] = ("value", "ci_low", "ci_high"),
                      sexes: tuple[str, ...] = ("K", "M"), display: str = MISSING_SV,
                      note: str = NOTE_SV) -> pd.DataFrame:
    """`out` (rows with area_id and sex) with its rows of `sexes` (K and M) of areas outside
    `known` emptied: counts and values missing, `display` ("uppgift saknas (…)"), a note saying
    why. `kommun_of` maps rows of areas below the kommun to their kommun."""
    keys = (kommun_of if kommun_of is not None else out["area_id"]).astype(str)
    unknown = (out["sex"].isin(list(sexes)) & ~keys.isin(known)).to_numpy(dtype=bool)
    if not unknown.any():
        return out
    out = out.copy()
    idx = out.index[unknown]
    for col in (*count_columns, *value_columns):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col]).astype("Float64" if col in value_columns
                                                      else "Int64")
            out.loc[idx, col] = pd.NA
    if "display" in out.columns:
        out.loc[idx, "display"] = display
    if "note" in out.columns:
        old = out.loc[idx, "note"].fillna("").astype(str).to_numpy()
        out.loc[idx, "note"] = np.array([f"{note}; {o}" if o else note for o in old],
                                        dtype=object)
    return out
