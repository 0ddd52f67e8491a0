"""The åtgärdsplan as data and its uppföljning: an actions file with problem, baseline, target
and follow-up date (and a focus area of the municipality's own) gives, per indicator, the
baseline, the latest value, the change tested against chance and whether the target is met; the
report's actions section and the Lägesbild page show them."""

from __future__ import annotations

import shutil

import pytest

from frames_support import demo_inputs, shared_demo
from lagesbild.analysis.change import change_table
from lagesbild.analysis.figures import layer_figures
from lagesbild.analysis.follow_up import follow_up, parse_target
from lagesbild.report.build import build_report
from lagesbild.store import importer
from lagesbild.store.export import export_all, import_exported
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace
from app_support import open_page

PLAN = ("Åtgärds-ID;Fokusområde;Insats;Ansvarig;Period;Status;Kommunkoder;Indikatorer;Problem;"
        "Orsak;Start;Slut;Utgångsläge;Mål;Uppföljning\r\n"
        "P1;Trygg offentlig miljö;Belysning och trygghetsvandringar;Samhällsbyggnad;2023–2025;"
        "pågår;2480;otrygghet;Otrygghet ute sent en kväll;Mörka gångstråk;2023-03;2025-12;2022;"
        "≤ 15;2025-06\r\n"
        "P2;Våldsförebyggande arbete;MVP i åk 7–9;Skolan;2023–2026;pågår;2480;"
        "sexistiska_kommentarer;Sexistiska kommentarer i skolan;Normer;2023-08;2026-06;;minst 70;"
        "2025-01\r\n")


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> GpkgWorkspace:
    path = tmp_path_factory.mktemp("plan") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    ws = GpkgWorkspace(path)
    source = path.parent / "atgardsplan.csv"
    source.write_bytes(PLAN.encode("utf-8-sig"))
    importer.import_file(ws, "actions", source, name="atgarder_fokusomraden.csv")  # replaces
    return ws


def test_targets_read_with_their_direction() -> None:
    assert parse_target("≤ 15", higher_is_better=False) == (15.0, True)
    assert parse_target("minst 70", higher_is_better=False) == (70.0, False)
    assert parse_target("12,5 %", higher_is_better=False) == (12.5, True)
    assert parse_target("60", higher_is_better=True) == (60.0, False)
    assert parse_target("lägre än i dag", higher_is_better=False) is None


def test_the_plan_is_stored_with_its_own_focus_area(planned) -> None:
    actions = planned.read("actions").set_index("action_id")
    assert actions.loc["P1", "focus_area"] == "Trygg offentlig miljö"  # the user's own
    assert actions.loc["P2", "focus_area"] == "valdsforebyggande"  # Kalmar's, by its name
    assert actions.loc["P1", "baseline"] == "2022" and actions.loc["P1", "target"] == "≤ 15"
    assert actions.loc["P1", "problem"] == "Otrygghet ute sent en kväll"


def test_follow_up_against_the_figures(planned, tmp_path_factory) -> None:
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    frames = load_frames(planned)
    table = follow_up(frames, specs, taxonomy, settings, area_id="2480", period="2024")
    assert table["action_id"].tolist() == ["P1", "P2"]
    p1 = table.iloc[0]
    figs = {p: layer_figures(frames, specs["otrygghet"], period=p, sex="T", taxonomy=taxonomy,
                             settings=settings) for p in ("2022", "2024")}
    umea = {p: f[f["area_id"] == "2480"] for p, f in figs.items()}
    assert (p1["baseline_period"], p1["latest_period"]) == ("2022", "2024")
    assert p1["baseline"] == umea["2022"]["display"].iloc[0]
    assert p1["latest"] == umea["2024"]["display"].iloc[0]
    verdict = change_table(umea["2022"], umea["2024"], settings=settings)["verdict"].iloc[0]
    assert p1["change"].startswith(verdict)
    latest = float(umea["2024"]["value"].iloc[0])
    assert p1["target_met"] == ("ja" if latest <= 15 else "nej")
    # no baseline given: the year before the action starts (2023-08 -> 2022)
    assert table.iloc[1]["baseline_period"] == "2022"
    assert table.iloc[1]["target_met"] == ("ja" if float(
        layer_figures(frames, specs["sexistiska_kommentarer"], period="2024", sex="T",
                      taxonomy=taxonomy, settings=settings).set_index("area_id")
        .loc["2480", "value"]) >= 70 else "nej")
    # another kommun has no action
    assert not len(follow_up(frames, specs, taxonomy, settings, area_id="2417", period="2024"))


def test_the_report_shows_plan_and_follow_up(planned, tmp_path_factory) -> None:
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    report = build_report(load_frames(planned), specs, taxonomy, settings, area_id="2480",
                          period="2024", layers=["otrygghet"])
    titles = [t.title for t in report.section("atgarder").tables]
    assert "Åtgärdsplan" in titles and "Uppföljning: Umeå" in titles
    plan = next(t for t in report.section("atgarder").tables if t.title == "Åtgärdsplan").frame
    assert plan["Problem"].tolist() == ["Otrygghet ute sent en kväll",
                                        "Sexistiska kommentarer i skolan"]
    assert plan["Mål"].tolist() == ["≤ 15", "minst 70"]


def test_export_restore_keeps_the_plan(planned, tmp_path) -> None:
    out = tmp_path / "export"
    export_all(planned, out)
    back = GpkgWorkspace(tmp_path / "back.gpkg")
    import_exported(back, out)
    cols = ["action_id", "focus_area", "problem", "cause", "start", "end", "baseline", "target",
            "follow_up"]
    assert back.read("actions")[cols].equals(planned.read("actions")[cols])


def test_the_lagesbild_page_opens_with_drafts_and_follow_up(planned, monkeypatch) -> None:

    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(planned.path))
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    at = open_page("assessment_page", timeout=90)
    assert not at.exception, at.exception
    assert at.title[0].value == "Lägesbild"
    at.selectbox(key="ass_area").set_value("2480").run()
    assert not at.exception, at.exception
    assert any(s.value == "Uppföljning av åtgärderna" for s in at.subheader)
    cells = [str(v) for df in at.dataframe for v in df.value.astype(str).to_numpy().ravel()]
    assert "P1" in cells and "≤ 15" in cells
