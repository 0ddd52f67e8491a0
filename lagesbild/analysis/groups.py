"""A joint lägesbild for a named group of kommuner: the group's pooled figures beside each
kommun's (Södra Lappland: Norsjö, Sorsele, Vilhelmina, Åsele).

Rates: the group's count is the sum of its kommuner's counts, its population their sum, the
rate the pooled count per `spec.per` with the exact Poisson interval. Survey shares: the yes
answers and respondents summed (share = Σ yes / Σ n), Wilson's interval on the summed n.

Protection: the group's cell is a sum of kommun cells that are published with their own
protection, so group − shown kommuner = the hidden kommuner's sum, and with the county's
row, what the other kommuner hide. The group's cells (K, M, T) are added to the release the
kommun figures belong to (the pyramid cube, or the subset layer, or the survey's shares) with
"group = Σ members", a group count of 1–4 is hidden, and while the ILP adversary
(`audit.audit`) narrows any hidden cell the group's cells are hidden (that sex first, then all).
With every group cell hidden the release is the kommun one, which passes on its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lagesbild.analysis import disclosure, stats
from lagesbild.analysis.audit import Relation, audit, hidden_cell, shown_cell, total_of
from lagesbild.analysis.memo import memo_dict
from lagesbild.analysis.release import cell_id
from lagesbild.core.errors import InputError
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import ALL, Taxonomy

RATE_KINDS = ("count_rate", "incident_rate")
GROUP_LEVEL = "grupp"
SEXES = ("K", "M", "T")


def resolve(frames: Frames, *, group: str | None = None, area: str | None = None
            ) -> tuple[str, str, list[str]]:
    """(group id, name, kommun codes) of a stored group (`group`: its name or id) or of an
    ad-hoc list (`area`: "2417,2422,2462,2463")."""
    kommuner = set(frames.kommuner["area_id"].astype(str))
    if group is not None:
        table = frames.groups
        hit = table[(table["name"] == group) | (table["group_id"] == group)]
        if not len(hit):
            names = ", ".join(table["name"].astype(str)) or "inga"
            raise InputError(f"Gruppen '{group}' finns inte i arbetsytan (grupper: {names}).",
                             field="group", fix="Skapa den med 'lagesbild group create'.")
        row = hit.iloc[0]
        codes = [c.strip() for c in str(row["kommun_ids"]).split(",") if c.strip()]
        return str(row["group_id"]), str(row["name"]), codes
    codes = [c.strip() for c in str(area).split(",") if c.strip()]
    unknown = [c for c in codes if c not in kommuner]
    if unknown or len(codes) < 2:
        raise InputError(f"'{area}' är ingen lista av kommuner i arbetsytan"
                         + (f" ({unknown[0]} saknas)." if unknown else "."), field="area",
                         fix="Ange minst två kommunkoder med komma emellan, t.ex. 2417,2422.")
    names = [frames.area_name(c) for c in codes]
    return "+".join(codes), ", ".join(names), codes


def group_figures(frames: Frames, spec: LayerSpec, *, members: list[str], name: str,
                  gid: str, period: str, sex: str, taxonomy: Taxonomy,
                  settings: Settings) -> pd.DataFrame:
    """The group's row (area_id "grupp:<id>", level "grupp") followed by each member kommun's
    and the county's rows of `layer_figures`, in FIGURE_COLUMNS."""
    from lagesbild.analysis.figures import FIGURE_COLUMNS, _num, _rate_text, layer_figures

    figs = layer_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                         settings=settings)
    own = figs[figs["area_id"].isin(members)].set_index("area_id").loc[members].reset_index()
    county = figs[(figs["level"] == "lan") & (figs["area_id"] == members[0][:2])]
    decided = group_cells(frames, spec, members=members, gid=gid, period=period,
                          taxonomy=taxonomy, settings=settings)
    cell = decided.get(sex)
    row = {c: pd.NA for c in FIGURE_COLUMNS}
    row.update(area_id=f"grupp:{gid}", name=name, level=GROUP_LEVEL, period=period, sex=sex,
               unit=spec.unit, part_year="", suppressed=False, suppression="",
               source="; ".join(dict.fromkeys(s for s in own["source"].astype(str) if s)),
               note=f"summan av {len(members)} kommuner" if spec.kind in RATE_KINDS
               else f"{len(members)} kommuners svar sammanvägda efter antal svarande")
    if cell is None:
        row.update(display="uppgift saknas")
    elif spec.kind in RATE_KINDS:
        count, hidden = cell["value"], cell["hidden"]
        pop = pd.to_numeric(own["denominator"]).astype("float64")
        row["denominator"] = int(pop.sum()) if pop.notna().all() else pd.NA
        row["suppressed"], row["suppression"] = hidden, "secondary" if hidden else ""
        if not hidden:
            row["count"] = count
            if not pd.isna(row["denominator"]):
                r = stats.rate(pd.Series([float(count)]), pd.Series([float(row["denominator"])]),
                               per=spec.per, confidence=settings.confidence).iloc[0]
                row.update(value=r["value"], ci_low=r["ci_low"], ci_high=r["ci_high"])
        row["display"] = _rate_text(row["value"], row["count"], row["suppression"], spec.per,
                                    settings.suppress_below)
    else:
        n, hidden = cell["n"], cell["hidden"]
        row.update(n=n, denominator=n, suppressed=hidden,
                   suppression="secondary" if hidden else "")
        if hidden:
            row["display"] = f"{disclosure.HIDDEN} (n={n})"
        else:
            share = cell["value"] / n
            low, high = stats.wilson_ci(pd.Series([share]), pd.Series([float(n)]),
                                        confidence=settings.confidence)
            row.update(value=100 * share, ci_low=100 * float(np.asarray(low)[0]),
                       ci_high=100 * float(np.asarray(high)[0]),
                       display=f"{_num(100 * share, 1)} % (n={n})")
    out = pd.concat([pd.DataFrame([row]), own, county], ignore_index=True)
    return out[FIGURE_COLUMNS]


def group_cells(frames: Frames, spec: LayerSpec, *, members: list[str], gid: str, period: str,
                taxonomy: Taxonomy, settings: Settings) -> dict[str, dict[str, object]]:
    """Per sex the group's true cell (value: count or yes answers; n for shares) and whether it
    is hidden; memoised per frames object."""
    if spec.kind in RATE_KINDS:
        return _rates(frames, spec, members, gid, period, taxonomy, settings)[0].get(
            (gid, spec.id), {})
    key = ("group_cells", spec, tuple(members), gid, period, taxonomy, settings)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _decide(frames, spec, members, gid, period, taxonomy, settings)[0]
    return memo[key]  # type: ignore[return-value]


def _rates(frames: Frames, spec: LayerSpec, members: list[str], gid: str, period: str,
           taxonomy: Taxonomy, settings: Settings):  # noqa: ANN202
    """The joint decision (`analysis.group_rates`) that holds the group's crime cells."""
    from lagesbild.analysis.group_rates import groups_of, rate_decision, rate_specs

    return rate_decision(frames, kind=spec.kind, period=period, county=members[0][:2],
                         specs=rate_specs(frames, spec.kind, period, settings, [spec]),
                         groups=groups_of(frames, (gid, tuple(members))), taxonomy=taxonomy,
                         settings=settings)


def group_release(frames: Frames, spec: LayerSpec, *, members: list[str], gid: str,
                  period: str, taxonomy: Taxonomy, settings: Settings
                  ) -> tuple[list[dict[str, object]], list[Relation]]:
    """(cells, relations) of the release with the group's cells: what the audit reads."""
    if spec.kind in RATE_KINDS:
        from lagesbild.analysis.release import _one_county, source_release

        _, more, linked = _rates(frames, spec, members, gid, period, taxonomy, settings)
        from lagesbild.analysis.group_rates import rate_specs

        cells, relations = source_release(
            frames, period=period, source="counts" if spec.kind == "count_rate" else "incidents",
            taxonomy=taxonomy, settings=settings,
            specs=list(rate_specs(frames, spec.kind, period, settings, [spec])))
        lan = next((c for c in frames.lan["area_id"].astype(str) if c[:2] == members[0][:2]),
                   None)
        if lan is not None:
            cells, relations = _one_county(frames, cells, relations, lan)
        return cells + more, relations + linked
    key = ("group_release", spec, tuple(members), gid, period, taxonomy, settings)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _decide(frames, spec, members, gid, period, taxonomy, settings)[1]
    return memo[key]  # type: ignore[return-value]


def stored_group_parts(frames: Frames, specs: list[LayerSpec], *, period: str,
                       taxonomy: Taxonomy, settings: Settings
                       ) -> tuple[list[dict[str, object]], list[Relation]]:
    """The cells and relations that every stored group (`frames.groups`) adds, for `specs`
    (layers of one release: the same source, or one indicator) and `period`: for the
    release audit."""
    from lagesbild.analysis.figures import periods

    cells: list[dict[str, object]] = []
    relations: list[Relation] = []
    from lagesbild.analysis.figures import periods as layer_periods
    from lagesbild.analysis.group_rates import groups_of, rate_decision, rate_specs

    groups = groups_of(frames)
    for kind in sorted({s.kind for s in specs if s.kind in RATE_KINDS}):
        if not any(period in layer_periods(frames, s) for s in specs if s.kind == kind):
            continue
        every = rate_specs(frames, kind, period, settings, [s for s in specs if s.kind == kind])
        for county in sorted({m[0][:2] for _, m in groups if m}):
            _, more, linked = rate_decision(frames, kind=kind, period=period, county=county,
                                            specs=every, groups=groups, taxonomy=taxonomy,
                                            settings=settings)
            cells, relations = cells + more, relations + linked
    specs = [s for s in specs if s.kind not in RATE_KINDS]
    for gid, codes in zip(frames.groups["group_id"].astype(str),
                          frames.groups["kommun_ids"].astype(str)):
        members = [c.strip() for c in codes.split(",") if c.strip()]
        for spec in specs:
            if period not in periods(frames, spec) or \
                    (len(_joint_periods(frames, spec, period)) > 1
                     and period != _joint_periods(frames, spec, period)[-1]):
                continue  # a joint decision's cells come once, with its last year
            base_cells, base_relations, _ = _base(frames, spec, period, taxonomy, settings)
            all_cells, all_relations = group_release(frames, spec, members=members, gid=gid,
                                                     period=period, taxonomy=taxonomy,
                                                     settings=settings)
            cells += all_cells[len(base_cells):]
            relations += all_relations[len(base_relations):]
    return cells, relations


def _base(frames: Frames, spec: LayerSpec, period: str, taxonomy: Taxonomy,
          settings: Settings) -> tuple[list[dict[str, object]], list[Relation], callable]:
    """The release the kommun cells belong to, and how a kommun cell is named in it."""
    if spec.kind == "indicator":
        from lagesbild.analysis.release_survey import survey_release

        from lagesbild.analysis.survey_pooling import (pooled_periods, pooled_survey_release,
                                                       window)

        ind = spec.indicator or ""
        if any(period in window(e) for e in pooled_periods(frames, ind)):
            # the year is published beside its 3-year pooled shares: decide with them
            cells, relations = pooled_survey_release(frames, ind, settings=settings)
        else:
            cells, relations = survey_release(frames, ind, period=period, settings=settings)
        return cells, relations, lambda a, s: cell_id("survey", ind, period, a, s)
    if spec.kind not in RATE_KINDS:
        raise InputError(f"Lagret {spec.id} kan inte summeras för en grupp.", field="indicator",
                         fix="Välj ett lager med brott eller en enkätindikator.")
    from lagesbild.analysis.release import cube_release, subset_layer_release

    source = "counts" if spec.kind == "count_rate" else "incidents"
    cells, relations = cube_release(frames, period=period, source=source, taxonomy=taxonomy,
                                    settings=settings)
    if spec.whole_level:
        level = int(spec.pyramid_level)
        return cells, relations, lambda a, s: cell_id("pyramid", source, period, a, level, ALL, s)
    more, linked = subset_layer_release(frames, spec, period=period, taxonomy=taxonomy,
                                        settings=settings)
    return cells + more, relations + linked, lambda a, s: cell_id("layer", spec.id, period, a, s)


def group_cell_name(gid: str, spec: LayerSpec, period: str, county: str, sex: str) -> str:
    """The county's code in the name keeps the cell in its county's audit."""
    return cell_id("group", county, gid, spec.id, period, sex)


def _joint_periods(frames: Frames, spec: LayerSpec, period: str) -> list[str]:
    """The periods whose group cells are decided together: for a survey published with
    3-year pooled shares, every year those windows cover (they are one release)."""
    if spec.kind != "indicator":
        return [period]
    from lagesbild.analysis.survey_pooling import pooled_periods, window

    years = sorted({y for e in pooled_periods(frames, spec.indicator or "") for y in window(e)})
    return years if period in years else [period]


def _decide(frames: Frames, spec: LayerSpec, members: list[str], gid: str, period: str,
            taxonomy: Taxonomy, settings: Settings):  # noqa: ANN202
    joint = _joint_periods(frames, spec, period)
    key = ("group_decision", spec, tuple(members), gid, tuple(joint), taxonomy, settings)
    memo = memo_dict(frames)
    if key not in memo:
        memo[key] = _decide_joint(frames, spec, members, gid, joint, taxonomy, settings)
    found, release = memo[key]  # type: ignore[misc]
    return {s: c for (p, s), c in found.items() if p == period}, release


def _decide_joint(frames: Frames, spec: LayerSpec, members: list[str], gid: str,
                  joint: list[str], taxonomy: Taxonomy, settings: Settings):  # noqa: ANN202
    base_cells, base_relations, name = _base(frames, spec, joint[-1], taxonomy, settings)
    value = {str(c["cell"]): int(c["value"]) for c in base_cells}
    published = {str(c["cell"]) for c in base_cells if c["shown"]}
    found: dict[tuple[str, str], dict[str, object]] = {}
    for period in joint:
        if len(joint) > 1:
            name = _survey_name(spec, period)
        for sex in SEXES:
            names = [name(a, sex) for a in members]
            if all(n in value for n in names):
                total = sum(value[n] for n in names)
                n_resp = _respondents(frames, spec, members, period, sex, settings) \
                    if spec.kind == "indicator" else None
                few = 1 <= total < settings.suppress_below
                too_few = n_resp is not None and n_resp < settings.min_survey_n
                # a sum of shown cells says nothing new: it stays shown
                known = all(n in published for n in names)
                found[(period, sex)] = {"value": total, "n": n_resp, "known": known,
                                        "hidden": bool((few or too_few) and not known),
                                        "members": names}
    county = members[0][:2]
    while True:
        cells, relations = list(base_cells), list(base_relations)
        for (period, sex), cell in found.items():
            cname = group_cell_name(gid, spec, period, county, sex)
            table = f"grupp {gid} {spec.id} {period}"
            high = np.inf if cell["n"] is None else int(cell["n"])
            cells.append(hidden_cell(cname, table, cell["value"], high=high) if cell["hidden"]
                         else shown_cell(cname, table, cell["value"]))
            relations.append(total_of(cname, cell["members"]))
        result = audit(cells, relations, protection=settings.suppress_below)
        shown = [k for k, c in found.items() if not c["hidden"] and not c["known"]]
        if result.passed or not shown:
            break
        sexes = {str(c).split("|")[-1] for c in result.disclosed["cell"]}
        pick = [k for k in shown if k[1] in sexes] or shown
        for k in pick:
            found[k]["hidden"] = True
    return found, (cells, relations)


def _survey_name(spec: LayerSpec, period: str):  # noqa: ANN202
    return lambda a, s: cell_id("survey", spec.indicator or "", period, a, s)


def _respondents(frames: Frames, spec: LayerSpec, members: list[str], period: str, sex: str,
                 settings: Settings) -> int:
    from lagesbild.analysis.shares import raw_indicator_figures

    raw = raw_indicator_figures(frames, spec.indicator or "", period=period, settings=settings)
    rows = raw[raw["area_id"].isin(members) & (raw["sex"] == sex)]
    return int(pd.to_numeric(rows["n"]).sum())


def figures_with_group(frames: Frames, spec: LayerSpec, *, members: list[str], name: str,
                       gid: str, period: str, sex: str, taxonomy: Taxonomy,
                       settings: Settings) -> pd.DataFrame:
    """`layer_figures` with the group's own row first (area_id "grupp:<id>", level "grupp"), for
    the layers a group can pool (crime rates and survey shares); other layers unchanged. The
    group row has no geometry and no rank: maps, rankings and reference bands, which read the
    kommun and län rows, are untouched by it."""
    from lagesbild.analysis.figures import layer_figures

    figs = layer_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                         settings=settings)
    if spec.kind not in (*RATE_KINDS, "indicator"):
        return figs
    row = group_figures(frames, spec, members=members, name=name, gid=gid, period=period,
                        sex=sex, taxonomy=taxonomy, settings=settings).iloc[:1]
    return pd.concat([row, figs], ignore_index=True)
