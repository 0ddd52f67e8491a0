"""Options and error handling shared by the command-line modules."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import sqlite3
import sys

import click

from lagesbild.core.errors import InputError, LagesbildError, os_error_line  # noqa: F401 - re-exported
from lagesbild.core.settings import ROOT, get_settings
from lagesbild.store.workspace import is_database, open_workspace, require

DEFAULT_WS = ROOT / "workspace" / "demo.gpkg"


def workspace_option(command):  # noqa: ANN001, ANN201 - a click command callback
    """--workspace PATH (a .gpkg file, or a postgresql:// URL) and --database URL (a PostGIS
    workspace on a shared server; LAGESBILD_DATABASE): the command gets one location string as
    `workspace`, the one `store.workspace.open_workspace` opens."""

    @functools.wraps(command)
    def wrapper(*args, workspace: str | None, database: str | None, **kwargs):  # noqa: ANN202
        if workspace is not None and database is not None and click.get_current_context(
                ).get_parameter_source("database") == click.core.ParameterSource.ENVIRONMENT:
            database = None  # an explicit --workspace wins over LAGESBILD_DATABASE
        if workspace is not None and database is not None:
            raise click.UsageError("Ange antingen --workspace eller --database, inte båda.")
        if database is not None and not is_database(database):
            raise click.BadParameter(
                f"'{database}' är ingen databasadress; skriv postgresql://användare@värd/databas "
                "(lägg till ?schema=namn för en annan arbetsyta i samma databas).",
                param_hint="--database")
        return command(*args, workspace=database or workspace or str(DEFAULT_WS), **kwargs)

    wrapper = click.option(
        "--database", envvar="LAGESBILD_DATABASE", default=None, metavar="URL",
        help="A PostGIS workspace on a shared server: postgresql://user@host/db[?schema=name] "
             "(instead of --workspace; env LAGESBILD_DATABASE).")(wrapper)
    return click.option(
        "--workspace", "-w", type=click.Path(dir_okay=False), default=None,
        help=f"Workspace file (.gpkg) or a postgresql:// URL  [default: {DEFAULT_WS}]")(wrapper)

annualise_option = click.option(
    "--annualise", is_flag=True,
    help="A part year of the police extracts (e.g. 1 jan–31 mar) gets a yearly rate over the "
         "days covered, labelled 'uppräknat'; default: counts only, no annual rate.")
sex_option = click.option("--sex", type=click.Choice(["K", "M", "T"]), default="T",
                          show_default=True, help="K = kvinnor, M = män, T = totalt.")


class Cli(click.Group):
    """Show LagesbildError, a file the system refuses (OSError: permissions, a full disk, a
    missing folder) and a damaged workspace file as one clear line and exit 1; anything else is
    a bug and surfaces."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except LagesbildError as exc:
            click.echo(f"Fel: {exc}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # the reader stopped reading (`lagesbild events … | head`): not an error to report;
            # stdout is pointed at devnull so that the interpreter's final flush stays quiet
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE, as a shell reports it
        except OSError as exc:
            click.echo(f"Fel: {os_error_line(exc)}", err=True)
            sys.exit(1)
        except sqlite3.DatabaseError as exc:
            if not any(s in str(exc) for s in _DAMAGED):
                raise  # a bad statement is a bug
            click.echo(f"Fel: arbetsytan är skadad eller ingen GeoPackage ({exc}). Återställ den "
                       "från en export eller ögonblicksbild.", err=True)
            sys.exit(1)


_DAMAGED = ("malformed", "not a database", "file is encrypted", "disk I/O error")


def period_choice(period: str | None, available: list[str], what: str) -> str:
    """`period`, or the latest of `available`; an error naming `what` when there is none."""
    if not available:
        raise LagesbildError(f"Arbetsytan har inga data för {what}.")
    if period is None:
        return available[-1]
    if period not in available:
        raise LagesbildError(f"Perioden {period} finns inte för {what}. Välj en av: {', '.join(available)}.")
    return period


def load_workspace(workspace: str, *, annualise: bool = False):  # noqa: ANN201
    """(frames, layer specs, taxonomy, indicator metadata, settings) of a workspace that exists;
    `annualise` (the --annualise flag) gives part years a labelled yearly rate."""
    from lagesbild.core.layers import load_indicator_meta, load_layers
    from lagesbild.core.taxonomy import load_taxonomy
    from lagesbild.store.frames import load_frames

    opened = require(open_workspace(workspace))
    settings = dataclasses.replace(get_settings(), annualise=annualise).for_workspace(
        opened.files_path)
    frames = load_frames(opened)
    meta = load_indicator_meta(settings.layers_dir, settings.own_layers_dir)
    return (frames, load_layers(settings.layers_dir, own=settings.own_layers_dir),
            load_taxonomy(settings.layers_dir / "pyramid.toml"), meta, settings)


def stored_group(frames, *, group: str | None, area: str | None):  # noqa: ANN001, ANN201
    """(id, name, kommuner) of the group an output is about: a stored group by name or id, or
    the stored group whose kommuner are exactly the `area` list. An unstored list is refused:
    two lists differing by one kommun would give that kommun's hidden figure by subtraction;
    the stored groups are protected together, so no difference of them gives anything away."""
    from lagesbild.analysis.groups import resolve

    if group is not None:
        return resolve(frames, group=group)
    gid, name, codes = resolve(frames, area=area)
    wanted = set(codes)
    for stored, kommuner in zip(frames.groups["group_id"].astype(str),
                                frames.groups["kommun_ids"].astype(str)):
        if {c.strip() for c in kommuner.split(",") if c.strip()} == wanted:
            return resolve(frames, group=stored)
    raise InputError(
        f"Kommunerna {area} är ingen sparad grupp.", field="area",
        fix="Spara gruppen först (lagesbild group create --name NAMN --kommuner "
            f"{','.join(codes)}): sparade grupper skyddas tillsammans, så att två listor som "
            "skiljer sig på en kommun inte röjer kommunens dolda uppgifter.")
