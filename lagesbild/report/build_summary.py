"""The report's first section: the samlad bedömning (summary and prioritised problems) and, per
problem, its orsaksanalys. The catalogue of maps and tables follows as the appendix.

The findings are the ones the coordinator chose and ordered (`store.assessment`); without a
choice the drafts from the figures are shown, marked as drafts, so a report never opens empty
and never passes a draft off as a settled assessment.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.findings import KINDS, Finding
from lagesbild.core.i18n import t
from lagesbild.report.build_context import Context, paragraphs
from lagesbild.report.build_sections import section
from lagesbild.report.model import Section

MAX_DRAFTS = 8  # a one-page summary: the strongest drafts
CAUSE_LABELS = {  # kept here (report) and in store.assessment (the stored keys)
    "individ": ("Individ", "Individual"), "relation": ("Relationer", "Relationships"),
    "narmiljo": ("Närmiljö", "Community"), "samhalle": ("Samhälle", "Society"),
    "kallor": ("Källor", "Sources"), "okant": ("Vad vi inte vet", "What we do not know"),
}


def sammanfattning(ctx: Context, note: str | None, chosen: list | None,
                   causes: dict[str, dict[str, str]] | None) -> Section:
    """Summary and prioritised problems; `chosen` are `store.assessment.Chosen` (or None)."""
    paras = paragraphs(note)
    if chosen:
        findings = [(c.id, c.kind, c.title, c.evidence) for c in chosen]
        paras.append(ctx.tr(
            f"Samlad bedömning för {ctx.area_name} {ctx.period}: {len(findings)} prioriterade "
            "problem, i den ordning kommunen och polisen har satt dem.",
            f"Overall assessment for {ctx.area_name} {ctx.period}: {len(findings)} prioritised "
            "problems, in the order the municipality and the police set them."))
    else:
        # drafted from the report's layers (all unless the report names some) and Brå's main
        # crime groups, which the kartläggning always shows
        layers = {i: s for i, s in ctx.specs.items() if i in ctx.layers or s.crime_group}
        drafts: list[Finding] = ctx.drafts(layers)[:MAX_DRAFTS]
        findings = [(d.id, d.kind, d.title, d.evidence) for d in drafts]
        paras.append(ctx.tr(
            "Utkast: iakttagelserna nedan har tagits fram ur siffrorna (bara det som gäller "
            "utöver slumpen) och är inte bedömda än. Välj, ordna och komplettera dem på sidan "
            "Lägesbild.",
            "Draft: the findings below were drafted from the figures (only what holds beyond "
            "chance) and have not been assessed yet. Choose, order and add to them on the "
            "Lägesbild page."))
        if not findings:
            paras.append(ctx.tr("Siffrorna visar inget problem utöver slumpen för området och "
                                "perioden.",
                                "The figures show no problem beyond chance for the area and "
                                "period."))
    en = ctx.en
    frame = pd.DataFrame({
        "#": list(range(1, len(findings) + 1)),
        ctx.tr("Problem", "Problem"): [title for _, _, title, _ in findings],
        ctx.tr("Typ", "Kind"): [KINDS.get(kind, KINDS["own"])[1 if en else 0]
                                for _, kind, _, _ in findings],
        ctx.tr("Underlag", "Evidence"): [ctx.display(ev) for _, _, _, ev in findings],
    })
    tables = [ctx.table(ctx.tr("Prioriterade problem", "Prioritised problems"), frame)] \
        if len(frame) else []
    causes = causes or {}
    rows = []
    for number, (fid, _, title, _) in enumerate(findings, start=1):
        mine = causes.get(fid) or {}
        for key, (sv, en_label) in CAUSE_LABELS.items():
            if str(mine.get(key, "")).strip():
                rows.append({"#": number, ctx.tr("Problem", "Problem"): title,
                             ctx.tr("Nivå", "Level"): en_label if en else sv,
                             ctx.tr("Orsaksanalys", "Cause analysis"): mine[key]})
    if rows:
        tables.append(ctx.table(ctx.tr("Orsaksanalys per problem", "Cause analysis per problem"),
                                pd.DataFrame(rows), note=ctx.tr(
            "Risk- och skyddsfaktorer på fyra nivåer (individ, relationer, närmiljö, samhälle), "
            "källorna och det som inte är känt.",
            "Risk and protective factors at four levels (individual, relationships, community, "
            "society), the sources and what is not known.")))
    elif chosen:
        paras.append(ctx.tr("Ingen orsaksanalys är ifylld än.", "No cause analysis yet."))
    return section(ctx, "sammanfattning", paras, tables=tables)


def plan_tables(ctx: Context) -> tuple:
    """The åtgärdsplan (problem → cause → action → responsible → dates → baseline → target →
    indicator → follow-up) of the area's actions, and the uppföljning of their indicators."""
    actions = ctx.frames.actions
    codes = actions["area_ids"].fillna("").astype(str).str.split(",")
    mine = actions[[ctx.owns_action(cs) for cs in codes]]
    out = []
    plan = [c for c in ("problem", "cause", "start", "end", "baseline", "target", "follow_up")
            if c in mine.columns and mine[c].notna().any() and (mine[c].astype(str) != "").any()]
    if len(mine) and plan:
        labels = {"problem": ("Problem", "Problem"), "cause": ("Orsak", "Cause"),
                  "start": ("Start", "Start"), "end": ("Slut", "End"),
                  "baseline": ("Utgångsläge", "Baseline"), "target": ("Mål", "Target"),
                  "follow_up": ("Uppföljning", "Follow-up")}
        frame = pd.DataFrame({"ID": mine["action_id"].astype(str),
                              ctx.tr("Insats", "Action"): mine["title"].astype(str),
                              ctx.tr("Ansvarig", "Responsible"): mine["responsible"].fillna("")
                              .astype(str)})
        for col in plan:
            frame[labels[col][1 if ctx.en else 0]] = mine[col].fillna("").astype(str).to_numpy()
        frame[ctx.tr("Indikatorer", "Indicators")] = mine["indicator_ids"].fillna("") \
            .astype(str).to_numpy()
        out.append(ctx.table(ctx.tr("Åtgärdsplan", "Action plan"), frame))
    table = ctx.follow_up()
    if len(table):
        names = ctx.names()
        frame = pd.DataFrame({
            "ID": table["action_id"], ctx.tr("Indikator", "Indicator"): table["layer"],
            t("area", ctx.lang): [ctx.area_name if a == ctx.area_id else names.get(a, a)
                                  for a in table["area_id"].astype(str)],
            ctx.tr("Utgångsläge", "Baseline"): [
                f"{ctx.display(v)} ({p})" if p else "" for v, p in
                zip(table["baseline"], table["baseline_period"])],
            ctx.tr("Senaste", "Latest"): [f"{ctx.display(v)} ({p})" if p else "" for v, p in
                                          zip(table["latest"], table["latest_period"])],
            ctx.tr("Förändring", "Change"): [ctx.display(en if ctx.en and en else v) for v, en
                                             in zip(table["change"], table["change_en"])],
            ctx.tr("Mål", "Target"): table["target"],
            ctx.tr("Målet nått", "Target met"): [ctx.display(v) for v in table["target_met"]],
            ctx.tr("Nästa uppföljning", "Next follow-up"): table["follow_up"]})
        out.append(ctx.table(ctx.tr(f"Uppföljning: {ctx.area_name}", f"Follow-up: {ctx.area_name}"),
                             frame, note=ctx.tr(
            "Utgångsläget och det senaste värdet för området (en åtgärd i en enda kommun: för "
            "kommunen), totalt; förändringen prövad mot slumpen.", "The baseline and the latest "
            "value for the area (an action in one municipality: for that municipality), total; "
            "the change tested against chance.")))
    return tuple(out)
