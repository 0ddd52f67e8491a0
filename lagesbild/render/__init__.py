"""Rendering: folium maps and their assets; every value reaching the browser is escaped here."""
