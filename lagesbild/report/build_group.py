"""The joint lägesbild of a group of kommuner (Södra Lappland: Norsjö, Sorsele, Vilhelmina, Åsele;
a lokalpolisområde): the same sections as a kommun's report, about the group.

The group's figures are its pooled figures (`analysis.groups`: the kommuner's crimes and
inhabitants summed, survey answers weighted by respondents; protected with the kommun cells and
audited), each member kommun beside them and the county as reference:

- sammanfattning: the chosen findings of the group (stored under "grupp:<id>"), else the drafts
  of the group's pooled figures followed by each member's own drafts;
- kartläggning: the group overview (group and kommuner × layers, position to the county), the
  violence pyramid per member kommun, Brå's main crime groups for the group, then per layer the
  group's figures beside each kommun's, the map with the group outlined, the group over time
  and the ranking of the county's kommuner with the members marked;
- analys (changes beyond chance of the group's pooled figures), förebyggande (the members'
  programmes summed, each member against need), åtgärder with the plan and the uppföljning
  (an action of one member follows that kommun, else the group), källor.

Tables that would sum cells published only for each kommun with their own protection (weekday
× time of day, age groups) are not summed for a group: group − the other members would give
back a hidden kommun cell. They stay in each kommun's own report.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import pandas as pd

from lagesbild.analysis.county_overview import COLOURS, POSITION_EN, position
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.i18n import t
from lagesbild.core.layers import LayerSpec, wide_only
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy
from lagesbild.report import build, build_checks, build_crime
from lagesbild.report import build_sections as sections
from lagesbild.report.build_context import Context, area_value, paragraphs, rounded
from lagesbild.report.build_overview import overview_specs
from lagesbild.report.model import Figure, Report, Section, Table

__all__ = ["GroupContext", "build_group_report", "with_group"]


@dataclass
class GroupContext(Context):
    """A report Context whose area is a group: `area_id` "grupp:<id>", its kommuner `members`."""

    members: tuple[str, ...] = ()
    group_name: str = ""

    @property
    def gid(self) -> str:
        return self.area_id.split(":", 1)[1]

    @property
    def is_county(self) -> bool:
        return False

    @property
    def area_name(self) -> str:
        return self.group_name

    @property
    def highlight(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.members

    @property
    def county_id(self) -> str | None:
        parents = {self.frames.parent_of(m) for m in self.members}
        return parents.pop() if len(parents) == 1 else None

    def own_ids(self) -> list[str]:
        return list(self.members)

    def member_names(self) -> str:
        return ", ".join(self.frames.area_name(m) for m in self.members)

    def figures(self, spec: LayerSpec, period: str, sex: str) -> pd.DataFrame:
        """The county's figures with the group's pooled row first (crime rates, survey shares)."""
        key = ("gfig", spec.id, period, sex)
        if key not in self._memo:
            from lagesbild.analysis.groups import figures_with_group

            figs = super().figures(spec, period, sex)
            if spec.kind in ("count_rate", "incident_rate", "indicator"):
                whole = figures_with_group(self.frames, spec, members=list(self.members),
                                           name=self.group_name, gid=self.gid, period=period,
                                           sex=sex, taxonomy=self.taxonomy,
                                           settings=self.settings)
                row = whole.iloc[:1]
                figs = pd.concat([row.assign(source=[self.cite(x) for x in row["source"]]), figs],
                                 ignore_index=True)
            self._memo[key] = figs
        return self._memo[key]

    def drafts(self, layers: dict[str, LayerSpec]) -> list:
        from lagesbild.analysis.group_findings import group_drafts

        return group_drafts(self.frames, layers, self.taxonomy, self.settings, gid=self.gid,
                            name=self.group_name, members=list(self.members),
                            period=self.period, lang=self.lang)

    def follow_up(self) -> pd.DataFrame:
        from lagesbild.analysis.follow_up import follow_up

        return follow_up(self.frames, self.specs, self.taxonomy, self.settings,
                         area_id=self.area_id, period=self.period, members=self.members,
                         figures=lambda spec, when: self.figures(spec, when, "T"))


def with_group(frames: Frames, gid: str, name: str, members: list[str]) -> Frames:
    """`frames` with the group among its stored groups (an ad-hoc `--area 2417,2422`), so the
    release audit checks the group's cells with the kommun cells they sum."""
    table = frames.groups
    if (table["group_id"].astype(str) == gid).any():
        return frames
    row = pd.DataFrame([{"group_id": gid, "name": name, "kommun_ids": ",".join(members),
                         "source": "rapport"}])
    return dataclasses.replace(frames, groups=pd.concat([table, row], ignore_index=True))


def build_group_report(frames: Frames, specs: dict[str, LayerSpec], taxonomy: Taxonomy,
                       settings: Settings, *, group: tuple[str, str, list[str]], period: str,
                       notes: dict[str, str] | None = None, goals: dict[str, str] | None = None,
                       audience: str = "wide", lang: str = "sv", created: date | None = None,
                       layers: list[str] | None = None, snapshot: str | None = None,
                       assessment: tuple[list, dict] | None = None,
                       images: bool = True) -> Report:
    """The joint report of `group` (id, name, kommun codes, as `analysis.groups.resolve` gives)
    for `period`; the other arguments as `build.build_report`."""
    gid, name, members = group
    if len(members) < 2:
        raise InputError(f"Gruppen '{name}' har färre än två kommuner.", field="group",
                         fix="En gemensam lägesbild gäller minst två kommuner.")
    frames = with_group(frames, gid, name, members)
    checked = build_checks.check_arguments(frames, specs, area_id=members[0], notes=notes,
                                    goals=goals, audience=audience, lang=lang, layers=layers)
    notes, goals, chosen = checked
    if audience == "wide":
        specs = wide_only(specs)
        build_checks.refuse_a_disclosing_release(frames, specs, taxonomy, settings, str(period),
                                          members[0])
    ctx = GroupContext(frames, specs, taxonomy, settings, f"grupp:{gid}", str(period), lang,
                       audience, tuple(chosen), images, members=tuple(members), group_name=name)
    built = build.all_sections(ctx, kartlaggning, notes, goals, assessment, snapshot)
    title = ctx.tr(f"Gemensam lägesbild våld och trygghet: {name} {period}",
                   f"Joint situation picture, violence and safety: {name} {period}")
    meta = build_checks.report_meta(ctx) | {"group_id": gid, "members": ",".join(members)}
    return Report(title=title, area_id=", ".join(members), area_name=name, period=str(period),
                  audience=audience, lang=lang, created=created or date.today(),
                  sections=built, sources=tuple(dict.fromkeys(ctx.publishers().values())),
                  snapshot=snapshot, meta=meta)


# --- kartläggning --------------------------------------------------------------------------

def kartlaggning(ctx: GroupContext, note: str | None) -> Section:
    paras = [ctx.tr(
        f"Gemensam kartläggning för {ctx.area_name} ({ctx.member_names()}), {ctx.period}. "
        "Gruppens värde är kommunernas sammanlagda brott per sammanlagda invånare (enkäter: "
        "svaren sammanvägda efter antal svarande), med 95 % konfidensintervall; varje kommun "
        f"visas bredvid och {ctx.county_name or 'länet'} är referens.",
        f"Joint mapping for {ctx.area_name} ({ctx.member_names()}), {ctx.period}. The "
        "group's value is the municipalities' crimes summed per their inhabitants summed "
        "(surveys: the answers weighted by respondents), with 95% confidence intervals; each "
        f"municipality is shown beside it and {ctx.county_name or 'the county'} is the "
        "reference."), *paragraphs(note)]
    tables: list[Table] = []
    figures: list[Figure] = []
    overview = group_overview(ctx)
    if overview is not None:
        tables.append(overview)
    pyramid = member_pyramid(ctx)
    if pyramid is not None:
        tables.append(pyramid)
    build_crime.crime_overview(ctx, paras, tables)
    term = ctx.term()
    for spec in ctx.chosen():
        period = ctx.layer_period(spec)
        figs = ctx.figures(spec, period, "T")
        paras.append(_layer_text(ctx, spec, period, figs))
        if spec.kind == "coverage":  # pupils are not pooled here: förebyggande sums them
            figures.append(build._map(ctx, spec, period, figs, term))
            continue
        figures += [_group_map(ctx, spec, period, figs, term), build._trend(ctx, spec),
                    build._ranking(ctx, spec, period, figs)]
    paras.append(ctx.tr(
        "Veckodag och tid på dygnet, åldersgrupper och små områden redovisas i varje kommuns "
        "egen rapport: summerade för gruppen skulle de kunna röja uppgifter som är dolda för "
        "en enskild kommun.",
        "Weekday and time of day, age groups and small areas are reported in each "
        "municipality's own report: summed for the group they could disclose figures hidden "
        "for a single municipality."))
    return sections.section(ctx, "kartlaggning", paras, figures, tables)


def _layer_text(ctx: GroupContext, spec: LayerSpec, period: str, figs: pd.DataFrame) -> str:
    title = spec.title(ctx.lang).rstrip(".")
    latest = "" if period == ctx.period else ctx.tr(f" (senaste period: {period})",
                                                     f" (latest period: {period})")
    own = area_value(ctx, figs, ctx.area_id) if spec.kind != "coverage" else _pupils(ctx, figs)
    each = ", ".join(f"{ctx.frames.area_name(m)} {area_value(ctx, figs, m)}"
                     for m in ctx.members)
    county = area_value(ctx, figs, ctx.county_id)
    return (f"{title}{latest}. {ctx.area_name}: {own} ({ctx.tr('länet', 'county')} {county}). "
            + ctx.tr("Kommunerna: ", "The municipalities: ") + f"{each}.")


def _pupils(ctx: GroupContext, figs: pd.DataFrame) -> str:
    """A group's programme coverage: its kommuner's pupils reached over their target group
    (whole counts, no sample), "–" when a member has no figure."""
    rows = figs[figs["area_id"].astype(str).isin(ctx.members)]
    reached, eligible = (pd.to_numeric(rows[c]) for c in ("count", "denominator"))
    if len(rows) < len(ctx.members) or reached.isna().any() or eligible.isna().any() \
            or not eligible.sum():
        return "–"
    share = ctx.num(100 * reached.sum() / eligible.sum())
    return ctx.tr(f"{share} % ({ctx.num(reached.sum(), 0)} av {ctx.num(eligible.sum(), 0)} elever)",
                  f"{share}% ({ctx.num(reached.sum(), 0)} of {ctx.num(eligible.sum(), 0)} pupils)")


def _group_map(ctx: GroupContext, spec: LayerSpec, period: str, figs: pd.DataFrame,
               term: str | None) -> Figure:
    """The county map with the group outlined; its table is the group beside its kommuner."""
    figure = build._map(ctx, spec, period, figs, term)
    return dataclasses.replace(figure, table=group_table(ctx, spec, period))


def group_table(ctx: GroupContext, spec: LayerSpec, period: str) -> Table:
    """The group's pooled figure, each member's and the county's, for women, men and total."""
    keep = [ctx.area_id, *ctx.members, ctx.county_id or ""]
    rows = []
    for sex in ("T", "K", "M"):
        figs = ctx.figures(spec, period, sex)
        for area in keep:
            hit = figs[figs["area_id"].astype(str) == area]
            if len(hit):
                rows.append(hit.iloc[0])
    frame = pd.DataFrame(rows)
    out = pd.DataFrame({
        t("area", ctx.lang): frame["name"].astype(str).to_numpy(),
        t("sex", ctx.lang): [ctx.sex(s) for s in frame["sex"]],
        t("value", ctx.lang): [ctx.display(d) for d in frame["display"]],
        ctx.tr("Värde (tal)", "Value (number)"): rounded(frame["value"]).to_numpy(),
        ctx.tr("95 % KI, från", "95% CI, from"): rounded(frame["ci_low"]).to_numpy(),
        ctx.tr("95 % KI, till", "95% CI, to"): rounded(frame["ci_high"]).to_numpy(),
        t("source", ctx.lang): frame["source"].astype(str).to_numpy()})
    return ctx.table(ctx.tr(f"{spec.title(ctx.lang)}: {ctx.area_name} och kommunerna, {period}",
                            f"{spec.title(ctx.lang)}: {ctx.area_name} and its municipalities, "
                            f"{period}"), out, note=ctx.tr(
        f"{ctx.area_name} är summan av {len(ctx.members)} kommuner ({ctx.member_names()}). "
        "Gruppens värde skyddas tillsammans med kommunernas: det visas inte där det skulle "
        "röja en dold kommuns uppgift.",
        f"{ctx.area_name} is the sum of {len(ctx.members)} municipalities "
        f"({ctx.member_names()}). The group's value is protected with the municipalities': it "
        "is not shown where it would disclose a municipality's hidden figure."),
        source_col=t("source", ctx.lang))


def group_overview(ctx: GroupContext) -> Table | None:
    """The group and each member × the report's layers and the crime groups: the published
    display and the position to the county's own value, coloured as the county overview."""
    specs = [s for s in overview_specs(ctx) if s.kind in ("count_rate", "incident_rate",
                                                          "indicator")]
    if not specs:
        return None
    area = ctx.tr("Område", "Area")
    ids = [ctx.area_id, *ctx.members]
    labels = {ctx.area_id: ctx.area_name, **{m: ctx.frames.area_name(m) for m in ctx.members}}
    frame = {area: [ctx.tr("Länet", "County")] + [labels[i] for i in ids]}
    fills = {area: [""] * (len(ids) + 1)}
    for spec in specs:
        period = str(ctx.layer_period(spec))
        figs = ctx.figures(spec, period, "T")
        title = spec.title(ctx.lang) + ("" if period == ctx.period else f" ({period})")
        by_id = {str(a): r for a, r in zip(figs["area_id"], figs.to_dict("records"))}
        county = by_id.get(str(ctx.county_id))
        county_value = county["value"] if county and not county["suppressed"] else None
        cells, colours = [ctx.display(county["display"]) if county else "–"], [""]
        for i in ids:
            row = by_id.get(i)
            where = position(row, county_value) if row else "saknas"
            shown = ctx.display(row["display"]) if row else ctx.display("uppgift saknas")
            cells.append(f"{shown} · {POSITION_EN.get(where, where) if ctx.en else where}")
            colours.append(COLOURS.get(where, ""))
        frame[title], fills[title] = cells, colours
    return Table(
        title=ctx.tr(f"Gruppöversikt: {ctx.area_name}", f"Group overview: {ctx.area_name}"),
        frame=pd.DataFrame(frame), fills=pd.DataFrame(fills), note=ctx.tr(
            "Första raden är länets värde, andra gruppens sammanlagda, sedan varje kommun. Läge "
            "mot länets värde: över/under när hela 95 %-intervallet ligger över/under det, "
            "annars inom; dold där värdet skyddas. Färg: orange över, blå under, grå inom eller "
            "dold.",
            "The first row is the county's value, the second the group's pooled value, then each "
            "municipality. Position against the county's value: above/below when the whole 95% "
            "interval lies above/below it, else within; hidden where the value is protected. "
            "Colour: orange above, blue below, grey within or hidden."))


def member_pyramid(ctx: GroupContext) -> Table | None:
    """The violence pyramid's levels per member kommun (each kommun's published counts; the
    levels are not summed for the group here, see the module doc), women, men and total."""
    from lagesbild.analysis.darkfigure import load_indicator_meta
    from lagesbild.analysis.pyramid_view import pyramid_view

    source, period = build.pyramid_source(ctx)
    if period is None:
        return None
    meta = load_indicator_meta(ctx.settings)
    titles = {lv.level: lv.title_en if ctx.en else lv.title_sv for lv in ctx.taxonomy.levels}
    frame = pd.DataFrame({t("level_word", ctx.lang): [titles[lv.level]
                                                      for lv in ctx.taxonomy.levels]})
    for member in ctx.members:
        view = pyramid_view(ctx.frames, ctx.taxonomy, meta, area_id=member, period=period,
                            source=source, settings=ctx.settings)
        counts = view.counts[view.counts["category"] == ALL]
        for sex in ("K", "M", "T"):
            shown = dict(zip(counts.loc[counts["sex"] == sex, "level"],
                             counts.loc[counts["sex"] == sex, "display"]))
            frame[f"{ctx.frames.area_name(member)} ({ctx.sex(sex).lower()})"] = [
                ctx.display(shown.get(lv.level, "–")) for lv in ctx.taxonomy.levels]
    return ctx.table(ctx.tr(f"Våldspyramiden per kommun: {ctx.area_name}, {period}",
                            f"The violence pyramid by municipality: {ctx.area_name}, {period}"),
                     frame, note=ctx.tr(
        f"Antal per nivå ({t(f'src_{source}', ctx.lang)}), varje kommuns publicerade värden.",
        f"Counts per level ({t(f'src_{source}', ctx.lang)}), each municipality's published "
        "values."))
