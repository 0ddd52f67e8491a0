"""Shared test fixtures: tiny hand-built areas, workspaces in tmp_path, CSV bytes as offices write them."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from browser_fixtures import (  # noqa: F401 - the browser tests' fixtures, one per worker
    browser,
    demo_gpkg,
    demo_server,
    hostile_gpkg,
    hostile_server,
    tab,
)
from lagesbild.core import schema
from lagesbild.store.gpkg import GpkgWorkspace

# Results are kept on disk between processes (`store.derived`) in one folder per run, shared
# by the xdist workers and the servers and CLI processes the tests start (they inherit the
# environment): the tests' many copies of the demo workspace have one content
# (`GpkgWorkspace.content_key`), so its protected figures are computed once per run. Off until
# the session fixture below names the folder; a test that swaps a function of the package
# (monkeypatch.setattr on a lagesbild module) runs with it off (`_nothing_kept_under_a_patch`):
# it would otherwise read the figures of the original from the disk.
os.environ["LAGESBILD_CACHE_DIR"] = "off"

# The background warmer (`ui/warming.py`) computes the choices next to each page: in the suite
# it ran in every AppTest and in every app server the browser tests start, beside the tests,
# for no test's benefit (121 s of the run's CPU on 2 cores). Off unless a test about warming
# turns it on (monkeypatch.setenv("LAGESBILD_WARM", "1")).
os.environ["LAGESBILD_WARM"] = "0"

# Two adjacent 10 km squares in Västerbotten (EPSG:3006); x = 710 000 is their shared border.
WEST = box(700_000, 7_190_000, 710_000, 7_200_000)
EAST = box(710_000, 7_190_000, 720_000, 7_200_000)
WEST_ID, EAST_ID = "2417", "2422"
_TO_WGS = Transformer.from_crs(schema.CRS_STORE, schema.CRS_WEB, always_xy=True)


def csv_bytes(text: str, encoding: str = "utf-8", *, newline: str = "\r\n") -> bytes:
    """`text` (lines separated by \\n) as a file: Excel's CRLF line ends, the given encoding.

    Use encoding "utf-8-sig" for UTF-8 with BOM, "utf-16" for UTF-16 with BOM, "cp1252" for
    Windows-1252.
    """
    return text.replace("\n", newline).encode(encoding)


def latlon(x: float, y: float, *, decimal_comma: bool = True) -> tuple[str, str]:
    """WGS84 (lat, lon) strings for a point given in EPSG:3006, 6 decimals (about 0.1 m)."""
    lon, lat = _TO_WGS.transform(x, y)
    out = f"{lat:.6f}", f"{lon:.6f}"
    return tuple(v.replace(".", ",") for v in out) if decimal_comma else out  # type: ignore[return-value]


def left_in(folder: Path) -> list[str]:
    """The files in `folder` but the workspace's writer lock (kept on purpose: see gpkg_safety)."""
    return sorted(n for n in os.listdir(folder) if not n.endswith(".lock"))


@pytest.fixture(scope="session", autouse=True)
def shared_audit_memory(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The audit's solved programs shared by this run's xdist workers (audit_memory_support)."""
    from audit_memory_support import SharedSolved
    from lagesbild.analysis import audit

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    audit._SOLVED = SharedSolved(root / "audit-solved")
    os.environ["LAGESBILD_CACHE_DIR"] = str(root / "derived")
    os.environ["LAGESBILD_CACHE_KEEP"] = "100000"  # the run's many states: none pruned
    # a PostGIS workspace's own files (layers, snapshots) in this run's folder, not the checkout's
    os.environ["LAGESBILD_POSTGIS_FILES"] = str(root / "postgis-files")


@pytest.fixture(autouse=True)
def _nothing_kept_under_a_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that swaps anything of the package (`monkeypatch.setattr` on a lagesbild module,
    class or object) reads and keeps no derived table for the rest of the test: its swapped
    function must run, and what it computes must not reach other tests."""
    plain = monkeypatch.setattr

    def setattr(target, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        module = target if isinstance(target, str) else (
            getattr(target, "__module__", None) or getattr(target, "__name__", "")
            or type(target).__module__)
        if isinstance(target, type(os)):
            module = target.__name__
        if str(module).startswith("lagesbild"):
            monkeypatch.setenv("LAGESBILD_CACHE_DIR", "off")
        return plain(target, *args, **kwargs)

    monkeypatch.setattr = setattr  # type: ignore[method-assign]


@pytest.fixture
def unit_squares() -> gpd.GeoDataFrame:
    """Two adjacent unit squares in EPSG:3006: "A" = [0,1]x[0,1] first, "B" = [1,2]x[0,1]."""
    return gpd.GeoDataFrame({"area_id": ["A", "B"]},
                            geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=schema.CRS_STORE)


@pytest.fixture
def kommun_areas() -> gpd.GeoDataFrame:
    """Two kommuner, "2417" (west) and "2422" (east), as a canonical `areas` table."""
    frame = gpd.GeoDataFrame({
        "area_id": [WEST_ID, EAST_ID], "level": schema.AreaLevel.KOMMUN.value,
        "code": [WEST_ID, EAST_ID], "name": ["Norsjö", "Sorsele"], "parent_id": "24",
        "source": "test",
    }, geometry=[WEST, EAST], crs=schema.CRS_STORE)
    return schema.conform(frame, "areas")


@pytest.fixture
def workspace(store_workspace):  # noqa: ANN001, ANN201 - a GpkgWorkspace or a PostgisWorkspace
    """An empty workspace, once in each store: every test that takes it (or `area_workspace`)
    runs against the GeoPackage and against PostGIS. A test about the GeoPackage file itself
    (its bytes, its lock, a damaged file) takes `gpkg_workspace`."""
    return store_workspace


@pytest.fixture
def gpkg_workspace(tmp_path: Path) -> GpkgWorkspace:
    """An empty GeoPackage workspace (the file does not exist yet), for tests of the file."""
    return GpkgWorkspace(tmp_path / "ws.gpkg")


@pytest.fixture
def area_workspace(workspace: GpkgWorkspace, kommun_areas: gpd.GeoDataFrame) -> GpkgWorkspace:
    """A workspace holding the two test kommuner as dataset "gränser"."""
    from lagesbild.store import importer

    importer.store_boundaries(workspace, kommun_areas, name="gränser")
    return workspace


@pytest.fixture
def make_csv() -> Callable[..., bytes]:
    """The `csv_bytes` helper as a fixture, for test modules that prefer fixtures to imports."""
    return csv_bytes


@pytest.fixture
def to_latlon() -> Callable[..., tuple[str, str]]:
    """The `latlon` helper as a fixture: EPSG:3006 (x, y) -> WGS84 ("lat", "lon") strings."""
    return latlon


# The longest modules first: `--dist loadscope --no-loadscope-reorder` hands whole modules to
# the workers in collection order, so a long module collected last would leave one worker
# running alone at the end (longest-first scheduling; xdist's own reorder sorts by the number
# of tests, which put the few-test browser walks last). Measured per module with `--durations=0`
# (summed per module, the mean of two whole `make test` runs, 2026-12-07); a module not listed
# keeps its place after these.
LONGEST_FIRST = ("test_cli", "test_report_group", "test_app", "test_postgis",
                 "test_browser_roles", "test_app_roles", "test_browser_raw",
                 "test_assessment", "test_report_meeting", "test_browser_bench", "test_audit_cli",
                 "test_browser", "test_app_bench", "test_report_detail", "test_release_small",
                 "test_follow_up", "test_national_workspace", "test_browser_map_frame",
                 "test_part_year", "test_workspace_safety", "test_snapshot",
                 "test_export_roundtrip", "test_release_audit", "test_static",
                 "test_period_choice", "test_one_release", "test_smoothing",
                 "test_import_properties", "test_pooled_views", "test_workspace")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable within modules


# --- the second store: PostgreSQL + PostGIS ---------------------------------------------------
@pytest.fixture(scope="session")
def pg_server():  # noqa: ANN201 - a pg_server.LocalServer
    """A local PostgreSQL + PostGIS server for this test process (each xdist worker its own),
    started on first use. Skips with the reason when none can be started here; under
    LAGESBILD_REQUIRE_POSTGRES=1 (`make test`, CI) that is a failure instead."""
    from pg_server import LocalServer, why_not

    required = os.environ.get("LAGESBILD_REQUIRE_POSTGRES") == "1"
    reason = why_not()
    server = LocalServer()
    if not reason:
        try:
            server.start()
        except Exception as exc:  # noqa: BLE001 - any failure to start is the reason
            server.stop()
            reason = f"the local PostgreSQL server did not start: {exc}"
    if reason:
        if required:
            pytest.fail(f"LAGESBILD_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:  # noqa: ANN001
    """A workspace location of its own (a new schema) on the test server."""
    import uuid

    return pg_server.workspace_url(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["gpkg", "postgis"])
def store(request: pytest.FixtureRequest) -> str:
    """The store a store-level test runs against: the GeoPackage and PostGIS."""
    return request.param


@pytest.fixture
def store_workspace(store: str, tmp_path: Path, request: pytest.FixtureRequest):  # noqa: ANN201
    """An empty workspace in `store` (a test module makes it its `workspace` fixture)."""
    if store == "postgis":
        from lagesbild.store.postgis import PostgisWorkspace

        return PostgisWorkspace(request.getfixturevalue("pg_url"))
    return GpkgWorkspace(tmp_path / "ws.gpkg")


def state_of(ws) -> str:  # noqa: ANN001
    """A digest of everything a workspace holds: the file's bytes for a GeoPackage, every
    table's rows and the dataset list for PostGIS (to assert "nothing changed")."""
    import hashlib

    if isinstance(ws, GpkgWorkspace):
        return hashlib.sha256(ws.path.read_bytes()).hexdigest() if ws.path.exists() else ""
    digest = hashlib.sha256()
    for table in schema.TABLES:
        frame = ws.read(table)
        digest.update(pd.util.hash_pandas_object(
            frame.drop(columns="geometry", errors="ignore"), index=False).to_numpy().tobytes())
        if "geometry" in frame:
            digest.update(b"".join(g.wkb if g is not None else b"-" for g in frame.geometry))
    digest.update(ws.datasets().to_csv().encode())
    return digest.hexdigest()
