"""Streamlit entry point: the router and the shared sidebar, nothing else."""

from pathlib import Path

import streamlit as st

from lagesbild.render.assets import ensure_static
from lagesbild.ui import common, failure, login, routes

HERE = Path(__file__).parent

st.set_page_config(page_title="Lägesbild", page_icon="🗺️", layout="wide")
ensure_static(HERE / "static")
# a damaged workspace fails in the sidebar or a page: the app's own message, never a traceback
with failure.shown(lambda: st.session_state.get("lang", "sv"), common.workspace_path):
    login.gate()  # with a login setting: nothing but the login page before sign-in
    ctx = common.sidebar()
    # the pages, and a hidden one for an address no page owns (/karta): never "Page not found"
    page = st.navigation(routes.pages(ctx.lang, st.context.url,
                                      st.get_option("server.baseUrlPath")))
    routes.note_moved(ctx.lang)
    page.run()
