"""Static PNG charts for reports (PDF, PowerPoint): the ranking and trends. The drawing kit they
share with `lagesbild.render.static` lives in `static_kit` (re-exported here).

Drawn with matplotlib's Agg canvas directly (no pyplot, no `matplotlib.use`, no browser, no
network). Every render runs under a lock inside `rc_context` on matplotlib's own defaults plus
`_RC`, so the global rcParams are unchanged afterwards and a user's matplotlibrc cannot change
the output. All text is plain text: every text artist gets ``usetex=False`` and
``parse_math=False`` (a "$" in a kommun name is drawn as a dollar, never as mathtext), control
characters become spaces and characters DejaVu Sans lacks become "?". PNGs carry no metadata,
so the same input gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from lagesbild.analysis.compare import comparison
from lagesbild.core.i18n import t
from lagesbild.render.static_kit import (  # noqa: F401 - re-exported for static.py and tests
    BAND,
    BAR,
    NATIONAL,
    OWN_BAR,
    BODY_PT,
    COUNTY,
    FONT,
    MEDIAN,
    SERIES_COLORS,
    SMALL_PT,
    TITLE_PT,
    Frame,
    fit,
    floats,
    footer,
    hidden,
    highlighted,
    line_in,
    new_figure,
    num,
    plain,
    plain_texts,
    png_bytes,
    sources_text,
    style,
    suppression_note,
    text_width_in,
    title_with,
    unit_label,
    wrap,
)


def ranking_png(figures: pd.DataFrame, *, lang: str = "sv", band: Mapping[str, object] | None = None,
                title: str | None = None, threshold: int | None = None, width_px: int = 1600,
                dpi: int = 200, highlight: str | Iterable[str] | None = None,
                national: Mapping[str, object] | None = None) -> bytes:
    """The kommun rows of `figures` (layer_figures) ranked as horizontal bars with 95 % interval
    whiskers, the county and median lines, and the p25–p75 band of `band` (reference_band)
    shaded when given. Hidden values are listed by their display text ("..")
    without a bar. `threshold` is the disclosure limit for the footer (default: settings).
    `highlight` (an area_id, or several) gets a dark bar and a bold name; `national` (a national figure,
    `analysis.national.national_figure`) adds the riket line when its value is shown."""
    width = width_px / dpi
    result = comparison(figures)
    table = result.table
    period = figures["period"].iloc[0] if len(figures) else ""
    sex = figures["sex"].iloc[0] if len(figures) else None
    unit = figures["unit"].iloc[0] if len(figures) else ""
    head = title_with(title or t("page_compare", lang), period, sex, lang)
    low, high = (band or {}).get("p25"), (band or {}).get("p75")
    has_band = low is not None and high is not None and not pd.isna(low) and not pd.isna(high)
    band_note = plain((band or {}).get("note_en" if lang == "en" else "note_sv", "")) \
        if has_band else ""
    foot = footer(lang, sources_text(table["source"]), band_note, threshold=threshold)
    with style():
        frame = Frame(head, foot, width)
        usable = width - 2 * frame.margin
        label_w = 0.38 * usable
        labels = [fit(f"{int(r)}. {plain(n)}" if pd.notna(r) else plain(n), label_w - 0.15,
                      BODY_PT) for r, n in zip(table["rank"], table["name"])]
        own = highlighted(table["area_id"], highlight)
        nat = _national_value(national)
        label_w = min(label_w, 0.15 + max([text_width_in(x, BODY_PT) for x in labels] + [0.5]))
        row_h = 0.24
        legend_h = line_in(BODY_PT, 2) + 0.1
        plot_h = max(1.0, row_h * max(len(table), 1))
        axis_h = line_in(BODY_PT, 2) + 0.15  # tick labels and axis label
        fig = frame.figure(plot_h + axis_h + legend_h, dpi)
        ax = frame.axes(fig, frame.margin + label_w, axis_h + legend_h,
                        usable - label_w - 0.1, plot_h)
        values = floats(table["value"])
        lows, highs = floats(table["ci_low"]), floats(table["ci_high"])
        shown = ~hidden(table)
        ys = np.arange(len(table), dtype=float)
        refs = [v for v in (result.county, result.median, low if has_band else None,
                            high if has_band else None, nat) if v is not None]
        top = np.nanmax(np.concatenate([values[shown], highs[shown], np.asarray(refs, float),
                                        [0.0]])) if len(table) else 1.0
        top = top if top > 0 else 1.0
        ax.set_xlim(0, top * 1.18)
        ax.set_ylim(len(table) - 0.5 if len(table) else 0.5, -0.5)
        if has_band:
            ax.axvspan(float(low), float(high), color=BAND, alpha=0.45, zorder=0, lw=0)
        ax.barh(ys[shown], values[shown], height=0.62, zorder=2,
                color=[OWN_BAR if o else BAR for o in own[shown]])
        ci = shown & ~np.isnan(lows) & ~np.isnan(highs)
        ax.hlines(ys[ci], lows[ci], highs[ci], color="#222222", lw=1.0, zorder=3)
        for cap in (lows, highs):
            ax.vlines(cap[ci], ys[ci] - 0.15, ys[ci] + 0.15, color="#222222", lw=1.0, zorder=3)
        for y, v, hi, ok in zip(ys, values, highs, shown):
            if ok:
                x = max(v, hi) if not np.isnan(hi) else v
                ax.text(x + top * 0.012, y, num(v), va="center", ha="left", fontsize=SMALL_PT,
                        color="#222222", zorder=6, parse_math=False, usetex=False,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8,
                              "alpha": 0.85})
        for y, disp, ok in zip(ys, table["display"], shown):
            if not ok:
                ax.text(top * 0.012, y, plain(disp), va="center", ha="left", fontsize=SMALL_PT,
                        color="#555555", fontstyle="italic", parse_math=False, usetex=False)
        ax.set_yticks(ys, labels=labels)
        ax.tick_params(axis="y", length=0, labelsize=BODY_PT)
        for tick, mine in zip(ax.get_yticklabels(), own):
            if mine:
                tick.set_fontweight("bold")
        ax.tick_params(axis="x", labelsize=SMALL_PT)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: num(v, 0 if top >= 20 else 1)))
        ax.set_xlabel(unit_label(unit, lang), fontsize=SMALL_PT)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        handles, texts = [], []
        if result.county is not None:
            ax.axvline(result.county, color=COUNTY, ls="--", lw=1.4, zorder=5)
            handles.append(Line2D([], [], color=COUNTY, ls="--", lw=1.4))
            name = f" ({plain(result.county_name)})" if result.county_name else ""
            texts.append(f"{t('county_value', lang)}{name}: {num(result.county)}")
        if nat is not None:
            ax.axvline(nat, color=NATIONAL, ls=":", lw=1.8, zorder=5)
            handles.append(Line2D([], [], color=NATIONAL, ls=":", lw=1.8))
            texts.append(f"{'Sweden' if lang == 'en' else 'Riket'}: {num(nat)}")
        if own.any():
            handles.append(Patch(facecolor=OWN_BAR, edgecolor="none"))
            texts.append(plain(table.loc[own, "name"].iloc[0]))
        if result.median is not None:
            ax.axvline(result.median, color=MEDIAN, ls="--", lw=1.4, zorder=5)
            handles.append(Line2D([], [], color=MEDIAN, ls="--", lw=1.4))
            texts.append(f"{t('median', lang)}: {num(result.median)}")
        if has_band:
            handles.append(Patch(facecolor=BAND, alpha=0.45, edgecolor="none"))
            texts.append(("25th–75th percentile" if lang == "en" else "25:e–75:e percentilen")
                         + f": {num(low)}–{num(high)}")
        if ci.any():
            handles.append(Line2D([], [], color="#222222", lw=1.0))
            texts.append(t("ci", lang))
        if handles:
            fig.legend(handles, texts, loc="lower left", ncols=2, frameon=False,
                       fontsize=SMALL_PT, bbox_to_anchor=(frame.margin / width,
                                                          (frame.bottom) / frame.height))
        return png_bytes(fig, dpi)


def _national_value(national: Mapping[str, object] | None) -> float | None:
    """The national value to draw: none when absent, hidden or not a number."""
    if not national or bool(national.get("suppressed")):
        return None
    value = pd.to_numeric(pd.Series([national.get("value")]), errors="coerce").iloc[0]
    return None if pd.isna(value) else float(value)


# --- trends --------------------------------------------------------------------------------

def trend_png(series: pd.DataFrame, area_ids: Sequence[str], *, lang: str = "sv",
              title: str | None = None, threshold: int | None = None, width_px: int = 1600,
              dpi: int = 200) -> bytes:
    """Value over the periods with its 95 % interval band, one line per area of `area_ids`.

    `series` is layer_figures concatenated over periods (periods in the order they first
    appear). Hidden values (suppressed or missing) leave a gap in the line.
    """
    width = width_px / dpi
    rows = series[series["area_id"].astype(str).isin([str(a) for a in area_ids])]
    order = [str(p) for p in pd.unique(series["period"].astype(str))]
    sex = series["sex"].iloc[0] if len(series) else None
    unit = series["unit"].iloc[0] if len(series) else ""
    span = f"{order[0]}–{order[-1]}" if len(order) > 1 else (order[0] if order else "")
    head = title_with(title or t("over_time", lang), span, sex, lang)
    foot = footer(lang, sources_text(rows["source"]), t("over_time_note", lang),
                  threshold=threshold)
    with style():
        frame = Frame(head, foot, width)
        usable = width - 2 * frame.margin
        n_areas = len(list(area_ids))
        legend_rows = (n_areas + 2) // 3
        legend_h = line_in(BODY_PT, legend_rows) + 0.15
        plot_h = 0.55 * usable
        axis_h = line_in(BODY_PT, 2) + 0.1
        fig = frame.figure(plot_h + axis_h + legend_h, dpi)
        left = 0.65
        ax = frame.axes(fig, frame.margin + left, axis_h + legend_h, usable - left - 0.1, plot_h)
        xs = np.arange(len(order), dtype=float)
        pos = {p: i for i, p in enumerate(order)}
        handles, texts = [], []
        names = dict(zip(series["area_id"].astype(str), series["name"]))
        for i, area in enumerate(str(a) for a in area_ids):
            part = rows[rows["area_id"].astype(str) == area]
            color = SERIES_COLORS[i % len(SERIES_COLORS)]
            y = np.full(len(order), np.nan)
            lo, hi = y.copy(), y.copy()
            ok = ~hidden(part)
            for p, v, a, b, keep in zip(part["period"].astype(str), floats(part["value"]),
                                        floats(part["ci_low"]), floats(part["ci_high"]), ok):
                if keep and p in pos:
                    y[pos[p]], lo[pos[p]], hi[pos[p]] = v, a, b
            band = ~np.isnan(lo) & ~np.isnan(hi)
            if band.any():
                ax.fill_between(xs, np.where(band, lo, 0), np.where(band, hi, 0), where=band,
                                color=color, alpha=0.18, lw=0, interpolate=False)
            ax.plot(xs, y, color=color, lw=1.6, marker="o", ms=3.5)
            label = plain(names.get(area, area))
            if np.isnan(y).all():
                label += f" ({t('no_data', lang).lower()})"
            label = fit(label, usable / 3 - 0.45, BODY_PT)
            handles.append(Line2D([], [], color=color, lw=1.6, marker="o", ms=3.5))
            texts.append(label)
        ax.set_xticks(xs, labels=[plain(p) for p in order])
        ax.set_xlim(-0.3, max(len(order) - 0.7, 0.3))
        ax.tick_params(labelsize=SMALL_PT)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: num(v, 1 if _small(ax) else 0)))
        ax.set_ylabel(unit_label(unit, lang), fontsize=SMALL_PT)
        ax.grid(axis="y", color="#e0e0e0", lw=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if not len(rows) or all(np.isnan(floats(rows["value"]))):
            ax.text(0.5, 0.5, t("no_data", lang), transform=ax.transAxes, ha="center",
                    va="center", color="#555555", parse_math=False, usetex=False)
        if handles:
            fig.legend(handles, texts, loc="lower left", ncols=3, frameon=False,
                       fontsize=BODY_PT, bbox_to_anchor=(frame.margin / width,
                                                         frame.bottom / frame.height))
        return png_bytes(fig, dpi)


def _small(ax) -> bool:  # noqa: ANN001
    low, high = ax.get_ylim()
    return abs(high - low) < 10
