"""The app as `lagesbild serve` runs it: app.py, with the private-download guard in front of
Streamlit's media route (`ui.media_guard`). `streamlit run lagesbild/ui/server.py` finds the
`st.App` below and serves app.py through it; `streamlit run app.py` serves the app without the
guard, and the police report's download is then refused."""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from lagesbild.ui.media_guard import MediaGuard

APP = Path(__file__).resolve().parents[2] / "app.py"

app = st.App(str(APP), middleware=[Middleware(MediaGuard)])
