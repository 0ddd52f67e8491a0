"""An incident layer's counts from the store's cube (`Frames.incident_cube`, counted with SQL)
instead of its rows: for a layer chosen by pyramid level and categories alone. A layer of
violence in close relationships (`spec.relation`) needs the rows (`layer_rows.layer_incidents`):
the cube has no relation."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.cube import cube_rows
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.taxonomy import Taxonomy


def served_by_cube(spec: LayerSpec) -> bool:
    """Whether `spec`'s counts per kommun × sex (× age group) can come from the cube."""
    return spec.kind == "incident_rate" and spec.relation is None


def layer_cube(frames: Frames, spec: LayerSpec, *, period: str, taxonomy: Taxonomy
               ) -> pd.DataFrame:
    """The cube's rows of `period` (every area, as `layer_incidents` gives every row) whose
    category belongs to `spec` (`layer_rows.category_mask`): the layer's incidents counted."""
    if not served_by_cube(spec):
        raise ValueError("only an incident layer without a relation filter has a cube")
    from lagesbild.analysis.layer_rows import category_mask

    data = frames.incident_cube.iloc[cube_rows(frames, period)]
    return data[category_mask(data["category"], spec, taxonomy).to_numpy(dtype=bool)]


def sex_counts(data: pd.DataFrame) -> pd.Series:
    """Counts per area × sex (K, M from the victim's sex; T of every incident) of `data`
    (`layer_cube`), as a Series on (area_id, sex)."""
    known = data[data["victim_sex"].isin(["K", "M"])]
    by_sex = known.groupby(["area_id", "victim_sex"])["count"].sum()
    by_sex.index = by_sex.index.set_names(["area_id", "sex"])
    total = data.groupby("area_id")["count"].sum()
    total.index = pd.MultiIndex.from_arrays([total.index, ["T"] * len(total)],
                                            names=["area_id", "sex"])
    return pd.concat([by_sex, total])
