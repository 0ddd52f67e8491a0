"""Properties of an import over generated files (Hypothesis).

1. Any file shaped like a real export of a clean crime table (another encoding, a BOM, another
   separator or line ending, title rows above the header and notes below, columns in another
   order or one more, categories in other case and spacing, other words for the sexes) gives
   exactly the clean file's figures; rows that cannot be read are rejected on their own row
   naming the file's row and column, and the rest still gives the clean figures.
2. Importing the same content again never changes a figure: under the same name it replaces
   itself, under another name (or re-encoded) it is refused.
"""

from __future__ import annotations

import csv
import io
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lagesbild.core.errors import InputError
from lagesbild.store import importer
from lagesbild.store.gpkg import GpkgWorkspace

KOMMUNER = {"2417": "Norsjö", "2422": "Sorsele"}
CATEGORIES = ("Misshandel", "Våldtäkt", "Olaga hot", "Ofredande")
SEX_WORDS = {"K": ("Kvinnor", "kvinna", "K"), "M": ("Män", "man", "M"),
             "T": ("Totalt", "totalt", "Samtliga")}
HEADER = ("Kommun", "Kommunkod", "År", "Brottskategori", "Kön", "Antal")

cells = st.dictionaries(
    keys=st.tuples(st.sampled_from(sorted(KOMMUNER)), st.sampled_from(("2022", "2023", "2024")),
                   st.sampled_from(CATEGORIES)),
    values=st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 20)),
    min_size=1, max_size=8)


def _rows(table: dict) -> list[tuple[str, str, str, str, str, int]]:
    """(kommun, code, year, category, sex, count) per cell: K, M and T = K + M + unknown."""
    out = []
    for (code, year, category), (k, m, unknown) in sorted(table.items()):
        for sex, count in (("K", k), ("M", m), ("T", k + m + unknown)):
            out.append((KOMMUNER[code], code, year, category, sex, count))
    return out


def _clean(table: dict) -> bytes:
    lines = [";".join(HEADER)] + [";".join(map(str, r[:4])) + f";{r[4]};{r[5]}"
                                  for r in _rows(table)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _messy(table: dict, rnd: random.Random) -> tuple[bytes, list[str]]:
    """The same table as an office might export it; the list says what was done."""
    done = []
    order = list(range(len(HEADER)))
    header = list(HEADER)
    if rnd.random() < 0.5:
        rnd.shuffle(order)
        done.append("columns shuffled")
    extra = rnd.random() < 0.5
    rows = []
    for r in _rows(table):
        category = r[3]
        if rnd.random() < 0.4:
            category = rnd.choice((category.upper() + " ", " " + category.lower(), category))
        sex = rnd.choice(SEX_WORDS[r[4]])
        values = [r[0], r[1], r[2], category, sex, str(r[5])]
        rows.append([values[i] for i in order] + (["x"] if extra else []))
    head = [header[i] for i in order] + (["Kommentar"] if extra else [])
    sep = rnd.choice((";", "\t", ","))
    newline = rnd.choice(("\n", "\r\n"))
    # Excel's "save as CSV": a title in A1 is padded with empty cells and quoted when it
    # holds the separator
    pad = [""] * (len(head) - 1) if rnd.random() < 0.5 else []
    records: list[list[str]] = []
    if rnd.random() < 0.5:
        records += [["Anmälda brott efter kommun, år, brottskategori och kön", *pad], []]
        done.append("title rows")
    records += [head, *rows]
    if rnd.random() < 0.5:
        records += [[], ["Källa: Brottsförebyggande rådet (Brå)", *pad]]
        done.append("footnotes")
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator=newline).writerows(records)
    text = out.getvalue()
    encoding = rnd.choice(("utf-8", "utf-8-sig", "cp1252"))
    done += [f"sep {sep!r}", f"encoding {encoding}", f"newline {newline!r}"]
    return text.encode(encoding), done


_TEMPLATE: dict[str, Path] = {}


def _workspace(folder: Path) -> GpkgWorkspace:
    """A workspace holding the two kommuner: a copy of one made once per process."""
    import shutil

    if "path" not in _TEMPLATE:
        home = Path(tempfile.mkdtemp(prefix="lagesbild-props-"))
        _TEMPLATE["path"] = _new_workspace(home).path
    shutil.copyfile(_TEMPLATE["path"], folder / "ws.gpkg")
    return GpkgWorkspace(folder / "ws.gpkg")


def _new_workspace(folder: Path) -> GpkgWorkspace:
    import geopandas as gpd
    from shapely.geometry import box

    from lagesbild.core import schema

    areas = schema.conform(gpd.GeoDataFrame({
        "area_id": list(KOMMUNER), "level": "kommun", "code": list(KOMMUNER),
        "name": list(KOMMUNER.values()), "parent_id": "24", "source": "gränser"},
        geometry=[box(700_000, 7_190_000, 710_000, 7_200_000),
                  box(710_000, 7_190_000, 720_000, 7_200_000)], crs=schema.CRS_STORE), "areas")
    ws = GpkgWorkspace(folder / "ws.gpkg")
    importer.store_boundaries(ws, areas, name="gränser")
    return ws


def _figures(ws: GpkgWorkspace) -> dict[tuple[str, str, str, str], int]:
    """What every view counts from: the stored crime counts per area, year, category, sex."""
    stored = ws.read("incident_counts")
    return {(str(a), str(p), str(c), str(s)): int(n) for a, p, c, s, n in zip(
        stored["area_id"], stored["period"], stored["category"], stored["sex"], stored["count"])}


def _expected(table: dict) -> dict[tuple[str, str, str, str], int]:
    return {(r[1], r[2], r[3], r[4]): r[5] for r in _rows(table)}


PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(table=cells, seed=st.integers(0, 2**32 - 1))
def test_a_messy_export_gives_the_clean_figures(table: dict, seed: int) -> None:
    rnd = random.Random(seed)
    data, done = _messy(table, rnd)
    with tempfile.TemporaryDirectory() as folder:
        ws = _workspace(Path(folder))
        source = Path(folder) / "anmalda.csv"
        source.write_bytes(data)
        result = importer.import_file(ws, "crime_counts", source, name="brå")
        assert not result.rejected, (done, [r.reason for r in result.rejected])
        assert _figures(ws) == _expected(table), done


@PROPERTY
@given(table=cells, seed=st.integers(0, 2**32 - 1),
       bad=st.sampled_from(("abc", "-3", "12,5", "2031")))
def test_a_bad_row_is_rejected_on_its_row_and_the_rest_stands(table: dict, seed: int,
                                                              bad: str) -> None:
    rnd = random.Random(seed)
    clean = _clean(table).decode("utf-8").splitlines()
    # one more row, for a cell the table lacks, whose count (or year) cannot be true
    field = "År" if bad == "2031" else "Antal"
    row = (f"Sorsele;2422;{bad};Rån;Totalt;4" if field == "År"
           else f"Sorsele;2422;2021;Rån;Totalt;{bad}")
    at = rnd.randint(1, len(clean))
    lines = clean[:at] + [row] + clean[at:]
    with tempfile.TemporaryDirectory() as folder:
        ws = _workspace(Path(folder))
        source = Path(folder) / "anmalda.csv"
        source.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        result = importer.import_file(ws, "crime_counts", source, name="brå")
        assert [(r.row, r.field) for r in result.rejected] == [(at + 1, field)]
        assert result.rejected[0].file == "anmalda.csv" and result.rejected[0].reason
        assert _figures(ws) == _expected(table)


@PROPERTY
@given(table=cells, seed=st.integers(0, 2**32 - 1))
def test_the_same_content_again_never_changes_a_figure(table: dict, seed: int) -> None:
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        ws = _workspace(Path(folder))
        first = Path(folder) / "anmalda.csv"
        first.write_bytes(_clean(table))
        importer.import_file(ws, "crime_counts", first, name="brå")
        before = _figures(ws)
        again, _ = _messy(table, rnd)
        second = Path(folder) / "anmalda_igen.csv"
        second.write_bytes(again)
        # under the same name: it replaces itself
        importer.import_file(ws, "crime_counts", second, name="brå")
        assert _figures(ws) == before
        # under another name: refused, naming the dataset that holds the rows
        with pytest.raises(InputError, match="brå"):
            importer.import_file(ws, "crime_counts", second, name="brå_kopia")
        assert _figures(ws) == before
        assert set(ws.datasets()["dataset"]) == {"gränser", "brå"}
