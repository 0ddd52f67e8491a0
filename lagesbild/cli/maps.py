"""`lagesbild map`: a self-contained HTML map of the kommuner, or of the areas below the kommun
(`--level deso|regso|…`), one kommun's or every kommun's."""

from __future__ import annotations

from pathlib import Path

import click

from lagesbild.analysis.view_names import VIEWS
from lagesbild.cli.options import annualise_option, load_workspace, sex_option, workspace_option
from lagesbild.cli.options import period_choice as _period
from lagesbild.core.errors import InputError


@click.command("map")
@workspace_option
@click.option("--layer", required=True, help="Layer id (see 'lagesbild layers').")
@click.option("--view", "view_id", type=click.Choice(list(VIEWS)), default="value",
              show_default=True, help="value, smoothed (Empirical Bayes), rolling (3-year mean), "
                                      "change (since the previous period) or hotspots (Gi*).")
@click.option("--period", default=None, help="Period; default the latest.")
@sex_option
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option("--sites/--no-sites", default=True, help="Draw schools and youth centres.")
@click.option("--level", default="kommun", show_default=True,
              type=click.Choice(["kommun", "deso", "regso", "stadsdel", "polisomrade", "custom"]),
              help="Area level; below the kommun rates are per 1 000 (views value, smoothed, "
                   "hotspots) and --kommun picks the kommun.")
@click.option("--kommun", default=None, help="Kommun code for --level below the kommun; "
              "'alla' (or 'all') for every kommun's areas at once (views value, smoothed).")
@click.option("--fdr", is_flag=True, help="Hot spots: the false-discovery-rate cut-off "
              "(Benjamini–Hochberg) per level instead of one test per area.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@annualise_option
def map_cmd(workspace: str, layer: str, view_id: str, period: str | None, sex: str, lang: str,
            sites: bool, level: str, kommun: str | None, fdr: bool, out: str,
            annualise: bool) -> None:
    """Write a self-contained HTML map (opens offline).

    For the change and hot-spot views a second line says how many areas were flagged against
    the number chance alone would flag (or why hot spots were not computed)."""
    from lagesbild.analysis.coverage import site_status
    from lagesbild.analysis.map_views import map_view, view_periods
    from lagesbild.core.layers import get_layer
    from lagesbild.render.assets import inline_html
    from lagesbild.render.map import view_map, web_geometry

    if fdr and view_id != "hotspots":
        raise InputError("--fdr gäller bara heta och kalla punkter.", field="--fdr",
                         fix="Lägg till --view hotspots eller ta bort --fdr.")
    frames, specs, taxonomy, _, settings = load_workspace(workspace, annualise=annualise)
    spec = get_layer(specs, layer)
    if level != "kommun":
        small_map(frames, spec, level=level, kommun=kommun, view_id=view_id, period=period,
                  sex=sex, lang=lang, taxonomy=taxonomy, settings=settings, out=out, fdr=fdr)
        return
    period = _period(period, view_periods(frames, spec, view_id), f"{spec.id} ({view_id})")
    shown = map_view(frames, spec, view=view_id, period=period, sex=sex, taxonomy=taxonomy,
                     settings=settings, lang=lang, fdr=fdr)
    site_frame = None
    if sites and len(frames.sites):
        terms = sorted(frames.programme_activity["period"].unique(), key=lambda p: (p[2:], p[:2] == "HT"))
        term = period if spec.kind == "coverage" else (terms[-1] if terms else "")
        site_frame = site_status(frames, period=term)
    m = view_map(shown, web_geometry(frames.kommuner), spec, lang=lang, sites=site_frame)
    Path(out).write_text(inline_html(m), encoding="utf-8")
    click.echo(f"Karta skriven: {out} ({spec.id}, {view_id}, {shown.period}, {sex})")
    _summary(shown)


def _summary(shown) -> None:  # noqa: ANN001 - a MapView
    """The view's flags against chance (or why hot spots were not computed), when it has any."""
    if shown.summary:
        click.echo(f"  {shown.summary}")


def small_map(frames, spec, *, level: str, kommun: str | None, view_id: str,
              period: str | None, sex: str, lang: str, taxonomy, settings, out: str,
              fdr: bool = False) -> None:
    from lagesbild.analysis.figures import periods
    from lagesbild.analysis.small_area_views import small_area_view, small_spec
    from lagesbild.analysis.small_places import kommuner_with, level_areas, supports
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
                            lang=lang, fdr=fdr)
    areas = level_areas(frames, level, kommun)
    m = view_map(shown, web_geometry(areas, tolerance=20.0), small_spec(spec), lang=lang)
    Path(out).write_text(inline_html(m), encoding="utf-8")
    click.echo(f"Karta skriven: {out} ({spec.id}, {level} i {kommun}, {view_id}, {period}, {sex})")
    _summary(shown)


ALL_KOMMUNER = ("alla", "all", "*")


def _all_kommuner_map(frames, spec, *, level: str, view_id: str, period: str, sex: str,
                      lang: str, taxonomy, settings, out: str) -> None:
    """Every kommun's areas at `level`, drawn through the fast big-map path (as the app does)."""
    from lagesbild.analysis.small_area_views import (
        all_kommuner_view,
        all_map_rows,
        figures_source,
        small_spec,
    )
    from lagesbild.analysis.small_places import level_areas
    from lagesbild.core.i18n import sex_label
    from lagesbild.render import web_payload
    from lagesbild.render.assets import inline_html
    from lagesbild.render.web_payload import all_areas_geometry

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
