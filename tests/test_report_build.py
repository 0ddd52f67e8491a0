"""The meeting pack's content (report.build) on the demo workspace: the five sections in order,
protected figures only, the kommun highlighted, changes only when beyond chance, goals, caveats.

`demo_report` builds a report once per test session (other report tests import it)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from lagesbild.analysis.change import change_table
from lagesbild.analysis.darkfigure import caveats
from lagesbild.analysis.figures import layer_figures, population_for
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.core.errors import InputError
from lagesbild.core.i18n import sex_label
from lagesbild.report.build import build_report
from lagesbild.report.build_context import pick_period
from lagesbild.core.schema import SECTION_KEYS
from lagesbild.report.model import Report, Table
from lagesbild.core.schema import FOCUS_AREAS
from lagesbild.core.settings import get_settings

from frames_support import demo_inputs

PNG = b"\x89PNG\r\n\x1a\n"
AREA, PERIOD = "2417", "2024"
LAYERS = ["vald_nara_relation", "otrygghet", "mvp_tackning"]
SMALL_LAYER = "vald_nara_relation"  # has hidden ("..") cells in 2024
HOSTILE_NOTE = ("<script>alert('note')</script> ${alert(1)} `x` "
                "=HYPERLINK(\"http://evil.example\",\"klicka\")")
HOSTILE_GOAL = "=HYPERLINK(\"http://evil.example/?q=1\",\"mål\") <img src=x onerror=alert(2)> ${x}"
NOTES = {"analys": "Våldet i nära relationer följs upp.\n\n" + HOSTILE_NOTE, "kallor": "@SUM(1+1)"}
GOALS = {"valdsforebyggande": HOSTILE_GOAL, "samverkan": "Gemensam lägesbild två gånger per år."}
SNAPSHOT = "2026-01-02-samverkansmote (sha256 0123abcd)"
CREATED = date(2026, 1, 2)
_CACHE: dict[object, object] = {}


def demo_report(tmp_path_factory: pytest.TempPathFactory, **kwargs: object) -> Report:
    """The Norsjö 2024 report with hostile notes and goals (kwargs override), built once."""
    args = dict(area_id=AREA, period=PERIOD, notes=NOTES, goals=GOALS, audience="wide",
                created=CREATED, layers=LAYERS, snapshot=SNAPSHOT)
    args.update(kwargs)
    key = repr(sorted(args.items()))
    if key not in _CACHE:
        _CACHE[key] = build_report(*demo_inputs(tmp_path_factory), **args)
    return _CACHE[key]  # type: ignore[return-value]


def raw_relation_count(frames, area_id: str, sex: str, year: str = PERIOD) -> int:
    """The true number of close-relation violence incidents behind a SMALL_LAYER cell."""
    taxonomy = load_taxonomy(get_settings().layers_dir / "pyramid.toml")
    inc = frames.incidents
    mask = ((inc["year"].astype("string") == year) & inc["relation"].fillna(False).astype(bool)
            & (taxonomy.level_of(inc["category"]) == 3))
    if area_id != "24":
        mask &= inc["area_id"] == area_id
    if sex != "T":
        mask &= inc["victim_sex"] == sex
    return int(mask.sum())


def suppressed_cells(tmp_path_factory) -> list[dict]:
    """Every hidden cell of SMALL_LAYER in 2024 (K, M, T) with its true count and rate text,
    i.e. what would have been shown without disclosure control."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    pop = population_for(frames, PERIOD).set_index(["area_id", "sex"])["population"]
    cells = []
    for sex in ("K", "M", "T"):
        figs = layer_figures(frames, specs[SMALL_LAYER], period=PERIOD, sex=sex,
                             taxonomy=taxonomy, settings=settings)
        for row in figs[figs["suppressed"]].to_dict("records"):
            raw = raw_relation_count(frames, row["area_id"], sex)
            rate = raw / float(pop[(row["area_id"], sex)]) * 100_000
            shown = f"{rate:,.1f}".replace(",", "\u00a0").replace(".", ",")
            cells.append({"area_id": row["area_id"], "name": row["name"], "sex": sex,
                          "display": row["display"], "raw": raw,
                          "leak": f"{shown} per 100\u00a0000 ({raw} brott)"})
    return cells


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    return demo_report(tmp_path_factory)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return demo_inputs(tmp_path_factory)


def all_texts(report: Report) -> list[str]:
    out = [report.title, *report.sources, report.snapshot or ""]
    for section in report.sections:
        out += [section.title, *section.paragraphs]
        out += [f.title + " " + f.caption for f in section.figures]
    for table in report.all_tables():
        out += [table.title, table.note, *map(str, table.frame.columns)]
        out += [str(v) for v in table.frame.astype("string").fillna("").to_numpy().ravel()]
    return out


def map_table(report: Report, spec_title: str) -> Table:
    fig = next(f for f in report.section("kartlaggning").figures
               if f.html and f.title.endswith(spec_title))
    assert fig.table is not None
    return fig.table


def test_the_five_sections_in_the_order_of_the_law(report: Report) -> None:
    assert tuple(s.key for s in report.sections) == SECTION_KEYS
    assert [s.title for s in report.sections][:3] == [
        "Sammanfattning: samlad bedömning och prioriterade problem",
        "Kartläggning: vad, var, när och vem", "Analys"]
    assert (report.area_id, report.area_name, report.period) == (AREA, "Norsjö", PERIOD)
    assert report.created == CREATED and report.snapshot == SNAPSHOT and report.audience == "wide"
    assert "Norsjö" in report.title and PERIOD in report.title


def test_mapping_has_pyramid_and_per_layer_map_trend_comparison(report: Report, inputs) -> None:
    _, specs, _, _ = inputs
    figures = report.section("kartlaggning").figures
    assert figures[0].title.startswith("Våldspyramiden: Norsjö")
    titles = [f.title for f in figures]
    for layer in LAYERS:
        title = specs[layer].title("sv")
        for kind in ("Karta", "Över tid", "Jämförelse"):
            assert f"{kind}: {title}" in titles
    for fig in figures:
        assert fig.png.startswith(PNG) and fig.table is not None and len(fig.table.frame)
        assert '".."' in fig.caption  # the disclosure note
    maps = [f for f in figures if f.title.startswith("Karta")]
    assert len(maps) == len(LAYERS) and all(f.html and "<html" in f.html for f in maps)
    # the comparison table: rank, value, interval, band position; the county's 15 kommuner
    ranking = next(f for f in figures if f.title.startswith("Jämförelse: Otrygghet")).table
    assert {"#", "Område", "Värde", "Länets mittersta hälft"} <= set(ranking.frame.columns)
    assert len(ranking.frame) == 15 and "Norsjö ◀" in set(ranking.frame["Område"])


def test_the_kommun_is_highlighted_beside_the_county(report: Report, inputs) -> None:
    frames, specs, taxonomy, settings = inputs
    figs = layer_figures(frames, specs["otrygghet"], period=PERIOD, sex="T", taxonomy=taxonomy,
                         settings=settings).set_index("area_id")["display"]
    expected = f"Norsjö: {figs['2417']} (länet {figs['24']}, riket "
    assert any(expected in p for p in report.section("kartlaggning").paragraphs)


def test_same_hidden_cells_as_layer_figures_and_no_true_value(report: Report,
                                                              tmp_path_factory) -> None:
    cells = suppressed_cells(tmp_path_factory)
    assert {c["display"] for c in cells} == {".."}
    frame = map_table(report, "Våld i nära relation (polisens utdrag) per 100 000 inv.").frame
    for cell in cells:
        row = frame[(frame["Kod"] == cell["area_id"]) & (frame["Kön"] == sex_label(cell["sex"]))]
        assert len(row) == 1, cell
        assert row["Värde"].iloc[0] == cell["display"]
        for col in ("Värde (tal)", "95 % KI, från", "95 % KI, till", "Antal"):
            assert pd.isna(row[col].iloc[0]), (cell, col)
    texts = "\n".join(all_texts(report))
    for cell in cells:  # a hidden 0 reads like every shown 0 ("0,0 per 100 000 (0 brott)")
        assert cell["raw"] == 0 or cell["leak"] not in texts, cell


def test_every_hidden_display_has_no_number_beside_it(report: Report) -> None:
    for table in report.all_tables():
        frame = table.frame
        if "Värde" not in frame or "Värde (tal)" not in frame:
            continue
        hidden = frame["Värde"].str.startswith("..")
        for col in ("Värde (tal)", "95 % KI, från", "95 % KI, till", "Antal"):
            if col in frame:
                assert frame.loc[hidden, col].isna().all(), (table.title, col)


def test_analysis_notes_then_changes_beyond_chance_only(report: Report, inputs) -> None:
    frames, specs, taxonomy, settings = inputs
    paras = report.section("analys").paragraphs
    assert paras[:2] == ("Våldet i nära relationer följs upp.", HOSTILE_NOTE)
    spec = specs["otrygghet"]
    before, after = (layer_figures(frames, spec, period=p, sex="T", taxonomy=taxonomy,
                                   settings=settings) for p in ("2023", PERIOD))
    row = change_table(before, after, settings=settings).set_index("area_id").loc[AREA]
    text = next(p for p in paras if p.startswith(spec.title("sv")))
    if row["significant"]:
        assert row["verdict"] in text and "ingen säker förändring" not in text
    else:
        assert "ingen säker förändring mellan 2023 och 2024" in text
    assert "ökning utöver slumpen" not in text or row["significant"]
    table = report.section("analys").tables[0].frame
    assert set(table["Kartlager"]) == {specs[i].title("sv") for i in LAYERS if i != "mvp_tackning"}


def test_prevention_coverage_and_need_map(report: Report) -> None:
    section = report.section("forebyggande")
    assert any(p.startswith("Norsjö: ") and "elever i målgruppen nås" in p for p in section.paragraphs)
    need = section.figures[0]
    assert need.png.startswith(PNG) and need.html and need.table is not None
    assert {"Prioritet", "Behov (percentil)"} <= set(need.table.frame.columns)
    coverage, schools, *programmes, trained = section.tables  # each programme (build_programmes)
    assert "Andel elever (%)" in coverage.frame and len(coverage.frame) == 16
    assert set(schools.frame["Kommun"]) == {"Norsjö"}
    # the demo's trainings of Norsjö's staff in 2024 (data/demo/utbildningar.csv, personal.csv)
    assert ("Under 2024 har 22 deltagare från skola och arbetsplats utbildats i Grundutbildning "
            "våld i nära relationer, MVP-utbildning och Processledarutbildning i "
            "våldsprevention (3 tillfällen), sammanlagt 280 timmar.") in section.paragraphs
    assert trained.title == "Utbildningar av personal, 2024"
    mvp = trained.frame.set_index("Utbildning").loc["MVP-utbildning"]
    assert (mvp["Deltagare"], mvp["Anställda"], mvp["Andel av personalen, högst (%)"]) == (
        13, 61, 21.3)
    assert [t.title for t in programmes][:1] == ["Program och målgrupper, HT2024"]


def test_actions_and_local_goals_per_focus_area(report: Report) -> None:
    actions, goals, *plan = report.section("atgarder").tables
    # then the åtgärdsplan (when the actions carry its columns) and the uppföljning: Norsjö's
    # actions name survey indicators, followed from their baseline year
    assert [t.title for t in plan] == ["Uppföljning: Norsjö"]
    assert {"Fokusområde", "Insats", "Status", "Uppföljning"} <= set(actions.frame.columns)
    assert all("Norsjö" in k or not k for k in actions.frame["Kommuner"])
    by_area = dict(zip(goals.frame["Fokusområde"], goals.frame["Lokalt mål"]))
    assert list(by_area) == [sv for sv, _ in FOCUS_AREAS.values()]
    assert by_area[FOCUS_AREAS["valdsforebyggande"][0]] == HOSTILE_GOAL
    assert by_area[FOCUS_AREAS["samverkan"][0]] == "Gemensam lägesbild två gånger per år."
    assert by_area[FOCUS_AREAS["kunskap"][0]] == "inget lokalt mål angivet"


def test_sources_and_caveats(report: Report, inputs) -> None:
    frames, _, _, settings = inputs
    section = report.section("kallor")
    text = "\n".join(section.paragraphs)
    assert section.paragraphs[0] == "@SUM(1+1)"  # the user's note, kept as written
    assert "Dolda uppgifter visas som \"..\": antal 1–4 och andra uppgifter" in text
    assert f"färre än {settings.min_survey_n} svarande" in text
    assert ("Polisens händelsenotiser är inte brottsstatistik och deras läge är områdets "
            "mittpunkt") in text
    for caveat in caveats(lang="sv"):
        assert caveat in text
    assert SNAPSHOT in text and "inga punktuppgifter" in text
    datasets = section.tables[0].frame
    assert set(datasets["Dataset"]) == set(frames.datasets["dataset"])
    assert {"Fil", "Period", "Importerad"} <= set(datasets.columns)
    assert len(report.sources) == len(frames.datasets)


def test_no_point_data_in_the_report(report: Report, tmp_path_factory) -> None:
    """The interactive maps carry kommun polygons and schools, never an incident."""
    from frames_support import shared_demo
    from lagesbild.store.gpkg import GpkgWorkspace

    stored = GpkgWorkspace(shared_demo(tmp_path_factory)).read_columns("incidents",
                                                                        ["incident_id"])
    ids = set(stored["incident_id"].astype(str).head(200))
    assert len(ids) == 200
    for fig in report.section("kartlaggning").figures + report.section("forebyggande").figures:
        for incident in ids:
            assert incident not in (fig.html or "")
    assert report.meta["point_data"] == "none"


def test_county_report_in_english(tmp_path_factory) -> None:
    report = demo_report(tmp_path_factory, area_id="24", lang="en", layers=["otrygghet"],
                         notes={}, goals={})
    assert report.title.startswith("Situation picture") and report.area_name == "Västerbottens län"
    assert [s.title for s in report.sections] == ["Summary: overall assessment and prioritised "
                                                  "problems", "Mapping: what, where, when and who",
                                                  "Analysis", "Prevention work and its coverage",
                                                  "Actions, local goals and follow-up",
                                                  "Data sources and caveats"]
    text = "\n".join(report.section("kartlaggning").paragraphs)
    assert "Highest among the municipalities" in text
    goals = next(t.frame for t in report.section("atgarder").tables
                 if "Local goal" in t.frame.columns)
    assert set(goals["Local goal"]) == {"no local goal given"}
    assert "The police's event notices are not crime statistics" in "\n".join(
        report.section("kallor").paragraphs)


def test_police_audience_is_recorded(tmp_path_factory) -> None:
    report = demo_report(tmp_path_factory, audience="police", layers=[], notes={}, goals={})
    assert report.audience == "police"
    assert any(p.startswith("Målgrupp: polisen") for p in report.section("kallor").paragraphs)
    # the police's own report adds the extract's offence locations as points
    assert [f.title for f in report.section("kartlaggning").figures] == [
        "Våldspyramiden: Norsjö, 2024",
        "Brottsplatser i polisens utdrag, Norsjö 2024 – endast polisen"]
    assert report.meta["point_data"].startswith("police: ")


@pytest.mark.parametrize("kwargs, field", [
    ({"audience": "alla"}, "audience"), ({"area_id": "9999"}, "area"),
    ({"notes": {"okand": "x"}}, "notes"), ({"goals": {"okand": "x"}}, "goals"),
    ({"layers": ["finns_inte"]}, "layer"), ({"lang": "de"}, "lang")])
def test_bad_arguments_are_refused(inputs, kwargs: dict, field: str) -> None:
    args = dict(area_id=AREA, period=PERIOD, notes={}, goals={}, layers=[])
    args.update(kwargs)
    with pytest.raises(InputError) as info:
        build_report(*inputs, **args)
    assert info.value.field == field


def test_pick_period() -> None:
    assert pick_period(["2023", "2024"], "2024") == "2024"
    assert pick_period(["HT2023", "VT2024", "HT2024"], "2024") == "HT2024"
    assert pick_period(["2021", "2022"], "2024") == "2022"
    assert pick_period([], "2024") is None
