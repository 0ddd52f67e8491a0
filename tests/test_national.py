"""National reference values: 'Riket' rows kept at import, rates and shares for the nation."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from lagesbild.core import schema
from lagesbild.store import importer
from lagesbild.analysis import national
from lagesbild.analysis.compare import to_json
from lagesbild.analysis.figures import indicator_figures, layer_figures
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import ROOT, get_settings
from lagesbild.sources import kommun_names as kn
from tests.frames_support import tiny_frames

SETTINGS = get_settings()
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
MISSHANDEL = LayerSpec(id="misshandel", title_sv="Misshandel", title_en="Assault",
                       kind="count_rate", categories=("Misshandel",))
OTRYGGHET = LayerSpec(id="otrygghet", title_sv="Otrygghet", title_en="Insecurity",
                      kind="indicator", indicator="otrygghet")


@pytest.mark.parametrize("text", ["Riket", "00 Riket", "Hela landet", "riket", "00", "Sverige"])
def test_the_country_is_recognised(text):
    assert kn.is_national(text) and kn.kommun_or_national(text) == "00"


@pytest.mark.parametrize("text", ["Totalt", "Stockholms län", "2417", "Norsjö"])
def test_other_areas_are_not_the_country(text):
    assert not kn.is_national(text)


def test_riket_rows_land_as_the_national_reference(area_workspace, make_csv):
    data = make_csv("Region;Brottstyp;År;Kön;Antal\n"
                    "Norsjö;Misshandel;2024;Totalt;12\n"
                    "Riket;Misshandel;2024;Totalt;91234\n"
                    "Stockholms län;Misshandel;2024;Totalt;900\n", "utf-8-sig")
    result = importer.import_file(area_workspace, "crime_counts", data, name="brå.csv")
    assert [(r.row, r.value) for r in result.rejected] == [(4, "Stockholms län")]
    stored = area_workspace.read("incident_counts").sort_values("area_id")
    assert stored[["area_id", "count"]].values.tolist() == [["00", 91234], ["2417", 12]]
    assert not any("matchades" in n and "Riket" in n for n in result.notes)


def _with_national(frames, *, counts=(), population=(), indicators=()):
    c = pd.DataFrame([("00", "2024", cat, sex, n, "brå riket") for cat, sex, n in counts],
                     columns=["area_id", "period", "category", "sex", "count", "source"])
    p = pd.DataFrame([("00", 2024, sex, n, "scb") for sex, n in population],
                     columns=["area_id", "year", "sex", "population", "source"])
    i = pd.DataFrame([("00", "2024", ind, sex, v, "percent", n, None, None, "ntu")
                      for ind, sex, v, n in indicators],
                     columns=["area_id", "period", "indicator_id", "sex", "value", "unit", "n",
                              "ci_low", "ci_high", "source"])
    return replace(
        frames,
        incident_counts=schema.conform(pd.concat([frames.incident_counts, c]), "incident_counts"),
        population=schema.conform(pd.concat([frames.population, p]), "population"),
        indicators=schema.conform(pd.concat([frames.indicators, i]), "indicators"))


def test_national_rate_from_the_source_with_exact_interval():
    frames = _with_national(tiny_frames(), counts=[("Misshandel", "T", 90_000)],
                            population=[("T", 10_500_000)])
    fig = national.national_figure(frames, MISSHANDEL, period="2024", sex="T",
                                   taxonomy=TAXONOMY, settings=SETTINGS)
    assert fig["basis"] == "file" and fig["level"] == "riket" and fig["name"] == "Riket"
    assert fig["value"] == pytest.approx(90_000 / 10_500_000 * 100_000)
    low = sps.chi2.ppf(0.025, 180_000) / 2 / 10_500_000 * 100_000
    assert fig["ci_low"] == pytest.approx(low)
    assert "brå riket" in fig["source"]
    # the kommun figures are unchanged by the national rows
    figs = layer_figures(frames, MISSHANDEL, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS)
    assert "00" not in set(figs["area_id"])


def test_national_count_without_population_says_so():
    frames = _with_national(tiny_frames(), counts=[("Misshandel", "T", 90_000)])
    fig = national.national_figure(frames, MISSHANDEL, period="2024", sex="T",
                                   taxonomy=TAXONOMY, settings=SETTINGS)
    assert fig["value"] is None and fig["count"] == 90_000
    assert "folkmängd för riket saknas" in fig["note"]


def test_sum_of_counties_only_when_every_county_is_shown(monkeypatch):
    frames = tiny_frames()  # one län of two kommuner
    assert national.national_figure(frames, MISSHANDEL, period="2024", sex="T",
                                    taxonomy=TAXONOMY, settings=SETTINGS) is None
    # let the one län and two kommuner stand in for Sweden's 21 and 290
    monkeypatch.setattr(national, "N_LAN", 1)
    monkeypatch.setattr(national, "N_KOMMUNER", 2)
    fig = national.national_figure(frames, MISSHANDEL, period="2024", sex="T",
                                   taxonomy=TAXONOMY, settings=SETTINGS)
    assert fig["basis"] == "counties" and fig["count"] == 16 + 9
    assert fig["denominator"] == 6000  # every kommun's population
    assert fig["value"] == pytest.approx(25 / 6000 * 100_000)
    # a county hidden by disclosure control (25 < 30) gives no national sum
    strict = replace(SETTINGS, suppress_below=30)
    assert national.national_figure(frames, MISSHANDEL, period="2024", sex="T",
                                    taxonomy=TAXONOMY, settings=strict) is None


def test_national_share_uses_its_n_and_the_minimum():
    frames = _with_national(tiny_frames(), indicators=[("otrygghet", "T", 24.0, 12_000),
                                                      ("otrygghet", "K", 30.0, 20)])
    fig = national.national_figure(frames, OTRYGGHET, period="2024", sex="T",
                                   taxonomy=TAXONOMY, settings=SETTINGS)
    low, high = proportion_confint(0.24 * 12_000, 12_000, method="wilson")
    assert fig["value"] == 24.0 and fig["n"] == 12_000
    assert fig["ci_low"] == pytest.approx(low * 100) and fig["ci_high"] == pytest.approx(high * 100)
    few = national.national_figure(frames, OTRYGGHET, period="2024", sex="K",
                                   taxonomy=TAXONOMY, settings=SETTINGS)
    assert few["value"] is None and few["suppression"] == "few_respondents"
    # a national survey row never enters the county's pooled share
    shares = indicator_figures(frames, "otrygghet", period="2024", settings=SETTINGS)
    assert "00" not in set(shares["area_id"])
    county = shares[(shares["area_id"] == "24") & (shares["sex"] == "T")]
    assert county["value"].iloc[0] == pytest.approx((15.0 * 200 + 50.0 / 3 * 60) / 260)


def test_compare_json_carries_the_national_value():
    frames = _with_national(tiny_frames(), counts=[("Misshandel", "T", 90_000)],
                            population=[("T", 10_500_000)])
    figs = layer_figures(frames, MISSHANDEL, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS)
    fig = national.national_figure(frames, MISSHANDEL, period="2024", sex="T",
                                   taxonomy=TAXONOMY, settings=SETTINGS)
    doc = to_json(figs, layer="misshandel", title="Misshandel", unit="per100000", national=fig)
    assert doc["national"]["value"] == pytest.approx(857.142857, rel=1e-6)
    assert doc["national"]["source"] and doc["reference"]["national"] == doc["national"]["value"]
    assert to_json(figs, layer="m", title="m", unit="per100000")["national"] is None


# --- population and survey tables per small area ---------------------------------------------

def test_population_per_deso_and_regso_is_read(make_csv):
    from lagesbild.sources import aggregates, population_csv

    scb = make_csv('"region","kön","2024"\n"2417A0010","män","510"\n"2417A0010","kvinnor","490"\n'
                   '"2417R001_RegSO2025","män","1000"\n"2417R001_RegSO2025","kvinnor","990"\n'
                   '"9999A0010","män","1"\n', "cp1252")
    result = aggregates.read_population(scb, name="scb.csv")
    totals = result.accepted[result.accepted["sex"] == "T"].set_index("area_id")["population"]
    assert totals.to_dict() == {"2417A0010": 1000, "2417R001": 1990}
    assert [(r.row, r.value) for r in result.rejected] == [(6, "9999A0010")]
    assert "känd kommunkod" in result.rejected[0].reason
    simple = population_csv.read_population_simple(
        make_csv("Kod;Folkmängd\n2417A0010;1000\n00;10587710\n", "utf-8"), name="p.csv", year=2024)
    assert simple.accepted["area_id"].tolist() == ["2417A0010", "00"]
