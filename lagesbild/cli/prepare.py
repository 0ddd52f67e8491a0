"""`lagesbild prepare`: compute what the app's first page reads, once per state of a workspace.

`analysis.opening.prepare_opening` over the workspace; its results are kept with the derived
tables (`store.derived`), so the next app process opens the first page from disk. `lagesbild
import --prepare` runs it after the import is committed.
"""

from __future__ import annotations

import time

import click

from lagesbild.cli.options import load_workspace, workspace_option
from lagesbild.store.derived import cache_root


def prepare_workspace(workspace: str) -> None:
    """Prepare `workspace` (a location) and say what was done and how long it took."""
    if cache_root() is None:
        click.echo("Inget förbereddes: sparade beräkningar är avstängda (LAGESBILD_CACHE_DIR="
                   "off), så första sidan räknas när den öppnas.", err=True)
        return
    from lagesbild.analysis.opening import prepare_opening

    start = time.perf_counter()
    frames, specs, taxonomy, _, settings = load_workspace(workspace)
    loaded = time.perf_counter() - start
    if frames.persist is None:
        click.echo("Inget förbereddes: arbetsytan ändrades medan den lästes (en annan import); "
                   "kör lagesbild prepare igen.", err=True)
        return
    done = prepare_opening(frames, specs, taxonomy=taxonomy, settings=settings)
    periods = ", ".join(sorted(set(done.opening.values()))) or "inga"
    click.echo(f"Förberedde första sidan ({len(done.opening)} lager, perioder {periods}): "
               f"läsning {loaded:.1f} s, figurer {done.seconds.get('figures', 0):.1f} s, "
               f"granskning {done.seconds.get('audit', 0):.1f} s.")
    if not done.passed:
        click.echo("Granskningen av utgåvan hittade röjda uppgifter: appen visar inte de "
                   "perioderna (se lagesbild audit).", err=True)


@click.command("prepare")
@workspace_option
def prepare_cmd(workspace: str) -> None:
    """Compute and keep what the app's first page reads (every layer's opening figures and
    the release audit of their periods), so that the next app process opens it at once."""
    prepare_workspace(workspace)
