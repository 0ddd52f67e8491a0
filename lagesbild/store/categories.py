"""Crime categories as the taxonomy spells them, and the ones it does not know, after a read.

"misshandel " and "Misshandel" are one category: a category that matches one of the pyramid
taxonomy's (`layers/pyramid.toml`) without case and surrounding spaces is stored in the
taxonomy's spelling, so every table and chart lists it once; any other category keeps its text
without surrounding spaces. The categories the taxonomy does not place on a level are listed in
a note: they count "utanför pyramiden", which the user should see and may want to change.
"""

from __future__ import annotations

from dataclasses import replace


from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.sources.tables import ReadResult

TABLES = ("incident_counts", "incidents")


def canonical(result: ReadResult) -> ReadResult:
    """`result` with its categories in the taxonomy's spelling and a note on the rest."""
    if result.dataset.table not in TABLES or not len(result.accepted):
        return result
    taxonomy = load_taxonomy(get_settings().layers_dir / "pyramid.toml")
    spelling = {c.casefold().strip(): c for lv in taxonomy.levels for c in lv.categories}
    frame = result.accepted
    given = frame["category"].astype("string")
    stripped = given.str.strip()
    mapped = stripped.str.casefold().map(spelling)
    category = mapped.fillna(stripped)
    changed = (category != given).fillna(False)
    notes = list(result.notes)
    if changed.any():
        first = int(changed.to_numpy().nonzero()[0][0])
        notes.append(f"{int(changed.sum())} rader fick kategorins stavning i pyramidens "
                     f"taxonomi eller utan blanksteg (t.ex. '{given.iloc[first]}' → "
                     f"'{category.iloc[first]}').")
    outside = sorted(set(category[mapped.isna()].dropna()))
    if outside:
        shown = ", ".join(outside[:6]) + (f" och {len(outside) - 6} till" if len(outside) > 6
                                          else "")
        notes.append(f"{len(outside)} kategorier finns inte i pyramidens taxonomi och räknas "
                     f"utanför pyramiden: {shown}. Lägg till dem i layers/pyramid.toml om de "
                     "hör till en nivå.")
    frame = frame.assign(category=category.astype(object).where(category.notna(), None))
    return replace(result, accepted=frame, notes=notes)
