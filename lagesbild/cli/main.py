"""Command line: build the demo, serve the app, list and compare layers, the database; the other
commands are registered from their modules (importing, exporting and fetching: `cli.datasets`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from lagesbild.cli.options import (
    Cli,
    annualise_option,
    load_workspace,
    sex_option,
    workspace_option,
)
from lagesbild.cli.options import period_choice as _period
from lagesbild.core.errors import InputError
from lagesbild.core.settings import ROOT, get_settings
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
    # app.py behind the private-download guard (`lagesbild/ui/server.py`, an st.App)
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "lagesbild" / "ui" / "server.py"),
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
    from lagesbild.cli.datasets import export_cmd, fetch_group, import_cmd, restore_cmd
    from lagesbild.cli.events import events_cmd
    from lagesbild.cli.groups import group_cmd
    from lagesbild.cli.maps import map_cmd
    from lagesbild.cli.prepare import prepare_cmd
    from lagesbild.cli.pyramid import pyramid_cmd
    from lagesbild.cli.report import report_cmd
    from lagesbild.cli.snapshot import snapshot_group

    main.add_command(audit_cmd)
    main.add_command(audit_log_cmd)
    main.add_command(import_cmd)
    main.add_command(export_cmd)
    main.add_command(restore_cmd)
    main.add_command(fetch_group)
    main.add_command(events_cmd)
    main.add_command(group_cmd)
    main.add_command(map_cmd)
    main.add_command(snapshot_group)
    main.add_command(report_cmd)
    main.add_command(pyramid_cmd)
    main.add_command(prepare_cmd)


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
