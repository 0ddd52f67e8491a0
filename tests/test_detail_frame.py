"""Karta's detail table (one row per sex, one column per area): built by hand, as the pivot
it replaced would show it."""

from __future__ import annotations

import pandas as pd

from lagesbild.ui.views import detail_frame


def _figures() -> pd.DataFrame:
    rows = []
    for area, name, level in (("24", "Västerbottens län", "lan"), ("2417", "Norsjö", "kommun")):
        for sex, count in (("T", 19), ("M", 11), ("K", 8)):
            rows.append({"area_id": area, "name": name, "level": level, "sex": sex,
                         "display": f"{count * 10} per 100 000 ({count} brott)"})
    return pd.DataFrame(rows)


def test_kommun_before_county_and_sexes_in_order_with_swedish_labels() -> None:
    wide = detail_frame(_figures(), "sv")
    assert list(wide.columns) == ["Kön", "Norsjö", "Västerbottens län"]
    assert list(wide["Kön"]) == ["Kvinnor", "Män", "Totalt"]
    assert wide.loc[0, "Norsjö"].startswith("80")
    assert wide.loc[2, "Västerbottens län"].startswith("190")


def test_a_missing_cell_is_a_dash_never_none_and_english_labels() -> None:
    figures = _figures()
    figures = figures[~((figures["area_id"] == "2417") & (figures["sex"] == "K"))]
    wide = detail_frame(figures, "en")
    assert wide.columns[0] == "Sex"
    assert list(wide.iloc[0]) == ["Women", "–", wide.iloc[0, 2]]
    assert "None" not in wide.to_string() and "nan" not in wide.to_string()
