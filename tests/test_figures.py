"""Figures per area and the pyramid view, on a tiny hand-made county: exact counts and rates."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from lagesbild.analysis.figures import (FIGURE_COLUMNS, indicator_figures, layer_figures, periods,
                                        population_for)
from lagesbild.core.taxonomy import ALL, load_taxonomy
from lagesbild.analysis.pyramid_view import (SCHEMA, PyramidView, count_periods, pyramid_view,
                                             to_json)
from lagesbild.analysis.stats import poisson_ci, wilson_ci
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec, load_layers
from lagesbild.core.settings import Settings

from frames_support import INCIDENTS, tiny_frames

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
LAYERS = load_layers(ROOT / "layers")
META = tomllib.loads((ROOT / "layers" / "indicators.toml").read_text(encoding="utf-8"))
SETTINGS = Settings(suppress_below=5, min_survey_n=30)
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def frames() -> Frames:
    return tiny_frames()


def _figs(frames: Frames, layer: str, period: str, sex: str) -> pd.DataFrame:
    out = layer_figures(frames, LAYERS[layer], period=period, sex=sex, taxonomy=TAXONOMY,
                        settings=SETTINGS)
    assert list(out.columns) == FIGURE_COLUMNS
    return out.set_index("area_id")


def test_periods_per_layer_kind(frames: Frames) -> None:
    assert periods(frames, LAYERS["vald_topp"]) == ["2023", "2024"]
    assert periods(frames, LAYERS["vald_nara_relation"]) == ["2023", "2024"]
    assert periods(frames, LAYERS["otrygghet"]) == ["2023", "2024"]
    assert periods(frames, LAYERS["sexistiska_kommentarer"]) == []
    # terms in time order: VT (spring) before HT (autumn) of the same year
    assert periods(frames, LAYERS["mvp_tackning"]) == ["VT2024", "HT2024"]
    assert count_periods(frames, "counts") == ["2023", "2024"]
    assert count_periods(frames, "incidents") == ["2023", "2024"]


def test_population_for_sums_kommuner_into_the_county(frames: Frames) -> None:
    pop = population_for(frames, "2024").set_index(["area_id", "sex"])["population"]
    assert pop[("2417", "K")] == 2000 and pop[("2422", "T")] == 2000
    assert pop[("24", "K")] == 3000 and pop[("24", "M")] == 3000 and pop[("24", "T")] == 6000
    pop23 = population_for(frames, 2023).set_index(["area_id", "sex"])["population"]
    assert pop23[("24", "K")] == 3010
    assert population_for(frames, "1999").empty


def test_count_rate_layer_total(frames: Frames) -> None:
    figs = _figs(frames, "vald_topp", "2024", "T")
    assert figs.loc[["24", "2417", "2422"], "count"].tolist() == [30, 21, 9]
    assert figs.loc[["24", "2417", "2422"], "denominator"].tolist() == [6000, 4000, 2000]
    assert figs.loc["2417", "value"] == pytest.approx(21 / 4000 * 100_000)  # 525
    assert figs.loc["24", "value"] == pytest.approx(500.0)
    low, high = poisson_ci(pd.Series([9]))
    assert figs.loc["2422", "ci_low"] == pytest.approx(low[0] / 2000 * 100_000)
    assert figs.loc["2422", "ci_high"] == pytest.approx(high[0] / 2000 * 100_000)
    assert figs.loc["2417", "display"] == f"525,0 per 100{NBSP}000 (21 brott)"
    assert figs.loc["2417", "name"] == "Norsjö" and figs.loc["24", "level"] == "lan"
    assert (figs["period"] == "2024").all() and (figs["sex"] == "T").all()
    assert (figs["unit"] == "per100000").all() and not figs["suppressed"].any()
    assert "brå.csv (2023–2024, importerad 2026-01-02)" in figs.loc["2417", "source"]


def test_count_rate_layer_hides_small_cells_and_their_rates(frames: Frames) -> None:
    figs = _figs(frames, "vald_topp", "2024", "K")
    # Sorsele K = 2 is small; Norsjö K (11) would give it away from the county's 13
    assert figs.loc["2422", "suppression"] == "small" and figs.loc["2422", "display"] == ".."
    assert figs.loc["2417", "suppression"] == "secondary" and figs.loc["2417", "display"] == ".."
    for area in ("2417", "2422"):
        assert figs.loc[area, ["count", "value", "ci_low", "ci_high"]].isna().all()
        assert figs.loc[area, "denominator"] in (1000, 2000)  # population is public
    assert figs.loc["24", "count"] == 13
    assert figs.loc["24", "value"] == pytest.approx(13 / 3000 * 100_000)


def test_middle_level_layer(frames: Frames) -> None:
    figs = _figs(frames, "hot_trakasserier", "2024", "T")
    assert figs.loc[["24", "2417", "2422"], "count"].tolist() == [28, 12, 16]
    assert figs.loc["2422", "value"] == pytest.approx(800.0)
    assert _figs(frames, "hot_trakasserier", "2024", "K").loc["2417", "display"] == ".."


def test_incident_layer_with_relation(frames: Frames) -> None:
    figs = _figs(frames, "vald_nara_relation", "2024", "T")
    # level 3 incidents in a close relation: Norsjö 5 K + 1 M; Sorsele's one is level 2. The
    # totals are hidden because the incident cube hides level 3's totals: a shown part (6)
    # would bound the hidden whole from below
    assert figs.loc[["24", "2417", "2422"], "suppressed"].all()
    assert (figs.loc[["24", "2417", "2422"], "suppression"] == "secondary").all()
    women = _figs(frames, "vald_nara_relation", "2024", "K")
    assert women.loc["2417", "count"] == 5 and women.loc["2417", "value"] == pytest.approx(250.0)
    men = _figs(frames, "vald_nara_relation", "2024", "M")
    assert men.loc["2417", "display"] == ".."  # 1 man: small


def test_indicator_layer_wilson_and_too_few(frames: Frames) -> None:
    figs = _figs(frames, "otrygghet", "2024", "K")
    # 20 respondents: too few to show
    assert figs.loc["2422", "suppressed"] and figs.loc["2422", "suppression"] == "few_respondents"
    assert figs.loc["2422", ["value", "ci_low", "ci_high"]].isna().all()
    assert figs.loc["2422", "display"] == ".. (n=20)"
    # Norsjö's women would give Sorsele's away through the county's pooled share: hidden too
    assert figs.loc["2417", "suppression"] == "secondary" and figs.loc["2417", "display"] == ".. (n=100)"
    assert figs.loc["2417", ["value", "ci_low", "ci_high"]].isna().all()
    # county: the kommuner's answers weighted by respondents: (20*100 + 30*20) / 120
    assert figs.loc["24", "value"] == pytest.approx(2600 / 120)
    assert figs.loc["24", "n"] == 120 and "länsvärde" in figs.loc["24", "note"]
    assert (figs["unit"] == "percent").all()
    total = _figs(frames, "otrygghet", "2024", "T")
    low, high = wilson_ci(pd.Series([0.15]), pd.Series([200]))
    assert total.loc["2417", "value"] == pytest.approx(15.0)
    assert total.loc["2417", "ci_low"] == pytest.approx(100 * low[0])
    assert total.loc["2417", "ci_high"] == pytest.approx(100 * high[0])
    assert total.loc["2417", "display"] == "15,0 % (n=200)"


@pytest.mark.parametrize("min_n", [10, 30, 50, 101, 150, 250])
def test_no_hidden_share_can_be_recovered_by_differencing(frames: Frames, min_n: int) -> None:
    """The attack: with the n shown, a share is recovered from any additive group (K + M = T
    within an area, kommuner = county within a sex) where it is the only hidden member."""
    rows = indicator_figures(frames, "otrygghet", period="2024", settings=Settings(min_survey_n=min_n))
    hidden = {(a, s) for a, s, h in zip(rows["area_id"], rows["sex"], rows["suppressed"]) if h}
    groups = [[(a, s) for s in ("K", "M", "T")] for a in ("2417", "2422", "24")]
    groups += [[("2417", s), ("2422", s), ("24", s)] for s in ("K", "M", "T")]
    for group in groups:
        assert sum(cell in hidden for cell in group) != 1, (min_n, group, sorted(hidden))
    # where no share has too few respondents, what is hidden protects Sorsele's men, 4 of whom
    # (of 40) answered yes: a share of 1-4 people is hidden like such a count
    if min_n <= 20:
        assert ("2422", "M") in hidden
        assert not (rows["suppression"] == "few_respondents").any()


def test_indicator_figures_threshold_from_settings(frames: Frames) -> None:
    rows = indicator_figures(frames, "otrygghet", period="2024", settings=Settings(min_survey_n=10))
    few_yes = rows.set_index(["area_id", "sex"]).loc[("2422", "M")]  # 10 % of 40: 4 said yes
    assert few_yes["suppressed"] and few_yes["suppression"] == "small"
    rows = indicator_figures(frames, "otrygghet", period="2024", settings=Settings(min_survey_n=101))
    shown = rows.loc[~rows["suppressed"], ["area_id", "sex"]].apply(tuple, axis=1).tolist()
    # Norsjö's total (n=200) alone would give Sorsele's (n=60) away through the county's
    assert sorted(shown) == [("24", "K"), ("24", "M"), ("24", "T")]
    assert rows.set_index(["area_id", "sex"]).loc[("2417", "T"), "suppression"] == "secondary"


def test_areas_without_data_keep_sex_and_unit(frames: Frames) -> None:
    figs = _figs(frames, "otrygghet", "2023", "K")
    assert (figs["sex"] == "K").all()
    assert (figs["unit"] == "percent").all()
    assert (figs["display"] == "uppgift saknas").all()
    total = _figs(frames, "otrygghet", "2023", "T")
    assert total.loc["2417", "value"] == pytest.approx(12.0)
    assert total.loc["2422", "display"] == "uppgift saknas"


def test_coverage_layer(frames: Frames) -> None:
    figs = _figs(frames, "mvp_tackning", "HT2024", "T")
    assert figs.loc["2417", "value"] == pytest.approx(30.0)  # 45 of 100 + 50 pupils
    assert figs.loc["2422", "value"] == pytest.approx(50.0)  # 20 of 40
    assert figs.loc["24", "value"] == pytest.approx(100 * 65 / 190)
    assert figs.loc["2417", "display"] == "30,0 % (45 av 150 elever)"
    women = _figs(frames, "mvp_tackning", "HT2024", "K")
    assert (women["display"] == "ej könsuppdelat").all() and women["value"].isna().all()


def test_count_layer_with_categories_sums_them(frames: Frames) -> None:
    spec = LayerSpec(id="misshandel", title_sv="Misshandel", title_en="Assault",
                     kind="count_rate", categories=("misshandel",))
    figs = layer_figures(frames, spec, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS).set_index("area_id")
    assert figs.loc[["24", "2417", "2422"], "count"].tolist() == [25, 16, 9]


def _view(frames: Frames, area: str, source: str = "counts", period: str = "2024"
          ) -> PyramidView:
    return pyramid_view(frames, TAXONOMY, META, area_id=area, period=period, source=source,
                        settings=SETTINGS)


def test_pyramid_view_counts_and_rates(frames: Frames) -> None:
    view = _view(frames, "2417")
    assert view.area_name == "Norsjö" and view.period == "2024" and view.threshold == 5
    cells = view.counts.set_index(["level", "category", "sex"])
    assert cells.loc[(3, ALL, "T"), "count"] == 21
    assert cells.loc[(3, ALL, "T"), "rate"] == pytest.approx(525.0)
    assert cells.loc[(3, "Våldtäkt", "K"), "count"] == 5
    assert cells.loc[(3, "Våldtäkt", "K"), "rate"] == pytest.approx(250.0)
    assert cells.loc[(2, ALL, "K"), "display"] == ".."
    assert cells.loc[(3, ALL, "K"), "display"] == ".."
    assert pd.isna(cells.loc[(3, ALL, "K"), "rate"])
    inds = view.indicators
    assert inds[["level", "indicator_id", "sex"]].values.tolist() == [[3, "utsatt_misshandel", "T"]]
    assert inds["title_sv"].iloc[0] == META["utsatt_misshandel"]["title_sv"]
    county = _view(frames, "24")
    assert county.counts.set_index(["level", "category", "sex"]).loc[(3, ALL, "K"), "count"] == 13


def test_pyramid_view_unknown_area(frames: Frames) -> None:
    with pytest.raises(InputError) as info:
        _view(frames, "0114")
    assert info.value.field == "area" and "2417" in str(info.value)


@pytest.mark.parametrize(("layer", "source", "level"), [
    ("vald_topp", "counts", 3), ("hot_trakasserier", "counts", 2)])
@pytest.mark.parametrize("sex", ["K", "M", "T"])
def test_map_and_pyramid_hide_the_same_cells(frames: Frames, layer: str, source: str, level: int,
                                             sex: str) -> None:
    figs = _figs(frames, layer, "2024", sex)
    for area in ("24", "2417", "2422"):
        view = _view(frames, area, source)
        cell = view.counts[(view.counts["level"] == level) & (view.counts["category"] == ALL)
                           & (view.counts["sex"] == sex)].iloc[0]
        assert bool(cell["suppressed"]) == bool(figs.loc[area, "suppressed"]), area
        assert cell["suppression"] == figs.loc[area, "suppression"]
        if not cell["suppressed"]:
            assert cell["count"] == figs.loc[area, "count"]
            assert cell["rate"] == pytest.approx(figs.loc[area, "value"])


def test_to_json_document(frames: Frames) -> None:
    doc = to_json(_view(frames, "2422"), TAXONOMY, sex="K")
    json.dumps(doc)  # plain JSON types only
    assert doc["schema"] == SCHEMA == "lagesbild.pyramid/1"
    assert doc["area"] == {"id": "2422", "name": "Sorsele"}
    assert (doc["period"], doc["sex"], doc["count_source"]) == ("2024", "K", "counts")
    assert doc["suppress_below"] == 5 and doc["confidence"] == 0.95
    assert doc["source"].startswith("brå.csv")
    assert [lv["level"] for lv in doc["levels"]] == [3, 2, 1, 0]
    top = doc["levels"][0]
    assert set(top) == {"level", "title", "total", "categories", "indicators"}
    assert top["title"] == TAXONOMY.get(3).title_sv
    assert top["total"]["count"] is None and top["total"]["display"] == ".."
    assert top["total"]["suppressed"] is True and top["total"]["rate_per_100000"] is None
    assert top["total"]["population"] == 1000
    cats = {c["category"]: c for c in top["categories"]}
    assert cats["Våldtäkt"]["count"] == 0 and cats["Våldtäkt"]["display"] == "0"
    assert cats["Våldtäkt"]["ci_high"] == pytest.approx(368.89)
    assert cats["Misshandel"]["display"] == ".."
    assert doc["levels"][1]["total"]["display"] == ".."
    assert doc["levels"][2]["total"] is None  # level 1: surveys only
    assert doc["levels"][3]["title"] == "Utanför pyramiden"


def test_to_json_indicators_and_english(frames: Frames) -> None:
    doc = to_json(_view(frames, "2417"), TAXONOMY, sex="T", lang="en")
    top = doc["levels"][0]
    assert top["title"] == TAXONOMY.get(3).title_en
    assert top["total"] == {"count": 21, "display": "21", "suppressed": False,
                            "rate_per_100000": 525.0, "ci_low": pytest.approx(325.0, abs=0.1),
                            "ci_high": pytest.approx(802.5, abs=0.1), "population": 4000}
    (ind,) = top["indicators"]
    assert ind["id"] == "utsatt_misshandel" and ind["value_percent"] == 2.0 and ind["n"] == 250
    assert ind["title"] == META["utsatt_misshandel"]["title_en"]
    assert ind["display"] == "2,0 % (n=250)" and ind["suppressed"] is False
    assert doc["levels"][3]["title"] == "Outside the pyramid"


@pytest.mark.parametrize("dtype", ["category", "string[pyarrow]", "object"])
def test_close_relation_figures_only_where_the_extract_tells_the_relation(dtype: str) -> None:
    """`relation_known`: the kommuner whose incidents say whether victim and offender are close,
    plus, when some do, the kommuner without incidents (0 is a count there); a kommun whose
    incidents all lack the field has no figure, whatever store the frame came from (PostGIS
    gives Arrow-backed strings, the GeoPackage categories)."""
    import dataclasses

    from lagesbild.analysis.figures import relation_known

    def frames(relation: list) -> Frames:  # noqa: ANN001
        base = tiny_frames()
        inc = base.incidents.assign(relation=pd.array(relation, dtype="boolean"))
        inc["area_id"] = inc["area_id"].astype(dtype)
        return dataclasses.replace(base, incidents=inc)

    told = [r for *_, r in INCIDENTS]
    assert relation_known(frames(told), "2024") == {"2417", "2422"}
    assert relation_known(frames(told), "2023") == {"2422", "2417"}  # 2417: no incident, 0
    untold_2417 = [None if a == "2417" and y == 2024 else r for a, y, *_, r in INCIDENTS]
    assert relation_known(frames(untold_2417), "2024") == {"2422"}  # its incidents say nothing
    untold_2023 = [None if y == 2023 else r for _, y, *_, r in INCIDENTS]
    assert relation_known(frames(untold_2023), "2023") == set()  # missing is not zero
    close = next(s for s in LAYERS.values() if s.kind == "incident_rate" and s.relation)
    assert periods(frames(untold_2023), close) == ["2024"]  # the period choice offers no 2023


def test_periods_are_the_same_whatever_store_typed_the_column() -> None:
    """PostGIS gives Arrow-backed strings, the GeoPackage objects: the same periods, each once,
    in time order (the distinct values are taken before they are turned into text)."""
    import dataclasses

    base = tiny_frames()
    counts = next(s for s in LAYERS.values() if s.kind == "count_rate" and not s.crime_group)
    want = periods(base, counts)
    assert want == ["2023", "2024"]
    for dtype in ("string[pyarrow]", "category", object):
        table = base.incident_counts.assign(period=base.incident_counts["period"].astype(dtype))
        assert periods(dataclasses.replace(base, incident_counts=table), counts) == want, dtype
