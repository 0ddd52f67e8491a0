"""Comparison of kommuner for one layer: ranking, county value and the kommun median."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lagesbild.core import schema


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame  # kommun rows of layer_figures, ranked (1 = highest), with "rank"
    county: float | None
    county_name: str
    median: float | None


def in_county(figures: pd.DataFrame, county_id: str) -> pd.DataFrame:
    """The rows of one län: its kommuner (code prefix) and its own row."""
    area = figures["area_id"].astype(str)
    kommun = (figures["level"] == schema.AreaLevel.KOMMUN.value) & (area.str[:2] == county_id[:2])
    return figures[kommun | (area == county_id)].reset_index(drop=True)


def comparison(figures: pd.DataFrame) -> Comparison:
    """Rank the kommun rows of `figures`; hidden values are listed last without a rank."""
    kommun = figures[figures["level"] == schema.AreaLevel.KOMMUN.value].copy()
    kommun = kommun.sort_values(["value", "name"], ascending=[False, True], na_position="last")
    ranks = kommun["value"].rank(ascending=False, method="min")
    kommun["rank"] = ranks.astype("Int64")
    lan = figures[figures["level"] == schema.AreaLevel.LAN.value]
    county = float(lan["value"].iloc[0]) if len(lan) and pd.notna(lan["value"].iloc[0]) else None
    values = kommun["value"].dropna()
    median = float(values.median()) if len(values) else None
    return Comparison(kommun.reset_index(drop=True), county,
                      str(lan["name"].iloc[0]) if len(lan) else "", median)


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)  # type: ignore[arg-type]


def to_json(figures: pd.DataFrame, *, layer: str, title: str, unit: str,
            national: dict | None = None, confidence: float = 0.95) -> dict[str, object]:
    """The comparison as a stable JSON document (schema lagesbild.compare/1).

    Only protected figures go in: a hidden value is null with its display ("<5" or "dold").
    `national` is `analysis.national.national_figure` (None when the workspace has none).
    `band_position` is above or below only when the kommun's whole interval (at `confidence`,
    the figures' own) lies outside the band; `band_flags` counts those flags against the
    number chance alone would give.
    """
    from lagesbild.analysis.references import band_flags, band_positions, reference_band

    result = comparison(figures)
    lan = figures[figures["level"] == schema.AreaLevel.LAN.value]
    band = reference_band(figures, county_id=str(lan["area_id"].iloc[0]) if len(lan) == 1 else None,
                          national=None if national is None else national.get("value"))
    positions = band_positions(result.table, band)
    flags = band_flags(positions, confidence)
    county = lan.iloc[0] if len(lan) == 1 else None
    return {
        "schema": "lagesbild.compare/1",
        "layer": layer, "title": title, "unit": unit,
        "period": str(figures["period"].iloc[0]) if len(figures) else None,
        "sex": str(figures["sex"].iloc[0]) if len(figures) else None,
        # the days a part year covers ('1 jan–31 mar'), '' for whole years
        "part_year": "; ".join(sorted({str(x) for x in figures.get(
            "part_year", pd.Series(dtype=str)).dropna() if str(x)})),
        "source": "; ".join(sorted({str(s) for s in figures["source"] if s})),
        "county": None if county is None else {
            "area_id": str(county["area_id"]), "name": str(county["name"]),
            "value": _num(county["value"]), "ci_low": _num(county["ci_low"]),
            "ci_high": _num(county["ci_high"]), "display": str(county["display"])},
        "national": None if national is None else {
            "value": _num(national.get("value")), "ci_low": _num(national.get("ci_low")),
            "ci_high": _num(national.get("ci_high")), "display": str(national.get("display")),
            "source": str(national.get("source") or ""), "basis": national.get("basis"),
            "note": str(national.get("note") or "")},
        "reference": {"p25": band["p25"], "p75": band["p75"], "median": band["median"],
                      "national": _num(band["national"]),
                      "n_used": band["n_used"], "n_hidden": band["n_hidden"],
                      "note": band["note_sv"]},
        "band_flags": {k: flags[k] for k in ("n_tested", "n_above", "n_below",
                                             "expected_by_chance", "confidence")}
        | {"note": flags["note_sv"]},
        "kommuner": [{
            "rank": None if pd.isna(r["rank"]) else int(r["rank"]),
            "area_id": str(r["area_id"]), "name": str(r["name"]),
            "value": _num(r["value"]), "ci_low": _num(r["ci_low"]), "ci_high": _num(r["ci_high"]),
            "n": None if pd.isna(r["n"]) else int(r["n"]),
            "suppressed": bool(r["suppressed"]), "display": str(r["display"]),
            "band_position": position,
        } for (_, r), position in zip(result.table.iterrows(), positions)],
    }
