"""Source captions as the report writes them: the publisher, table and period ("Källa: Brå,
anmälda brott (2019–2024)"), with the files and their import dates as the caption's tooltip
(`analysis.citing`). The Data page lists every dataset with its file and import time."""

from __future__ import annotations

import streamlit as st

from lagesbild.analysis.citing import Citation, merged_sources
from lagesbild.ui import common
from lagesbild.ui import shown as fmt


citation_for = common.citation_for


def citation(ctx: common.Context) -> Citation:
    return citation_for(ctx.key, ctx.location, ctx.lang, ctx.settings)


def cite(ctx: common.Context, text: object) -> str:
    """A source text in the interface language, its datasets named by publisher."""
    return fmt.text(citation(ctx).cite(text), ctx.lang)


def files_help(ctx: common.Context, *texts: object) -> str | None:
    """The tooltip: the files the source texts name, with period and import date."""
    files = citation(ctx).files(*texts)
    if not files:
        return None
    return ctx.t("source_files", files="  \n".join(fmt.text(f, ctx.lang) for f in files))


def caption(ctx: common.Context, *sources: object, after: str = "") -> None:
    """"Källa: publisher, table (period)" + `after`, the files in the tooltip; nothing when
    no source is known."""
    parts = (part.strip() for s in sources for part in cite(ctx, s).split("; "))
    named = "; ".join(merged_sources(list(dict.fromkeys(p for p in parts if p and p != "–"))))
    if named or after:
        st.caption(f"{ctx.t('source')}: {named or '–'}{after}", help=files_help(ctx, *sources))
