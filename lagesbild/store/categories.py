"""Crime categories as the taxonomy spells them, and the ones it does not know, after a read.

"misshandel " and "Misshandel" are one category: a category that matches one of the pyramid
taxonomy's (`layers/pyramid.toml`) without case and surrounding spaces is stored in the
taxonomy's spelling, so every table and chart lists it once; any other category keeps its text
without surrounding spaces. The categories the taxonomy does not place on a level are listed in
a note: they count "utanför pyramiden", which the user should see and may want to change.
Brå's main groups of crime (`layers/brottsgrupper.toml`) are matched the same way (also without
repeated spaces or the kind of dash: `core.crime_groups.category_key`); a category in neither
file is named in a second note, since no layer of "brottslighet i stort" counts it.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from lagesbild.core.crime_groups import FILE as GROUPS_FILE
from lagesbild.core.crime_groups import category_key, load_crime_groups
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.sources.tables import ReadResult

TABLES = ("incident_counts", "incidents")


def canonical(result: ReadResult) -> ReadResult:
    """`result` with its categories in the taxonomy's spelling and a note on the rest."""
    if result.dataset.table not in TABLES or not len(result.accepted):
        return result
    layers = get_settings().layers_dir
    taxonomy = load_taxonomy(layers / "pyramid.toml")
    groups = load_crime_groups(layers / GROUPS_FILE).spelling() \
        if (layers / GROUPS_FILE).exists() else {}
    pyramid = {category_key(c): c for lv in taxonomy.levels for c in lv.categories}
    spelling = {**groups, **pyramid}  # the pyramid's spelling first
    frame = result.accepted
    given = frame["category"].astype("string")
    stripped = given.str.strip()
    codes, uniques = pd.factorize(stripped)  # millions of incidents, a few hundred names
    keys = pd.Series([category_key(c) for c in uniques] + [pd.NA], dtype="string")
    keys = pd.Series(keys.to_numpy()[codes], index=stripped.index, dtype="string")
    mapped = keys.map(spelling)
    category = mapped.fillna(stripped)
    changed = (category != given).fillna(False)
    notes = list(result.notes)
    if changed.any():
        first = int(changed.to_numpy().nonzero()[0][0])
        notes.append(f"{int(changed.sum())} rader fick kategorins stavning i pyramidens "
                     f"taxonomi eller utan blanksteg (t.ex. '{given.iloc[first]}' → "
                     f"'{category.iloc[first]}').")
    in_pyramid = keys.map(pyramid).notna()
    outside = sorted(set(category[~in_pyramid].dropna()))
    if outside:
        shown = ", ".join(outside[:6]) + (f" och {len(outside) - 6} till" if len(outside) > 6
                                          else "")
        notes.append(f"{len(outside)} kategorier finns inte i pyramidens taxonomi och räknas "
                     f"utanför pyramiden: {shown}. Lägg till dem i layers/pyramid.toml om de "
                     "hör till en nivå.")
    nowhere = sorted(set(category[mapped.isna()].dropna()))
    if nowhere and groups:
        shown = ", ".join(nowhere[:6]) + (f" och {len(nowhere) - 6} till" if len(nowhere) > 6
                                          else "")
        notes.append(f"{len(nowhere)} kategorier hör inte till någon huvudgrupp av brott och "
                     f"räknas inte i lagren för brottslighet i stort: {shown}. Lägg till dem i "
                     "layers/brottsgrupper.toml om de hör till en grupp.")
    frame = frame.assign(category=category.astype(object).where(category.notna(), None))
    return replace(result, accepted=frame, notes=notes)
