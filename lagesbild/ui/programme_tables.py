"""Insatser, the programmes themselves: each programme against its own target group with its
counts, units reached per kind (fritidsgårdar, parklekar), and who funds or runs the work."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.analysis.programme_summary import (
    by_funder,
    missing_denominators,
    programme_table,
    units_by_kind,
)
from lagesbild.analysis.coverage import UNKNOWN_GROUP
from lagesbild.core.frames import Frames
from lagesbild.core.programmes import load_programmes
from lagesbild.ui import common
from lagesbild.ui.views import number_text

KIND_EN = {"grundskola": "compulsory school", "gymnasium": "upper secondary school",
           "förskola": "preschool", "fritidsgård": "youth centre", "parklek": "play park",
           "arbetsplats": "workplace"}


def warn_missing(ctx: common.Context, frames: Frames, term: str, chosen: tuple[str, ...]) -> None:
    """Under the coverage table: pupils reached where the target group has no pupil count."""
    en = ctx.lang == "en"
    registry = load_programmes(ctx.settings.layers_dir)
    missing = missing_denominators(frames, period=term, programmes=chosen, registry=registry)
    if len(missing):
        groups = ", ".join(dict.fromkeys(g for text in missing["missing_groups"]
                                         for g in text.split(", ")))
        pupils, schools = int(missing["pupils_no_eligible"].sum()), ", ".join(missing["name"].astype(str))
        st.warning(
            f"{pupils} pupils reached at {len(missing)} school(s) have no pupil count for their "
            f"target group ({groups}) in the sites file and are left out of the share: {schools}. "
            "Add the column 'Elever åk 4–6', 'Elever åk 7–9' or 'Elever gymnasiet'." if en else
            f"{pupils} elever som nåtts vid {len(missing)} skol(or) saknar antal elever i "
            f"målgruppen ({groups}) i skolfilen och ingår inte i andelen: {schools}. Lägg till "
            "kolumnen 'Elever åk 4–6', 'Elever åk 7–9' eller 'Elever gymnasiet'."
            + (" Ett program med okänd målgrupp läggs till i programregistret "
               "(layers/programmes.toml)." if UNKNOWN_GROUP in groups else ""))


def render(ctx: common.Context, frames: Frames, term: str, chosen: tuple[str, ...]) -> None:
    """The tables below the coverage and need tables (the same term and programmes)."""
    en = ctx.lang == "en"
    registry = load_programmes(ctx.settings.layers_dir)
    names = dict(zip(frames.areas["area_id"].astype(str), frames.areas["name"]))
    table = programme_table(frames, period=term, programmes=chosen, registry=registry)
    if len(table):
        st.subheader("Programmes and their target groups" if en else "Program och målgrupper")
        counts = {k: c for k, c in registry.counts().items()
                  if k in table and table[k].notna().any()}
        common.table(pd.DataFrame({
            ctx.t("area"): table["area_id"].map(names),
            "Programme" if en else "Program": table["programme"],
            "Organiser" if en else "Organisatör": table["organiser"],
            "Target group" if en else "Målgrupp": [
                (registry.find(p).target(ctx.lang) if registry.find(p) else "–")
                for p in table["programme"]],
            "Units reached" if en else "Enheter som nås": number_text(table["units_reached"], 0),
            "Participants" if en else "Deltagare": number_text(table["participants"], 0),
            "Pupils in target group" if en else "Elever i målgruppen": number_text(
                table["eligible_pupils"].where(table["eligible_pupils"] > 0), 0),
            "Share of pupils (%)" if en else "Andel elever (%)": number_text(table["share_pupils"], 1),
            **{c.label(ctx.lang): number_text(table[k], 0) for k, c in counts.items()},
        }))
        st.caption("Each programme against its own target group (the registry, "
                   "layers/programmes.toml); participants at youth centres and play parks are "
                   "young people reached." if en else
                   "Varje program mot sin egen målgrupp (programregistret, layers/programmes.toml); "
                   "deltagare vid fritidsgårdar och parklekar är unga som nåtts.")

    kinds = units_by_kind(frames, period=term, programmes=chosen, registry=registry)
    kinds = kinds[kinds["units_reached"] > 0]
    if len(kinds):
        st.subheader("Units reached by kind" if en else "Enheter som nås per typ")
        common.table(pd.DataFrame({
            ctx.t("area"): kinds["area_id"].map(names),
            "Kind" if en else "Typ": kinds["kind"].map(lambda k: KIND_EN.get(k, k) if en else k),
            "Units" if en else "Enheter": number_text(kinds["units"], 0),
            "Units reached" if en else "Enheter som nås": number_text(kinds["units_reached"], 0),
            "Participants" if en else "Deltagare": number_text(kinds["participants"], 0),
        }))

    funders = by_funder(frames, period=term, programmes=chosen, registry=registry)
    if len(funders) and (funders["funder"] != "").any():
        st.subheader("Funded and run by" if en else "Finansiering och förvaltning")
        common.table(pd.DataFrame({
            ctx.t("area"): funders["area_id"].map(names),
            "Funder / administration" if en else "Finansierar / förvaltning": funders["funder"].where(
                funders["funder"] != "", "(not given)" if en else "(ej angiven)"),
            "Units reached" if en else "Enheter som nås": number_text(funders["units_reached"], 0),
            "Participants" if en else "Deltagare": number_text(funders["participants"], 0),
            "Programmes" if en else "Program": funders["programmes"],
        }))
