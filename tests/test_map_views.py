"""Map views on the demo workspace: value, smoothed, 3-year mean, change, hot spots; escaping."""

from __future__ import annotations


import pytest

from lagesbild.analysis import change, hotspots
from lagesbild.analysis.map_views import available_views, map_view, view_periods
from lagesbild.core.errors import InputError
from lagesbild.render.map import category_tip, view_map
from lagesbild.render.escape import esc

from frames_support import demo_inputs

HOSTILE = "<img src=x onerror=alert(1)>${document.title='x'}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    return demo_inputs(tmp_path_factory)


def _view(demo, layer: str, view: str, period: str | None = None, sex: str = "T"):
    frames, specs, taxonomy, settings = demo
    spec = specs[layer]
    period = period or view_periods(frames, spec, view)[-1]
    return spec, map_view(frames, spec, view=view, period=period, sex=sex, taxonomy=taxonomy,
                          settings=settings)


def test_views_offered_by_layer_kind(demo) -> None:
    _, specs, _, _ = demo
    assert available_views(specs["vald_topp"]) == ["value", "smoothed", "rolling", "change",
                                                   "hotspots"]
    assert available_views(specs["otrygghet"]) == ["value", "change", "hotspots"]
    assert available_views(specs["mvp_tackning"]) == ["value", "need"]


def test_change_periods_start_at_the_second_period(demo) -> None:
    frames, specs, _, _ = demo
    spec = specs["vald_topp"]
    from lagesbild.analysis.figures import periods
    assert view_periods(frames, spec, "change") == periods(frames, spec)[1:]
    assert set(view_periods(frames, spec, "rolling")) <= set(periods(frames, spec)[2:])


def test_smoothed_view_hides_what_the_value_view_hides(demo) -> None:
    _, value = _view(demo, "vald_nara_relation", "value", sex="K")
    _, smoothed = _view(demo, "vald_nara_relation", "smoothed", period=value.period, sex="K")
    v = value.figures.set_index("area_id")
    s = smoothed.figures.set_index("area_id")
    hidden = v.index[v["suppressed"] & (v["level"] == "kommun")]
    assert s.loc[hidden, "value"].isna().all()
    shown = v.index[~v["suppressed"] & (v["level"] == "kommun") & v["value"].notna()]
    assert s.loc[shown, "value"].notna().all()
    assert all("utjämnad" in n for n in s.loc[shown, "note"])


def test_change_view_categories_are_verdicts(demo) -> None:
    _, view = _view(demo, "vald_topp", "change")
    assert view.figures is None and len(view.categories) == 15
    assert set(view.categories["category"]) <= set(change.VERDICTS)
    assert {key for key, _, _ in view.legend} == set(change.VERDICTS)
    assert "slump" in view.note


def test_hotspot_view_classes_and_caveat(demo) -> None:
    _, view = _view(demo, "vald_topp", "hotspots")
    assert set(view.categories["category"]) <= set(hotspots.CLASS_COLORS)
    assert view.note == hotspots.CAVEAT["sv"]


def test_an_unknown_view_or_a_first_period_change_is_one_clear_error(demo) -> None:
    frames, specs, taxonomy, settings = demo
    with pytest.raises(InputError, match="Visningen 'hotspots' finns inte"):
        map_view(frames, specs["mvp_tackning"], view="hotspots", period="HT2024", sex="T",
                 taxonomy=taxonomy, settings=settings)
    with pytest.raises(InputError, match="ingen period före 2019"):
        map_view(frames, specs["vald_topp"], view="change", period="2019", sex="T",
                 taxonomy=taxonomy, settings=settings)


@pytest.mark.parametrize("view", ["value", "smoothed", "rolling", "change", "hotspots"])
def test_every_view_renders_with_escaped_tooltips(demo, view: str) -> None:
    frames, _, _, _ = demo
    spec, shown = _view(demo, "vald_topp", view)
    from lagesbild.render.map import web_geometry
    geometry = web_geometry(frames.kommuner)
    html = view_map(shown, geometry, spec).get_root().render()
    assert "Norsj" in html and "leaflet" in html.lower() and html.count("\"fill\":") == 15


def test_category_tooltip_escapes_every_value() -> None:
    tip = category_tip(HOSTILE, [HOSTILE, ""], source=HOSTILE, period=HOSTILE, lang="sv")
    assert "<img" not in tip and "${" not in tip
    assert tip.count(esc(HOSTILE)) == 4


def test_need_view_on_the_coverage_layer(demo) -> None:
    from lagesbild.analysis.need import QUADRANTS
    _, view = _view(demo, "mvp_tackning", "need")
    assert view.period == "HT2024" and len(view.categories) == 15
    assert set(view.categories["category"]) <= set(QUADRANTS)
    assert view.table["rank"].min() == 1 and "Anmält grövre våld" in view.note  # titles, not ids
    assert "låg under 25 %, medel 25–50 %, hög från 50 %" in view.note


# --- issue 13: the flags against chance beside the map ------------------------------------------

def test_hotspot_view_states_flags_against_chance_and_offers_fdr(demo) -> None:
    spec, view = _view(demo, "vald_topp", "hotspots", period="2024")
    tested = int((view.categories["category"] != "not_computed").sum())
    assert tested >= hotspots.MIN_AREAS
    assert [c.n_tested for c in view.flags] == [tested] * 3
    flagged = view.categories["category"].str.match(r"^(hot|cold)_").sum()
    assert view.flags[0].flagged == flagged and view.flags[0].expected == pytest.approx(
        tested * 0.1)
    assert view.summary.startswith("Flaggade mot vad slumpen ensam ger: 90\u00a0%-nivån "
                                   f"{flagged} av {tested} områden")
    frames, *_ = demo
    from lagesbild.render.map import web_geometry
    html = view_map(view, web_geometry(frames.kommuner), spec).get_root().render()
    assert "Flaggade mot vad slumpen ensam ger" in html  # in the legend, after the caveat
    frames, specs, taxonomy, settings = demo
    adjusted = map_view(frames, spec, view="hotspots", period="2024", sex="T", taxonomy=taxonomy,
                        settings=settings, fdr=True)
    assert adjusted.summary.startswith("Flaggade, justerat för falska upptäckter (FDR)")
    assert "Benjamini–Hochberg" in adjusted.note
    assert all(a.flagged <= p.flagged for a, p in zip(adjusted.flags, view.flags))


def test_hotspots_with_too_few_areas_say_why_and_draw_not_computed(demo) -> None:
    # men's violence in close relationships, 2023: most kommuner hidden, too few left
    frames, specs, taxonomy, settings = demo
    view = map_view(frames, specs["vald_nara_relation"], view="hotspots", period="2023",
                    sex="M", taxonomy=taxonomy, settings=settings)
    assert (view.categories["category"] == "not_computed").all()
    assert [key for key, _, _ in view.legend] == ["not_computed"] and view.flags == ()
    assert view.summary.startswith("Heta och kalla punkter beräknas inte: färre än 15 områden")
    english = map_view(frames, specs["vald_nara_relation"], view="hotspots", period="2023",
                       sex="M", taxonomy=taxonomy, settings=settings, lang="en")
    assert english.summary.startswith("Hot and cold spots are not computed: fewer than 15 areas")


def test_change_view_states_flags_against_chance(demo) -> None:
    _, view = _view(demo, "vald_topp", "change")
    verdicts = view.categories["category"]
    tested = int(verdicts.isin(["up", "down", "none"]).sum())
    (flags,) = view.flags
    assert (flags.n_tested, flags.flagged) == (tested, int(verdicts.isin(["up", "down"]).sum()))
    assert flags.expected == pytest.approx(tested * 0.05)
    assert f"95\u00a0%-nivån {flags.flagged} av {tested} kommuner" in view.summary
