"""Brottslighet i stort: Brå's main groups of crime as layers, read off the protected cube."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from frames_support import tiny_frames
from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.analysis.release import release_audit, subset_layer_release
from lagesbild.core import schema
from lagesbild.core.crime_groups import category_key, load_crime_groups
from lagesbild.core.errors import InputError
from lagesbild.core.layers import load_layers
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.store import importer

ROOT = Path(__file__).resolve().parents[1]
LAYERS = load_layers(ROOT / "layers")
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
SETTINGS = get_settings()

# (area, period, category) -> (K, M, T), or T alone where the crime has no victim
COUNTS = {
    ("2417", "2024", "Misshandel"): (6, 10, 16),
    ("2417", "2024", "Olaga hot"): (3, 9, 12),
    ("2417", "2024", "Skadegörelse"): (20, 20, 40),
    ("2417", "2024", "Stöld och tillgrepp"): (20, 22, 44),
    ("2417", "2024", "Inbrott"): (6, 6, 12),
    ("2417", "2024", "Narkotikabrott"): (None, None, 30),
    ("2422", "2024", "Misshandel"): (8, 7, 15),
    ("2422", "2024", "Olaga hot"): (8, 8, 16),
    ("2422", "2024", "Skadegörelse"): (10, 10, 20),
    ("2422", "2024", "Stöld och tillgrepp"): (10, 12, 22),
    ("2422", "2024", "Inbrott"): (1, 2, 3),  # small: hidden, and so is the group
    ("2422", "2024", "Narkotikabrott"): (None, None, 10),
    # 2023: violence only; the crime groups have no figure then (missing, not 0)
    ("2417", "2023", "Misshandel"): (10, 10, 20),
    ("2422", "2023", "Misshandel"): (10, 10, 20),
}


def _frames():
    rows = [(a, p, c, sex, n, "brå.csv") for (a, p, c), kmt in COUNTS.items()
            for sex, n in zip("KMT", kmt) if n is not None]
    counts = pd.DataFrame(rows, columns=["area_id", "period", "category", "sex", "count",
                                         "source"])
    return replace(tiny_frames(), incident_counts=schema.conform(counts, "incident_counts"))


def _figure(frames, layer: str, area: str, sex: str = "T") -> pd.Series:
    figs = layer_figures(frames, LAYERS[layer], period="2024", sex=sex, taxonomy=TAXONOMY,
                         settings=SETTINGS)
    return figs.set_index("area_id").loc[area]


def test_the_six_main_groups_are_layers_of_their_categories() -> None:
    groups = {s.crime_group: s for s in LAYERS.values() if s.crime_group}
    assert sorted(groups) == ["bedrageri", "brott_mot_person", "fordonsbrott", "narkotika",
                              "skadegorelse", "stold_inbrott"]
    assert "Inbrott" in groups["stold_inbrott"].categories
    assert "Stöld och tillgrepp" in groups["stold_inbrott"].categories
    # the pyramid's violence (levels 3 and 2) is all crime against the person
    person = {category_key(c) for c in groups["brott_mot_person"].categories}
    for level in (3, 2):
        assert {category_key(c) for c in TAXONOMY.get(level).categories} <= person


def test_names_match_without_case_spaces_or_kind_of_dash() -> None:
    assert category_key("  Stöld  och\ttillgrepp ") == category_key("stöld och tillgrepp")
    assert category_key("Brott mot person (3–7 kap. BrB)") == \
        category_key("brott mot person (3-7 kap. brb)")
    groups = load_crime_groups(ROOT / "layers" / "brottsgrupper.toml")
    found = groups.group_of(pd.Series(["INBROTT ", "Narkotikabrott", "Okänt brott", None]))
    assert found.fillna("-").tolist() == ["stold_inbrott", "narkotika", "-", "-"]


def test_a_category_in_two_groups_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "brottsgrupper.toml"
    path.write_text('[[group]]\nid = "a"\ntitle_sv = "A"\ncategories = ["Stöld"]\n'
                    '[[group]]\nid = "b"\ntitle_sv = "B"\ncategories = ["stöld "]\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_crime_groups(path)
    assert "'stöld ' står i två grupper (a och b)" in str(err.value)


def test_a_layer_naming_an_unknown_group_is_refused(tmp_path: Path) -> None:
    (tmp_path / "brottsgrupper.toml").write_text(
        '[[group]]\nid = "a"\ntitle_sv = "A"\ncategories = ["Stöld"]\n', encoding="utf-8")
    (tmp_path / "x.toml").write_text('id = "x"\ntitle_sv = "X"\nkind = "count_rate"\n'
                                     'crime_group = "finns_inte"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_layers(tmp_path)
    assert "Okänd brottsgrupp 'finns_inte'" in str(err.value) and "Välj en av: a" in str(err.value)


def test_group_rates_a_coordinator_sees() -> None:
    frames = _frames()
    damage = _figure(frames, "brott_skadegorelse", "24")  # the county: 40 + 20 of 6 000
    assert damage["count"] == 60 and damage["value"] == pytest.approx(1000.0)
    assert damage["display"] == "1\u00a0000,0 per 100\u00a0000 (60 brott)"
    drugs = _figure(frames, "brott_narkotika", "2417")
    assert drugs["count"] == 30 and drugs["value"] == pytest.approx(750.0)
    # no victim, so no woman or man: "uppgift saknas", never 0 per 100 000
    women = _figure(frames, "brott_narkotika", "2417", "K")
    assert pd.isna(women["count"]) and women["display"].startswith("uppgift saknas")
    person = _figure(frames, "brott_mot_person", "2417")
    assert person["count"] == 16 + 12  # the pyramid's levels 3 and 2
    county = _figure(frames, "brott_mot_person", "24")
    assert county["count"] == 16 + 12 + 15 + 16


def test_a_group_is_hidden_where_one_of_its_categories_is() -> None:
    """Sorsele's 3 burglaries are hidden in the pyramid's table: a shown 'stöld och inbrott'
    of 25 would give them away (25 − 22), so the group is hidden too."""
    frames = _frames()
    theft = _figure(frames, "brott_stold_inbrott", "2422")
    assert theft["suppressed"] and pd.isna(theft["count"]) and theft["display"] == ".."
    for area in ("2417", "2422", "24"):  # shown only as a sum of shown cells
        row = _figure(frames, "brott_stold_inbrott", area)
        if not row["suppressed"]:
            assert row["count"] == sum(COUNTS[(area, "2024", c)][2] for c in
                                       ("Stöld och tillgrepp", "Inbrott")) if area != "24" \
                else row["count"] == 44 + 12 + 22 + 3


def test_no_figure_for_a_period_whose_table_lacks_the_group() -> None:
    frames = _frames()
    assert periods(frames, LAYERS["brott_skadegorelse"]) == ["2024"]
    assert periods(frames, LAYERS["vald_topp"]) == ["2023", "2024"]


def test_release_audit_passes_with_the_groups_tied_to_the_cube() -> None:
    frames = _frames()
    specs = {k: s for k, s in LAYERS.items() if s.kind == "count_rate"}
    assert release_audit(frames, taxonomy=TAXONOMY, settings=SETTINGS, periods=["2024"],
                         specs=specs).passed
    _, relations = subset_layer_release(frames, LAYERS["brott_stold_inbrott"], period="2024",
                                        taxonomy=TAXONOMY, settings=SETTINGS)
    sums = [r for r in relations if r.terms[0][0] == "layer|brott_stold_inbrott|2024|2422|T"
            and r.sense == "=="]
    members = {c for r in sums for c, k in r.terms if k == -1}
    assert "pyramid|counts|2024|2422|0|Inbrott|T" in members
    assert "pyramid|counts|2024|2422|0|Stöld och tillgrepp|T" in members


def test_import_spells_categories_as_the_groups_file(area_workspace, make_csv) -> None:
    data = make_csv("Kommun;Kommunkod;År;Brottskategori;Kön;Antal\n"
                    "Norsjö;2417;2024;Stöld  och tillgrepp ;Totalt;44\n"
                    "Norsjö;2417;2024;INBROTT;Totalt;12\n"
                    "Norsjö;2417;2024;Snatteri i butik;Totalt;7\n", "utf-8-sig")
    result = importer.import_file(area_workspace, "crime_counts", data, name="brå.csv")
    stored = area_workspace.read("incident_counts")
    assert sorted(stored["category"]) == ["Inbrott", "Snatteri i butik", "Stöld och tillgrepp"]
    assert any("hör inte till någon huvudgrupp" in n and "Snatteri i butik" in n
               for n in result.notes)


def test_report_has_the_compact_table_and_no_map_per_group() -> None:
    from lagesbild.report.build import build_report

    report = build_report(_frames(), LAYERS, TAXONOMY, SETTINGS, area_id="2417",
                          period="2024")
    mapping = report.section("kartlaggning")
    tables = {t.title: t.frame for t in mapping.tables}
    table = tables["Brottslighet i stort: Norsjö"]
    rows = table.set_index("Huvudgrupp")
    assert list(rows.index) == ["Brott mot person", "Stöld och inbrott", "Skadegörelse",
                                "Narkotikabrott"]  # groups without data have no row
    assert rows.loc["Narkotikabrott", "Värde"] == "750,0 per 100\u00a0000 (30 brott)"
    assert rows.loc["Narkotikabrott", "Länet"] == "666,7 per 100\u00a0000 (40 brott)"
    assert rows.loc["Stöld och inbrott", "Värde"] == ".."
    assert rows.loc["Narkotikabrott", "Förändring"] == "ingen tidigare period"
    assert any(p.startswith("Brottslighet i stort, Norsjö: 4 huvudgrupper") for p in
               mapping.paragraphs)
    titles = [f.title for s in report.sections for f in s.figures]
    assert not any("narkotika" in t.lower() or "inbrott" in t.lower() for t in titles)
    assert any("grövre våld" in t for t in titles)  # the violence layers keep their maps
