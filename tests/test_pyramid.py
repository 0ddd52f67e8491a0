"""The violence pyramid: the taxonomy file and counts per level that add up."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lagesbild.analysis.pyramid import count_pyramid, incident_pyramid
from lagesbild.core.taxonomy import ALL, load_taxonomy
from lagesbild.core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "layers" / "pyramid.toml")

SMALL = """
[[level]]
level = 3
categories = ["Misshandel", "Våldtäkt"]

[[level]]
level = 2
categories = ["Olaga hot"]
"""


def test_real_taxonomy_has_three_levels_top_first() -> None:
    assert [lv.level for lv in TAXONOMY.levels] == [3, 2, 1]
    top = TAXONOMY.get(3)
    assert "Misshandel" in top.categories and "Våldtäkt" in top.categories
    assert "Olaga hot" in TAXONOMY.get(2).categories
    assert TAXONOMY.get(1).categories == ()
    assert TAXONOMY.indicator_level("sexistiska_kommentarer") == 1
    assert TAXONOMY.indicator_level("utsatt_misshandel") == 3
    assert TAXONOMY.indicator_level("otrygghet") is None
    with pytest.raises(KeyError):
        TAXONOMY.get(0)


def test_level_of_is_case_insensitive_and_unknown_is_outside() -> None:
    cats = pd.Series(["misshandel", "GROV MISSHANDEL", " Olaga hot ", "Stöld och snatteri", None,
                      "Sexuellt Ofredande"], index=[10, 11, 12, 13, 14, 15])
    levels = TAXONOMY.level_of(cats)
    assert levels.tolist() == [3, 3, 2, 0, 0, 2]
    assert levels.index.tolist() == [10, 11, 12, 13, 14, 15]


def test_level_of_categories_is_level_of_their_text() -> None:
    """The incidents' categories (a categorical column, `core.frames.compact_incidents`) get
    each row the level its text gets: case, spaces, missing and unknown names alike, on the
    rows' own index (a year's rows of the table)."""
    text = pd.Series(["Misshandel", " misshandel ", None, "Våldtäkt", "okänt", "MORD", None,
                      "Misshandel"], index=[7, 3, 9, 0, 2, 5, 1, 4], dtype="str")
    as_categories = text.astype("category")
    got = TAXONOMY.level_of(as_categories)
    pd.testing.assert_series_equal(got, TAXONOMY.level_of(text))
    assert list(got.index) == [7, 3, 9, 0, 2, 5, 1, 4] and got.loc[9] == 0
    subset = as_categories.iloc[[2, 3]]  # categories not present in the rows: no matter
    pd.testing.assert_series_equal(TAXONOMY.level_of(subset), TAXONOMY.level_of(text.iloc[[2, 3]]))
    # PostGIS's Arrow-backed strings, and plain objects: the same levels row by row
    want = [3, 3, 0, 3, 0, 0, 0, 3]  # MORD is not a category of the pyramid
    for dtype in ("string[pyarrow]", "string[python]", object):
        got = TAXONOMY.level_of(text.astype(dtype))
        assert got.tolist() == want and list(got.index) == [7, 3, 9, 0, 2, 5, 1, 4], dtype
    assert TAXONOMY.level_of(pd.Series([], dtype="string")).tolist() == []


def _write(tmp_path: Path, text: str, name: str = "pyramid.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "field"), [
    (SMALL.replace("level = 2", "level = 4"), "level"),
    (SMALL.replace("level = 2", "level = 0"), "level"),
    (SMALL.replace("level = 2", 'level = "två"'), "level"),
    (SMALL.replace('["Olaga hot"]', '["Olaga hot", "MISSHANDEL"]'), "categories"),
    (SMALL.replace('["Olaga hot"]', '["Olaga hot", "Våldtäkt "]'), "categories"),
    (SMALL.replace("level = 2", "level = 3"), "level"),  # one level twice
])
def test_bad_taxonomy_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text, "min_pyramid.toml")
    with pytest.raises(InputError) as info:
        load_taxonomy(path)
    assert "min_pyramid.toml" in str(info.value)
    assert info.value.file == "min_pyramid.toml"
    assert info.value.field == field
    assert f"'{field}'" in str(info.value)


def test_taxonomy_syntax_error_names_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[[level]\nlevel = 3\n", "trasig.toml")
    with pytest.raises(InputError, match="trasig.toml"):
        load_taxonomy(path)


def test_small_taxonomy_defaults(tmp_path: Path) -> None:
    tax = load_taxonomy(_write(tmp_path, SMALL))
    assert [lv.level for lv in tax.levels] == [3, 2]
    assert tax.get(2).title_sv == "Nivå 2" and tax.get(2).title_en == "Level 2"
    assert tax.get(3).indicators == ()


def _cell(cube: pd.DataFrame, level: int, category: str, sex: str) -> int:
    match = cube[(cube["level"] == level) & (cube["category"] == category) & (cube["sex"] == sex)]
    assert len(match) == 1, (level, category, sex)
    return int(match["count"].iloc[0])


def test_incident_pyramid_by_hand() -> None:
    incidents = pd.DataFrame({
        "category": ["Misshandel", "misshandel", "Våldtäkt", "Olaga hot", "Stöld och snatteri", None],
        "victim_sex": ["K", "M", "K", None, "M", "K"],
    })
    cube = incident_pyramid(incidents, TAXONOMY)
    assert list(cube.columns) == ["level", "category", "sex", "count"]
    assert _cell(cube, 3, ALL, "K") == 2 and _cell(cube, 3, ALL, "M") == 1
    assert _cell(cube, 3, ALL, "T") == 3
    assert _cell(cube, 2, ALL, "T") == 1 and _cell(cube, 2, ALL, "K") == 0
    assert _cell(cube, 2, ALL, "M") == 0  # unknown sex counts only in T
    assert _cell(cube, 0, ALL, "T") == 2 and _cell(cube, 0, "okänd", "K") == 1
    # category spelling kept as it came, level totals first in each level
    assert set(cube.loc[cube["level"] == 3, "category"]) == {ALL, "Misshandel", "misshandel", "Våldtäkt"}
    assert cube["level"].tolist() == sorted(cube["level"], reverse=True)
    assert (cube.groupby("level")["category"].first() == ALL).all()


def test_empty_input_still_has_every_level_total() -> None:
    cube = incident_pyramid(pd.DataFrame({"category": [], "victim_sex": []}), TAXONOMY)
    totals = cube[cube["category"] == ALL]
    assert sorted(zip(totals["level"], totals["sex"])) == sorted(
        (lv, s) for lv in (3, 2, 0) for s in "KMT")
    assert (totals["count"] == 0).all()


def test_level_one_categories_are_not_lost(tmp_path: Path) -> None:
    tax = load_taxonomy(_write(tmp_path, SMALL + '\n[[level]]\nlevel = 1\ncategories = ["Förtal"]\n'))
    cube = incident_pyramid(pd.DataFrame({"category": ["Förtal", "Misshandel"],
                                          "victim_sex": ["K", "M"]}), tax)
    assert _cell(cube, 1, "Förtal", "K") == 1 and _cell(cube, 1, ALL, "T") == 1
    assert cube.loc[cube["category"] == ALL].groupby("sex")["count"].sum()["T"] == 2


def test_count_pyramid_by_hand() -> None:
    counts = pd.DataFrame({
        "category": ["Misshandel"] * 3 + ["Olaga hot"] * 3 + ["Skadegörelse", "Misshandel"],
        "sex": ["K", "M", "T", "K", "M", "T", "T", "X"],
        "count": [4, 6, 11, 2, 2, 4, 30, 99],
    })
    cube = count_pyramid(counts, TAXONOMY)
    assert _cell(cube, 3, ALL, "T") == 11 and _cell(cube, 3, "Misshandel", "K") == 4
    assert _cell(cube, 2, ALL, "M") == 2 and _cell(cube, 0, ALL, "T") == 30
    assert _cell(cube, 0, ALL, "K") == 0
    assert "X" not in set(cube["sex"])


CATEGORIES = ["Misshandel", "MISSHANDEL", "Våldtäkt", "Olaga hot", "sexuellt ofredande",
              "Skadegörelse", "Stöld och snatteri"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CATEGORIES), st.sampled_from(["K", "M", None])),
                max_size=60))
def test_incident_pyramid_adds_up(rows: list[tuple[str, str | None]]) -> None:
    incidents = pd.DataFrame(rows, columns=["category", "victim_sex"]).astype("string")
    cube = incident_pyramid(incidents, TAXONOMY)
    totals = cube[cube["category"] == ALL].groupby("sex")["count"].sum()
    sexes = incidents["victim_sex"]
    # the level totals cover every incident once: per sex, and T counts them all
    assert totals["T"] == len(incidents)
    assert totals["K"] == int((sexes == "K").sum())
    assert totals["M"] == int((sexes == "M").sum())
    wide = cube.pivot_table(index=["level", "category"], columns="sex", values="count",
                            fill_value=0).reindex(columns=list("KMT"), fill_value=0)
    assert (wide["K"] + wide["M"] <= wide["T"]).all()
    # the categories of a level add up to its total, for every sex
    cats = cube[cube["category"] != ALL].groupby(["level", "sex"])["count"].sum()
    for (level, sex), value in cube[cube["category"] == ALL].set_index(["level", "sex"])["count"].items():
        assert cats.get((level, sex), 0) == value


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CATEGORIES), st.integers(0, 50), st.integers(0, 50),
                          st.integers(0, 5)), max_size=15))
def test_count_pyramid_adds_up(rows: list[tuple[str, int, int, int]]) -> None:
    records = []
    for cat, k, m, unknown in rows:
        records += [(cat, "K", k), (cat, "M", m), (cat, "T", k + m + unknown)]
    counts = pd.DataFrame(records, columns=["category", "sex", "count"])
    cube = count_pyramid(counts, TAXONOMY)
    totals = cube[cube["category"] == ALL].groupby("sex")["count"].sum()
    for sex in "KMT":
        assert totals[sex] == counts.loc[counts["sex"] == sex, "count"].sum()
    cats = cube[cube["category"] != ALL].groupby(["level", "sex"])["count"].sum()
    for (level, sex), value in cube[cube["category"] == ALL].set_index(["level", "sex"])["count"].items():
        assert cats.get((level, sex), 0) == value
