"""The report sections after the mapping: analysis, prevention coverage, actions and goals, sources.

Each builder returns a `model.Section`; the figures come from protected analysis output only
(change tests on published figures, programme coverage, coverage against need).
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.chance import flags_text
from lagesbild.analysis.change import CHANGE_COLUMNS, VERDICTS, change_flags, change_table
from lagesbild.analysis.coverage import actions_by_focus
from lagesbild.report.build_districts import district_tables
from lagesbild.analysis.darkfigure import caveats, load_indicator_meta
from lagesbild.analysis.figures import indicator_figures
from lagesbild.analysis.map_views import CHANGE_CAVEAT
from lagesbild.analysis.need import DOSE_NOTE, labelled, programme_coverage
from lagesbild.core import schema
from lagesbild.core.i18n import t
from lagesbild.report.build_programmes import programme_parts
from lagesbild.report.build_context import KOMMUN, Context, paragraphs, pick_period, rounded
from lagesbild.report.build_coverage import _need_figure, _site_table, _summed
from lagesbild.report.model import SECTION_TITLES, Figure, Section, Table


def section(ctx: Context, key: str, paras: list[str], figures: list[Figure] = (),
            tables: list[Table] = ()) -> Section:
    sv, en = SECTION_TITLES[key]
    return Section(key, en if ctx.en else sv, tuple(paras), tuple(figures), tuple(tables))


# --- analys --------------------------------------------------------------------------------

def analys(ctx: Context, note: str | None) -> Section:
    """The user's analysis, then changes beyond chance since the previous period for the area."""
    paras = paragraphs(note) or [ctx.tr(
        "Ingen analystext har skrivits för området och perioden.",
        "No analysis text has been written for the area and period.")]
    paras.append(ctx.tr(
        f"Förändringar sedan föregående period för {ctx.area_name}, prövade mot slumpen "
        f"({ctx.num(ctx.settings.confidence * 100, 0)} % konfidens). Bara förändringar utöver "
        "slumpen anges som förändringar.",
        f"Changes since the previous period for {ctx.area_name}, tested against chance "
        f"({ctx.num(ctx.settings.confidence * 100, 0)}% confidence). Only changes beyond chance "
        "are stated as changes."))
    rows = []
    for spec in ctx.chosen():
        if spec.kind == "coverage":  # whole target group: no sampling uncertainty to test
            continue
        period, found = ctx.layer_period(spec), ctx.periods(spec)
        title = spec.title(ctx.lang)
        if found.index(period) == 0:
            paras.append(ctx.tr(f"{title}: ingen tidigare period att jämföra med.",
                                f"{title}: no earlier period to compare with."))
            continue
        before = found[found.index(period) - 1]
        changes = []
        for sex in ("T", "K", "M"):
            a, b = (ctx.figures(spec, p, sex) for p in (before, period))
            mine = [f[f["area_id"].astype(str) == ctx.area_id] for f in (a, b)]
            if not len(mine[0]) or not len(mine[1]):
                continue
            changes.append(change_table(mine[0], mine[1], settings=ctx.settings,
                                        dispersion=ctx.dispersion(spec)))
        table = pd.concat(changes, ignore_index=True) if changes else \
            pd.DataFrame(columns=CHANGE_COLUMNS)
        paras.append(_change_statement(ctx, title, before, period, table))
        rows += [{"layer": title, **r} for r in table.to_dict("records")]
    paras.append(CHANGE_CAVEAT[1 if ctx.en else 0])
    frame = pd.DataFrame(rows)
    if len(frame):  # the changes flagged against the number chance alone would give
        paras.append(flags_text([change_flags(frame, ctx.settings.confidence)], ctx.lang,
                                "tests"))
    tables = []
    if len(frame):
        tables.append(ctx.table(ctx.tr(f"Förändring sedan föregående period: {ctx.area_name}",
                                       f"Change since the previous period: {ctx.area_name}"),
                                pd.DataFrame({
            t("layer", ctx.lang): frame["layer"],
            t("sex", ctx.lang): [ctx.sex(s) for s in frame["sex"]],
            ctx.tr("Från period", "From period"): frame["period_from"],
            ctx.tr("Värde då", "Value then"): [ctx.display(v) for v in frame["display_from"]],
            ctx.tr("Till period", "To period"): frame["period_to"],
            ctx.tr("Värde nu", "Value now"): [ctx.display(v) for v in frame["display_to"]],
            ctx.tr("Förändring", "Change"): [ctx.display(v) for v in frame["display"]],
            ctx.tr("Bedömning", "Verdict"): frame["verdict_en" if ctx.en else "verdict"],
            ctx.tr("p-värde", "p-value"): rounded(frame["p_value"], 4)}),
            note=CHANGE_CAVEAT[1 if ctx.en else 0]))
    return section(ctx, "analys", paras, tables=tables)


def _change_statement(ctx: Context, title: str, before: str, period: str,
                      table: pd.DataFrame) -> str:
    significant = table[table["significant"]]
    if len(significant):
        parts = [f"{ctx.sex(r['sex']).lower()}: "
                 f"{r['verdict_en'] if ctx.en else r['verdict']} ({ctx.display(r['display_from'])}"
                 f" → {ctx.display(r['display_to'])}; {ctx.display(r['display'])})"
                 for _, r in significant.iterrows()]
        return f"{title}, {before}–{period}: " + "; ".join(parts) + "."
    total = table[table["sex"] == "T"]
    if len(total) and total["verdict"].iloc[0] == VERDICTS["part_year"][0]:
        return ctx.tr(f"{title}, {before}–{period}: jämförs inte, {total['note'].iloc[0]}.",
                      f"{title}, {before}–{period}: not compared: a part year is never "
                      "compared with a whole year.")
    unknown = (VERDICTS["hidden"][0], VERDICTS["missing"][0])
    if not len(total) or total["verdict"].iloc[0] in unknown:
        return ctx.tr(f"{title}, {before}–{period}: kan inte bedömas (dolt eller saknas i minst "
                      "en av perioderna).",
                      f"{title}, {before}–{period}: cannot be assessed (hidden or missing in at "
                      "least one of the periods).")
    row = total.iloc[0]
    return ctx.tr(f"{title}: ingen säker förändring mellan {before} och {period} (kan vara "
                  f"slump): {ctx.display(row['display_from'])} → {ctx.display(row['display_to'])}.",
                  f"{title}: no certain change between {before} and {period} (may be chance): "
                  f"{ctx.display(row['display_from'])} → {ctx.display(row['display_to'])}.")


# --- förebyggande --------------------------------------------------------------------------

def forebyggande(ctx: Context, note: str | None) -> Section:
    """Programme coverage in the term, schools reached, and coverage against need (map)."""
    paras = paragraphs(note)
    spec = ctx.coverage_spec()
    term = ctx.term()
    if term is None:
        paras.append(ctx.tr("Arbetsytan har inga uppgifter om förebyggande program.",
                            "The workspace has no data on prevention programmes."))
        return section(ctx, "forebyggande", paras)
    programmes = ", ".join(spec.programmes) or ctx.tr("alla program", "all programmes")
    cov = programme_coverage(ctx.frames, periods=[term], programmes=spec.programmes)
    cov = cov[cov["area_id"].astype(str).isin([*ctx.kommun_ids(), ctx.county_id or ""])]
    cov = cov.assign(_k=cov["level"] == KOMMUN).sort_values(["_k", "name"]).drop(columns="_k")
    county = cov[cov["area_id"].astype(str) == str(ctx.county_id)]
    own = [] if ctx.is_county else ctx.own_ids()
    mine = cov[cov["area_id"].astype(str) == ctx.area_id] if ctx.is_county or len(own) == 1 \
        else _summed(cov[cov["area_id"].astype(str).isin(own)], ctx.area_name)
    paras.append(ctx.tr(f"Programtäckning termin {term} ({programmes}).",
                        f"Programme coverage in term {term} ({programmes})."))
    if len(mine):
        r = mine.iloc[0]
        county_text = (ctx.tr(f" (länet {ctx.num(county['share_pupils'].iloc[0])} %)",
                              f" (county {ctx.num(county['share_pupils'].iloc[0])}%)")
                       if len(county) and not ctx.is_county else "")
        paras.append(ctx.tr(
            f"{ctx.area_name}: {ctx.num(r['pupils_reached'], 0)} av "
            f"{ctx.num(r['eligible_pupils'], 0)} elever i målgruppen nås "
            f"({ctx.num(r['share_pupils'])} %){county_text}; {ctx.num(r['schools_reached'], 0)} "
            f"av {ctx.num(r['schools'], 0)} skolor.",
            f"{ctx.area_name}: {ctx.num(r['pupils_reached'], 0)} of "
            f"{ctx.num(r['eligible_pupils'], 0)} pupils in the target group are reached "
            f"({ctx.num(r['share_pupils'])}%){county_text}; {ctx.num(r['schools_reached'], 0)} "
            f"of {ctx.num(r['schools'], 0)} schools."))
    shown = cov.drop(columns=["level", "period"])
    for col in ("share_schools", "share_pupils", "staff_per_100_pupils"):
        shown[col] = rounded(shown[col], 1)
    labels = "en" if ctx.en else "sv"
    tables = [ctx.table(ctx.tr(f"Programtäckning per kommun, {term}",
                               f"Programme coverage by municipality, {term}"),
                        labelled(shown, labels), note=DOSE_NOTE[labels],
                        source_col=t("source", ctx.lang)),
              _site_table(ctx, term),
              *district_tables(ctx, spec.programmes, term, paras)]
    more_paras, more_tables = programme_parts(ctx, term)  # each programme, its counts, funders
    paras, tables = paras + more_paras, tables + more_tables
    figures = _need_figure(ctx, spec, term, paras)
    return section(ctx, "forebyggande", paras, figures, tables)




# --- åtgärder ------------------------------------------------------------------------------

def atgarder(ctx: Context, note: str | None, goals: dict[str, str]) -> Section:
    """Actions by focus area with status and follow-up indicators, and the local goals."""
    paras = paragraphs(note)
    actions = actions_by_focus(ctx.frames, lang=ctx.lang)
    if not ctx.is_county:
        codes = actions["area_ids"].fillna("").astype(str).str.split(",")
        keep = [ctx.owns_action(cs) for cs in codes]
        actions = actions[pd.Series(keep, index=actions.index, dtype=bool)]
        paras.append(ctx.tr(f"Åtgärder som gäller {ctx.area_name} eller hela länet.",
                            f"Actions that concern {ctx.area_name} or the whole county."))
    counts = actions["status"].value_counts()
    if len(actions):
        paras.append(ctx.tr(f"{len(actions)} åtgärder: ", f"{len(actions)} actions: ") + ", ".join(
            f"{n} {ctx.display(s)}" for s, n in counts.items()) + ".")
    else:
        paras.append(ctx.tr("Inga åtgärder är registrerade.", "No actions are registered."))
    names = ctx.names()
    follow = _follow_up(ctx)
    frame = pd.DataFrame({
        ctx.tr("Fokusområde", "Focus area"): actions["focus_title"].astype(str),
        "ID": actions["action_id"].astype(str),
        ctx.tr("Insats", "Action"): actions["title"].astype(str),
        ctx.tr("Ansvarig", "Responsible"): actions["responsible"].astype(str),
        t("period", ctx.lang): actions["period"].astype(str),
        "Status": [ctx.display(s) for s in actions["status"].astype(str)],
        ctx.tr("Kommuner", "Municipalities"): [
            ", ".join(names.get(c.strip(), c.strip()) for c in str(v).split(",") if c.strip())
            for v in actions["area_ids"].fillna("")],
        ctx.tr("Uppföljning", "Follow-up"): [
            "; ".join(follow(i.strip()) for i in str(v).split(",") if i.strip())
            for v in actions["indicator_ids"].fillna("")],
    })
    tables = [ctx.table(t("actions", ctx.lang), frame, note=ctx.tr(
        f"Uppföljning: indikatorns senaste värde för {ctx.area_name}, totalt.",
        f"Follow-up: the indicator's latest value for {ctx.area_name}, total."))]
    goal_rows = []
    for key, (sv, en) in schema.FOCUS_AREAS.items():
        mine = actions[actions["focus_area"] == key]
        goal_rows.append({
            ctx.tr("Fokusområde", "Focus area"): en if ctx.en else sv,
            ctx.tr("Lokalt mål", "Local goal"): (goals.get(key) or "").strip() or ctx.tr(
                "inget lokalt mål angivet", "no local goal given"),
            ctx.tr("Åtgärder", "Actions"): len(mine),
            "Status": ", ".join(f"{n} {ctx.display(s)}"
                                for s, n in mine["status"].value_counts().items()),
        })
    given = sum(1 for k in schema.FOCUS_AREAS if (goals.get(k) or "").strip())
    paras.append(ctx.tr(f"Lokala mål finns för {given} av {len(schema.FOCUS_AREAS)} "
                        "fokusområden (tabellen Lokala mål per fokusområde).",
                        f"Local goals are given for {given} of {len(schema.FOCUS_AREAS)} focus "
                        "areas (table Local goals by focus area)."))
    tables.append(ctx.table(ctx.tr("Lokala mål per fokusområde", "Local goals by focus area"),
                            pd.DataFrame(goal_rows)))
    return section(ctx, "atgarder", paras, tables=tables)


def _follow_up(ctx: Context):  # noqa: ANN202
    meta = load_indicator_meta(ctx.settings)
    data = ctx.frames.indicators
    target = ctx.area_id

    def text(indicator: str) -> str:
        title = meta.get(indicator, {}).get("title_en" if ctx.en else "title_sv", indicator)
        found = sorted({str(p) for p in data.loc[data["indicator_id"] == indicator, "period"]})
        period = pick_period(found, ctx.period)
        if period is None:
            return f"{title}: {ctx.display('uppgift saknas')}"
        figs = indicator_figures(ctx.frames, indicator, period=period, settings=ctx.settings)
        row = figs[(figs["area_id"].astype(str) == target) & (figs["sex"] == "T")]
        shown = ctx.display(row["display"].iloc[0]) if len(row) else ctx.display("uppgift saknas")
        return f"{title}: {shown} ({period})"

    return text


# --- källor --------------------------------------------------------------------------------

def kallor(ctx: Context, note: str | None, snapshot: str | None) -> Section:
    """Provenance of every dataset, the disclosure policy and the caveats."""
    s = ctx.settings
    paras = paragraphs(note)
    paras += [
        ctx.tr("Röjandekontroll: ", "Disclosure control: ") + ctx.suppression_note(),
        ctx.tr(f"Andelar från enkäter med färre än {s.min_survey_n} svarande, andelar där "
               f"färre än {s.suppress_below} personer svarat ja och andelar som annars kunde "
               "räknas fram visas också som \"..\".",
               f"Survey shares from fewer than {s.min_survey_n} respondents, shares where fewer "
               f"than {s.suppress_below} people answered yes, and shares that could otherwise "
               "be worked out are shown as \"..\" too."),
        ctx.tr("Takter har exakta 95 % Poisson-intervall, enkätandelar Wilson-intervall och "
               "antal svarande.", "Rates carry exact 95% Poisson intervals, survey shares "
               "Wilson intervals and the number of respondents."),
        ctx.tr("Polisens händelsenotiser är inte brottsstatistik och deras läge är områdets "
               "mittpunkt, inte platsen för händelsen.",
               "The police's event notices are not crime statistics, and their position is the "
               "centre of the area, not the place of the event."),
        _audience_text(ctx),
        ctx.tr("Mörkertal (anmälda brott jämfört med enkätens utsatta) ska läsas med dessa "
               "förbehåll:", "The dark figure (reported offences compared with the survey's "
               "victims) must be read with these caveats:"),
        *[f"• {c}" for c in caveats(lang=ctx.lang)],
        (ctx.tr(f"Ögonblicksbild: {snapshot}.", f"Snapshot: {snapshot}.") if snapshot else
         ctx.tr("Siffrorna kommer från arbetsytan som den var när rapporten skapades (ingen "
                "ögonblicksbild).", "The figures come from the workspace as it was when the "
                "report was made (no snapshot).")),
    ]
    data = ctx.frames.datasets
    publishers = ctx.publishers()
    datasets = pd.DataFrame({
        ctx.tr("Utgivare och tabell", "Publisher and table"): [
            publishers.get(str(n), str(n)) for n in data["dataset"]],
        "Dataset": data["dataset"].astype(str),
        ctx.tr("Fil", "File"): data["file"].astype(str),
        ctx.tr("Tabell", "Table"): data["table"].astype(str),
        t("period", ctx.lang): data["period"].fillna("").astype(str),
        t("imported", ctx.lang): data["imported_at"].astype(str).str[:10],
        ctx.tr("Beskrivning", "Description"): data["description"].fillna("").astype(str),
    })
    layers = pd.DataFrame([{
        ctx.tr("Lager", "Layer"): spec.id, ctx.tr("Titel", "Title"): spec.title(ctx.lang),
        t("period", ctx.lang): ctx.layer_period(spec),
        ctx.tr("Lagerfil", "Layer file"): spec.file} for spec in ctx.chosen()])
    tables = [ctx.table(t("datasets", ctx.lang), datasets)]
    if len(layers):
        tables.append(ctx.table(ctx.tr("Lager i rapporten", "Layers in the report"), layers))
    return section(ctx, "kallor", paras, tables=tables)


def _audience_text(ctx: Context) -> str:
    if ctx.audience == "police":
        if "point_data" in ctx._memo:
            return ctx.tr("Målgrupp: polisen och kommunens samverkan. Rapporten visar brottsplatser "
                          "ur polisens utdrag som punkter: sprid den inte vidare.",
                          "Audience: the police and the municipality's joint work. The report "
                          "shows offence locations from the police extract as points: do not "
                          "distribute it further.")
        return ctx.tr("Målgrupp: polisen och kommunens samverkan. Rapporten innehåller inga "
                      "punktuppgifter om brott (arbetsytan har inga brott med läge för perioden).",
                      "Audience: the police and the municipality's joint work. The report holds "
                      "no point data on offences (the workspace has no offences with a position "
                      "for the period).")
    return ctx.tr("Målgrupp: bred spridning utanför polisen. Rapporten innehåller inga "
                  "punktuppgifter om brott, bara värden per kommun; skolor och fritidsgårdar är "
                  "offentliga platser och visas med sitt läge.",
                  "Audience: wide distribution beyond the police. The report holds no point "
                  "data on offences, only values per municipality; schools and youth centres "
                  "are public places and are shown at their position.")


__all__ = ["analys", "atgarder", "forebyggande", "kallor", "section"]
