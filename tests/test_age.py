"""Age: the victim's age in a police extract and SCB's population by 5-year groups, grouped by
layers/aldersgrupper.toml; rates by age group after disclosure control; the pyramid by age."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from lagesbild.analysis.age import age_figures, protected_age_counts, pyramid_by_age
from lagesbild.analysis.audit import audit, hidden_cell, shown_cell, total_of
from lagesbild.analysis.figures import layer_figures
from lagesbild.core import schema
from lagesbild.core.age import ALL_AGES, UNKNOWN, load_age_groups
from lagesbild.core.errors import InputError
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

ROOT = Path(__file__).resolve().parents[1]
GROUPS = load_age_groups(ROOT / "layers" / "aldersgrupper.toml")
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
SETTINGS = get_settings()
TOP = LayerSpec(id="top", title_sv="Topp", title_en="Top", kind="incident_rate",
                pyramid_level=3)


def test_ages_bands_and_grades_to_groups() -> None:
    given = pd.Series(["23", "17", "20-24 år", "15-19 år", "65 år och äldre", "100+ år",
                       "Årskurs 9", "", "totalt ålder", "okänd"])
    assert GROUPS.group_of(given).fillna("-").tolist() == [
        "18–24", "0–17", "18–24", "-", "65+", "65+", "åk 9", "-", "-", "-"]


def test_overlapping_groups_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "aldersgrupper.toml"
    path.write_text('[[group]]\nlabel = "0–20"\nfrom = 0\nto = 20\n'
                    '[[group]]\nlabel = "18–24"\nfrom = 18\nto = 24\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_age_groups(path)
    assert "'18–24' överlappar '0–20'" in str(err.value)


def _extract(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    lines = ["Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Målsägandes ålder;"
             "Kommunkod"]
    days = pd.date_range("2024-01-01", "2024-12-31", periods=len(rows))  # the whole year
    lines += [f"K{i};{day:%Y-%m-%d} 21:00;{cat};{sex};{age};{area}"
              for i, ((area, cat, sex, age, _), day) in enumerate(zip(rows, days), start=1)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _scb_population() -> bytes:
    """SCB "Folkmängd efter region, ålder, kön och år" in 5-year groups, CSV export."""
    lines = ['"region","ålder","kön","2024"']
    for code, name, scale in (("2417", "Norsjö", 2), ("2422", "Sorsele", 1)):
        for band, people in (("0-4 år", 100), ("5-9 år", 100), ("10-14 år", 100),
                             ("15-19 år", 100), ("20-24 år", 120), ("25-29 år", 150),
                             ("30-34 år", 150), ("35-39 år", 150), ("40-44 år", 150),
                             ("45-49 år", 200), ("50-54 år", 200), ("55-59 år", 200),
                             ("60-64 år", 200), ("65-69 år", 150), ("70-74 år", 130),
                             ("75+ år", 100)):
            for sex in ("män", "kvinnor"):
                lines.append(f'"{code} {name}","{band}","{sex}","{people * scale}"')
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.fixture
def age_workspace(tmp_path: Path, kommun_areas) -> GpkgWorkspace:
    lan = gpd.GeoDataFrame({"area_id": ["24"], "level": "lan", "code": ["24"],
                            "name": ["Västerbottens län"], "parent_id": [None],
                            "source": "test"},
                           geometry=[box(700_000, 7_190_000, 720_000, 7_200_000)],
                           crs=schema.CRS_STORE)
    workspace = GpkgWorkspace(tmp_path / "w.gpkg")
    importer.store_boundaries(workspace, pd.concat([schema.conform(lan, "areas"),
                                                    kommun_areas], ignore_index=True),
                              name="gränser")
    return workspace


# 30 assaults on women and men aged 18–24 in Norsjö, 6 aged 25–44, 2 of 65+, 3 without age;
# Sorsele: 8 aged 18–24 and 7 aged 25–44
ROWS = ([("2417", "Misshandel", "Kvinna" if i % 2 else "Man", str(18 + i % 7), "") for i in
         range(30)] + [("2417", "Misshandel", "Man", "31", "")] * 6 +
        [("2417", "Misshandel", "Kvinna", "70", "")] * 2 +
        [("2417", "Misshandel", "Man", "", "")] * 3 +
        [("2422", "Misshandel", "Man", "20", "")] * 8 +
        [("2422", "Misshandel", "Kvinna", "40", "")] * 7)


def _frames(workspace: GpkgWorkspace):
    result = importer.import_file(workspace, "incidents", _extract(ROWS), name="utdrag.csv")
    assert any("3 rader saknar ålder" in n for n in result.notes)
    pop = importer.import_file(workspace, "population", _scb_population(), name="scb.csv")
    assert any("grupperna 0–17, 18–24 blir därför ofullständiga" in n for n in pop.notes)
    return load_frames(workspace)


def test_totals_unchanged_and_age_rows_kept_apart(age_workspace) -> None:
    frames = _frames(age_workspace)
    # the totals every other figure divides by: the sum of the bands, once
    total = frames.population.set_index(["area_id", "sex"])["population"]
    assert total[("2417", "T")] == 2 * 2 * 2300 and total[("2422", "K")] == 2300
    by_age = frames.population_age.set_index(["area_id", "age_group", "sex"])["population"]
    assert by_age[("2417", "25–44", "T")] == 2 * 2 * 600
    assert not (frames.population_age["age_group"].isin(["0–17", "18–24"])).any()
    # the extract's layer counts every assault once, whatever the age
    figs = layer_figures(frames, TOP, period="2024", sex="T", taxonomy=TAXONOMY,
                         settings=SETTINGS).set_index("area_id")
    assert figs.loc["2417", "count"] == 41 and figs.loc["2417", "denominator"] == 9200


def test_rates_by_age_group_a_coordinator_sees(age_workspace) -> None:
    frames = _frames(age_workspace)
    table = age_figures(frames, TOP, period="2024", area="2417", taxonomy=TAXONOMY,
                        settings=SETTINGS).set_index(["age_group", "sex"])
    middle = table.loc[("25–44", "T")]
    assert table.loc[("25–44", "M"), "display"] == "500,0 per 100\u00a0000 (6 brott)"
    assert middle["count"] == 6 and middle["population"] == 2400
    assert middle["value"] == pytest.approx(250.0)
    assert middle["display"] == "250,0 per 100\u00a0000 (6 brott)"
    assert middle["ci_low"] < 250 < middle["ci_high"]
    assert table.loc[(ALL_AGES, "T"), "count"] == 41  # the layer's count on the map
    assert table.loc[("65+", "T"), "display"] == ".."  # 2 victims: hidden
    # 3 without age: hidden too, and the 30 aged 18–24 (else the two small cells would sum
    # to 41 − 6 − 30 = 5)
    assert table.loc[(UNKNOWN, "T"), "display"] == ".."
    assert table.loc[("18–24", "T"), "display"] == ".."
    sorsele = age_figures(frames, TOP, period="2024", area="2422", taxonomy=TAXONOMY,
                          settings=SETTINGS).set_index(["age_group", "sex"])
    young = sorsele.loc[("18–24", "T")]  # SCB's 15–19 straddles 17/18: no population, no rate
    assert young["count"] == 8 and pd.isna(young["value"])
    assert young["display"] == "8 brott (ingen folkmängd för åldersgruppen)"
    assert young["note"] == "folkmängd per åldersgrupp saknas"
    assert sorsele.loc[(UNKNOWN, "T"), "count"] == 0  # every victim's age told


def test_hidden_age_cells_cannot_be_worked_out(age_workspace) -> None:
    frames = _frames(age_workspace)
    cells = protected_age_counts(frames, TOP, period="2024", taxonomy=TAXONOMY,
                                 settings=SETTINGS)
    raw = cells.assign(count=cells["count"])
    from lagesbild.analysis.age import age_counts

    truth = age_counts(frames, TOP, period="2024", taxonomy=TAXONOMY)
    assert cells["suppressed"].any()
    # the adversary: every shown cell, groups within "alla åldrar", K + M within T (≥ where
    # victims' sex is unknown), kommuner within the county
    value = {tuple(map(str, k)): int(v) for k, v in
             zip(truth[["area_id", "age_group", "sex"]].itertuples(index=False), truth["count"])}
    shown = dict(zip(map(lambda k: tuple(map(str, k)),
                         raw[["area_id", "age_group", "sex"]].itertuples(index=False)),
                     raw["suppressed"]))
    audit_cells = [hidden_cell("|".join(k), "age", v) if shown[k] else
                   shown_cell("|".join(k), "age", v) for k, v in value.items()]
    relations = []
    areas = sorted({k[0] for k in value})
    groups = sorted({k[1] for k in value} - {ALL_AGES})
    for a in areas:
        for s in ("K", "M", "T"):
            relations.append(total_of(f"{a}|{ALL_AGES}|{s}", [f"{a}|{g}|{s}" for g in groups]))
    for g in [*groups, ALL_AGES]:
        for s in ("K", "M", "T"):
            relations.append(total_of(f"24|{g}|{s}", [f"{a}|{g}|{s}" for a in areas if a != "24"]))
    result = audit(audit_cells, relations, protection=SETTINGS.suppress_below)
    assert result.passed


def test_no_age_table_when_the_extract_has_no_age(age_workspace) -> None:
    data = ("Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Kommunkod\r\n"
            + "".join(f"K{i};2024-03-01 21:00;Misshandel;Man;2417\r\n" for i in range(9))
            ).encode("cp1252")
    importer.import_file(age_workspace, "incidents", data, name="utdrag.csv")
    frames = load_frames(age_workspace)
    assert frames.incidents["age_group"].isna().all()
    assert age_figures(frames, TOP, period="2024", area="2417", taxonomy=TAXONOMY,
                       settings=SETTINGS).empty


def test_pyramid_by_age_group(age_workspace) -> None:
    frames = _frames(age_workspace)
    table = pyramid_by_age(frames, TAXONOMY, area="2422", period="2024", settings=SETTINGS)
    top = table[(table["level"] == 3) & (table["sex"] == "T")].set_index("age_group")
    assert top.loc["18–24", "count"] == 8 and top.loc["25–44", "count"] == 7
    assert top.loc["25–44", "value"] == pytest.approx(7 / 1200 * 100_000)
    middle = table[(table["level"] == 2) & (table["sex"] == "T")]
    assert middle.empty or (middle["count"].fillna(0) == 0).all()


def test_the_release_audit_reads_the_age_tables_with_the_cube(age_workspace,
                                                               monkeypatch) -> None:
    """The adversary over everything a wide audience gets: the pyramid's levels by age group are
    audited with the cube whose level cells they split (the same "alla åldrar" cell), and pass;
    an age table protected with primary suppression only is caught (the audit can fail)."""
    from lagesbild.analysis import age as age_module
    from lagesbild.analysis.release import release_audit

    frames = _frames(age_workspace)
    result = release_audit(frames, taxonomy=TAXONOMY, settings=SETTINGS, periods=["2024"])
    tables = set(result.cells["tables"].astype(str))
    assert any("ålder incidents 2024 nivå 3" in t for t in tables), sorted(tables)[:5]
    assert result.passed, result.disclosed.head()

    real = age_module.protected_age_counts

    def primary_only(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - a broken protection
        out = real(*args, **kwargs)
        weak = out["suppression"] == "secondary"
        return out.assign(suppressed=out["suppressed"] & ~weak,
                          suppression=out["suppression"].where(~weak, ""))

    monkeypatch.setattr(age_module, "protected_age_counts", primary_only)
    broken = release_audit(load_frames(age_workspace), taxonomy=TAXONOMY, settings=SETTINGS,
                           periods=["2024"])
    assert not broken.passed
    assert broken.disclosed["cell"].astype(str).str.startswith("age|").any()
