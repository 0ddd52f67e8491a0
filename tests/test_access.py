"""Roles and access decisions (core.access), the login setting's [access] section and the roles
table (core.auth_settings, sources.auth_config): every role against every decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild.core.access import Access, Role, parse_roles
from lagesbild.core.auth_settings import auth_settings, check_auth_section
from lagesbild.core.errors import InputError
from lagesbild.core.layers import LayerSpec
from lagesbild.sources.auth_config import read_auth_config, read_roles_table

from conftest import csv_bytes

POLIS, LASARE = Access((Role("polis"),)), Access((Role("lasare"),))
UMEA, LAN = Access((Role("kommun", "2480"),)), Access((Role("lansstyrelsen", "24"),))
ADMIN, NOBODY, FULL = Access(admin=True), Access(), Access.full()
# (access, exact, points, import, audit log, cache level)
MATRIX = [(FULL, True, True, True, True, "police"), (POLIS, True, True, True, True, "police"),
          (UMEA, False, False, False, False, "protected"),
          (LAN, False, False, False, False, "protected"),
          (LASARE, False, False, False, False, "protected"),
          (ADMIN, False, False, True, True, "protected"),
          (NOBODY, False, False, False, False, "protected")]


@pytest.mark.parametrize(("access", "exact", "points", "imports", "audit", "level"), MATRIX)
def test_what_each_role_may_see_and_do(access, exact, points, imports, audit, level) -> None:
    assert access.may_see_exact is exact
    assert access.may_see_points is points
    assert access.may_import is imports
    assert access.may_see_audit is audit
    assert access.level == level


# (access, areas it may edit among kommun 2480, kommun 2482, län 24, län 25)
EDITS = [(FULL, {"2480", "2482", "24", "25"}), (ADMIN, {"2480", "2482", "24", "25"}),
         (UMEA, {"2480"}), (LAN, {"24"}), (POLIS, set()), (LASARE, set()), (NOBODY, set())]


@pytest.mark.parametrize(("access", "editable"), EDITS)
def test_who_edits_which_area(access, editable) -> None:
    assert {a for a in ("2480", "2482", "24", "25") if access.may_edit(a)} == editable


def test_a_group_is_the_county_boards_when_all_its_kommuner_are_in_the_county() -> None:
    assert LAN.may_edit("grupp:norr", members=["2480", "2482"])
    assert not LAN.may_edit("grupp:over", members=["2480", "2584"])  # one kommun in Norrbotten
    assert not LAN.may_edit("grupp:tom", members=[])
    assert not UMEA.may_edit("grupp:norr", members=["2480"])  # a kommun edits its own only


def test_police_only_layers_reach_the_exact_roles_only() -> None:
    specs = {"open": LayerSpec("open", "Öppet", "Open", "count_rate"),
             "pol": LayerSpec("pol", "Polis", "Police", "incident_rate", audience="police")}
    assert set(POLIS.allowed_layers(specs)) == set(FULL.allowed_layers(specs)) == {"open", "pol"}
    for access in (UMEA, LAN, LASARE, ADMIN):
        assert set(access.allowed_layers(specs)) == {"open"}


def test_own_areas_come_first_and_the_others_stay_readable() -> None:
    areas = ["24", "grupp:g", "2401", "2480", "2482", "2584"]
    assert UMEA.home_areas(areas) == ["2480", "24", "grupp:g", "2401", "2482", "2584"]
    assert LAN.home_areas(areas) == ["24", "2401", "2480", "2482", "grupp:g", "2584"]
    assert LASARE.home_areas(areas) == POLIS.home_areas(areas) == areas


@pytest.mark.parametrize(("text", "role"), [("polis", Role("polis")), (" Kommun:2480 ", Role("kommun", "2480")),
                                            ("länsstyrelsen:24", Role("lansstyrelsen", "24")),
                                            ("läsare", Role("lasare"))])
def test_roles_are_read_as_people_write_them(text, role) -> None:
    assert Role.parse(text) == role
    assert Role.parse(str(role)) == role


@pytest.mark.parametrize(("text", "fix"), [("kommun", "kommun:2480"), ("kommun:248", "kommun:2480"),
                                           ("lansstyrelsen:2480", "lansstyrelsen:24"),
                                           ("polis:24", "Skriv bara polis"), ("admin", "Använd polis")])
def test_a_misspelt_role_is_refused_with_the_fix(text, fix) -> None:
    with pytest.raises(InputError, match="roll") as caught:
        Role.parse(text)
    assert fix in str(caught.value)


def test_unknown_roles_are_kept_apart_never_granted() -> None:
    roles, unknown = parse_roles(["polis", "Administrator", "kommun:2480", "polis"])
    assert roles == (Role("kommun", "2480"), Role("polis")) and unknown == ("Administrator",)


def test_roles_from_the_claim_in_every_shape_and_from_the_table() -> None:
    auth = auth_settings({"claim": "groups", "admins": ["IT@Umea.se"],
                          "users": {"Anna@Umea.se": ["kommun:2480"]}})
    assert auth.access_for({"email": "x@y.se", "groups": ["polis"]}).may_see_exact
    assert auth.access_for({"email": "x@y.se", "groups": "lasare kommun:2482"}).roles == (
        Role("kommun", "2482"), Role("lasare"))
    anna = auth.access_for({"email": "anna@umea.se", "groups": "lasare"})
    assert anna.roles == (Role("kommun", "2480"), Role("lasare")) and anna.may_edit("2480")
    # the claim the setting does not name grants nothing
    assert not auth.access_for({"email": "x@y.se", "roles": ["polis"]}).may_use
    it = auth.access_for({"email": "it@umea.se"})
    assert it.admin and it.may_import and not it.may_see_exact


def test_a_default_role_only_for_those_without_one() -> None:
    auth = auth_settings({"default_role": "lasare"})
    assert auth.access_for({"email": "ny@x.se"}).roles == (Role("lasare"),)
    assert auth.access_for({"email": "p@x.se", "roles": "polis"}).roles == (Role("polis"),)
    assert not auth_settings({}).access_for({"email": "ny@x.se"}).may_use


@pytest.mark.parametrize(("section", "field"), [({"clam": "roles"}, "access.clam"),
                                                ({"admins": "it@x.se"}, "access.admins"),
                                                ({"claim": ["roles"]}, "access.claim"),
                                                ({"users": {"a@x.se": ["polise"]}}, "access.users")])
def test_a_wrong_access_section_names_the_key(section, field) -> None:
    with pytest.raises(InputError) as caught:
        auth_settings(section, file="auth.toml")
    assert caught.value.field == field and "auth.toml" in str(caught.value)


def test_the_roles_table_as_an_office_saves_it(tmp_path: Path) -> None:
    path = tmp_path / "roller.csv"
    path.write_bytes(csv_bytes("E-post;Roller\nanna@umea.se;kommun:2480\nper@polisen.se;polis\n"
                               "anna@umea.se;lasare\n;\n", "cp1252"))
    assert read_roles_table(path) == {"anna@umea.se": ["kommun:2480", "lasare"],
                                      "per@polisen.se": ["polis"]}


def test_a_bad_row_of_the_roles_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "roller.csv"
    path.write_bytes(csv_bytes("e-post,roll\nanna@umea.se,kommun:2480\nper@polisen.se,polisen\n"))
    with pytest.raises(InputError) as caught:
        read_roles_table(path)
    assert (caught.value.row, caught.value.field) == (3, "roll")
    assert "polisen" in str(caught.value)
    path.write_bytes(csv_bytes("namn;roll\nAnna;polis\n"))
    with pytest.raises(InputError, match="e-post;roller"):
        read_roles_table(path)


AUTH = """[auth]
redirect_uri = "https://lagesbild.example.se/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef"
client_id = "lagesbild"
client_secret = "hemligt"
server_metadata_url = "https://idp.example.se/.well-known/openid-configuration"
"""


def test_the_auth_config_resolves_its_roles_table_beside_it(tmp_path: Path) -> None:
    (tmp_path / "roller.csv").write_text("e-post;roller\nanna@umea.se;kommun:2480\n")
    path = tmp_path / "auth.toml"
    path.write_text(AUTH + '[access]\nclaim = "roles"\ntable = "roller.csv"\n')
    data = read_auth_config(path)
    assert data["access"]["table"] == str(tmp_path / "roller.csv")
    assert data["auth"]["client_id"] == "lagesbild"


@pytest.mark.parametrize(("change", "field"), [
    (("client_secret = \"hemligt\"\n", ""), "auth.client_secret"),
    (("/oauth2callback", "/callback"), "auth.redirect_uri"),
    (("0123456789abcdef0123456789abcdef", "kort"), "auth.cookie_secret")])
def test_a_wrong_auth_section_is_refused_before_the_server_starts(tmp_path, change, field) -> None:
    path = tmp_path / "auth.toml"
    path.write_text(AUTH.replace(*change))
    with pytest.raises(InputError) as caught:
        read_auth_config(path)
    assert caught.value.field == field
    with pytest.raises(InputError, match=r"\[auth\]"):
        check_auth_section({})
