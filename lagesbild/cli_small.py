"""`lagesbild map --level deso|regso|…`: maps below the kommun, one kommun's or every kommun's."""

from __future__ import annotations

from pathlib import Path

import click

from lagesbild.cli_options import period_choice as _period
from lagesbild.errors import InputError


def small_map(frames, spec, *, level: str, kommun: str | None, view_id: str,
               period: str | None, sex: str, lang: str, taxonomy, settings, out: str) -> None:
    from lagesbild.analysis.figures import periods
    from lagesbild.analysis.small_area_views import small_area_view, small_spec
    from lagesbild.analysis.small_areas import kommuner_with, level_areas, supports
    from lagesbild.render.assets import inline_html
    from lagesbild.render.map import view_map, web_geometry

    if not supports(spec, frames, level):
        raise InputError(f"Lagret {spec.id} har inga uppgifter per {level} i arbetsytan.",
                         field="--level", fix="Importera gränserna för nivån, eller välj ett "
                         "lager från polisens utdrag eller en enkät med svar per område.")
    choices = kommuner_with(frames, level)
    kommun = kommun or choices[0]
    period = _period(period, periods(frames, spec), spec.id)
    if kommun.casefold() in ALL_KOMMUNER:
        _all_kommuner_map(frames, spec, level=level, view_id=view_id, period=period, sex=sex,
                          lang=lang, taxonomy=taxonomy, settings=settings, out=out)
        return
    if kommun not in choices:
        raise InputError(f"Kommunen {kommun} har inga områden på nivån {level}.",
                         field="--kommun", fix=f"Välj en av: {', '.join(choices)} eller alla.")
    shown = small_area_view(frames, spec, level=level, kommun=kommun, view=view_id,
                            period=period, sex=sex, taxonomy=taxonomy, settings=settings,
                            lang=lang)
    areas = level_areas(frames, level, kommun)
    m = view_map(shown, web_geometry(areas, tolerance=20.0), small_spec(spec), lang=lang)
    Path(out).write_text(inline_html(m), encoding="utf-8")
    click.echo(f"Karta skriven: {out} ({spec.id}, {level} i {kommun}, {view_id}, {period}, {sex})")


ALL_KOMMUNER = ("alla", "all", "*")


def _all_kommuner_map(frames, spec, *, level: str, view_id: str, period: str, sex: str,
                      lang: str, taxonomy, settings, out: str) -> None:
    """Every kommun's areas at `level`, drawn through the fast big-map path (as the app does)."""
    from lagesbild.analysis.small_area_views import (all_areas_geometry, all_kommuner_view,
                                                     all_map_rows, figures_source, small_spec)
    from lagesbild.analysis.small_areas import level_areas
    from lagesbild.i18n import sex_label
    from lagesbild.render import web_payload
    from lagesbild.render.assets import inline_html

    shown = all_kommuner_view(frames, spec, level=level, view=view_id, period=period, sex=sex,
                              taxonomy=taxonomy, settings=settings, lang=lang)
    assert shown.figures is not None
    names = dict(zip(frames.kommuner["area_id"].astype(str), frames.kommuner["name"].astype(str)))
    layer = small_spec(spec)
    m = web_payload.fast_choropleth(
        all_areas_geometry(level_areas(frames, level)), all_map_rows(shown.figures, level, names),
        title=shown.title, lang=lang, scheme=layer.scheme, k=layer.k, colors=layer.colors,
        source=figures_source(shown.figures),
        period=f"{period}, {sex_label(sex, lang).lower()}", note=shown.note)
    Path(out).write_text(inline_html(m), encoding="utf-8")
    click.echo(f"Karta skriven: {out} ({spec.id}, {level} i alla kommuner, {view_id}, {period}, "
               f"{sex})")
