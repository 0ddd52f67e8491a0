"""`lagesbild report`: the meeting pack for one area and period, in HTML, PDF, PowerPoint or Excel."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import click

from lagesbild.cli.audit_log import log_event

from lagesbild.cli.options import annualise_option, workspace_option
from lagesbild.core.errors import InputError
from lagesbild.core.settings import get_settings
from lagesbild.report.writers import FORMATS, write_report
from lagesbild.store.workspace import open_workspace, require


@click.command("report")
@workspace_option
@click.option("--area", "area_id", default=None,
              help="Kommun or län code, e.g. 2417 or 24; several kommuner (2417,2422,2462,2463): "
                   "their joint report.")
@click.option("--group", default=None,
              help="A stored group's name or id (lagesbild group list): its joint report.")
@click.option("--period", required=True, help="The report's period (a year, e.g. 2024).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--audience", type=click.Choice(["wide", "police"]), default="wide",
              show_default=True, help="wide: anyone beyond the police (never point data).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option("--layers", default=None, help="Comma-separated layer ids (default: all).")
@click.option("--snapshot/--no-snapshot", default=False,
              help="Freeze the data behind the report first and print its checksum in it.")
@click.option("--from-snapshot", "from_snapshot", type=click.Path(exists=True, file_okay=False),
              default=None, help="Reopen a snapshot: its data, layers, settings and notes, "
                                 "unchanged (checksums verified), instead of the workspace.")
@annualise_option
def report_cmd(workspace: str, area_id: str | None, group: str | None, period: str, fmt: str,
               out: str, audience: str, lang: str, layers: str | None, snapshot: bool,
               from_snapshot: str | None, annualise: bool) -> None:
    """Write the lägesbild report (sammanfattning, kartläggning, analys, förebyggande,
    åtgärder, källor) for a kommun, a county or a group of kommuner."""
    if (area_id is None) == (group is None):
        raise InputError("Ange antingen --area eller --group.", field="area",
                         fix="T.ex. --area 2462, --area 24, --area 2417,2422 eller "
                             "--group 'Södra Lappland'.")
    from lagesbild.core.layers import load_layers
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.report.build import build_report
    from lagesbild.store.frames import load_frames
    from lagesbild.store.assessment import read_assessment
    from lagesbild.store.notes import read_notes

    settings = dataclasses.replace(get_settings(), annualise=annualise)
    frozen = None
    if from_snapshot is not None:
        if snapshot:
            raise InputError("--snapshot och --from-snapshot går inte ihop.", field="snapshot",
                             fix="En rapport ur en ögonblicksbild är redan fryst.")
        from lagesbild.store.snapshot import open_snapshot

        opened = open_snapshot(from_snapshot)
        ws = opened.workspace()
        settings = opened.settings
        frozen = f"{opened.snapshot.id} (kontrollsumma {opened.snapshot.checksum})"
    else:
        ws = require(open_workspace(workspace))
        settings = settings.for_workspace(ws.files_path)
    frames = load_frames(ws)
    joint = None
    if group is not None or "," in str(area_id):
        from lagesbild.cli.options import stored_group

        joint = stored_group(frames, group=group, area=area_id if group is None else None)
        area_id = f"grupp:{joint[0]}"
    elif area_id not in set(frames.areas["area_id"].astype(str)):
        raise InputError(f"Området {area_id} finns inte i arbetsytan.", field="area",
                         fix="Ange en kommunkod (t.ex. 2417) eller en länskod (t.ex. 24).")
    notes, goals = read_notes(ws, area_id, period)
    if snapshot:
        from lagesbild.store.snapshot import create_snapshot

        snap = create_snapshot(ws.location, layers_dir=settings.layers_dir, settings=settings,
                               notes={"notes": notes, "goals": goals},
                               title=f"Rapport {area_id} {period}", area_id=area_id, period=period)
        frozen = f"{snap.id} (kontrollsumma {snap.checksum})"
        log_event(ws, "snapshot", f"{snap.id} {area_id} {period}")
        click.echo(f"Ögonblicksbild {snap.id} sparad i {snap.path}")
    common = dict(period=period, notes=notes, goals=goals, audience=audience, lang=lang,
                  created=date.today(), layers=layers.split(",") if layers else None,
                  snapshot=frozen, assessment=read_assessment(ws, area_id, period),
                  images=fmt != "xlsx")  # the workbook shows tables only
    specs = load_layers(settings.layers_dir, own=settings.own_layers_dir)
    taxonomy = load_taxonomy(settings.layers_dir / "pyramid.toml")
    if joint is not None:
        from lagesbild.report.build_group import build_group_report

        report = build_group_report(frames, specs, taxonomy, settings, group=joint, **common)
    else:
        report = build_report(frames, specs, taxonomy, settings, area_id=area_id, **common)
    Path(out).write_bytes(write_report(report, fmt))
    if audience == "police":  # exact counts and points left the workspace: logged there
        log_event(ws if from_snapshot is None else open_workspace(workspace),
                  "report_police", f"{area_id} {period} {fmt} -> {Path(out).resolve()}")
    click.echo(f"Rapport skriven: {out} ({fmt}, {report.area_name}, {period}, {audience})")
