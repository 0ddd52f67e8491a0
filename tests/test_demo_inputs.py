"""The committed demo inputs are reproducible and import cleanly into the Västerbotten workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild.core import schema
from lagesbild.store import demo
from lagesbild.core.settings import get_settings

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


def test_regenerating_gives_byte_identical_files(tmp_path):
    written = demo.generate_inputs(tmp_path, seed=demo.SEED)
    assert set(written) == set(demo.FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(demo.FILES.values())
    for kind, path in written.items():
        committed = DEMO_DIR / demo.FILES[kind]
        assert path.read_bytes() == committed.read_bytes(), f"{committed.name} differs"


def test_settings_point_at_committed_inputs():
    assert get_settings().demo_dir.resolve() == DEMO_DIR


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory):
    return demo.build_workspace(tmp_path_factory.mktemp("demo") / "w.gpkg")


def test_demo_workspace_rejects_nothing(demo_workspace):
    meta = demo_workspace.datasets()
    assert sorted(meta["kind"]) == sorted(["boundaries", *(demo.KIND_OF.get(k, k) for k in demo.IMPORT_ORDER)])
    assert meta["rejected"].tolist() == [0] * len(meta)
    assert (meta["rows"] > 0).all()


def test_demo_areas(demo_workspace):
    areas = demo_workspace.read("areas")
    assert sorted(areas["level"].value_counts().items()) == [("kommun", 15), ("lan", 1)]
    kommun = areas[areas["level"] == "kommun"]
    assert sorted(kommun["area_id"]) == sorted(demo.KOMMUNER)
    for col in ("area_id", "code"):
        assert str(kommun[col].dtype) == "string"
        assert all(isinstance(c, str) and len(c) == 4 for c in kommun[col])


def test_demo_incidents_all_in_vasterbotten(demo_workspace):
    incidents = demo_workspace.read("incidents")
    codes = set(demo.KOMMUNER)
    assert len(incidents) > 1000
    assert incidents["area_id"].notna().all()
    assert all(a.startswith("24") and len(a) == 4 for a in incidents["area_id"])
    assert set(incidents["area_id"]) <= codes
    assert incidents["incident_id"].is_unique
    assert set(incidents["year"]) == set(demo.EXTRACT_YEARS)
    assert set(incidents["victim_sex"].dropna()) <= {"K", "M"}  # missing stays missing
    assert incidents["victim_sex"].isna().any()


def test_demo_tables_use_known_codes(demo_workspace):
    codes = set(demo.KOMMUNER)
    for table in ("population", "incident_counts", "indicators", "sites", "programme_activity"):
        frame = demo_workspace.read(table)
        # the national reference rows ("Riket", 00) only in the tables that have one
        national = {"00"} if table in ("population", "incident_counts", "indicators") else set()
        assert len(frame) > 0 and set(frame["area_id"]) <= codes | national, table
        assert national <= set(frame["area_id"]), table
        assert str(frame["area_id"].dtype) == "string"


def test_demo_population_totals(demo_workspace):
    pop = demo_workspace.read("population")
    wide = pop.pivot_table(index=["area_id", "year"], columns="sex", values="population",
                           aggfunc="sum")
    assert len(wide) == (len(demo.KOMMUNER) + 1) * len(demo.YEARS)  # + Riket
    assert (wide["T"] == wide["K"] + wide["M"]).all()
    assert str(pop["population"].dtype) == schema.INT
