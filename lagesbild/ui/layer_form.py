"""Data: a form adding the coordinator's own map layer, written as the same TOML a person writes.

The file goes to the workspace's own layers folder (`layers.own_layers_dir`: "demo_lager/"
beside "demo.gpkg"), not to the shared layers directory: a coordinator's layer belongs to the
workspace whose data it shows, survives an update of the tool (the shared directory is the
tool's own), and travels with the workspace (copy the folder with the .gpkg; a snapshot freezes
it). Every rule is checked before anything is written (`core.layer_check.check_layer`, the same
check the app makes when it reads a hand-written file).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from lagesbild.core.errors import InputError
from lagesbild.core.layer_check import KINDS, SCHEME_NAMES, check_layer, layer_toml
from lagesbild.core.layers import known_categories, known_indicators, own_layers_dir
from lagesbild.ui import common

KIND_NAMES = {"count_rate": ("Anmälda brott per 100 000 inv. (Brå-tabell)",
                             "Reported crimes per 100,000 (Brå table)"),
              "incident_rate": ("Brott per 100 000 inv. (polisens utdrag)",
                                "Crimes per 100,000 (police extract)"),
              "indicator": ("Enkätindikator (%)", "Survey indicator (%)"),
              "coverage": ("Programtäckning (%)", "Programme coverage (%)")}


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def layer_data(values: dict[str, object]) -> dict[str, object]:
    """The form's values as a layer file's keys: only those its kind uses, blanks left out."""
    kind = str(values.get("kind", ""))
    data: dict[str, object] = {"id": str(values.get("id", "")).strip(),
                               "title_sv": str(values.get("title_sv", "")).strip(), "kind": kind}
    if str(values.get("title_en", "")).strip():
        data["title_en"] = str(values["title_en"]).strip()
    if kind == "indicator":
        data["indicator"] = str(values.get("indicator") or "")
    if kind in ("count_rate", "incident_rate"):
        data["categories"] = _list(str(values.get("categories", "")))
        level = values.get("pyramid_level")
        if level not in (None, "", 0):
            data["pyramid_level"] = int(level)  # type: ignore[arg-type]
    if kind == "coverage":
        data["programmes"] = _list(str(values.get("programmes", "")))
    data.update(scheme=str(values.get("scheme", "quantiles")), k=int(values.get("k", 5)),  # type: ignore[arg-type]
                colors=str(values.get("colors", "")).strip(), order=int(values.get("order", 50)))  # type: ignore[arg-type]
    return data


def save_layer(ctx: common.Context, data: dict[str, object]) -> Path:
    """Check `data` against every layer the app knows and write it to the workspace's own
    folder; an InputError (nothing written) when a rule is broken."""
    specs, _, _ = common.specs(ctx)
    folder = ctx.settings.own_layers_dir or own_layers_dir(ctx.workspace.files_path)
    file = f"{data.get('id', '')}.toml"
    base = ctx.settings.layers_dir
    check_layer(data, file=f"{folder.name}/{file}", taken={i: s.file for i, s in specs.items()},
                known_categories=known_categories(base) or set(),
                known_indicators=known_indicators(base, folder) or set())
    target = folder / file
    if target.exists():  # an id changed by hand in that file: never overwrite it
        raise InputError(f"Filen {folder.name}/{file} finns redan.", file=f"{folder.name}/{file}",
                         field="id", fix="Välj ett annat id eller ta bort filen.")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{file}.tmp-{os.getpid()}"
    tmp.write_text(layer_toml(data, comment="Eget lager, sparat från sidan Data."),
                   encoding="utf-8")
    os.replace(tmp, target)  # whole or not at all
    return target


def render(ctx: common.Context) -> None:
    if not ctx.access.may_import:  # layer files are the workspace owners' (core.access)
        return
    en = ctx.lang == "en"
    _, _, meta = common.specs(ctx)
    folder = ctx.settings.own_layers_dir or own_layers_dir(ctx.workspace.files_path)
    if saved := st.session_state.pop("lf_saved", None):
        st.success(saved)
    with st.expander("Add a map layer of your own" if en else "Lägg till ett eget kartlager"):
        st.caption((f"Saved as TOML in {folder} (beside the workspace: copy it with the "
                    "workspace; snapshots freeze it). The fields are those of layers/*.toml "
                    "(see the README).") if en else
                   (f"Sparas som TOML i {folder} (bredvid arbetsytan: kopiera mappen med "
                    "arbetsytan; ögonblicksbilder fryser den). Fälten är desamma som i "
                    "layers/*.toml (se README)."))
        with st.form("layer_form", clear_on_submit=False):
            c1, c2 = st.columns(2)
            values: dict[str, object] = {
                "id": c1.text_input("Id (file name)" if en else "Id (filnamn)", key="lf_id",
                                    placeholder="a–z, 0–9, _" if en else "a–z, 0–9, _ (utan å, ä, ö)"),
                "kind": c2.selectbox("Kind" if en else "Typ", KINDS, key="lf_kind",
                                     format_func=lambda k: KIND_NAMES[k][1 if en else 0]),
                "title_sv": c1.text_input("Title (Swedish)" if en else "Titel (svenska)",
                                          key="lf_title_sv"),
                "title_en": c2.text_input("Title (English, optional)" if en else
                                          "Titel (engelska, valfri)", key="lf_title_en"),
                "indicator": c1.selectbox(
                    "Indicator (survey layers)" if en else "Indikator (enkätlager)",
                    ["", *sorted(meta)], key="lf_indicator",
                    format_func=lambda i: "–" if not i else str(
                        meta[i].get("title_en" if en else "title_sv") or meta[i].get("title_sv")
                        or i)),
                "categories": c2.text_input(
                    "Crime categories, comma-separated (crime layers)" if en else
                    "Brottskategorier, kommaseparerade (brottslager)", key="lf_categories",
                    placeholder="Misshandel, Grov misshandel"),
                "pyramid_level": c1.selectbox(
                    "Pyramid level (crime layers, optional)" if en else
                    "Pyramidnivå (brottslager, valfri)", ["", 1, 2, 3], key="lf_level",
                    format_func=lambda v: "–" if v == "" else str(v)),
                "programmes": c2.text_input(
                    "Programmes, comma-separated (coverage layers)" if en else
                    "Program, kommaseparerade (täckningslager)", key="lf_programmes"),
                "colors": c1.text_input("Colour scheme (ColorBrewer)" if en else
                                        "Färgskala (ColorBrewer)", value="YlOrRd",
                                        key="lf_colors"),
                "scheme": c2.selectbox("Classes" if en else "Klassindelning", SCHEME_NAMES,
                                       key="lf_scheme"),
                "k": c1.number_input("Number of classes" if en else "Antal klasser",
                                     min_value=2, max_value=9, value=5, key="lf_k"),
                "order": c2.number_input("Order in the lists" if en else "Ordning i listorna",
                                         min_value=0, max_value=9999, value=50, key="lf_order"),
            }
            submitted = st.form_submit_button("Save the layer" if en else "Spara lagret")
        if submitted:
            try:
                target = save_layer(ctx, layer_data(values))
            except InputError as exc:
                st.error(str(exc))  # nothing was written
                return
            st.session_state["lf_saved"] = (
                f"The layer was saved in {target}; it is now on Karta and Jämförelse." if en
                else f"Lagret sparades i {target}; det finns nu på Karta och Jämförelse.")
            common.forget_layer_stamps()  # read at once, not within a second
            st.rerun()  # the layer list and every page read the new file
