"""Rendering: folium maps and their assets, static images; every value reaching the browser is
escaped here. Imports only core/ and analysis/; never the store, sources, report or Streamlit."""
