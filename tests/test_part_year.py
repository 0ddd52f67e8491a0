"""Coverage in time: a police extract that ends 31 March covers a part year. Its counts are
shown for the days they cover, never as an annual rate unless annualised on request (and then
labelled), and never tested against a whole year (before this: a false "minskning utöver
slumpen, kvot 0,18" and a rate a quarter of the true one)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis.change import VERDICTS, change_table, rate_change
from lagesbild.analysis.darkfigure import reporting_ratio
from lagesbild.analysis.dispersion import layer_dispersion
from lagesbild.analysis.figures import layer_figures, population_for
from lagesbild.analysis.pyramid_view import pyramid_view, to_json
from lagesbild.analysis.smoothing import rolling_periods
from lagesbild.analysis.time_coverage import part_year_table, part_years, period_label
from lagesbild.cli.main import main
from lagesbild.core.errors import InputError
from lagesbild.core.settings import get_settings
from lagesbild.core.time_spans import declared_extent, year_cover
from lagesbild.store import importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

LAYER = "vald_nara_relation"
EXTRACT = "polisens_utdrag_2022-2024.csv"
DEMO_EXTRACT = get_settings().demo_dir / EXTRACT


def _cut_extract(last_day: str) -> bytes:
    """The demo's police extract (cp1252, ';') with the events after `last_day` removed, as a
    system would export an extract taken on 1 April."""
    text = DEMO_EXTRACT.read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    kept = [rows[0]] + [r for r in rows[1:] if r and r[1][:10] <= last_day]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(kept)
    return out.getvalue().encode("cp1252")


@pytest.fixture(scope="module")
def cut_workspace(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    """The demo workspace whose extract ends 31 March 2024 (imported under the same name, so
    it replaces the whole extract)."""
    path = tmp_path_factory.mktemp("partyear") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    source = path.parent / EXTRACT
    source.write_bytes(_cut_extract("2024-03-31"))
    result = importer.import_file(ws, "incidents", source, name=EXTRACT)
    assert any("Delår: 2024 (1 jan–31 mar)" in n for n in result.notes), result.notes
    return ws


def _inputs(tmp_path_factory):  # noqa: ANN202
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    return specs[LAYER], taxonomy, settings


def test_year_cover_rules() -> None:
    quarter = year_cover([(date(2023, 1, 1), date(2024, 3, 31))], 2024)
    assert not quarter.whole and quarter.label() == "1 jan–31 mar" and quarter.days == 91
    assert year_cover([(date(2023, 1, 1), date(2024, 3, 31))], 2023).whole
    # sparse events: the first on 6 January and the last on 20 December still make a year
    assert year_cover([(date(2024, 1, 6), date(2024, 12, 20))], 2024).whole
    # a rolling year: two part years
    rolling = [(date(2023, 4, 1), date(2024, 3, 31))]
    assert year_cover(rolling, 2023).label() == "1 apr–31 dec"
    # two extracts with a summer between them
    gap = year_cover([(date(2024, 1, 1), date(2024, 5, 31)), (date(2024, 9, 1),
                                                            date(2024, 12, 31))], 2024)
    assert not gap.whole and gap.label() == "1 jan–31 maj, 1 sep–31 dec"
    assert declared_extent("2024-01-01:2024-12-31") == (date(2024, 1, 1), date(2024, 12, 31))
    assert declared_extent("2024-01-01–2024-03-31") == (date(2024, 1, 1), date(2024, 3, 31))
    assert declared_extent("2022–2024") is None and declared_extent("2024-12-31:2024-01-01") is None


def test_a_part_year_has_counts_but_no_annual_rate(cut_workspace, tmp_path_factory) -> None:
    spec, taxonomy, settings = _inputs(tmp_path_factory)
    frames = load_frames(cut_workspace)
    assert part_years(frames) == {"2024": "1 jan–31 mar"}
    assert period_label(frames, "2024") == "2024 (delår 1 jan–31 mar)"
    assert period_label(frames, "2023") == "2023"
    figs = layer_figures(frames, spec, period="2024", sex="T", taxonomy=taxonomy,
                         settings=settings)
    assert (figs["part_year"] == "1 jan–31 mar").all()
    assert figs["value"].isna().all() and figs["ci_low"].isna().all()
    county = figs[figs["level"] == "lan"].iloc[0]
    assert county["count"] > 0
    assert county["display"] == f"{int(county['count'])} brott 1 jan–31 mar (delår, ingen årstakt)"
    assert "delår 1 jan–31 mar" in county["note"]
    # the denominator's provenance: which file the population came from
    assert "folkmängd: scb_folkmangd_2019-2024.csv" in county["source"]
    # the whole year before is untouched
    before = layer_figures(frames, spec, period="2023", sex="T", taxonomy=taxonomy,
                           settings=settings)
    assert (before["part_year"] == "").all() and before["value"].notna().any()


def test_annualised_on_request_and_labelled(cut_workspace, tmp_path_factory) -> None:
    spec, taxonomy, settings = _inputs(tmp_path_factory)
    frames = load_frames(cut_workspace)
    figs = layer_figures(frames, spec, period="2024", sex="T", taxonomy=taxonomy,
                         settings=replace(settings, annualise=True))
    county = figs[figs["level"] == "lan"].iloc[0]
    pop = population_for(frames, "2024")
    people = int(pop[(pop["area_id"] == county["area_id"]) & (pop["sex"] == "T")]
                 ["population"].iloc[0])
    exposure = round(people * 91 / 366)  # the county's kommuner all cover 1 jan–31 mar
    assert county["denominator"] == exposure
    assert county["value"] == pytest.approx(county["count"] / exposure * 100_000)
    assert "uppräknat från 1 jan–31 mar" in county["display"]
    assert "årstakt uppräknad" in county["note"]


def test_a_part_year_is_never_tested_against_a_whole_year(cut_workspace, tmp_path_factory) -> None:
    spec, taxonomy, settings = _inputs(tmp_path_factory)
    frames = load_frames(cut_workspace)
    for chosen in (settings, replace(settings, annualise=True)):
        a, b = (layer_figures(frames, spec, period=p, sex="T", taxonomy=taxonomy,
                              settings=chosen) for p in ("2023", "2024"))
        table = change_table(a, b, settings=chosen)
        assert not table["significant"].any()
        county = table[table["level"] == "lan"].iloc[0]
        assert county["verdict"] == VERDICTS["part_year"][0]
        assert "delår (2024 1 jan–31 mar) jämförs inte med ett helt år" in county["note"]
        # without the rule the quarter's count against a year's would read as a fall
        if chosen is settings:
            naive = rate_change(int(a[a["level"] == "lan"]["count"].iloc[0]),
                                float(a[a["level"] == "lan"]["denominator"].iloc[0]),
                                int(county_count(b)), float(a[a["level"] == "lan"]
                                                            ["denominator"].iloc[0]),
                                confidence=settings.confidence)
            assert naive.estimate < 0.5 and naive.p_value < 0.001


def county_count(figs: pd.DataFrame) -> int:
    return int(figs[figs["level"] == "lan"]["count"].iloc[0])


def test_part_year_left_out_of_windows_dispersion_and_dark_figure(cut_workspace,
                                                                 tmp_path_factory) -> None:
    spec, taxonomy, settings = _inputs(tmp_path_factory)
    frames = load_frames(cut_workspace)
    assert "2024" not in rolling_periods(frames, spec)
    table = layer_dispersion(frames, spec, taxonomy=taxonomy, settings=settings)
    assert len(table) and not table["years"].str.contains("2024").any()
    ratio = reporting_ratio(frames, "utsatt_misshandel", period="2024", taxonomy=taxonomy,
                            settings=settings, categories=["Misshandel"], source="incidents")
    assert ratio["ratio"].isna().all()
    assert set(ratio["reason"]) - {"few_respondents", "hidden_share", "no_survey",
                                   "hidden_count"} <= {"part_year"}
    assert (ratio["reason"] == "part_year").any()


def test_pyramid_of_a_part_year(cut_workspace, tmp_path_factory) -> None:
    _, taxonomy, settings = _inputs(tmp_path_factory)
    frames = load_frames(cut_workspace)
    meta = {}
    view = pyramid_view(frames, taxonomy, meta, area_id="24", period="2024", source="incidents",
                        settings=settings)
    assert view.part_year == "1 jan–31 mar" and view.counts["rate"].isna().all()
    doc = to_json(view, taxonomy, sex="T")
    assert doc["part_year"] == "1 jan–31 mar" and doc["rates_annualised"] is False
    annual = pyramid_view(frames, taxonomy, meta, area_id="24", period="2024",
                          source="incidents", settings=replace(settings, annualise=True))
    assert annual.counts["rate"].notna().any()
    assert to_json(annual, taxonomy, sex="T")["rates_annualised"] is True
    # Brå's table is by whole years: untouched
    counts = pyramid_view(frames, taxonomy, meta, area_id="24", period="2024", source="counts",
                          settings=settings)
    assert counts.part_year == "" and counts.counts["rate"].notna().any()


def test_cli_says_part_year(cut_workspace) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["layers", "-w", str(cut_workspace.path), "--json"])
    assert out.exit_code == 0, out.output
    layer = next(r for r in json.loads(out.output) if r["id"] == LAYER)
    assert layer["part_years"] == {"2024": "1 jan–31 mar"}
    out = runner.invoke(main, ["layers", "-w", str(cut_workspace.path)])
    assert "2024 (delår 1 jan–31 mar)" in out.output
    out = runner.invoke(main, ["compare", "-w", str(cut_workspace.path), "--indicator", LAYER,
                               "--period", "2024", "--json"])
    doc = json.loads(out.output)
    assert doc["part_year"] == "1 jan–31 mar"
    assert all(r["value"] is None for r in doc["kommuner"])
    out = runner.invoke(main, ["compare", "-w", str(cut_workspace.path), "--indicator", LAYER,
                               "--period", "2024", "--annualise"])
    assert out.exit_code == 0 and "uppräknat från 1 jan–31 mar" in out.output
    assert "(delår 1 jan–31 mar)" in out.output.splitlines()[0]


def test_declared_span_makes_a_sparse_extract_whole(tmp_path, tmp_path_factory) -> None:
    """A kommun's own small extract whose last event is 2 December still covers the year
    when the user says so; an event outside the declared span is rejected on its row."""
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    lines = ["Ärendenummer;Brottsdatum;Brott;Målsägande kön;Nära relation;Kommunkod"]
    lines += [f"E-{i};2023-{1 + i % 11:02d}-{2 + i % 20:02d} 21:00;Misshandel;Kvinna;Ja;2417"
              for i in range(30)]
    lines.append("E-99;2025-01-03 10:00;Misshandel;Kvinna;Ja;2417")  # outside the span
    source = tmp_path / "egen_2023.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    undeclared = importer.check_file(ws, "incidents", source, name="egen")
    assert any("enligt första och sista händelsedatum" in n and "--covers" in n
               for n in undeclared.notes)
    result = importer.import_file(ws, "incidents", source, name="egen",
                                  options={"covers": "2023-01-01:2023-12-31"})
    assert [r.row for r in result.rejected] == [32]
    assert "utanför perioden" in result.rejected[0].reason
    assert result.rejected[0].field == "Brottsdatum"
    stored = ws.datasets().set_index("dataset")
    assert stored.loc["egen", "period"] == "2023-01-01–2023-12-31"
    frames = load_frames(ws)
    table = part_year_table(frames, "2023")
    assert table.loc[table["area_id"] == "2417", "label"].iloc[0] == ""
    with pytest.raises(InputError, match="två datum"):
        importer.check_file(ws, "incidents", source, name="egen",
                            options={"covers": "hela 2023"})


def test_two_extracts_different_days_per_kommun(tmp_path_factory) -> None:
    """Kommun A's extract covers all of 2024, kommun B's only January–March: A's rate stands,
    B's is a part year, and the county (their sum) is a part year too."""
    frames, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    inc = frames.incidents
    when = pd.to_datetime(inc["occurred_at"])
    kommuner = sorted(inc["area_id"].dropna().astype(str).unique())
    a, b = kommuner[0], kommuner[1]
    keep = (inc["area_id"].astype(str) != b) | (when < "2024-04-01")
    cut = inc[keep].copy()
    cut["source"] = cut["source"].astype(str).where(cut["area_id"].astype(str) != b,
                                                    "b_eget_utdrag.csv")
    local = replace(frames, incidents=cut)
    table = part_year_table(local, "2024", population_for(local, "2024")).set_index("area_id")
    # B's extract says what its own events say: its last one fell some days before 1 April
    last = when[(inc["area_id"].astype(str) == b) & (when < "2024-04-01")].max()
    days = f"1 jan–{last.day} mar"
    assert table.loc[a, "label"] == "" and table.loc[b, "label"] == days
    assert table.loc["24", "label"] == "olika för kommunerna"
    assert 0.9 < table.loc["24", "fraction"] < 1.0
    figs = layer_figures(local, specs[LAYER], period="2024", sex="T", taxonomy=taxonomy,
                         settings=settings).set_index("area_id")
    assert figs.loc[b, "part_year"] == days and pd.isna(figs.loc[b, "value"])
    assert figs.loc[a, "part_year"] == ""
    assert part_years(local) == {"2024": f"delår i 1 av {len(local.kommuner)} kommuner"}


def test_cut_extract_fixture_is_shaped_like_the_real_file() -> None:
    data = _cut_extract("2024-03-31")
    text = data.decode("cp1252")
    assert text.startswith("Ärendenummer;Brottsdatum")
    last = max(line.split(";")[1][:10] for line in text.splitlines()[1:] if line)
    assert last == "2024-03-31" or last < "2024-03-31"
    assert Path(DEMO_EXTRACT).exists()


def test_app_says_part_year_and_annualises_on_request(cut_workspace, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(cut_workspace.path))
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"),
                           default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert any("2024 (1 jan–31 mar)" in w.value for w in at.sidebar.warning)
    at.switch_page("lagesbild/ui/compare_page.py").run()
    at.selectbox(key="cmp_layer").set_value(LAYER).run()
    assert "2024 (delår 1 jan–31 mar)" in at.selectbox(key="cmp_period").options
    at.selectbox(key="cmp_period").set_value("2024").run()
    assert not at.exception, at.exception

    def cells() -> list[str]:
        return [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]

    assert any("(delår, ingen årstakt)" in c for c in cells())
    at.toggle(key="annualise").set_value(True).run()
    assert not at.exception, at.exception
    assert any("uppräknat från 1 jan–31 mar" in c for c in cells())
