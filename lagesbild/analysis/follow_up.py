"""Uppföljning: for each action of an area, its indicators' baseline, latest value and target,
and whether the change since the baseline is beyond chance.

An action names its indicators (layer ids, or the survey indicator ids the layers show), a
baseline (a period, e.g. "2022"; blank: the year before the action starts, else the first
period there is) and a target ("≤ 15", "minst 60", a number: for violence and insecurity the
aim is lower, for programme coverage higher, unless the target says otherwise). Only
published (protected) figures are used: a hidden baseline or latest value gives no verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from lagesbild.analysis.change import change_table
from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.core.frames import Frames
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy

COLUMNS = ["action_id", "title", "problem", "layer", "indicator", "baseline_period",
           "baseline", "latest_period", "latest", "target", "change", "target_met",
           "follow_up", "change_en", "area_id"]
_AT_MOST = re.compile(r"^\s*(≤|<=|<|högst|max|under)\s*", re.IGNORECASE)
_AT_LEAST = re.compile(r"^\s*(≥|>=|>|minst|min|över)\s*", re.IGNORECASE)


def _spec_for(indicator: str, specs: dict[str, LayerSpec], frames: Frames,
              settings: Settings) -> LayerSpec | None:
    """The layer showing `indicator`; a survey indicator no layer shows gets one of its own
    (its title from layers/indicators.toml)."""
    for spec in specs.values():
        if indicator in (spec.id, spec.indicator):
            return spec
    if (frames.indicators["indicator_id"] == indicator).any():
        from lagesbild.analysis.darkfigure import load_indicator_meta

        meta = load_indicator_meta(settings).get(indicator, {})
        return LayerSpec(indicator, str(meta.get("title_sv", indicator)),
                         str(meta.get("title_en", indicator)), "indicator", indicator=indicator)
    return None


def parse_target(text: object, *, higher_is_better: bool) -> tuple[float, bool] | None:
    """(value, at_most) of a target text; None when it holds no number."""
    given = str(text or "").strip()
    found = re.search(r"-?\d+(?:[.,]\d+)?", given.replace("\u00a0", "").replace(" ", ""))
    if not found:
        return None
    value = float(found.group(0).replace(",", "."))
    if _AT_MOST.match(given):
        return value, True
    if _AT_LEAST.match(given):
        return value, False
    return value, not higher_is_better


def _baseline(action: dict, have: list[str]) -> str | None:
    given = str(action.get("baseline") or "").strip()
    if given:
        year = re.search(r"(19|20)\d\d", given)
        return year.group(0) if year and year.group(0) in have else None
    start = re.search(r"(19|20)\d\d", str(action.get("start") or action.get("period") or ""))
    if start:
        before = [p for p in have if p < start.group(0)]
        if before:
            return before[-1]
    return have[0] if have else None


def follow_up(frames: Frames, specs: dict[str, LayerSpec], taxonomy: Taxonomy,
              settings: Settings, *, area_id: str, period: str,
              members: tuple[str, ...] = (),
              figures: Callable[[LayerSpec, str], pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per action of `area_id` (or the whole county) × indicator, in COLUMNS.

    A group's follow-up (`area_id` "grupp:<id>", its kommuner in `members`, `figures` giving
    the layer's figures with the group's row): an action of the group, of several members or
    of the whole county follows the group's pooled figure; an action of one member follows
    that kommun's own figure (column area_id says which)."""
    actions = frames.actions
    if figures is None:
        def figures(spec: LayerSpec, when: str) -> pd.DataFrame:
            return layer_figures(frames, spec, period=when, sex="T", taxonomy=taxonomy,
                                 settings=settings)
    rows = []
    for action in actions.to_dict("records"):
        codes = [c.strip() for c in str(action.get("area_ids") or "").split(",") if c.strip()]
        target = str(area_id)
        if members and codes:
            mine = [c for c in codes if c in members]
            if not mine and target not in codes:
                continue
            if len(codes) == 1 and len(mine) == 1:
                target = mine[0]
        elif codes and str(area_id) not in codes and not (
                str(area_id) in set(frames.lan["area_id"].astype(str))
                and all(c[:2] == str(area_id)[:2] for c in codes)):
            continue
        for indicator in [i.strip() for i in str(action.get("indicator_ids") or "").split(",")
                          if i.strip() and str(action.get("indicator_ids")) != "None"]:
            rows.append(_one(frames, specs, settings, figures, action, indicator, target,
                             str(period)))
    return pd.DataFrame(rows, columns=COLUMNS)


def _one(frames: Frames, specs: dict[str, LayerSpec], settings: Settings,
         figures: Callable[[LayerSpec, str], pd.DataFrame], action: dict, indicator: str,
         area_id: str, period: str) -> dict:
    row = {"action_id": str(action["action_id"]), "title": str(action["title"]),
           "problem": str(action.get("problem") or ""), "layer": "", "indicator": indicator,
           "baseline_period": "", "baseline": "", "latest_period": "", "latest": "",
           "target": str(action.get("target") or ""), "change": "", "target_met": "",
           "follow_up": str(action.get("follow_up") or ""), "change_en": "",
           "area_id": area_id}
    spec = _spec_for(indicator, specs, frames, settings)
    if spec is None:
        return row | {"change": "okänd indikator"}
    have = [p for p in periods(frames, spec) if p <= period or spec.kind == "coverage"]
    row["layer"] = spec.title_sv
    if not have:
        return row | {"change": "uppgift saknas"}
    base, latest = _baseline(action, have), have[-1]
    figs = {p: figures(spec, p) for p in {base, latest} if p}
    mine = {p: f[f["area_id"].astype(str) == area_id] for p, f in figs.items()}
    shown = {p: str(m["display"].iloc[0]) if len(m) else "uppgift saknas"
             for p, m in mine.items()}
    row |= {"baseline_period": base or "", "baseline": shown.get(base, ""),
            "latest_period": latest, "latest": shown.get(latest, "")}
    if base and base != latest and len(mine[base]) and len(mine[latest]) \
            and spec.kind != "coverage":
        try:
            table = change_table(mine[base], mine[latest], settings=settings)
            shown = f": {table['display'].iloc[0]}" if table["display"].iloc[0] else ""
            row["change"] = f"{table['verdict'].iloc[0]}{shown}"
            row["change_en"] = f"{table['verdict_en'].iloc[0]}{shown}"
        except ValueError:
            row["change"] = "kan inte prövas"
    elif base == latest:
        row["change"] = "ingen senare period än utgångsläget"
    target = parse_target(action.get("target"), higher_is_better=spec.kind == "coverage")
    value = mine[latest]["value"].iloc[0] if len(mine[latest]) else None
    if target is not None and value is not None and not pd.isna(value):
        limit, at_most = target
        met = float(value) <= limit if at_most else float(value) >= limit
        row["target_met"] = "ja" if met else "nej"
    elif target is not None:
        row["target_met"] = "uppgift saknas"
    return row
