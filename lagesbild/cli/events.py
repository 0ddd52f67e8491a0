"""`lagesbild events`: Polisen's event notices of one area and year, per type and month."""

from __future__ import annotations

import json

import click

from lagesbild.cli.options import load_workspace, period_choice, workspace_option


@click.command("events")
@workspace_option
@click.option("--area", "area_id", required=True, help="Kommun or län code, e.g. 2480 or 24.")
@click.option("--year", default=None, help="Year; default the latest with notices.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (schema lagesbild.events/1).")
def events_cmd(workspace: str, area_id: str, year: str | None, as_json: bool) -> None:
    """Count the police's public event notices per type and month (not crime statistics)."""
    from lagesbild.analysis.events import caveat, event_counts, lan_only_note, years
    from lagesbild.core.errors import InputError

    frames, _, _, _, _ = load_workspace(workspace)
    known = set(frames.kommuner["area_id"].astype(str)) | set(frames.lan["area_id"].astype(str))
    if area_id not in known:
        raise InputError(f"Området {area_id} finns inte i arbetsytan.", field="area",
                         fix="Ange en kommunkod (t.ex. 2480) eller en länskod (t.ex. 24).")
    year = period_choice(year, years(frames), "polisens händelsenotiser")
    found = event_counts(frames, area_id=area_id, year=year)
    if as_json:
        doc = {"schema": "lagesbild.events/1", "area": {"id": area_id,
                                                         "name": frames.area_name(area_id)},
               "year": year, "caveat": caveat(), "total": found.total,
               "lan_only": found.lan_only, "first": found.first, "last": found.last,
               "source": found.sources,
               "types": [{"type": r["type"], "count": int(r["count"]),
                          "months": [int(r[m]) for m in found.by_type.columns[2:]]}
                         for r in found.by_type.to_dict("records")]}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    click.echo(f"{frames.area_name(area_id)}, {year}: {found.total} händelsenotiser — "
               f"{found.sources}")
    click.echo(f"  {caveat()}")
    for r in found.by_type.to_dict("records"):
        click.echo(f"  {r['count']:>5}  {r['type']}")
    if note := lan_only_note(found):
        click.echo(f"  {note}")
