"""Escaping for text that folium inserts into HTML and into JavaScript template literals."""

from __future__ import annotations

import html

# Beyond HTML's five: folium puts tooltip/popup HTML inside JS `template literals`, where
# "${...}" runs code, a backtick ends the string and a backslash starts an escape. As numeric
# character references they are inert in the JS source and shown literally by the browser.
_EXTRA = str.maketrans({"$": "&#36;", "`": "&#96;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})


def esc(value: object) -> str:
    """Make any value safe as text inside HTML and inside folium's JS template strings."""
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_EXTRA)
