"""Data: a form adding the coordinator's own survey indicator to the workspace's own
indicators.toml (in the folder `layers.own_layers_dir`, beside the workspace; see
`ui.layer_form` for why there). Checked by `core.layer_check.check_indicator`, the same check
the app makes when it reads a hand-written file, before anything is written. An imported survey
table may then use the id, and a map layer may show it (the layer form's indicator choice)."""

from __future__ import annotations

import os
import tomllib

import streamlit as st

from lagesbild.core.errors import InputError
from lagesbild.core.layer_check import POLARITIES, check_indicator, indicator_toml
from lagesbild.core.layers import known_categories, load_indicator_meta, own_layers_dir
from lagesbild.ui import common

POLARITY_NAMES = {"negative": ("Högre är sämre (t.ex. andel otrygga)", "Higher is worse"),
                  "positive": ("Högre är bättre (t.ex. trygghet)", "Higher is better")}


def indicator_data(values: dict[str, object]) -> tuple[str, dict[str, object]]:
    """(id, the keys of its [id] table) from the form's values, blanks left out."""
    data: dict[str, object] = {
        key: str(values.get(key, "")).strip()
        for key in ("title_sv", "title_en", "survey_sv", "survey_en")}
    data = {k: v for k, v in data.items() if v or k == "title_sv"}
    data.update(unit="percent", polarity=str(values.get("polarity", "negative")))
    categories = [c.strip() for c in str(values.get("reported_categories", "")).split(",")
                  if c.strip()]
    if categories:
        data["reported_categories"] = categories
    return str(values.get("id", "")).strip(), data


def save_indicator(ctx: common.Context, indicator_id: str, data: dict[str, object]) -> None:
    """Check and append `[indicator_id]` to the workspace's own indicators.toml; an InputError
    (nothing written) when a rule is broken."""
    base = ctx.settings.layers_dir
    folder = ctx.settings.own_layers_dir or own_layers_dir(ctx.workspace.files_path)
    name = f"{folder.name}/indicators.toml"
    shared = load_indicator_meta(base)
    every = load_indicator_meta(base, folder)
    taken = {i: ("indicators.toml" if i in shared else name) for i in every}
    check_indicator(indicator_id, data, file=name, taken=taken,
                    known_categories=known_categories(base) or set())
    path = folder / "indicators.toml"
    before = path.read_text(encoding="utf-8") if path.is_file() else (
        "# Egna enkätindikatorer för den här arbetsytan (se layers/indicators.toml).\n")
    text = before.rstrip("\n") + "\n\n" + indicator_toml(indicator_id, data)
    tomllib.loads(text)  # the whole file still reads
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".indicators.toml.tmp-{os.getpid()}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # whole or not at all


def render(ctx: common.Context) -> None:
    if not ctx.access.may_import:  # layer files are the workspace owners' (core.access)
        return
    en = ctx.lang == "en"
    if saved := st.session_state.pop("if_saved", None):
        st.success(saved)
    with st.expander("Add a survey indicator of your own" if en else
                     "Lägg till en egen enkätindikator"):
        with st.form("indicator_form", clear_on_submit=False):
            c1, c2 = st.columns(2)
            values: dict[str, object] = {
                "id": c1.text_input("Id" if en else "Id", key="if_id",
                                    placeholder="a–z, 0–9, _" if en else "a–z, 0–9, _ (utan å, ä, ö)"),
                "polarity": c2.selectbox("Direction" if en else "Riktning", POLARITIES,
                                         key="if_polarity",
                                         format_func=lambda p: POLARITY_NAMES[p][1 if en else 0]),
                "title_sv": c1.text_input("Title (Swedish)" if en else "Titel (svenska)",
                                          key="if_title_sv"),
                "title_en": c2.text_input("Title (English, optional)" if en else
                                          "Titel (engelska, valfri)", key="if_title_en"),
                "survey_sv": c1.text_input("Survey (Swedish, optional)" if en else
                                           "Enkät (svenska, valfri)", key="if_survey_sv"),
                "survey_en": c2.text_input("Survey (English, optional)" if en else
                                           "Enkät (engelska, valfri)", key="if_survey_en"),
                "reported_categories": st.text_input(
                    "Reported crime categories it is compared with (optional, comma-separated)"
                    if en else "Anmälda brottskategorier den jämförs med (valfri, "
                               "kommaseparerade)", key="if_categories"),
            }
            submitted = st.form_submit_button("Save the indicator" if en else
                                              "Spara indikatorn")
        if submitted:
            indicator_id, data = indicator_data(values)
            try:
                save_indicator(ctx, indicator_id, data)
            except InputError as exc:
                st.error(str(exc))  # nothing was written
                return
            st.session_state["if_saved"] = (
                f"The indicator '{indicator_id}' was saved; survey tables may now use it."
                if en else f"Indikatorn '{indicator_id}' sparades; enkättabeller kan nu använda "
                           "den.")
            common.forget_layer_stamps()  # read at once, not within a second
            st.rerun()
