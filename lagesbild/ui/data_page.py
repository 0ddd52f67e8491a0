"""Data: what the workspace holds, with the source and import time of each dataset."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from lagesbild.store.importer import KIND_TITLES_EN, KIND_TITLES_SV
from lagesbild.ui import audit_trail, common, import_wizard, indicator_form, layer_form


# what a layer counts, by its kind (layers/*.toml)
LAYER_KINDS = {"count_rate": ("Anmälda brott (Brå-tabell)", "Reported crimes (Brå table)"),
               "incident_rate": ("Polisens utdrag", "Police extract"),
               "indicator": ("Enkätindikator", "Survey indicator"),
               "coverage": ("Programtäckning", "Programme coverage")}


def render(ctx: common.Context) -> None:
    st.title(ctx.t("page_data"))
    if common.require_workspace(ctx):
        _contents(ctx)
        audit_trail.render(ctx)  # the workspace's owners only
        st.divider()
    if ctx.access.may_import:  # imports, restores and layer files: the owners only
        import_wizard.render(ctx)


def _contents(ctx: common.Context) -> None:
    frames = common.frames(ctx)
    if "demo" in Path(ctx.workspace.label).name:
        st.info(ctx.t("demo_notice"))
    st.subheader(ctx.t("datasets"))
    ds = frames.datasets
    en = ctx.lang == "en"
    common.table(pd.DataFrame({
        "Dataset": ds["dataset"],
        "Type" if en else "Typ": [(KIND_TITLES_EN if en else KIND_TITLES_SV).get(k, k)
                                  for k in ds["kind"]],
        ctx.t("rows"): ds["rows"],
        "Rejected rows" if en else "Avvisade rader": ds["rejected"],
        ctx.t("period"): ds["period"],
        # stored in UTC; shown in Swedish time
        ctx.t("imported"): pd.to_datetime(ds["imported_at"], utc=True, format="ISO8601")
        .dt.tz_convert("Europe/Stockholm").dt.strftime("%Y-%m-%d %H:%M"),
    }))
    specs, taxonomy, meta = common.specs(ctx)
    with st.expander("Kartlager" if not en else "Map layers"):
        common.table(pd.DataFrame({
            ctx.t("layer"): [s.title(ctx.lang) for s in specs.values()],
            "Type" if en else "Typ": [LAYER_KINDS.get(s.kind, ("", ""))[1 if en else 0] or s.kind
                                      for s in specs.values()],
            "File" if en else "Fil": [f"{s.file}" for s in specs.values()]}))
    if ctx.access.may_import:
        layer_form.render(ctx)
        indicator_form.render(ctx)
    with st.expander("Våldspyramidens taxonomi (layers/pyramid.toml)" if not en else
                     "Pyramid taxonomy (layers/pyramid.toml)"):
        for level in taxonomy.levels:
            st.markdown(f"**{level.title_en if en else level.title_sv}**")
            st.write(", ".join(level.categories) or "–")
            st.write(", ".join(meta.get(i, {}).get("title_en" if en else "title_sv", i)
                               for i in level.indicators) or "–")


if __name__ == "__main__":  # run as a page by st.navigation
    render(common.context())
