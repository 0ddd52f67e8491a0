"""`lagesbild audit-log`: the workspace's audit trail, and how the commands add to it.

Command-line actions are logged with the operating-system user (`getpass.getuser()`) as the
actor and "cli" as the role: whoever runs the command can read the file anyway, so a log that
cannot be written warns and does not stop the command (the app refuses instead).
"""

from __future__ import annotations

import getpass
import json

import click

from lagesbild.cli.options import workspace_option
from lagesbild.core.errors import LagesbildError
from lagesbild.store.workspace import Workspace, open_workspace, require

ROLE = "cli"


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "okänd"


def log_event(workspace: Workspace, action: str, target: str = "") -> None:
    """Record a command's action; a log that cannot be written is said on stderr."""
    try:
        workspace.record_event(os_user(), ROLE, action, target)
    except LagesbildError as exc:
        click.echo(f"Varning: händelsen loggades inte ({exc}).", err=True)


@click.command("audit-log")
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (schema lagesbild.audit-log/1).")
def audit_log_cmd(workspace: str, as_json: bool) -> None:
    """Who imported, exported, froze a snapshot or made a police report, and when."""
    events = require(open_workspace(workspace)).events()
    if as_json:
        click.echo(json.dumps({"schema": "lagesbild.audit-log/1", "events": [
            {"at": e.at.isoformat(), "actor": e.actor, "role": e.role, "action": e.action,
             "target": e.target} for e in events.itertuples()]}, ensure_ascii=False, indent=2))
        return
    if not len(events):
        click.echo("Inga händelser loggade ännu.")
    for e in events.itertuples():
        when = e.at.tz_convert("Europe/Stockholm").strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{when}  {e.actor}  ({e.role})  {e.action}  {e.target}")
