"""Each role through AppTest: Streamlit's own `AppTest.user` plays the signed-in user and
`AppTest.secrets` the login setting. What a page draws, and what forcing widget state or the
address gets a reader: never the police report, an editor or an import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from frames_support import shared_demo

APP = Path(__file__).resolve().parents[1] / "app.py"
SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback",
                    "cookie_secret": "0123456789abcdef0123456789abcdef",
                    "client_id": "lagesbild", "client_secret": "s",
                    "server_metadata_url": "http://localhost:1/.well-known/openid-configuration"},
           "access": {"claim": "roles", "admins": ["it@umea.se"]}}


def user(roles: object, email: str = "x@test.se") -> dict:
    return {"is_logged_in": True, "email": email, "name": "Test", "roles": roles}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("roles") / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return path


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch, ws: Path):
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(ws))
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")

    def run(who: dict | None, page: str | None = None, secrets: dict | None = SECRETS,
            query: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        if secrets:
            at.secrets = secrets
        at.user = who or {"is_logged_in": False}
        for k, v in (query or {}).items():
            at.query_params[k] = v
        at.run()
        if page:
            at.switch_page(f"lagesbild/ui/{page}.py").run()
        assert not at.exception, at.exception
        return at

    return run


def _texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in (at.caption, at.markdown, at.title, at.warning)
                     for e in kind)


def test_before_sign_in_only_the_login_page_is_drawn(start) -> None:
    at = start(None)
    assert [t.value for t in at.title] == ["Lägesbild: logga in"]
    assert [b.label for b in at.button] == ["Logga in"]
    assert not at.dataframe and not at.selectbox  # no figure, no choice before sign-in
    at = start(None, page="report_page")  # a page asked for directly: the same
    assert [t.value for t in at.title] == ["Lägesbild: logga in"]


def test_a_user_without_a_role_sees_nothing(start) -> None:
    at = start(user(["chef"]))
    assert "har ingen roll" in at.warning[0].value
    assert [b.label for b in at.button] == ["Logga ut"] and not at.dataframe


def test_without_a_login_setting_one_person_has_every_right(start) -> None:
    at = start(None, page="report_page", secrets=None)
    assert at.radio(key="rep_audience").options == ["Bred (utöver polisen)", "Polisen"]
    assert "Alla rättigheter" not in _texts(at)  # no user box without a login


def test_a_reader_cannot_force_the_police_report(start) -> None:
    at = start(user(["lasare"]), page="report_page", query={"audience": "police"})
    assert "rep_audience" not in [r.key for r in at.radio]
    assert "Roll: Läsare" in _texts(at) and "Mottagare: Bred (utöver polisen)" in _texts(at)
    at.session_state["rep_audience"] = "police"  # forced state, as a crafted client would send
    at.session_state["rep_file"] = {"audience": "police", "who": "", "fmt": "html",
                                    "data": b"police", "name": "x.html", "caption": ""}
    at.selectbox(key="rep_area").set_value("2417")
    at.selectbox(key="rep_format").set_value("xlsx")
    at.button(key="rep_build").click().run()
    assert not at.exception
    made = at.session_state["rep_file"]
    assert made["audience"] == "wide" and made["data"] != b"police"
    assert not any(b.label == "Spara" for b in at.button)  # no notes editor
    assert not at.checkbox  # no snapshot to freeze


def test_the_police_choose_the_police_report_and_it_is_logged(start, ws: Path) -> None:
    from lagesbild.store.gpkg import GpkgWorkspace

    at = start(user("polis", "per@polisen.se"), page="report_page")
    at.selectbox(key="rep_area").set_value("2417")
    at.selectbox(key="rep_format").set_value("xlsx")
    at.radio(key="rep_audience").set_value("police")
    at.button(key="rep_build").click().run()
    assert at.session_state["rep_file"]["audience"] == "police"
    events = GpkgWorkspace(ws).events()
    last = events.iloc[-1]
    assert (last["actor"], last["role"], last["action"]) == ("per@polisen.se", "polis",
                                                              "report_police")
    assert last["target"] == "2417 2024 xlsx"
    # the same session signed in as someone else no longer holds the police file
    at.user = user("lasare", "lisa@test.se")
    at.run()
    assert "rep_file" not in at.session_state


def test_a_kommun_edits_its_own_area_and_reads_the_others(start) -> None:
    at = start(user("kommun:2480"), page="report_page")
    assert at.selectbox(key="rep_area").value == "2480"  # its own kommun first
    assert any(b.label == "Spara" for b in at.button)
    at.selectbox(key="rep_area").set_value("2417").run()
    assert not any(b.label == "Spara" for b in at.button)
    assert "Din roll kan läsa men inte ändra" in _texts(at)
    at = start(user("kommun:2480"), page="assessment_page")
    assert at.selectbox(key="ass_area").value == "2480"
    assert any(b.key == "ass_save" for b in at.button)
    at.selectbox(key="ass_area").set_value("2417").run()
    assert not any(b.key == "ass_save" for b in at.button)


def test_the_county_board_opens_on_its_county(start) -> None:
    at = start(user("lansstyrelsen:24"), page="report_page")
    assert at.selectbox(key="rep_area").value == "24"
    assert any(b.label == "Spara" for b in at.button)
    assert "rep_audience" not in [r.key for r in at.radio]


@pytest.mark.parametrize(("who", "imports", "log"), [
    (user("lasare"), False, False), (user("kommun:2480"), False, False),
    (user("polis"), True, True), (user([], "it@umea.se"), True, True)])
def test_the_data_page_imports_and_logs_for_the_owners_only(start, who, imports, log) -> None:
    at = start(who, page="data_page")
    headers = [s.value for s in at.subheader]
    assert ("Importera data" in headers) is imports
    assert any("Händelselogg" in e.label for e in at.expander) is log
    assert any("eget kartlager" in e.label for e in at.expander) is imports


def test_a_police_only_layer_is_offered_to_the_police_only(start, ws: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from lagesbild.core.settings import get_settings

    layers = tmp_path / "layers"
    shutil.copytree(get_settings().layers_dir, layers)
    (layers / "polis_punkter.toml").write_text(
        'id = "polis_punkter"\ntitle_sv = "Polisens lager"\nkind = "incident_rate"\n'
        'pyramid_level = 3\naudience = "police"\n', encoding="utf-8")
    monkeypatch.setenv("LAGESBILD_LAYERS", str(layers))
    for who, shown in ((user("polis"), True), (user("lasare"), False),
                       (user("lansstyrelsen:24"), False)):
        at = start(who, page="compare_page")
        options = [o for s in at.selectbox for o in s.options]
        assert ("Polisens lager" in options) is shown
