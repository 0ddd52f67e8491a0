"""The parts of the prevention section beside the programme tables: a group's summed coverage,
the schools and youth centres of the area, and coverage against need (map, table and the area's
quadrant and priority)."""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis.map_views import DEFAULT_NEED, need_view
from lagesbild.analysis.need import QUADRANTS, labelled
from lagesbild.core.i18n import t
from lagesbild.render import static
from lagesbild.report.build_context import Context, rounded
from lagesbild.report.model import Figure, Table


def _summed(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    """A group's programme coverage: its kommuner's schools and pupils summed (whole counts of
    the target group, no sample), one row named `name`; empty when a kommun has no row."""
    if not len(rows):
        return rows
    total = {"name": name, "pupils_reached": rows["pupils_reached"].sum(),
             "eligible_pupils": rows["eligible_pupils"].sum(),
             "schools_reached": rows["schools_reached"].sum(), "schools": rows["schools"].sum()}
    total["share_pupils"] = 100 * total["pupils_reached"] / total["eligible_pupils"] \
        if total["eligible_pupils"] else float("nan")
    return pd.DataFrame([total])


def _site_table(ctx: Context, term: str) -> Table:
    """The schools and youth centres of the area (the county's for a county) in `term`."""
    sites = ctx.sites(term)
    if sites is not None and not ctx.is_county:
        sites = sites[sites["area_id"].astype(str).isin(ctx.own_ids())]
    sites = sites if sites is not None else ctx.frames.sites.iloc[:0].assign(
        programme="", status="", classes=pd.NA, pupils_reached=pd.NA)
    names = ctx.names()
    sites = sites.assign(_k=sites["area_id"].map(names)).sort_values(["_k", "name"])
    status = [t(f"status_{s}", ctx.lang) if f"status_{s}" in _STATUS_KEYS else s
              for s in sites["status"]]
    frame = pd.DataFrame({
        ctx.tr("Enhet", "Unit"): sites["name"].astype(str),
        ctx.tr("Typ", "Kind"): sites["kind"].astype(str),
        ctx.tr("Kommun", "Municipality"): sites["_k"].astype(str),
        t("programme", ctx.lang): sites["programme"].astype(str),
        t("site_status", ctx.lang): status,
        ctx.tr("Klasser", "Classes"): pd.to_numeric(sites["classes"]).astype("Int64"),
        ctx.tr("Elever som nåtts", "Pupils reached"):
            pd.to_numeric(sites["pupils_reached"]).astype("Int64"),
        ctx.tr("Elever i målgruppen", "Pupils in target group"):
            pd.to_numeric(sites["eligible_pupils"]).astype("Int64"),
    })
    return ctx.table(ctx.tr(f"Skolor och fritidsgårdar, {term}",
                            f"Schools and youth centres, {term}"), frame,
                     note=ctx.tr("Skolor och fritidsgårdar är offentliga platser.",
                                 "Schools and youth centres are public places."))


_STATUS_KEYS = {f"status_{s}" for s in ("genomförs", "planerad", "avslutad", "ej startad",
                                        "inget program")}


def _need_figure(ctx: Context, spec, term: str, paras: list[str]) -> list[Figure]:  # noqa: ANN001
    need = tuple(n for n in DEFAULT_NEED if n in ctx.specs)
    if not need:
        return []
    view = ctx.cited(need_view(ctx.frames, spec, term=term, need=need, taxonomy=ctx.taxonomy,
                               settings=ctx.settings, lang=ctx.lang, layers=ctx.specs))
    table = view.table
    table = table[table["area_id"].astype(str).isin(ctx.kommun_ids())]
    own = [ctx.area_id] if ctx.is_county else ctx.own_ids()
    for _, r in table[table["area_id"].astype(str).isin(own)].iterrows():
        quadrant = QUADRANTS[_quadrant(view, str(r["area_id"]))][1 if ctx.en else 0]
        rank = ctx.tr(f"prioritet {r['rank']} av {table['rank'].notna().sum()}",
                      f"priority {r['rank']} of {table['rank'].notna().sum()}") \
            if pd.notna(r["rank"]) else ctx.tr("ingen prioritet (behov eller täckning okänd)",
                                               "no priority (need or coverage unknown)")
        paras.append(ctx.tr(
            f"Täckning mot behov, {r['name']}: behov percentil {ctx.num(r['need_pct'], 0)}, "
            f"täckning {ctx.num(r['coverage_pct'])} %: {quadrant.lower()}, {rank}.",
            f"Coverage versus need, {r['name']}: need percentile "
            f"{ctx.num(r['need_pct'], 0)}, coverage {ctx.num(r['coverage_pct'])}%: "
            f"{quadrant.lower()}, {rank}."))
    shown = table[["rank", "name", "need_period", "need_pct", "coverage_pct", "gap", "status",
                   "source"]].assign(need_pct=rounded(table["need_pct"], 0),
                                     coverage_pct=rounded(table["coverage_pct"], 1),
                                     gap=rounded(table["gap"], 0))
    note = f"{t('need_note', ctx.lang)} {view.note}."
    png = ctx.draw(static.map_png, view, ctx.kommuner(), spec, lang=ctx.lang,
                   threshold=ctx.settings.suppress_below, highlight=ctx.highlight)
    caption = ctx.tr(f"Termin {term}. {view.note}. Källa: {_sources(shown)}.",
                     f"Term {term}. {view.note}. Source: {_sources(shown)}.")
    tab = ctx.table(ctx.tr(f"Täckning mot behov, {term}", f"Coverage versus need, {term}"),
                    labelled(shown, "en" if ctx.en else "sv"), note=note,
                    source_col=t("source", ctx.lang))
    return [Figure(view.title, png, caption, html=ctx.map_html(view, spec, term), table=tab)]


def _quadrant(view, area_id: str) -> str:  # noqa: ANN001
    rows = view.categories
    match = rows[rows["area_id"].astype(str) == area_id]
    return str(match["category"].iloc[0]) if len(match) else "unknown"


def _sources(frame: pd.DataFrame) -> str:
    return "; ".join(dict.fromkeys(str(s) for s in frame["source"] if isinstance(s, str) and s)) \
        or "–"
