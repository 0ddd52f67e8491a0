"""The drawing kit shared by the static images (`static`, `static_charts`): a locked
matplotlib style on the Agg canvas, plain-text rendering (no mathtext, no TeX, control characters
removed, missing glyphs as "?"), text fitting and number formats, and the footer with source and
disclosure note. PNGs carry no metadata, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from lagesbild.core.i18n import sex_label, t
from lagesbild.core.settings import get_settings

FONT = "DejaVu Sans"  # ships with matplotlib; has å ä ö, en dash, ≤ and no-break space
_RC = {
    "font.family": "sans-serif", "font.sans-serif": [FONT], "font.size": 9.0,
    "text.usetex": False, "axes.formatter.use_mathtext": False, "axes.unicode_minus": False,
    "svg.hashsalt": "lagesbild", "path.simplify": True,
}
_LOCK = threading.RLock()
TITLE_PT, BODY_PT, SMALL_PT = 12.0, 9.0, 7.0
BAR = "#c2553f"          # the comparison page's bar colour
COUNTY = "#2166ac"       # county line (as on the comparison page)
MEDIAN = "#5aae61"       # median line
BAND = "#bdbdbd"         # p25–p75 reference band
NATIONAL = "#762a83"     # riket line
OWN_BAR = "#67000d"      # the report's own kommun among the bars
SERIES_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# --- shared helpers (also used by lagesbild.render.static) ---------------------------------

@contextmanager
def style() -> Iterator[None]:
    """matplotlib's defaults plus `_RC` for the duration; global rcParams restored afterwards."""
    with _LOCK, matplotlib.rc_context():
        matplotlib.rcdefaults()  # leaves the backend alone (style blacklist)
        matplotlib.rcParams.update(_RC)
        yield


def new_figure(width_in: float, height_in: float, dpi: int) -> Figure:
    """A figure on its own Agg canvas (never registered with pyplot)."""
    fig = Figure(figsize=(width_in, height_in), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def plain_texts(fig: Figure) -> None:
    """Every text artist of `fig` drawn literally: no TeX, no mathtext."""
    for artist in fig.findobj(Text):
        artist.set_usetex(False)
        artist.set_parse_math(False)


def png_bytes(fig: Figure, dpi: int) -> bytes:
    """The figure as PNG without metadata (deterministic bytes), texts made plain first."""
    plain_texts(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return buf.getvalue()


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    from matplotlib.font_manager import FontProperties, findfont, get_font

    maps = []
    for weight, slant in (("normal", "normal"), ("bold", "normal"), ("normal", "italic")):
        path = findfont(FontProperties(family=FONT, weight=weight, style=slant),
                        fallback_to_default=True)
        maps.append(set(get_font(path).get_charmap()))
    return frozenset(set.intersection(*maps))


def plain(value: object) -> str:
    """Any value as one line of drawable text: control characters become spaces, characters
    the font lacks become "?" (no missing-glyph warnings)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = _CONTROL.sub(" ", str(value))
    glyphs = _glyphs()
    return "".join(ch if ord(ch) in glyphs or ch == " " else "?" for ch in text)


def num(value: object, digits: int = 1) -> str:
    """Swedish number format as on the interactive map: no-break space thousands, decimal comma."""
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def wrap(text: str, width_in: float, size_pt: float, *, weight: str = "normal",
         slant: str = "normal") -> list[str]:
    """`text` wrapped greedily at spaces to lines measured to fit `width_in` inches."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=FONT, size=size_pt, weight=weight, style=slant)
    measure = TextToPath()
    limit = max(width_in, 0.3) * 72 * 0.97

    def fits(s: str) -> bool:
        return measure.get_text_width_height_descent(s, prop, ismath=False)[0] <= limit

    out: list[str] = []
    for part in text.replace(" %", "\u00a0%").split("\n"):
        line = ""
        for word in part.split(" "):
            candidate = f"{line} {word}" if line else word
            if fits(candidate):
                line = candidate
                continue
            if line:
                out.append(line)
            while len(word) > 1 and not fits(word):  # a word wider than the line: cut it
                cut = next(i for i in range(len(word) - 1, 0, -1) if fits(word[:i]) or i == 1)
                out.append(word[:cut])
                word = word[cut:]
            line = word
        out.append(line)
    return out


def text_width_in(text: str, size_pt: float, *, weight: str = "normal") -> float:
    """Width of one line of `text` in inches."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=FONT, size=size_pt, weight=weight)
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0] / 72


def fit(text: str, width_in: float, size_pt: float) -> str:
    """`text` cut with "…" to fit one line of `width_in` inches."""
    if text_width_in(text, size_pt) <= width_in:
        return text
    while len(text) > 1 and text_width_in(text + "…", size_pt) > width_in:
        text = text[:-1]
    return text.rstrip() + "…"


def line_in(size_pt: float, lines: int = 1) -> float:
    """Height in inches of `lines` lines of text at `size_pt`."""
    return lines * size_pt * 1.3 / 72


def floats(values: Iterable[object]) -> np.ndarray:
    return pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan)


def hidden(rows: pd.DataFrame) -> np.ndarray:
    """True where a row's value must not be drawn: suppressed, or no value."""
    sup = (rows["suppressed"].astype("boolean").fillna(False).astype(bool).to_numpy()
           if "suppressed" in rows else np.zeros(len(rows), bool))
    return sup | np.isnan(floats(rows["value"]))


def suppression_note(lang: str, threshold: int | None = None) -> str:
    limit = get_settings().suppress_below if threshold is None else int(threshold)
    return t("suppression_note", lang, t=limit, last=limit - 1)


def sources_text(values: Iterable[object]) -> str:
    """Distinct non-empty source labels, in first-seen order, split on "; "."""
    seen: dict[str, None] = {}
    for value in values:
        for part in plain(value).split("; "):
            if part.strip():
                seen.setdefault(part.strip(), None)
    return "; ".join(seen) or "–"


def footer(lang: str, sources: str, *extra: str, threshold: int | None = None) -> str:
    parts = [f"{t('source', lang)}: {sources}."] + [e for e in extra if e]
    parts.append(suppression_note(lang, threshold))
    return " ".join(parts)


def unit_label(unit: object, lang: str) -> str:
    unit = str(unit or "")
    if unit == "percent":
        return "Share, %" if lang == "en" else "Andel, %"
    if unit.startswith("per") and unit[3:].isdigit():
        per = int(unit[3:])
        if per == 100_000:
            return t("rate", lang)
        return f"Per {per:,} inhabitants" if lang == "en" else f"Per {num(per, 0)} inv."
    return t("value", lang)


class Frame:
    """Title on top, footer at the bottom, body between; sizes in inches."""

    def __init__(self, title: str, foot: str, width_in: float, *, margin: float = 0.25) -> None:
        self.width, self.margin = width_in, margin
        self.title_lines = wrap(title, width_in - 2 * margin, TITLE_PT, weight="bold")
        self.foot_lines = wrap(foot, width_in - 2 * margin, SMALL_PT)
        self.top = margin + line_in(TITLE_PT, len(self.title_lines)) + 0.12
        self.bottom = margin + line_in(SMALL_PT, len(self.foot_lines)) + 0.12

    def figure(self, body_in: float, dpi: int) -> Figure:
        self.height = self.top + body_in + self.bottom
        fig = new_figure(self.width, self.height, dpi)
        fig.text(self.margin / self.width, 1 - self.margin / self.height,
                 "\n".join(self.title_lines), ha="left", va="top", fontsize=TITLE_PT,
                 fontweight="bold", parse_math=False, usetex=False)
        fig.text(self.margin / self.width, self.margin / self.height, "\n".join(self.foot_lines),
                 ha="left", va="bottom", fontsize=SMALL_PT, color="#444444", parse_math=False,
                 usetex=False)
        return fig

    def axes(self, fig: Figure, left_in: float, bottom_in: float, width_in: float,
             height_in: float):  # -> Axes
        """Axes placed in inches from the body's lower left corner."""
        return fig.add_axes((left_in / self.width, (self.bottom + bottom_in) / self.height,
                             width_in / self.width, height_in / self.height))


def title_with(title: str, period: object, sex: object, lang: str) -> str:
    parts = [plain(title)]
    p = plain(period)
    if p and p not in parts[0]:
        parts.append(p)
    if sex in ("K", "M", "T"):
        parts.append(sex_label(str(sex), lang).lower())
    return ", ".join(x for x in parts if x)


# --- ranking -------------------------------------------------------------------------------


def highlighted(area_ids: pd.Series, highlight: str | Iterable[str] | None) -> np.ndarray:
    """Which of `area_ids` a chart or map outlines: one area_id, several (a group's kommuner)
    or none."""
    if highlight is None:
        return np.zeros(len(area_ids), bool)
    wanted = {str(highlight)} if isinstance(highlight, str) else {str(h) for h in highlight}
    return area_ids.astype(str).isin(wanted).to_numpy(dtype=bool)
