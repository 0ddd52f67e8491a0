"""The county overview (länsöversikt): one row per kommun of a län, one column per layer, each
cell the kommun's published figure and its position to the county.

Every value read here comes from `figures.layer_figures`, the analysis layer's single exit, so a
hidden cell stays hidden: it is shown as its protected display and gets no position.

Position ("över", "under", "inom") compares the kommun with the **county's own value** (the län
row of the same figures), not with the county's middle-half band of `references.reference_band`:
the kommun is "över" ("under") only when its whole 95 % interval lies above (below) the county's
value, otherwise "inom". This is `references.band_position` with a band of zero width at the
county's value. The county's own interval is not taken into account (its value is the reference,
as in the comparison chart's county line). A figure without an interval (programme coverage:
the whole target group) compares its value itself. "dold" where disclosure control hides the
kommun's value, "saknas" where the kommun has no data, "inget länsvärde" where the county's value
is hidden or missing (nothing to compare with).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.analysis.references import band_position
from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

ABOVE, BELOW, WITHIN, HIDDEN, MISSING, NO_COUNTY = (
    "över", "under", "inom", "dold", "saknas", "inget länsvärde")
POSITIONS = (ABOVE, WITHIN, BELOW, HIDDEN, MISSING, NO_COUNTY)
POSITION_EN = {ABOVE: "above", BELOW: "below", WITHIN: "within", HIDDEN: "hidden",
               MISSING: "missing", NO_COUNTY: "no county value"}
# background colours (neutral: above is not "worse" for every indicator, e.g. trygghet)
COLOURS = {ABOVE: "#f4a582", BELOW: "#92c5de", WITHIN: "#f0f0f0", HIDDEN: "#d9d9d9",
           MISSING: "#ffffff", NO_COUNTY: "#ffffff"}
CELL_COLUMNS = ["area_id", "name", "layer", "title_sv", "title_en", "period", "display", "value",
                "ci_low", "ci_high", "county_value", "county_display", "position"]
_BAND = {"above": ABOVE, "below": BELOW, "within": WITHIN}


def overview_period(available: list[str], wanted: str) -> str | None:
    """The layer's period for `wanted`: `wanted` itself, else its latest period containing it
    ("HT2024" for "2024"), else its latest earlier period; None when it has none of these."""
    if wanted in available:
        return wanted
    containing = [p for p in available if str(wanted) in p]
    if containing:
        return containing[-1]
    earlier = [p for p in available if _year(p) is not None and _year(p) <= _year(wanted)]  # type: ignore[operator]
    return earlier[-1] if earlier else None


def _year(period: str) -> int | None:
    digits = "".join(c for c in str(period) if c.isdigit())
    return int(digits[:4]) if len(digits) >= 4 else None


def county_kommuner(frames: Frames, county_id: str) -> pd.DataFrame:
    """area_id and name of the län's kommuner (parent, else the code's first two digits)."""
    k = frames.kommuner
    ids, parents = k["area_id"].astype(str), k["parent_id"].astype("string")
    keep = (parents == county_id).fillna(False) | (parents.isna() & (ids.str[:2] == county_id[:2]))
    out = pd.DataFrame({"area_id": ids, "name": k["name"].astype(str)})[keep.to_numpy(dtype=bool)]
    return out.sort_values(["name", "area_id"]).reset_index(drop=True)


def position(row: pd.Series | dict, county_value: object) -> str:
    """The cell's position (one of POSITIONS) for a figure row (suppressed, value, ci_low,
    ci_high) against the county's value."""
    if bool(row.get("suppressed", False)):
        return HIDDEN
    value = row.get("value")
    if value is None or pd.isna(value):
        return MISSING
    if county_value is None or pd.isna(county_value):  # type: ignore[arg-type]
        return NO_COUNTY
    found = band_position(value, {"p25": county_value, "p75": county_value},
                          row.get("ci_low"), row.get("ci_high"))
    return _BAND[found or "within"]


def overview_cells(frames: Frames, specs: Iterable[LayerSpec], *, county_id: str, period: str,
                   taxonomy: Taxonomy, settings: Settings, sex: str = "T") -> pd.DataFrame:
    """One row per kommun of `county_id` and layer (CELL_COLUMNS), in kommun-name and layer order.

    Each layer uses `period` or its latest earlier period (`overview_period`); a layer with
    neither is left out. `display` is the protected text of `layer_figures`.
    """
    kommuner = county_kommuner(frames, str(county_id))
    rows: list[pd.DataFrame] = []
    for spec in specs:
        use = overview_period(periods(frames, spec), str(period))
        if use is None:
            continue
        figs = layer_figures(frames, spec, period=use, sex=sex, taxonomy=taxonomy,
                             settings=settings)
        ids = figs["area_id"].astype(str)
        lan = figs[ids == str(county_id)]
        county_value, county_display = None, "uppgift saknas"
        if len(lan):
            first = lan.iloc[0]
            county_display = str(first["display"])
            if not bool(first["suppressed"]) and pd.notna(first["value"]):
                county_value = float(first["value"])
        mine = figs[(figs["level"] == schema.AreaLevel.KOMMUN.value)
                    & ids.isin(set(kommuner["area_id"]))].set_index("area_id")
        cells = kommuner.copy()
        for col in ("display", "value", "ci_low", "ci_high", "suppressed"):
            cells[col] = cells["area_id"].map(mine[col]) if len(mine) else pd.NA
        cells["display"] = cells["display"].fillna("uppgift saknas")
        cells["suppressed"] = cells["suppressed"].astype("boolean").fillna(False).astype(bool)
        cells["position"] = [position(r, county_value) for _, r in cells.iterrows()]
        cells = cells.assign(layer=spec.id, title_sv=spec.title("sv"), title_en=spec.title("en"),
                             period=use, county_value=county_value, county_display=county_display)
        rows.append(cells)
    if not rows:
        return pd.DataFrame(columns=CELL_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    for col in ("value", "ci_low", "ci_high", "county_value"):
        out[col] = pd.to_numeric(out[col]).astype("Float64")
    return out[CELL_COLUMNS]


def column_title(cells: pd.DataFrame, lang: str, period: str | None = None) -> pd.Series:
    """Each cell's column heading: the layer's title, with its period when that is not `period`."""
    titles = cells["title_en" if lang == "en" else "title_sv"].astype(str)
    return pd.Series([t if period is not None and str(p) == str(period) else f"{t} ({p})"
                      for t, p in zip(titles, cells["period"])], index=cells.index)


def overview_tables(cells: pd.DataFrame, *, lang: str = "sv", period: str | None = None,
                    area: str = "Kommun") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(displays, positions): two wide frames with one row per kommun (the `area` column holds
    its name) and one column per layer, the same shape; positions in Swedish (POSITIONS) —
    callers translate with POSITION_EN for English text."""
    if cells.empty:
        empty = pd.DataFrame(columns=[area])
        return empty, empty.copy()
    cells = cells.assign(_col=column_title(cells, lang, period))
    order = list(dict.fromkeys(cells["_col"]))
    names = cells.drop_duplicates("area_id").set_index("area_id")["name"]

    def wide(col: str) -> pd.DataFrame:
        frame = cells.pivot(index="area_id", columns="_col", values=col)
        frame = frame.reindex(index=list(names.index), columns=order)
        frame.insert(0, area, names.reindex(frame.index).to_numpy())
        frame.columns.name = None
        return frame.reset_index(drop=True)

    return wide("display"), wide("position")


def county_row(cells: pd.DataFrame, *, lang: str = "sv", period: str | None = None,
               name: str = "Länet") -> dict[str, str]:
    """The county's own displays per column heading (the reference the positions use)."""
    cells = cells.assign(_col=column_title(cells, lang, period))
    firsts = cells.drop_duplicates("_col")
    return {"_name": name, **dict(zip(firsts["_col"], firsts["county_display"].astype(str)))}
