"""The incident count cube counted by the store with SQL (`Workspace.incident_cube`, issue 18):
the same table as the rows counted in pandas on both stores, and the kommun cube
(`count_cube(source="incidents")`) read from it identical to the one grouped from the rows."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from benchmarks.cube_bench import rows_count_cube  # the pandas path as it was: the reference
from frames_support import shared_demo
from lagesbild.analysis.cube import count_cube
from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.frames import Frames
from lagesbild.core.incident_cube import CUBE_COLUMNS, cube_of
from lagesbild.core.taxonomy import ALL, load_taxonomy
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")
NA = None


@pytest.fixture
def workspace(store_workspace):  # noqa: ANN001, ANN201 - both stores
    return store_workspace


def _from_store(frames: Frames) -> bool:
    """Whether `frames` hold the cube the store counted (not one counted from their rows)."""
    return "_incident_cube" in frames.__dict__


# --- the demo workspace -----------------------------------------------------------------------
def test_demo_cube_from_sqlite_is_the_rows_counted(tmp_path_factory) -> None:  # noqa: ANN001
    ws = GpkgWorkspace(shared_demo(tmp_path_factory))
    frames = load_frames(ws)
    assert _from_store(frames)
    cube = frames.incident_cube
    assert list(cube.columns) == list(CUBE_COLUMNS)
    assert {c: str(t) for c, t in cube.dtypes.items()} == {
        "area_id": "string", "year": "Int64", "category": "string", "victim_sex": "string",
        "age_group": "string", "count": "int64"}
    pd.testing.assert_frame_equal(cube, cube_of(frames.incidents))
    assert int(cube["count"].sum()) == len(frames.incidents) > 1000
    assert len(cube) < len(frames.incidents) / 2  # the point: groups, not rows


def test_demo_count_cube_the_same_for_every_period(tmp_path_factory) -> None:  # noqa: ANN001
    frames = load_frames(GpkgWorkspace(shared_demo(tmp_path_factory)))
    years = sorted({str(y) for y in frames.incidents["year"].dropna()})
    assert len(years) >= 2
    for period in [*years, "1999"]:  # a year without incidents: zeros on the whole grid
        new = count_cube(frames, period=period, source="incidents", taxonomy=TAXONOMY)
        pd.testing.assert_frame_equal(new, rows_count_cube(frames, period=period,
                                                           taxonomy=TAXONOMY))


# --- a hand-made workspace on both stores --------------------------------------------------------
AREAS = gpd.GeoDataFrame({
    "area_id": ["24", "2417", "2422"], "level": ["lan", "kommun", "kommun"],
    "code": ["24", "2417", "2422"], "name": ["Västerbottens län", "Norsjö", "Sorsele"],
    "parent_id": [NA, "24", "24"], "source": "gränser"},
    geometry=[box(0, 0, 2, 1), box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=schema.CRS_STORE)
# area, year, category, victim's sex, age group: the rows that make a count go wrong
AWKWARD = [
    ("2417", 2024, "Misshandel", "K", "18–24"),
    ("2417", 2024, "Misshandel", "K", "18–24"),
    ("2417", 2024, "Misshandel", "K", NA),        # age group absent
    ("2417", 2024, "Misshandel", NA, NA),         # victim's sex missing: T only
    ("2417", 2024, "Misshandel", "M", "0–17"),
    ("2417", 2024, NA, "M", NA),                  # category missing: "okänd"
    ("2417", 2024, "Fiskebrott", "K", "65+"),     # outside the taxonomy
    ("2417", 2024, "Våldtäkt", "K", "0–17"),
    ("2422", 2024, "Olaga hot", "M", NA),
    ("2422", 2024, "Skadegörelse", "", NA),       # an empty text, not a missing one
    ("2422", 2023, "Misshandel", "K", "25–44"),
    ("2422", NA, "Misshandel", "K", NA),          # no year: in no period
    ("0114", 2024, "Misshandel", "K", NA),        # not a kommun of this workspace
    (NA, 2024, "Rån", "M", NA),                   # no kommun at all
]


def _incidents(rows: list[tuple], *, prefix: str = "i") -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=["area_id", "year", "category", "victim_sex",
                                        "age_group"])
    n = len(frame)
    frame = frame.assign(
        incident_id=[f"{prefix}{i}" for i in range(n)],
        occurred_at=[datetime(int(y), 6, 1, 12) if pd.notna(y) else NA for y in frame["year"]],
        source_category=frame["category"], relation=NA, sub_area_id=NA,
        precision=["point" if i % 2 else "area" for i in range(n)])
    return gpd.GeoDataFrame(frame, geometry=[Point(0.5 + i / 100, 0.5) if i % 2 else None
                                             for i in range(n)], crs=schema.CRS_STORE)


def _store(ws, name: str, frame: pd.DataFrame, table: str = "incidents") -> None:  # noqa: ANN001
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset(name, table, "test", f"{name}.csv"), frame)


def _check(ws) -> Frames:  # noqa: ANN001
    """The store's cube equals the rows counted; the kommun cube of every period (and of one
    without data) equals the one grouped from the rows. The frames loaded."""
    cube = ws.incident_cube()
    pd.testing.assert_frame_equal(cube, cube_of(ws.read_incidents()))
    pd.testing.assert_frame_equal(cube, cube_of(ws.read("incidents")))
    frames = load_frames(ws)
    assert _from_store(frames)
    pd.testing.assert_frame_equal(frames.incident_cube, cube)
    for period in ("2023", "2024", "2025"):
        pd.testing.assert_frame_equal(
            count_cube(frames, period=period, source="incidents", taxonomy=TAXONOMY),
            rows_count_cube(frames, period=period, taxonomy=TAXONOMY))
    return frames


def _cell(cube: pd.DataFrame, area: str, level: int, category: str, sex: str) -> int:
    row = cube[(cube["area_id"] == area) & (cube["level"] == level)
               & (cube["category"] == category) & (cube["sex"] == sex)]
    assert len(row) == 1, (area, level, category, sex)
    return int(row["count"].iloc[0])


def test_awkward_rows_counted_alike_on_both_stores(workspace) -> None:  # noqa: ANN001
    _store(workspace, "gränser", AREAS, "areas")
    _store(workspace, "utdrag.csv", _incidents(AWKWARD))
    frames = _check(workspace)
    cube = workspace.incident_cube()
    # the groups as the coordinator's figures count them
    norsjo = cube[(cube["area_id"] == "2417") & (cube["year"] == 2024)]
    assert int(norsjo["count"].sum()) == 8
    assert int(norsjo.loc[norsjo["victim_sex"].isna(), "count"].sum()) == 1
    assert int(norsjo.loc[norsjo["category"].isna(), "count"].sum()) == 1
    two = norsjo[(norsjo["category"] == "Misshandel") & (norsjo["age_group"] == "18–24")]
    assert two["count"].tolist() == [2]
    assert int(cube.loc[cube["year"].isna(), "count"].sum()) == 1
    assert int(cube.loc[cube["area_id"].isna(), "count"].sum()) == 1
    empty_sex = cube[(cube["victim_sex"] == "") & (cube["area_id"] == "2422")]
    assert empty_sex["count"].tolist() == [1]  # "" is not a missing sex, and not K or M
    kommun = count_cube(frames, period="2024", source="incidents", taxonomy=TAXONOMY)
    assert _cell(kommun, "2417", 3, ALL, "T") == 6  # 5 Misshandel + Våldtäkt
    assert _cell(kommun, "2417", 3, ALL, "K") == 4  # the one without sex in T only
    assert _cell(kommun, "2417", 0, "okänd", "M") == 1
    assert _cell(kommun, "2417", 0, "Fiskebrott", "K") == 1
    assert _cell(kommun, "24", 3, ALL, "T") == 6  # Sorsele's undated row is in no year
    assert "0114" not in set(kommun["area_id"])  # not a kommun here: in no figure


def test_two_imports_count_twice_and_replacing_one_follows(workspace) -> None:  # noqa: ANN001
    _store(workspace, "gränser", AREAS, "areas")
    _store(workspace, "utdrag.csv", _incidents(AWKWARD))
    _store(workspace, "utdrag_kopia.csv", _incidents(AWKWARD, prefix="k"))
    frames = _check(workspace)
    kommun = count_cube(frames, period="2024", source="incidents", taxonomy=TAXONOMY)
    assert _cell(kommun, "2417", 3, ALL, "T") == 12  # two datasets: both counted
    # the copy replaced by a file with Sorsele's 2024 only: the cube is the workspace's now
    _store(workspace, "utdrag_kopia.csv", _incidents([r for r in AWKWARD if r[0] == "2422"
                                                      and r[1] == 2024], prefix="k"))
    frames = _check(workspace)
    kommun = count_cube(frames, period="2024", source="incidents", taxonomy=TAXONOMY)
    assert _cell(kommun, "2417", 3, ALL, "T") == 6
    assert _cell(kommun, "2422", 2, ALL, "M") == 2  # Olaga hot, twice


def test_empty_incidents_table_and_none_at_all(workspace) -> None:  # noqa: ANN001
    _store(workspace, "gränser", AREAS, "areas")
    assert workspace.incident_cube().empty  # no incidents table (GeoPackage) / no rows
    _check(workspace)
    _store(workspace, "utdrag.csv", _incidents(AWKWARD[:1]))
    _store(workspace, "utdrag.csv", _incidents(AWKWARD[:0]))  # replaced by nothing
    cube = workspace.incident_cube()
    assert cube.empty and list(cube.columns) == list(CUBE_COLUMNS)
    frames = _check(workspace)
    kommun = count_cube(frames, period="2024", source="incidents", taxonomy=TAXONOMY)
    assert (kommun["count"] == 0).all() and len(kommun) > 0


def test_no_file_yet(tmp_path: Path) -> None:
    ws = GpkgWorkspace(tmp_path / "ny.gpkg")
    pd.testing.assert_frame_equal(ws.incident_cube(), cube_of(ws.read_incidents()))
    assert not ws.path.exists()  # reading did not create it


def test_older_geopackage_without_age_group(tmp_path: Path) -> None:
    """A workspace written before incidents had an age group: every row's is missing."""
    ws = GpkgWorkspace(tmp_path / "gammal.gpkg")
    _store(ws, "gränser", AREAS, "areas")
    _store(ws, "utdrag.csv", _incidents(AWKWARD))
    with contextlib.closing(sqlite3.connect(ws.path)) as con:
        con.execute('ALTER TABLE incidents DROP COLUMN "age_group"')
        con.commit()
    cube = ws.incident_cube()
    assert cube["age_group"].isna().all() and int(cube["count"].sum()) == len(AWKWARD)
    _check(ws)


# --- the frames ---------------------------------------------------------------------------------
def test_frames_replaced_incidents_count_their_own(tmp_path_factory) -> None:  # noqa: ANN001
    """`dataclasses.replace(frames, incidents=…)` (as tests and the part-year figures cut a
    kommun's rows) must not keep the store's cube of the old rows."""
    frames = load_frames(GpkgWorkspace(shared_demo(tmp_path_factory)))
    first = str(frames.kommuner["area_id"].iloc[0])
    cut = dataclasses.replace(frames, incidents=frames.incidents[
        frames.incidents["area_id"].astype(str) != first])
    assert not _from_store(cut)
    assert first not in set(cut.incident_cube["area_id"].dropna())
    period = str(int(frames.incidents["year"].max()))
    new = count_cube(cut, period=period, source="incidents", taxonomy=TAXONOMY)
    pd.testing.assert_frame_equal(new, rows_count_cube(cut, period=period, taxonomy=TAXONOMY))
    assert (new.loc[new["area_id"] == first, "count"] == 0).all()


def test_a_commit_between_the_reads_keeps_the_rows_count(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process importing between the cube and the rows: the frames count their rows
    (the store's cube would hold the other state)."""
    ws = GpkgWorkspace(tmp_path / "ws.gpkg")
    _store(ws, "gränser", AREAS, "areas")
    _store(ws, "utdrag.csv", _incidents(AWKWARD))
    counted = ws.incident_cube

    def then_import() -> pd.DataFrame:
        cube = counted()
        _store(ws, "mer.csv", _incidents(AWKWARD[:3], prefix="m"))
        return cube

    monkeypatch.setattr(ws, "incident_cube", then_import)
    monkeypatch.setattr(GpkgWorkspace, "counts_in_store", True)  # as PostGIS: the store counts
    frames = load_frames(ws)
    assert not _from_store(frames)
    assert int(frames.incident_cube["count"].sum()) == len(AWKWARD) + 3


# --- the figures moved to the cube ------------------------------------------------------------
def _layers() -> list:
    from lagesbild.core.layers import LayerSpec

    base = dict(title_sv="x", title_en="x", kind="incident_rate")
    return [LayerSpec(id="misshandel_hot", categories=("Misshandel", "OLAGA HOT"), **base),
            LayerSpec(id="grovt", pyramid_level=3, categories=("Misshandel",), **base),
            LayerSpec(id="utanfor", pyramid_level=0, **base),
            LayerSpec(id="fiske", categories=("Fiskebrott",), **base)]


@pytest.mark.parametrize("where", ["demo", "awkward"])
def test_layer_counts_from_the_cube_equal_the_rows(where: str, tmp_path: Path, tmp_path_factory,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An incident layer of some categories (the map's count, its rate, its age table, whether
    the victim's sex is known) is the same from the cube as from the rows."""
    from lagesbild.analysis import figures, layer_cube
    from lagesbild.analysis.age import age_counts
    from lagesbild.analysis.known import sex_known
    from lagesbild.core.settings import Settings

    if where == "demo":
        ws = GpkgWorkspace(shared_demo(tmp_path_factory))
    else:
        ws = GpkgWorkspace(tmp_path / "ws.gpkg")
        _store(ws, "gränser", AREAS, "areas")
        _store(ws, "utdrag.csv", _incidents(AWKWARD))
    frames = load_frames(ws)
    settings = Settings(suppress_below=5)

    def figures_of(f: Frames) -> dict:
        out = {}
        for spec in _layers():
            for period in incident_periods_of(f):
                out[spec.id, period] = (
                    figures._filtered_counts(f, spec, period=period, taxonomy=TAXONOMY),
                    age_counts(f, spec, period=period, taxonomy=TAXONOMY),
                    figures.layer_figures(f, spec, period=period, sex="K", taxonomy=TAXONOMY,
                                          settings=settings),
                    sex_known(f, period, "incidents"))
        return out

    cube = figures_of(frames)
    monkeypatch.setattr(layer_cube, "served_by_cube", lambda spec: False)
    rows = figures_of(dataclasses.replace(frames))  # its own memo, counted from the rows
    assert cube.keys() == rows.keys() and len(cube) >= 4
    for key, (counts, ages, shown, known) in cube.items():
        pd.testing.assert_frame_equal(counts, rows[key][0])
        pd.testing.assert_frame_equal(ages, rows[key][1], check_index_type=False)
        pd.testing.assert_frame_equal(shown, rows[key][2])
        ids = set(frames.areas["area_id"].astype(str))  # a code outside the workspace: no view
        assert frozenset(known & ids) == _sex_known_from_rows(frames, key[1])
    if where == "awkward":
        counts = cube["misshandel_hot", "2024"][0].set_index(["area_id", "sex"])["count"]
        assert counts[("2417", "T")] == 5 and counts[("2417", "K")] == 3
        assert counts[("2422", "M")] == 1  # "OLAGA HOT" is Olaga hot
        fiske = cube["fiske", "2024"][0].set_index(["area_id", "sex"])["count"]
        assert fiske[("2417", "K")] == 1 and fiske[("24", "T")] == 1


def incident_periods_of(frames: Frames) -> list[str]:
    return sorted({str(y) for y in frames.incidents["year"].dropna()})


def _sex_known_from_rows(frames: Frames, period: str) -> frozenset[str]:
    """`known.sex_known(…, "incidents")` as it was, from the rows."""
    from lagesbild.analysis.cube import incident_rows

    rows = incident_rows(frames, period)
    areas = frames.incidents["area_id"].iloc[rows].astype(str)
    told = frames.incidents["victim_sex"].iloc[rows].isin(["K", "M"]).to_numpy()
    known = set(areas[told].unique())
    kommuner = frames.kommuner["area_id"].astype(str)
    if known:
        known |= set(kommuner) - set(areas.unique())
    known |= {c for c in frames.lan["area_id"].astype(str)
              if all(k in known for k in kommuner if k[:2] == c[:2])}
    return frozenset(k for k in known if k in set(frames.areas["area_id"].astype(str)))


def test_the_cube_is_counted_once_per_state_of_the_workspace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept with the derived tables (`store.derived`, keyed by the workspace's state): a second
    load of the same state reads it; an import makes it count again."""
    from lagesbild.store import derived

    monkeypatch.setenv(derived.ENV, str(tmp_path / "cache"))
    ws = GpkgWorkspace(tmp_path / "ws.gpkg")
    _store(ws, "gränser", AREAS, "areas")
    _store(ws, "utdrag.csv", _incidents(AWKWARD))
    calls = []
    counted = GpkgWorkspace.incident_cube

    def counting(self) -> pd.DataFrame:  # noqa: ANN001
        calls.append(1)
        return counted(self)

    # the suite's rule (conftest) would switch the kept tables off under a swap: not here
    swap = lambda *args: pytest.MonkeyPatch.setattr(monkeypatch, *args)  # noqa: E731
    swap(GpkgWorkspace, "incident_cube", counting)
    # a GeoPackage counts the rows it read (SQLite's GROUP BY sorts them all: slower)
    first = load_frames(ws).incident_cube
    assert calls == []
    pd.testing.assert_frame_equal(first, counted(ws))
    # a store that counts faster (PostGIS): asked once per state of the workspace
    swap(GpkgWorkspace, "counts_in_store", True)
    _store(ws, "mer.csv", _incidents(AWKWARD[:3], prefix="m"))
    later = load_frames(ws)
    assert calls == [1] and _from_store(later)
    assert int(later.incident_cube["count"].sum()) == len(AWKWARD) + 3
    again = load_frames(ws)
    assert calls == [1] and _from_store(again)
    pd.testing.assert_frame_equal(again.incident_cube, later.incident_cube)
