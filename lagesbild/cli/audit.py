"""`lagesbild audit`: the adversary over everything a wide audience can get from a workspace."""

from __future__ import annotations

import json
import math
import sys

import click

from lagesbild.cli.options import load_workspace, workspace_option

SCHEMA = "lagesbild.audit/1"


@click.command("audit")
@workspace_option
@click.option("--audience", type=click.Choice(["wide", "police"]), default="wide",
              show_default=True, help="wide: anyone beyond the police; police: exact figures.")
@click.option("--period", default=None, help="Only this period (default: every period).")
@click.option("--json", "as_json", is_flag=True, help=f"Print JSON (schema {SCHEMA}).")
def audit_cmd(workspace: str, audience: str, period: str | None, as_json: bool) -> None:
    """Try to narrow every hidden cell with integer programming; exit 1 if any is disclosed.

    For each published table: how many cells are hidden and the narrowest range the adversary
    found. A hidden cell is disclosed when fewer than the suppression limit of consecutive values
    (5 by default) remain possible.
    """
    from lagesbild.analysis.release import release_audit

    frames, specs, taxonomy, _, settings = load_workspace(workspace)
    if audience == "police":
        doc = {"schema": SCHEMA, "audience": audience, "passed": True, "tables": [],
               "disclosed": [], "note": "polisen ser exakta uppgifter: inget är dolt"}
    else:
        result = release_audit(frames, taxonomy=taxonomy, settings=settings,
                               periods=None if period is None else [period], specs=specs)
        doc = {"schema": SCHEMA, "audience": audience, "protection": result.protection,
               "passed": result.passed,
               "tables": [{"table": r["table"], "hidden": int(r["hidden"]),
                           "disclosed": int(r["disclosed"]),
                           "narrowest": {"low": _num(r["narrowest_low"]),
                                         "high": _num(r["narrowest_high"])}}
                          for r in result.by_table().to_dict("records")],
               "disclosed": [{"cell": r["cell"], "tables": r["tables"], "low": _num(r["low"]),
                              "high": _num(r["high"])}
                             for r in result.disclosed.to_dict("records")]}
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for table in doc["tables"]:
            low, high = table["narrowest"]["low"], table["narrowest"]["high"]
            click.echo(f"{table['table']}: {table['hidden']} dolda, {table['disclosed']} röjda; "
                       f"snävaste intervall {low}–{'∞' if high is None else high}")
        hidden = sum(t["hidden"] for t in doc["tables"])
        if not doc["passed"]:
            click.echo(f"RÖJT: {len(doc['disclosed'])} dolda uppgifter kan ringas in till färre "
                       f"än {doc['protection']} möjliga värden.")
        elif audience == "police":
            click.echo("Polisen ser exakta uppgifter: inget är dolt, inget att granska.")
        elif hidden == 0:
            click.echo("Inget är dolt i utgåvan: arbetsytan har inga antal eller enkätandelar "
                       "som behöver skyddas" + (f" för {period}." if period else "."))
        else:
            click.echo(f"Granskningen godkänd: ingen av {hidden} dolda uppgifter kan ringas in.")
    if not doc["passed"]:
        sys.exit(1)


def _num(value: float) -> int | None:
    """A range end for JSON: an integer, or None for no upper bound."""
    return None if value is None or math.isinf(float(value)) else int(value)
