"""`lagesbild snapshot`: freeze the data, settings and notes behind a meeting, list, show, diff."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lagesbild.cli.audit_log import log_event
from lagesbild.cli.options import Cli, workspace_option
from lagesbild.core.errors import InputError
from lagesbild.core.settings import get_settings
from lagesbild.store.workspace import open_workspace, require

root_option = click.option("--root", type=click.Path(file_okay=False), default=None,
                           help="Snapshot folder (default: snapshots/ beside the workspace).")


@click.group("snapshot", cls=Cli)
def snapshot_group() -> None:
    """Frozen, checksummed copies of the data behind a report (reopen them unchanged later)."""


@snapshot_group.command("create")
@workspace_option
@root_option
@click.option("--title", required=True, help="What the snapshot is for, e.g. 'Samverkansmöte mars'.")
@click.option("--area", "area_id", default="", help="The report's area code (kommun or län).")
@click.option("--period", default="", help="The report's period.")
@click.option("--notes", "notes_file", type=click.Path(exists=True, dir_okay=False),
              help="JSON file with analysis notes and local goals to freeze with the data.")
def create_cmd(workspace: str, root: str | None, title: str, area_id: str, period: str,
               notes_file: str | None) -> None:
    """Freeze the workspace, the layer files, the settings and the notes."""
    from lagesbild.store.snapshot import create_snapshot

    opened = require(open_workspace(workspace))
    notes = _notes(notes_file)
    settings = get_settings().for_workspace(opened.files_path)
    snap = create_snapshot(workspace, layers_dir=settings.layers_dir, settings=settings,
                           notes=notes, title=title, area_id=area_id, period=period, root=root)
    log_event(open_workspace(workspace), "snapshot", f"{snap.id} {area_id} {period}".strip())
    click.echo(f"Ögonblicksbild {snap.id} sparad i {snap.path}")
    click.echo(f"Kontrollsumma: {snap.checksum}")


def _notes(path: str | None) -> dict[str, object]:
    if path is None:
        return {}
    try:
        notes = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"Anteckningarna är inte giltig JSON ({exc}).", file=Path(path).name,
                         fix="Spara anteckningarna som en JSON-fil i UTF-8.") from exc
    if not isinstance(notes, dict):
        raise InputError("Anteckningarna ska vara ett JSON-objekt ({...}).", file=Path(path).name)
    return notes


@snapshot_group.command("list")
@workspace_option
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(workspace: str, root: str | None, as_json: bool) -> None:
    """List the snapshots, newest first."""
    from lagesbild.store.snapshot import default_root, list_snapshots

    found = list_snapshots(root or default_root(workspace))
    if as_json:
        click.echo(json.dumps([{"id": s.id, "path": str(s.path), "created_at": s.created_at.isoformat(),
                                "title": s.title, "area_id": s.area_id, "period": s.period,
                                "checksum": s.checksum} for s in found], ensure_ascii=False,
                              indent=2))
        return
    if not found:
        click.echo("Inga ögonblicksbilder ännu.")
    for s in found:
        click.echo(f"{s.id}  {s.created_at:%Y-%m-%d %H:%M} UTC  {s.title}  "
                   f"({s.area_id or '–'}, {s.period or '–'})  {s.checksum[:12]}")


@snapshot_group.command("show")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def show_cmd(path: str) -> None:
    """Verify a snapshot's checksums and show what it holds."""
    from lagesbild.store.snapshot import open_snapshot

    opened = open_snapshot(path)
    snap = opened.snapshot
    click.echo(f"{snap.id}: {snap.title} ({snap.area_id or '–'}, {snap.period or '–'})")
    click.echo(f"  skapad {snap.created_at:%Y-%m-%d %H:%M} UTC med lagesbild {snap.tool_version}")
    click.echo(f"  kontrollsumma {snap.checksum} (alla filer stämmer)")
    datasets = opened.workspace().datasets()
    for row in datasets.itertuples():
        click.echo(f"  {row.dataset}: {row.rows} rader, {row.period or '–'}")
    notes = {k: v for k, v in opened.notes.items() if k not in ("title", "area_id", "period")}
    if notes:
        click.echo("  anteckningar: " + json.dumps(notes, ensure_ascii=False)[:500])


@snapshot_group.command("diff")
@workspace_option
@root_option
@click.argument("old", required=False, type=click.Path(exists=True, file_okay=False))
@click.argument("new", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--all", "show_all", is_flag=True, help="Also list what did not change.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def diff_cmd(workspace: str, root: str | None, old: str | None, new: str | None, show_all: bool,
             as_json: bool) -> None:
    """What changed: OLD and NEW snapshots, or the latest snapshot and the workspace today."""
    from lagesbild.analysis.snapshot_diff import compare_snapshots
    from lagesbild.store.snapshot import current_state, default_root, list_snapshots
    from lagesbild.store.snapshot_sides import load_sides

    if old is None:
        found = list_snapshots(root or default_root(workspace))
        if not found:
            raise InputError("Det finns ingen ögonblicksbild att jämföra med.",
                             fix="Skapa en med 'lagesbild snapshot create'.")
        old = str(found[0].path)
    opened = open_workspace(workspace)
    settings = get_settings().for_workspace(opened.files_path)
    later = new if new is not None else current_state(
        require(opened).location, layers_dir=settings.layers_dir, settings=settings)
    table = compare_snapshots(*load_sides(old, later))
    if not show_all:
        table = table[table["changed"]]
    if as_json:
        click.echo(table.to_json(orient="records", force_ascii=False, indent=2))
        return
    if not len(table):
        click.echo("Inget har ändrats.")
    for row in table.itertuples():
        where = f" {row.name} ({row.area_id})" if row.area_id else ""
        click.echo(f"{row.kind}: {row.item}{where}: {row.old} -> {row.new} [{row.status}]")
