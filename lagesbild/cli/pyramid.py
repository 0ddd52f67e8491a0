"""`lagesbild pyramid`: the violence pyramid for a kommun or a county, or for a group of kommuner
(`--group NAME`, `--area 2417,2422,…`): each member's published levels beside the group's
pooled level where a layer holds the whole level (the group's cells are decided and audited
with the kommun cells, `analysis.groups`)."""

from __future__ import annotations

import json

import click

from lagesbild.cli.options import load_workspace, sex_option, workspace_option
from lagesbild.cli.options import period_choice as _period


@click.command("pyramid")
@workspace_option
@click.option("--area", default=None,
              help="Kommun or län code, e.g. 2417 or 24; several kommuner (2417,2422): a group.")
@click.option("--group", default=None, help="A stored group's name or id (lagesbild group list).")
@click.option("--period", default=None, help="Year; default the latest.")
@sex_option
@click.option("--source", type=click.Choice(["counts", "incidents"]), default="counts",
              show_default=True, help="Brå-like counts or the police extract for levels 2–3.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print the JSON document (schema lagesbild.pyramid/1; a group: "
                   "lagesbild.pyramid_group/1).")
def pyramid_cmd(workspace: str, area: str | None, group: str | None, period: str | None,
                sex: str, source: str, lang: str, as_json: bool) -> None:
    """The violence pyramid for one area (or a group of kommuner) and period."""
    from lagesbild.analysis.pyramid_view import count_periods, pyramid_view, to_json
    from lagesbild.core.errors import InputError

    if (area is None) == (group is None):
        raise InputError("Ange antingen --area eller --group.", field="area",
                         fix="T.ex. --area 2462, --area 2417,2422 eller --group 'Södra Lappland'.")
    frames, specs, taxonomy, meta, settings = load_workspace(workspace)
    period = _period(period, count_periods(frames, source), source)
    if group is not None or "," in str(area):
        doc = group_pyramid(frames, specs, taxonomy, meta, settings, group=group,
                            area=area if group is None else None, period=period, sex=sex,
                            source=source, lang=lang)
        if as_json:
            click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
            return
        click.echo(f"{doc['group']} ({', '.join(k['name'] for k in doc['kommuner'])}) "
                   f"{doc['period']} ({sex}) — {doc['source_label']}")
        for level in doc["levels"]:
            click.echo(f"  {level['level']}: {level['title']}: {doc['group']} "
                       f"{level['group']['display'] if level['group'] else '–'}")
            click.echo("       " + "; ".join(f"{k['name']} {k['display']}"
                                             for k in level["kommuner"]))
        return
    view = pyramid_view(frames, taxonomy, meta, area_id=area, period=period, source=source,
                        settings=settings)
    doc = to_json(view, taxonomy, sex=sex, lang=lang)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"{doc['area']['name']} {doc['period']} ({sex}) — {doc['source']}")
    for level in doc["levels"]:
        total = level["total"]["display"] if level["total"] else "–"
        click.echo(f"  {level['level']}: {level['title']}: {total}")
        for ind in level["indicators"]:
            click.echo(f"       {ind['title']}: {ind['display']}")


def group_pyramid(frames, specs, taxonomy, meta, settings, *, group: str | None,  # noqa: ANN001
                  area: str | None, period: str, sex: str, source: str, lang: str) -> dict:
    """The document lagesbild.pyramid_group/1: per level each member's published total and the
    group's pooled value from the layer that holds the whole level (None without one)."""
    from lagesbild.analysis.groups import group_figures
    from lagesbild.cli.options import stored_group
    from lagesbild.analysis.pyramid_view import pyramid_view
    from lagesbild.core.i18n import t
    from lagesbild.core.taxonomy import ALL

    gid, name, members = stored_group(frames, group=group, area=area)
    kind = "count_rate" if source == "counts" else "incident_rate"
    views = {m: pyramid_view(frames, taxonomy, meta, area_id=m, period=period, source=source,
                             settings=settings) for m in members}
    levels = []
    for level in taxonomy.levels:
        if level.level not in (2, 3):  # the base is surveys, not counts: no group sum here
            continue
        whole = next((s for s in specs.values() if s.kind == kind and s.whole_level
                      and s.pyramid_level is not None and int(s.pyramid_level) == level.level),
                     None)
        pooled = None
        if whole is not None:
            row = group_figures(frames, whole, members=members, name=name, gid=gid,
                                period=period, sex=sex, taxonomy=taxonomy,
                                settings=settings).iloc[0]
            pooled = {"layer": whole.id, "display": str(row["display"]),
                      "suppressed": bool(row["suppressed"]),
                      "count": None if str(row["count"]) == "<NA>" else int(row["count"])}
        kommuner = []
        for m in members:
            counts = views[m].counts
            hit = counts[(counts["level"] == level.level) & (counts["category"] == ALL)
                         & (counts["sex"] == sex)]
            kommuner.append({"area_id": m, "name": frames.area_name(m),
                             "display": str(hit["display"].iloc[0]) if len(hit) else "–"})
        levels.append({"level": level.level,
                       "title": level.title_en if lang == "en" else level.title_sv,
                       "group": pooled, "kommuner": kommuner})
    return {"schema": "lagesbild.pyramid_group/1", "group": name, "group_id": gid,
            "kommuner": [{"area_id": m, "name": frames.area_name(m)} for m in members],
            "period": period, "sex": sex, "source": source,
            "source_label": t(f"src_{source}", lang), "levels": levels}
