"""The incident rows of a stored workspace are read on first use (`core.frames.DeferredIncidents`):
a page whose figures come from the cube and the kept derived tables never holds them, a commit
in between is refused rather than mixed in, and what replaced the rows on the first page (the
datasets' spans, the kommuner that know the relation, the kept audit) equals what the rows
give."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from frames_support import demo_inputs, shared_demo, tiny_frames
from lagesbild.analysis import release, time_coverage
from lagesbild.analysis.layer_rows import relation_known
from lagesbild.analysis.opening import prepare_opening
from lagesbild.core.errors import WorkspaceError
from lagesbild.core.frames import DeferredIncidents, Frames
from lagesbild.store import derived, importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kept"
    monkeypatch.setenv(derived.ENV, str(folder))
    return folder


@pytest.fixture
def demo_copy(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> GpkgWorkspace:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return GpkgWorkspace(path)


def swap(monkeypatch: pytest.MonkeyPatch, target: object, name: str, value: object) -> None:
    """`monkeypatch.setattr` without the suite's rule that switches the kept tables off."""
    pytest.MonkeyPatch.setattr(monkeypatch, target, name, value)


def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201
    raise AssertionError("computed again although kept")


def test_rows_are_read_on_first_use_and_equal_the_rows_read_at_once(
        kept: Path, demo_copy: GpkgWorkspace) -> None:
    first = load_frames(demo_copy)  # nothing kept yet: the rows are counted here
    assert first.incidents_loaded
    again = load_frames(demo_copy)  # the cube is kept: the rows wait
    assert not again.incidents_loaded
    assert again.incident_total == len(first.incidents)
    pd.testing.assert_frame_equal(again.incident_cube, first.incident_cube)
    pd.testing.assert_frame_equal(again.incidents, first.incidents)
    assert again.incidents_loaded


def test_a_commit_after_the_tables_were_read_is_refused_not_mixed_in(
        kept: Path, demo_copy: GpkgWorkspace, tmp_path: Path) -> None:
    load_frames(demo_copy)
    frames = load_frames(demo_copy)
    assert not frames.incidents_loaded
    # another process replaces the extract with one of as many rows: the count alone would
    # not tell, the workspace's key does
    extract = DEMO / "polisens_utdrag_2022-2024.csv"
    lines = extract.read_bytes().splitlines()  # Windows-1252, as the police write it
    changed = tmp_path / extract.name
    changed.write_bytes(b"\r\n".join([lines[0], *lines[2:], lines[1]]) + b"\r\n")
    importer.import_file(GpkgWorkspace(demo_copy.path), "incidents", changed,
                         name=extract.name)
    with pytest.raises(WorkspaceError, match="changed .*reload the page"):
        frames.incidents  # noqa: B018
    assert not frames.incidents_loaded
    assert load_frames(demo_copy).incident_total == frames.incident_total


def test_rows_that_do_not_match_the_count_are_refused() -> None:
    rows = tiny_frames().incidents
    frames = Frames(**{**_tables(tiny_frames()), "incidents": DeferredIncidents(
        lambda: rows, len(rows) + 1)})
    with pytest.raises(WorkspaceError, match=f"holds {len(rows)} incidents, not the "
                                              f"{len(rows) + 1}"):
        frames.incidents  # noqa: B018


def test_a_commit_while_the_tables_are_read_reads_the_rows_at_once(
        kept: Path, demo_copy: GpkgWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
    load_frames(demo_copy)
    keys = iter(["a:1:1:1", "a:1:1:1", "a:2:2:2", "a:2:2:2"])
    swap(monkeypatch, GpkgWorkspace, "key", property(lambda self: next(keys, "a:2:2:2")))
    frames = load_frames(demo_copy)
    assert frames.incidents_loaded and frames.persist is None


def _tables(frames: Frames) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(frames, f.name) for f in dataclasses.fields(frames)}


def _extents_from_rows(frames: Frames) -> dict[str, tuple[date, date]]:
    """The rows' definition the spans replaced: first and last event per dataset."""
    data = frames.incidents
    when = pd.to_datetime(data["occurred_at"])
    grouped = pd.DataFrame({"source": data["source"], "when": when}).dropna() \
        .groupby("source", observed=True)["when"].agg(["min", "max"])
    return {str(s): (lo.date(), hi.date())
            for s, lo, hi in zip(grouped.index, grouped["min"], grouped["max"])}


def _sources_from_rows(frames: Frames) -> dict[str, list[str]]:
    data = frames.incidents[frames.incidents["source"].notna()
                            & frames.incidents["area_id"].notna()]
    pairs = sorted({(str(a), str(s)) for a, s in zip(data["area_id"], data["source"])})
    found: dict[str, list[str]] = {}
    for area, source in pairs:
        found.setdefault(area, []).append(source)
    return found


def test_the_spans_give_what_the_rows_give_also_for_rows_without_area_or_date() -> None:
    frames = tiny_frames()
    rows = frames.incidents.copy()
    odd = rows.iloc[:3].copy()
    odd["source"] = pd.Categorical(["andra.csv"] * 3)
    odd["area_id"] = pd.Categorical([None, "2417", None], categories=["2417"])
    odd["occurred_at"] = [pd.Timestamp(2021, 3, 4), pd.NaT, pd.Timestamp(2020, 1, 2)]
    odd["year"] = [2021, 2022, 2020]
    both = pd.concat([rows, odd], ignore_index=True)
    frames = Frames(**{**_tables(frames), "incidents": both})
    extents = {k: v for k, v in time_coverage.dataset_extents(frames).items()
               if k not in set(frames.datasets["dataset"])}  # the declared span aside
    assert extents == {k: v for k, v in _extents_from_rows(frames).items() if k in extents}
    assert extents["andra.csv"] == (date(2020, 1, 2), date(2021, 3, 4))
    assert {k: sorted(v) for k, v in time_coverage.sources_by_kommun(frames).items()} == \
        _sources_from_rows(frames)
    assert time_coverage.incident_sources(frames) == ["andra.csv", "utdrag.csv"]


def test_the_demo_s_spans_and_relation_areas_equal_the_rows(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    frames, *_ = demo_inputs(tmp_path_factory)
    assert time_coverage.dataset_extents(frames) == {
        **_extents_from_rows(frames),
        **{k: v for k, v in time_coverage.dataset_extents(frames).items()
           if time_coverage.declared_extent(
               frames.datasets.set_index("dataset").loc[k, "period"]) is not None}}
    assert {k: sorted(v) for k, v in time_coverage.sources_by_kommun(frames).items()} == \
        _sources_from_rows(frames)
    for year in ("2022", "2023", "2024"):
        rows = frames.incidents[frames.incidents["year"] == int(year)]
        told = set(rows.loc[rows["relation"].notna(), "area_id"].astype(str))
        expected = told | (set(frames.kommuner["area_id"]) - set(rows["area_id"].astype(str))) \
            if told else set()
        assert relation_known(frames, year) == expected


def test_a_prepared_workspace_opens_from_disk_without_its_rows_and_without_auditing_again(
        kept: Path, demo_copy: GpkgWorkspace, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    load_frames(demo_copy)  # the cube is kept
    first = load_frames(demo_copy)
    done = prepare_opening(first, specs, taxonomy=taxonomy, settings=settings)
    assert done.opening and done.audited and done.passed
    audits = {p: release.release_audit(first, taxonomy=taxonomy, settings=settings,
                                       periods=[p], specs=specs).cells
              for p in done.audited}

    later = load_frames(demo_copy)  # a new process: the same state, kept tables on disk
    swap(monkeypatch, release, "_release_audit", refuse)
    from lagesbild.analysis import dispersion, figures

    swap(monkeypatch, figures, "_layer_figures", refuse)
    swap(monkeypatch, dispersion, "_layer_dispersion", refuse)
    again = prepare_opening(later, specs, taxonomy=taxonomy, settings=settings)
    assert again.opening == done.opening
    for period, cells in audits.items():
        pd.testing.assert_frame_equal(release.release_audit(
            later, taxonomy=taxonomy, settings=settings, periods=[period], specs=specs).cells,
            cells, check_exact=True)
    assert not later.incidents_loaded, "the first page's figures need no incident rows"
    assert np.isfinite(again.seconds["figures"])


def test_what_prepare_computes_is_what_the_app_s_first_page_reads(
        kept: Path, demo_copy: GpkgWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lagesbild prepare` and the map page decide independently what the first page needs:
    after prepare, a new app process opens it (and audits its period) computing nothing."""
    import streamlit as st
    from click.testing import CliRunner
    from streamlit.testing.v1 import AppTest

    from lagesbild.analysis import dispersion, figures
    from lagesbild.cli.main import main
    from lagesbild.ui import common

    load_frames(demo_copy)  # the cube is kept (an earlier process)
    out = CliRunner().invoke(main, ["prepare", "--workspace", str(demo_copy.path)])
    assert out.exit_code == 0 and "Förberedde första sidan" in out.output, out.output
    for target, name in ((figures, "_layer_figures"), (dispersion, "_layer_dispersion"),
                         (release, "_release_audit")):
        swap(monkeypatch, target, name, refuse)
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(demo_copy.path))
    monkeypatch.setenv("LAGESBILD_AUDIT_WAIT", "60")  # the page waits for its period's audit
    st.cache_resource.clear()
    st.cache_data.clear()
    from lagesbild.ui import release_guard

    release_guard._FUTURES.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"),
                           default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not common.frames_for(demo_copy.key, demo_copy.location).incidents_loaded
    st.cache_resource.clear()
    st.cache_data.clear()
