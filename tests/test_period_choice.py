"""The period a page opens on and the sex choices a layer offers (analysis/period_choice.py):
after one kommun's counts for a new year, Karta and Jämförelse open on the last full year, say
that a later year has data for one kommun, and show "uppgift saknas" (never 0, never "None")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from frames_support import demo_inputs, shared_demo, tiny_frames
from lagesbild.analysis.figures import periods
from lagesbild.analysis.period_choice import (default_period, has_sex_split, kommuner_with_data,
                                              period_note)
from lagesbild.core import schema
from app_support import open_page

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
DEMO_COUNTS = ROOT / "data" / "demo" / "bra_anmalda_brott_2019-2024.csv"


def _with_counts(frames, rows: list[tuple[str, str, str, str, int]]):  # noqa: ANN001, ANN202
    """`frames` with crime-table rows (area, period, category, sex, count) added."""
    extra = pd.DataFrame([(*r, "bra_2025.csv") for r in rows],
                         columns=["area_id", "period", "category", "sex", "count", "source"])
    table = pd.concat([frames.incident_counts, extra], ignore_index=True)
    return replace(frames, incident_counts=schema.conform(table, "incident_counts"))


def _kmt(area: str, period: str, counts: tuple[int, int, int]) -> list[tuple]:
    return [(area, period, "Misshandel", s, n) for s, n in zip("KMT", counts)]


def test_one_kommuns_new_year_does_not_become_the_default(tmp_path_factory) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    spec = specs["vald_topp"]
    norsjo = _with_counts(frames, _kmt("2417", "2025", (8, 11, 19)))
    assert periods(norsjo, spec)[-1] == "2025"  # offered, not opened on
    choice = default_period(norsjo, spec, periods(norsjo, spec), taxonomy=taxonomy,
                            settings=settings)
    assert choice is not None and choice.period == "2024"
    assert choice.kommuner == 15 and choice.partial_later() == [("2025", 1)]
    assert kommuner_with_data(norsjo, spec, period="2025", taxonomy=taxonomy,
                              settings=settings) == {"2417"}
    note = period_note(choice, "2024", 15)
    assert note == ("Senare period med uppgifter för bara några kommuner: 2025 (1 av 15 "
                    "kommuner). Sidan öppnar på 2024, den senaste perioden med uppgifter för de "
                    "flesta kommuner.")
    chosen_2025 = period_note(choice, "2025", 1, "en")
    assert chosen_2025.startswith("2025: data for 1 of 15 municipalities; the others are shown "
                                  "as data missing, not as 0.")


def test_hidden_counts_are_data_and_half_is_not_most(tmp_path_factory) -> None:
    """Small counts are hidden, not missing: eight kommuner with 1–2 offences each make 2025 the
    default; seven of fifteen do not (the file that would make "most" silently wrong)."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    spec = specs["vald_topp"]
    kommuner = sorted(frames.kommuner["area_id"].astype(str))
    eight = _with_counts(frames, [r for k in kommuner[:8] for r in _kmt(k, "2025", (1, 1, 2))])
    choice = default_period(eight, spec, periods(eight, spec), taxonomy=taxonomy,
                            settings=settings)
    assert choice is not None and choice.period == "2025" and choice.partial_later() == []
    seven = _with_counts(frames, [r for k in kommuner[:7] for r in _kmt(k, "2025", (1, 1, 2))])
    choice = default_period(seven, spec, periods(seven, spec), taxonomy=taxonomy,
                            settings=settings)
    assert choice is not None and choice.period == "2024"
    assert choice.partial_later() == [("2025", 7)]


def test_no_period_with_most_kommuner_takes_the_fullest() -> None:
    """A workspace of two kommuner whose table covers one of them each year: the latest of the
    years with the most kommuner, not the newest year of all."""
    frames = tiny_frames()
    frames = replace(frames, incident_counts=frames.incident_counts[
        ~((frames.incident_counts["area_id"] == "2422")
          & (frames.incident_counts["period"] == "2024"))])
    from lagesbild.core.layers import load_layers
    from lagesbild.core.settings import Settings
    from lagesbild.core.taxonomy import load_taxonomy

    spec = load_layers(ROOT / "layers")["vald_topp"]
    taxonomy, settings = load_taxonomy(ROOT / "layers" / "pyramid.toml"), Settings()
    choice = default_period(frames, spec, ["2023", "2024"], taxonomy=taxonomy, settings=settings)
    assert choice is not None and choice.period == "2023"  # both kommuner; 2024 has one
    assert default_period(frames, spec, [], taxonomy=taxonomy, settings=settings) is None


def test_layers_without_a_sex_split(tmp_path_factory) -> None:
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    split = {i: has_sex_split(frames, specs[i], period=p, taxonomy=taxonomy, settings=settings)
             for i, p in [("vald_topp", "2024"), ("otrygghet", "2024"),
                          ("brott_narkotika", "2024"), ("mvp_tackning", "HT2024")]}
    assert split == {"vald_topp": True, "otrygghet": True, "brott_narkotika": False,
                     "mvp_tackning": False}
    # a crime table with totals only for a new year: no K/M split that year
    totals = _with_counts(frames, [("2417", "2025", "Misshandel", "T", 19)])
    assert not has_sex_split(totals, specs["vald_topp"], period="2025", taxonomy=taxonomy,
                             settings=settings)
    assert has_sex_split(totals, specs["vald_topp"], period="2024", taxonomy=taxonomy,
                         settings=settings)


# --- the pages, on the demo after a real import of Norsjö's 2025 counts ---------------------------

@pytest.fixture(scope="module")
def partial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with Brå's table for 2025 for Norsjö only (its 2024 rows, relabelled)."""
    from frames_support import with_norsjo_2025

    return with_norsjo_2025(shared_demo(tmp_path_factory), tmp_path_factory.mktemp("partial"))


def _page(monkeypatch: pytest.MonkeyPatch, path: Path, page: str) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(path))
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = open_page(page, timeout=90)
    assert not at.exception, at.exception
    return at


def _cells(at: AppTest) -> list[str]:
    return [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]


def _raw(cells: list[str]) -> list[str]:
    return [c for c in cells if c in ("None", "nan", "NaN", "<NA>", "NaT")]


def test_map_opens_on_the_last_full_year(monkeypatch, partial: Path) -> None:
    at = _page(monkeypatch, partial, "map_page")
    assert at.selectbox(key="map_period").options[-1] == "2025"
    assert at.selectbox(key="map_period").value == "2024"
    captions = " ".join(c.value for c in at.caption)
    assert "2025 (1 av 15 kommuner)" in captions and "Sidan öppnar på 2024" in captions
    detail = at.dataframe[0].value  # Bjurholm and the county: 2024 figures, not "saknas"
    assert not any("saknas" in str(v) for v in detail.to_numpy().ravel())
    overview = at.dataframe[1].value
    assert "2025" not in set(overview.iloc[:, 1])  # every layer as it opens
    at.selectbox(key="map_period").set_value("2025").run()
    captions = " ".join(c.value for c in at.caption)
    assert "2025: uppgifter för 1 av 15 kommuner" in captions
    detail = at.dataframe[0].value
    assert set(detail["Bjurholm"]) == {"uppgift saknas (källan täcker inte området)"}
    assert set(detail["Västerbottens län"]) == {"uppgift saknas (källan täcker inte området)"}
    at.selectbox(key="map_area").set_value("2417").run()
    norsjo = at.dataframe[0].value.set_index(at.dataframe[0].value.columns[0])["Norsjö"]
    assert norsjo["Totalt"] == "19 brott (ingen folkmängd)"  # a count without population
    assert not _raw(_cells(at))


def test_compare_has_no_zero_nor_none_for_missing(monkeypatch, partial: Path) -> None:
    at = _page(monkeypatch, partial, "compare_page")
    assert at.selectbox(key="cmp_period").value == "2024"
    ranks = at.dataframe[0].value["#"].tolist()
    assert ranks[:3] == ["1", "2", "3"] and len(ranks) == 15
    assert len(at.get("vega_lite_chart")) == 2  # the ranking and the kommuner over time
    at.selectbox(key="cmp_period").set_value("2025").run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("Område")
    assert table.loc["Norsjö", "Värde"] == "19 brott (ingen folkmängd)"
    assert table.loc["Bjurholm", "Värde"] == "uppgift saknas (källan täcker inte området)"
    assert set(table["#"]) == {"–"}  # no rate, no rank: "–", not "None" or "0"
    assert not any(str(v).startswith("0,0") for v in table["Värde"])
    # no kommun has a rate: no chart with an axis of zeros, a sentence instead
    assert any("inget diagram" in i.value for i in at.info)
    assert len(at.get("vega_lite_chart")) == 1  # over time only
    assert not _raw(_cells(at))


def test_a_layer_without_a_sex_split_offers_totalt_only(monkeypatch, partial: Path) -> None:
    at = _page(monkeypatch, partial, "compare_page")
    at.radio(key="cmp_sex").set_value("K").run()
    at.selectbox(key="cmp_layer").set_value("brott_narkotika").run()
    assert not at.exception
    assert at.radio(key="cmp_sex").options == ["Totalt"] and at.radio(key="cmp_sex").value == "T"
    assert any("inte uppdelat på kvinnor och män" in c.value for c in at.caption)
    ranks = at.dataframe[0].value["#"].tolist()
    assert ranks[0] == "1" and "None" not in ranks  # the totals are ranked
    at.selectbox(key="cmp_layer").set_value("vald_topp").run()
    assert at.radio(key="cmp_sex").options == ["Totalt", "Kvinnor", "Män"]
    assert not any("inte uppdelat" in c.value for c in at.caption)


@pytest.mark.parametrize(("page", "key"), [("pyramid_page", "pyr_period"),
                                           ("assessment_page", "ass_period"),
                                           ("report_page", "rep_period")])
def test_pages_of_many_layers_open_on_the_last_full_year(monkeypatch, partial: Path, page: str,
                                                         key: str) -> None:
    """Våldspyramid, Lägesbild and Rapport offer 2025 (Norsjö's year) but open on 2024."""
    at = _page(monkeypatch, partial, page)
    box = at.selectbox(key=key)
    assert box.options[-1] == "2025" and box.value == "2024"
    if page == "pyramid_page":  # the pyramid shows the county's 2024 counts, not Norsjö's alone
        assert "Kvinnor: 1 162 · Män: 1 294 · Totalt: 2 531" in " ".join(
            m.value for m in at.markdown).replace("\u00a0", " ")
    box.set_value("2025").run()  # still offered, and kept once chosen
    assert not at.exception and at.selectbox(key=key).value == "2025"


def test_chart_axes_in_the_languages_number_format(monkeypatch, partial: Path) -> None:
    """Jämförelse's charts carry Vega's number locale: 1 500 (Swedish), 1,500 (English)."""
    import json

    at = _page(monkeypatch, partial, "compare_page")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert specs and all(s["config"]["locale"]["number"]["decimal"] == "," and
                         s["config"]["locale"]["number"]["thousands"] == "\u00a0" for s in specs)
    at.radio(key="lang").set_value("en").run()
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert specs and all(s["config"]["locale"]["number"]["thousands"] == "," for s in specs)
    table = at.dataframe[0].value
    assert table["Value"].str.contains("per 100 000|offences").any()
    assert not table["Value"].str.contains("brott|dold|saknas").any()
    shown = table["Interval"][table["Interval"] != ""]
    assert len(shown) and shown.str.fullmatch(r"[\d,]+\.\d–[\d,]+\.\d").all()  # 1,016.6–1,285.9
