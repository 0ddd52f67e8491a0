"""Streamlit entry point: the router and the shared sidebar, nothing else."""

from pathlib import Path

import streamlit as st

from lagesbild.render.assets import ensure_static
from lagesbild.ui import common, failure

HERE = Path(__file__).parent
# the first page is the default and lives at "/" (Streamlit ignores a default page's url_path)
PAGES = [("map_page", "page_map", "karta"), ("assessment_page", "page_assessment", "lagesbild"),
         ("pyramid_page", "page_pyramid", "pyramid"),
         ("compare_page", "page_compare", "jamforelse"), ("coverage_page", "page_coverage", "insatser"),
         ("report_page", "page_report", "rapport"), ("data_page", "page_data", "data")]

st.set_page_config(page_title="Lägesbild", page_icon="🗺️", layout="wide")
ensure_static(HERE / "static")
# a damaged workspace fails in the sidebar or a page: the app's own message, never a traceback
with failure.shown(lambda: st.session_state.get("lang", "sv"), common.workspace_path):
    ctx = common.sidebar()
    st.navigation([
        st.Page(HERE / "lagesbild" / "ui" / f"{module}.py", title=ctx.t(title), url_path=url,
                default=i == 0)
        for i, (module, title, url) in enumerate(PAGES)
    ]).run()
