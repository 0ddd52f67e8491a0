"""Streamlit's own interface texts in the interface language.

Streamlit 1.67's frontend has no locale: its skip link ("Skip to main content", the first
thing a keyboard or screen-reader user meets) and the table toolbar's buttons ("Download as
CSV", "Search", "Fullscreen", …; their aria-label and their tooltip) are English in its bundle.
Hiding them would cost the skip link its place first in the tab order and the tables their
search and download, so a small script in the page (st.html with JavaScript; the deployment's
Content-Security-Policy in the README allows inline scripts, which Streamlit itself needs)
rewrites exactly those texts when Streamlit draws them, and writes them back in English mode.
Only whole, known texts are replaced: the app's own labels and help texts are never touched.
"""

from __future__ import annotations

import json

import streamlit as st

# Streamlit's English -> Swedish: the skip link; the toolbars of tables and charts, the data
# editor, their tooltips; the sidebar's collapse buttons, the select boxes' clear button
SWEDISH = {
    "Skip to main content": "Hoppa till huvudinnehållet",
    "Download as CSV": "Ladda ner som CSV",
    "Search": "Sök",
    "Close Search": "Stäng sökningen",
    "Next Result": "Nästa träff",
    "Previous Result": "Föregående träff",
    "Fullscreen": "Helskärm",
    "Close fullscreen": "Stäng helskärm",
    "Show/hide columns": "Visa/dölj kolumner",
    "Clear selection": "Rensa markeringen",
    "Add row": "Lägg till rad",
    "Delete row(s)": "Ta bort rader",
    "Show data": "Visa data",
    "Download as PNG": "Ladda ner som PNG",
    "Download as SVG": "Ladda ner som SVG",
    "Copy Vega-Lite spec": "Kopiera diagrammets Vega-Lite-specifikation",
    "Clear all": "Rensa alla",
    "Collapse sidebar": "Fäll in sidopanelen",
    "Expand sidebar": "Fäll ut sidopanelen",
    "Link to heading": "Länk till rubriken",
}

_SCRIPT = """<script>
(() => {
  const w = window;
  w.__lagesbildLang = %(lang)s;
  if (w.__lagesbildTexts) { w.__lagesbildTexts(); return; }
  const SV = %(texts)s;
  const EN = Object.fromEntries(Object.entries(SV).map(([en, sv]) => [sv, en]));
  // "Download as CSV" or "Download as CSV: (the table's label)" in the language, else null
  const swap = (text) => {
    const table = w.__lagesbildLang === "sv" ? SV : EN;
    if (!text) return null;
    if (table[text]) return table[text];
    const cut = text.indexOf(": ");
    return cut > 0 && table[text.slice(0, cut)] ? table[text.slice(0, cut)] + text.slice(cut) : null;
  };
  // buttons and links (not the charts' marks, whose aria-labels Vega writes)
  const LABELLED = 'button[aria-label], a[aria-label], [role="button"][aria-label], '
    + '[data-testid="stDataFrame"] [aria-label]';
  const WORDED = '[data-testid="stSkipToContent"], [data-testid="stTooltipContent"] p, '
    + '[data-testid="stElementToolbarButton"] span';
  const apply = () => {
    document.querySelectorAll(LABELLED).forEach(e => {
      const out = swap(e.getAttribute("aria-label"));
      if (out) e.setAttribute("aria-label", out);
    });
    document.querySelectorAll(WORDED).forEach(e => {
      if (e.childNodes.length !== 1 || e.firstChild.nodeType !== Node.TEXT_NODE) return;
      const out = swap(e.textContent);
      if (out) e.textContent = out;
    });
  };
  w.__lagesbildTexts = apply;
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; apply(); });
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ["aria-label"]});
  apply();
})();
</script>"""

# the element holding the script takes no room in the sidebar
_HIDDEN = ('<style>[data-testid="stSidebar"] [data-testid="stElementContainer"]'
           ':has(> [data-testid="stHtml"] > script){display:none}</style>')


def script(lang: str) -> str:
    """The page script for `lang` ("sv": Streamlit's English in Swedish; "en": back).

    Streamlit passes st.html through DOMPurify, which drops a script whose text holds "<"
    followed by a letter: the script has no "<" but its own tags."""
    out = _SCRIPT % {"lang": json.dumps(lang), "texts": json.dumps(SWEDISH, ensure_ascii=False)}
    assert out.count("<") == 2, "a '<' inside the script makes DOMPurify drop it"
    return out


def install(lang: str) -> None:
    """Draw the script (once per run, in the sidebar; it installs itself once per page)."""
    st.sidebar.html(_HIDDEN + script(lang), unsafe_allow_javascript=True)
