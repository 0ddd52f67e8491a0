"""The app refuses a release that fails the audit: the pages stop with an error and show no
figure; a release that passes says so in the sidebar."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from frames_support import shared_demo
from lagesbild.analysis import release
from lagesbild.analysis.audit import RESULT_COLUMNS, Audit
from app_support import open_page

PAGES = ["pyramid_page", "map_page", "compare_page"]


def _start(monkeypatch: pytest.MonkeyPatch, workspace, page: str) -> AppTest:
    monkeypatch.setenv("LAGESBILD_WORKSPACE", str(workspace))
    monkeypatch.setenv("LAGESBILD_AUDIT_WAIT", "120")
    monkeypatch.setenv("LAGESBILD_WARM", "0")
    at = open_page(page, timeout=180)
    return at


def _texts(elements) -> str:  # noqa: ANN001
    return " ".join(str(e.value) for e in elements)


@pytest.mark.parametrize("page", PAGES)
def test_a_failing_release_is_not_shown(monkeypatch, tmp_path, tmp_path_factory, page) -> None:
    # a copy of the demo: a workspace key of its own, so no audit cached by another test counts
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), workspace)
    leak = pd.DataFrame([["pyramid|counts|2024|2417|3|(alla)|K", "pyramid counts 2024", 3, 3.0,
                          3.0, 0.0, True]], columns=RESULT_COLUMNS)
    monkeypatch.setattr(release, "release_audit", lambda *a, **k: Audit(leak, 5))
    at = _start(monkeypatch, workspace, page)
    assert not at.exception
    errors = _texts(at.error)
    assert "visas inte" in errors and "1 dolda uppgifter" in errors, errors
    assert len(at.dataframe) == 0  # the page stopped before any figure


def test_a_passing_release_says_so(monkeypatch, tmp_path, tmp_path_factory) -> None:
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), workspace)
    at = _start(monkeypatch, workspace, "pyramid_page")
    assert not at.exception and not at.error
    assert "ingen dold uppgift kan ringas in" in _texts(at.sidebar.caption)
    assert len(at.dataframe) >= 1


def test_an_audit_that_cannot_run_refuses_too(monkeypatch, tmp_path, tmp_path_factory) -> None:
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), workspace)

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise ValueError("labels contradict the true values")

    monkeypatch.setattr(release, "release_audit", broken)
    at = _start(monkeypatch, workspace, "compare_page")
    assert "kunde inte göras klart" in _texts(at.error)
    assert len(at.dataframe) == 0


def test_switched_off_it_says_so(monkeypatch, tmp_path, tmp_path_factory) -> None:
    workspace = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), workspace)
    monkeypatch.setenv("LAGESBILD_APP_AUDIT", "off")
    monkeypatch.setattr(release, "release_audit", lambda *a, **k: pytest.fail("audited"))
    at = _start(monkeypatch, workspace, "pyramid_page")
    assert "granskas inte i appen" in _texts(at.sidebar.caption)
    assert len(at.dataframe) >= 1
