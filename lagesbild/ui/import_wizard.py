"""The import wizard on the Data page: upload, preview, column mapping, check, import."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lagesbild.core.csv_out import csv_bytes
from lagesbild.core.errors import LagesbildError, os_error_line
from lagesbild.sources import tables
from lagesbild.sources.tables import ReadResult
from lagesbild.store import import_preview, importer
from lagesbild.ui import audit_trail, common, private_download

LEVELS = ["", "lan", "kommun", "regso", "deso", "stadsdel", "polisomrade", "custom"]
DONE = "imp_done"
# The uploader's English ("Upload", "200MB per file • CSV, …", the file's size "2.3KB") hidden;
# the button says "Välj fil" (drawn by CSS: the button's own text cannot be set).
UPLOADER_SV = """<style>
[data-testid="stFileUploaderDropzoneInstructions"],
[data-testid="stFileUploaderFile"] small { display: none; }
[data-testid="stFileUploaderDropzone"] button p { display: none; }
[data-testid="stFileUploaderDropzone"] button > div::after { content: "Välj fil"; }
</style>"""  # (file name, ReadResult) of the last import, shown after the rerun


def _kind_title(kind: str, lang: str) -> str:
    titles = importer.KIND_TITLES_EN if lang == "en" else importer.KIND_TITLES_SV
    return titles.get(kind, kind)


# fields whose English title is not their name with spaces
_FIELDS_EN = {"area_id": "Area code", "kommun_code": "Kommun code", "area_code": "Area code",
              "occurred_at": "Date", "n": "Respondents", "n_eff": "Effective respondents",
              "deff": "Design effect", "ci_low": "CI lower", "ci_high": "CI upper",
              "lat": "Latitude", "lon": "Longitude", "area_ids": "Area codes",
              "indicator_ids": "Indicators", "indicator_id": "Indicator", "site_id": "Site ID",
              "action_id": "Action ID"}


def field_title(key: str, aliases: tuple[str, ...] | list[str], en: bool) -> str:
    """A field of the file as the wizard names it: its usual Swedish column heading (the first
    of its aliases that reads as one, not an id like "kommun_kod"), or its English title."""
    if en:
        return _FIELDS_EN.get(key, key.replace("_", " ").capitalize())
    heading = next((a for a in aliases if "_" not in a), None)
    return heading[:1].upper() + heading[1:] if heading else key.replace("_", " ").capitalize()


def _options(kind: str, data: bytes, name: str, ctx: common.Context) -> dict[str, Any]:
    """The per-kind settings: boundary layer/level/CRS, year, and the column mapping."""
    en = ctx.lang == "en"
    options: dict[str, Any] = {}
    if kind == "boundaries":
        layers = import_preview.boundary_layers(data, name)
        if len(layers) > 1:
            options["layer"] = st.selectbox("Layer" if en else "Lager", layers, key="imp_layer")
        c1, c2 = st.columns(2)
        options["level"] = c1.selectbox("Level" if en else "Nivå", LEVELS, key="imp_level",
                                        format_func=lambda v: v or ("detect" if en else "känn igen"))
        options["assume_crs"] = c2.text_input(
            "CRS if the file has none" if en else "Koordinatsystem om filen saknar det",
            key="imp_crs", placeholder="EPSG:3006")
        c3, c4 = st.columns(2)
        options["code_column"] = c3.text_input(
            "Code column" if en else "Kodkolumn", key="imp_code_column",
            placeholder="detected" if en else "känns igen")
        options["parent_column"] = c4.text_input(
            "Kommun column" if en else "Kommunkolumn", key="imp_parent_column",
            placeholder="from the codes" if en else "från koderna")
    if kind == "incidents":  # the days the extract covers: a part year has no annual rate
        options["covers"] = st.text_input(
            "Days the extract covers (first:last), if more than its first to last event" if en
            else "Perioden utdraget täcker (första:sista), om mer än första till sista händelse",
            key="imp_covers", placeholder="2024-01-01:2024-12-31")
    if kind == "population_simple":
        options["year"] = int(st.number_input("Year" if en else "År", min_value=1990, max_value=2100,
                                              value=2024, step=1, key="imp_year"))
    spec = import_preview.expected_columns(kind)
    if spec is not None:
        options.update(_table_options(kind, data, name, spec, en))
    return options


def _table_options(kind: str, data: bytes, name: str, spec: tables.ColumnSpec,
                   en: bool) -> dict[str, Any]:
    """Sheet choice, preview and column mapping for a table file."""
    options: dict[str, Any] = {}
    sheets = import_preview.sheets(data, name)
    if len(sheets) > 1:
        options["sheet"] = st.selectbox("Sheet" if en else "Blad", sheets, key="imp_sheet")
    _forget_mapping_on_new_source(kind, name, data, options.get("sheet"))
    preview = import_preview.preview_table(data, name, sheet=options.get("sheet"))
    st.caption(("Preview" if en else "Förhandsvisning") + f": {preview.note}")
    st.dataframe(preview.rows, hide_index=True, width="stretch", height=230)
    detected = import_preview.detect_columns(preview.header, spec.columns)
    st.markdown("**" + ("Columns" if en else "Kolumner") + "**")
    st.caption("Choose the file's column for each field; leave empty when the file lacks it." if en
               else "Välj filens kolumn för varje fält; lämna tomt om filen saknar det.")
    required = set(spec.required())
    grouped = {k for group in spec.one_of for k in group}
    mapping: dict[str, str | None] = {}
    cols = st.columns(3)
    choices = [""] + list(preview.header)
    for i, key in enumerate(spec.columns):
        tag = ("" if key in required else
               (" (one of the groups)" if en else " (en av grupperna)") if key in grouped else
               (" (optional)" if en else " (valfri)"))
        default = choices.index(detected[key]) if detected.get(key) in choices else 0
        chosen = cols[i % 3].selectbox(f"{field_title(key, spec.columns[key], en)}{tag}",
                                       choices, index=default,
                                       placeholder="Choose a column" if en else "Välj kolumn",
                                       key=f"imp_map_{kind}_{key}",
                                       help=" / ".join(spec.columns[key]))
        if chosen and chosen != detected.get(key):
            mapping[key] = chosen
        elif not chosen and key in detected:
            mapping[key] = None  # the user says the detected column is not this field
    if spec.one_of:
        st.caption(("Coordinates: " if en else "Läge: ") + (" or " if en else " eller ").join(
            " + ".join(field_title(k, spec.columns[k], en) for k in group)
            for group in spec.one_of))
    if mapping:
        options["mapping"] = mapping
    return options


def _forget_mapping_on_new_source(kind: str, name: str, data: bytes, sheet: str | None) -> None:
    """A new file or sheet has other headers: drop the column choices made for the last one."""
    signature = (kind, name, len(data), hash(data), sheet)
    if st.session_state.get("imp_source") != signature:
        for key in [k for k in st.session_state if str(k).startswith("imp_map_")]:
            del st.session_state[key]
        st.session_state["imp_source"] = signature


def _show_result(result: ReadResult, ctx: common.Context) -> None:
    en = ctx.lang == "en"
    st.metric("Rows accepted" if en else "Godkända rader", len(result.accepted))
    for note in result.notes:
        st.caption(note)
    rejected = result.rejected_frame()
    if len(rejected):
        st.warning((f"{len(rejected)} rows rejected" if en else f"{len(rejected)} rader avvisades")
                   + (" (they are not imported):" if en else " (de importeras inte):"))
        common.table(rejected.head(500), translate=False)  # the reasons are Swedish lines
        # a police extract's rows: at a random address, never their content's (`private_download`)
        private_download.download_button(
            "Download rejected rows (CSV)" if en else "Ladda ned avvisade rader (CSV)",
            csv_bytes(rejected), file_name=f"{result.dataset.file}.avvisade.csv",
            mime="text/csv", key="imp_download", refused=ctx.t("download_refused"))


def render(ctx: common.Context) -> None:
    if not ctx.access.may_import:  # checked here too: no caller can draw it for another role
        return
    en = ctx.lang == "en"
    st.subheader("Import data" if en else "Importera data")
    kinds = list(importer.READERS)
    c1, c2 = st.columns([1, 2])
    kind = c1.selectbox("File type" if en else "Filtyp", kinds, key="imp_kind",
                        format_func=lambda k: _kind_title(k, ctx.lang))
    types = ["csv", "txt", "tsv", "xlsx", "json", "geojson", "gpkg", "zip", "parquet"]
    if not en:  # Streamlit's uploader speaks English only: its own texts hidden, ours beside it
        st.html(UPLOADER_SV)
    upload = c2.file_uploader("File" if en else "Fil", key="imp_file", type=types)
    if not en:
        c2.caption(f"Släpp filen i rutan eller klicka på Välj fil (högst "
                   f"{st.get_option('server.maxUploadSize')} MB; "
                   f"{', '.join(t.upper() for t in types)}).")
    if upload is None:
        st.caption("Import boundaries first; other files are checked against them." if en else
                   "Importera gränser först; övriga filer kontrolleras mot dem.")
        return
    data, name = upload.getvalue(), upload.name
    progress = None
    try:
        options = _options(kind, data, name, ctx)
        # an upload has no folder: a same-named dataset is replaced only when asked to
        replace_named = st.checkbox(
            "Replace the dataset of the same name" if en else
            "Ersätt datasetet med samma namn", key="imp_replace",
            help=("Needed when a dataset of this name came from another file." if en else
                  "Behövs när ett dataset med det här namnet kom från en annan fil."))
        check, do_import = st.columns(2)
        checked = check.button("Check" if en else "Kontrollera", key="imp_check")
        imported = do_import.button("Import" if en else "Importera", key="imp_go", type="primary")
        if not (checked or imported):
            _show_imported(ctx, name)
            return
        st.session_state.pop(DONE, None)
        progress = st.progress(0, text="Läser filen…" if not en else "Reading the file…")
        result = importer.check_file(ctx.workspace, kind, data, name=name, options=options,
                                     replace_named=replace_named)
        progress.progress(60, text="Kontrollerad" if not en else "Checked")
        if imported:
            progress.progress(70, text="Sparar…" if not en else "Saving…")
            importer.commit(ctx.workspace, result)
            audit_trail.record(ctx, "import", f"{result.dataset.name} ({name})")
            # run the page again: the dataset list above (and every page) reads the new
            # workspace; the outcome is shown from the session after the rerun
            st.session_state[DONE] = (name, result)
            st.rerun()
        progress.progress(100, text="Inget sparat ännu" if not en else "Nothing saved yet")
        _show_result(result, ctx)
    except LagesbildError as exc:
        _failed(progress)
        st.error(str(exc))
    except OSError as exc:  # a full disk, a folder the app may not write in: one line
        _failed(progress)
        st.error(os_error_line(exc))


def _failed(progress: Any) -> None:
    """An error: the progress bar does not stay on its last step ("Läser filen…")."""
    if progress is not None:
        progress.empty()


def _show_imported(ctx: common.Context, name: str) -> None:
    """The outcome of the import just made (kept over the rerun that refreshed the page)."""
    done = st.session_state.get(DONE)
    if not done or done[0] != name:
        return
    result = done[1]
    st.success((f"Imported {len(result.accepted)} rows from {name}." if ctx.lang == "en" else
                f"Importerade {len(result.accepted)} rader från {name}."))
    _show_result(result, ctx)
