"""`compare --group/--area 2417,2422,…` (a group's pooled figure with each kommun beside it)
and `compare --pooled` (survey shares over three years)."""

from __future__ import annotations

import json

import click

from lagesbild.cli.options import load_workspace
from lagesbild.cli.options import period_choice as _period
from lagesbild.core.errors import InputError


def _row(r: dict) -> dict[str, object]:
    def num(v: object) -> float | None:
        return None if v is None or v != v or str(v) == "<NA>" else round(float(v), 6)  # type: ignore[arg-type]

    return {"area_id": str(r["area_id"]), "name": str(r["name"]), "level": str(r["level"]),
            "value": num(r["value"]), "ci_low": num(r["ci_low"]), "ci_high": num(r["ci_high"]),
            "n": None if str(r["n"]) == "<NA>" else int(r["n"]),
            "suppressed": bool(r["suppressed"]), "display": str(r["display"]),
            "note": str(r["note"] or "")}


def group_compare(workspace: str, *, layer: str, period: str | None, sex: str, lang: str,
                  as_json: bool, group: str | None, area: str | None, pooled: bool,
                  annualise: bool) -> None:
    from lagesbild.analysis.figures import periods
    from lagesbild.core.layers import get_layer

    frames, specs, taxonomy, _, settings = load_workspace(workspace, annualise=annualise)
    spec = get_layer(specs, layer)
    if pooled:
        from lagesbild.analysis.survey_pooling import pooled_indicator_figures, pooled_periods

        if spec.kind != "indicator":
            raise InputError("--pooled gäller enkätindikatorer; för brott finns 3-årsmedel "
                             "i kartvyn 'rolling'.", field="pooled",
                             fix="Välj en enkätindikator eller ta bort --pooled.")
        end = _period(period, pooled_periods(frames, spec.indicator or ""), spec.id)
        figs = pooled_indicator_figures(frames, spec.indicator or "", end=end, settings=settings)
        figs = figs[figs["sex"] == sex].assign(name=[frames.area_name(a) for a in figs.loc[
            figs["sex"] == sex, "area_id"]], level="")
        title = f"{spec.title(lang)}, {figs['period'].iloc[0] if len(figs) else end} ({sex})"
        rows = [_row(r) for r in figs.to_dict("records")]
        if group is None and area is None:
            _echo({"schema": "lagesbild.compare_pooled/1", "layer": spec.id, "title": title,
                   "rows": rows}, as_json)
            return
    from lagesbild.analysis.groups import group_figures
    from lagesbild.cli.options import stored_group

    gid, name, members = stored_group(frames, group=group, area=area)
    period = _period(period, periods(frames, spec), spec.id)
    figs = group_figures(frames, spec, members=members, name=name, gid=gid, period=period,
                         sex=sex, taxonomy=taxonomy, settings=settings)
    _echo({"schema": "lagesbild.compare_group/1", "layer": spec.id, "group": name,
           "kommuner": members, "title": f"{spec.title(lang)}, {period} ({sex}): {name}",
           "rows": [_row(r) for r in figs.to_dict("records")]}, as_json)


def _echo(doc: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(doc["title"])
    for r in doc["rows"]:
        click.echo(f"  {r['name']}: {r['display']}" + (f"  [{r['note']}]" if r["note"] else ""))
