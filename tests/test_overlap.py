"""The same cells in two datasets are never summed: each demo dataset exported and imported again
under another name is refused naming the first, and the figures stay what they were; under the
same name it replaces; a year the workspace lacks is added; case and spacing variants of a
category are the same cells."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from frames_support import shared_demo
from lagesbild.analysis.pyramid_view import pyramid_view, to_json
from lagesbild.analysis.darkfigure import load_indicator_meta
from lagesbild.core.errors import InputError
from lagesbild.core.settings import get_settings
from lagesbild.core.taxonomy import load_taxonomy
from lagesbild.store import export, importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

COUNTS = "bra_anmalda_brott_2019-2024.csv"
DATASETS = [(COUNTS, "crime_counts"), ("scb_folkmangd_2019-2024.csv", "population"),
            ("polisens_utdrag_2022-2024.csv", "incidents"),
            ("enkat_trygghet_utsatthet_2021-2024.csv", "indicators"),
            ("skolor_fritidsgardar.csv", "sites"), ("programdeltagande_mvp.csv", "programme_activity")]


@pytest.fixture
def ws(tmp_path: Path, tmp_path_factory) -> GpkgWorkspace:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return GpkgWorkspace(path)


def _level3_total(ws: GpkgWorkspace, area: str = "2417") -> int:
    settings = get_settings()
    taxonomy = load_taxonomy(settings.layers_dir / "pyramid.toml")
    view = pyramid_view(load_frames(ws), taxonomy, load_indicator_meta(settings), area_id=area,
                        period="2024", source="counts", settings=settings)
    level = next(lv for lv in to_json(view, taxonomy, sex="T")["levels"] if lv["level"] == 3)
    return int(level["total"]["count"])


def _exported(ws: GpkgWorkspace, dataset: str, folder: Path) -> Path:
    return export.export_dataset(ws, dataset, folder)


@pytest.mark.parametrize(("dataset", "kind"), DATASETS)
def test_the_same_content_under_another_name_is_refused(ws, tmp_path, dataset, kind) -> None:
    source = _exported(ws, dataset, tmp_path / "out")
    copy = tmp_path / f"kopia_{source.name}"
    shutil.copyfile(source, copy)
    before = ws.read("incident_counts").shape, _level3_total(ws)
    with pytest.raises(InputError) as err:
        importer.import_file(ws, kind, copy, name=copy.name)
    msg = str(err.value)
    assert f"finns redan i datasetet '{dataset}'" in msg and "inget sparades" in msg
    assert err.value.file == copy.name and f"'{dataset}'" in err.value.fix
    assert (ws.read("incident_counts").shape, _level3_total(ws)) == before


def test_under_the_same_name_it_replaces(ws, tmp_path) -> None:
    source = _exported(ws, COUNTS, tmp_path / "out")
    before = _level3_total(ws)
    importer.import_file(ws, "crime_counts", source, name=COUNTS)
    assert _level3_total(ws) == before


def test_a_year_the_workspace_lacks_is_added_and_case_variants_are_the_same_cells(ws, tmp_path
                                                                                  ) -> None:
    new_year = tmp_path / "brå_2025.csv"
    new_year.write_text("Kommunkod;År;Brottskategori;Kön;Antal\n2417;2025;Misshandel;Totalt;3\n",
                        encoding="utf-8")
    importer.import_file(ws, "crime_counts", new_year, name=new_year.name)
    variant = tmp_path / "brå_igen.csv"
    variant.write_text("Kommunkod;År;Brottskategori;Kön;Antal\n"
                       "2417;2024;misshandel ;Totalt;3\n", encoding="utf-8")
    with pytest.raises(InputError, match="finns redan i datasetet"):
        importer.import_file(ws, "crime_counts", variant, name=variant.name)


def test_case_variants_are_stored_in_the_taxonomys_spelling(ws, tmp_path) -> None:
    """One category, listed once: "misshandel" is stored as "Misshandel"; a category the
    taxonomy does not know is named in a note."""
    path = tmp_path / "brå_2025.csv"
    path.write_text("Kommunkod;År;Brottskategori;Kön;Antal\n2417;2025;MISSHANDEL ;T;3\n"
                    "2417;2025;Snatteri;T;5\n", encoding="utf-8")
    result = importer.import_file(ws, "crime_counts", path, name=path.name)
    stored = ws.read("incident_counts")
    mine = stored[stored["source"] == path.name]
    assert sorted(mine["category"]) == ["Misshandel", "Snatteri"]
    assert any("'MISSHANDEL' → 'Misshandel'" in n for n in result.notes)
    assert any("utanför pyramiden: Snatteri" in n for n in result.notes)
