"""`lagesbild group ...`: named groups of kommuner for a joint lägesbild."""

from __future__ import annotations

import json

import click

from lagesbild.cli.options import Cli, workspace_option
from lagesbild.store.workspace import open_workspace, require


@click.group("group", cls=Cli)
def group_cmd() -> None:
    """Named groups of kommuner (a lokalpolisområde, Södra Lappland) stored in the workspace."""


@group_cmd.command("create")
@workspace_option
@click.option("--name", required=True, help='The group\'s name, e.g. "Södra Lappland".')
@click.option("--kommuner", required=True, help="Kommun codes, comma-separated: 2417,2422.")
def create(workspace: str, name: str, kommuner: str) -> None:
    """Create (or replace) a group."""
    from lagesbild.store.groups import kommun_list, save_group

    gid = save_group(require(open_workspace(workspace)), name, kommun_list(kommuner))
    click.echo(f"Gruppen '{name}' ({gid}) sparad: {kommuner}")


@group_cmd.command("import")
@workspace_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_groups(workspace: str, file: str) -> None:
    """Groups from a CSV file: namn;kommuner (codes comma-separated)."""
    from lagesbild.store.groups import import_csv

    ids = import_csv(require(open_workspace(workspace)), file)
    click.echo(f"{len(ids)} grupper sparade: {', '.join(ids)}")


@group_cmd.command("list")
@workspace_option
@click.option("--json", "as_json", is_flag=True)
def list_groups(workspace: str, as_json: bool) -> None:
    """The workspace's groups."""
    from lagesbild.store.groups import read_groups

    table = read_groups(require(open_workspace(workspace)))
    rows = [{"group_id": g, "name": n, "kommuner": k.split(",")}
            for g, n, k in zip(table["group_id"], table["name"], table["kommun_ids"])]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['name']} ({r['group_id']}): {', '.join(r['kommuner'])}")
    if not rows:
        click.echo("Inga grupper.")


@group_cmd.command("delete")
@workspace_option
@click.option("--name", required=True)
def delete(workspace: str, name: str) -> None:
    """Delete a group."""
    from lagesbild.store.groups import delete_group

    delete_group(require(open_workspace(workspace)), name)
    click.echo(f"Gruppen '{name}' borttagen.")
