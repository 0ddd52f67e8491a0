"""Derived tables kept on disk between processes (`store.derived`): read back only for the same
data, code and question, and equal to what is computed."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from frames_support import demo_inputs, norsjo_2025_counts, shared_demo
from lagesbild.analysis import figures
from lagesbild.analysis.small_areas import small_area_figures
from lagesbild.store import derived, importer
from lagesbild.store.frames import load_frames
from lagesbild.store.gpkg import GpkgWorkspace

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kept"
    monkeypatch.setenv(derived.ENV, str(folder))
    monkeypatch.setenv(derived.KEEP_ENV, "1")  # the suite keeps every state; here the default
    return folder


def swap(monkeypatch: pytest.MonkeyPatch, target: object, name: str, value: object) -> None:
    """`monkeypatch.setattr` without the suite's rule that a swap switches the kept tables off
    (conftest `_nothing_kept_under_a_patch`): these tests are about the kept tables."""
    pytest.MonkeyPatch.setattr(monkeypatch, target, name, value)


@pytest.fixture
def demo_copy(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> GpkgWorkspace:
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(shared_demo(tmp_path_factory), path)
    return GpkgWorkspace(path)


def _count_layers(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN202
    _, specs, taxonomy, settings = demo_inputs(tmp_path_factory)
    chosen = [s for s in specs.values() if s.kind in ("count_rate", "incident_rate")]
    assert chosen, "the demo has count layers"
    return chosen, taxonomy, settings


def _everything(frames, specs, taxonomy, settings) -> list[pd.DataFrame]:  # noqa: ANN001
    out = []
    for spec in specs:
        for sex in ("T", "K", "M"):
            out.append(figures.layer_figures(frames, spec, period="2024", sex=sex,
                                             taxonomy=taxonomy, settings=settings))
        if spec.kind == "incident_rate":
            out.append(small_area_figures(frames, spec, level="deso", kommun=None,
                                          period="2024", sex="T", taxonomy=taxonomy,
                                          settings=settings))
    return out


def test_a_later_process_reads_the_same_figures_from_disk_without_computing(
        kept: Path, demo_copy: GpkgWorkspace, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    specs, taxonomy, settings = _count_layers(tmp_path_factory)
    first = load_frames(demo_copy)
    assert first.persist is not None
    computed = _everything(first, specs, taxonomy, settings)
    assert len(list(kept.rglob("*.parquet"))) >= len(specs)

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("computed again although kept")

    swap(monkeypatch, figures, "_layer_figures", refuse)
    again = _everything(load_frames(demo_copy), specs, taxonomy, settings)
    for one, other in zip(computed, again):
        pd.testing.assert_frame_equal(other, one, check_exact=True)


def test_a_new_import_of_the_same_dataset_gives_the_new_figures(
        kept: Path, demo_copy: GpkgWorkspace, tmp_path_factory: pytest.TempPathFactory,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file a stale store would get wrong: the same dataset name again, Norsjö's 2024
    counts raised, every key the same as before."""
    specs, taxonomy, settings = _count_layers(tmp_path_factory)
    spec = next(s for s in specs if s.kind == "count_rate")
    before = figures.layer_figures(load_frames(demo_copy), spec, period="2024", sex="T",
                                   taxonomy=taxonomy, settings=settings)
    source = DEMO / "bra_anmalda_brott_2019-2024.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    more = {"Kvinnor": 20, "Män": 20, "Totalt": 40}  # totals stay kvinnor + män

    def raise_norsjo(line: str) -> str:
        head, count = line.rsplit(";", 1)
        return f"{head};{int(count) + more[head.rsplit(';', 1)[1]]}"
    raised = [raise_norsjo(line) if line.startswith("Norsjö;2417;2024;") else line
              for line in lines]
    changed = tmp_path / source.name
    changed.write_text("\n".join(raised) + "\n", encoding="utf-8")
    importer.import_file(demo_copy, "crime_counts", changed, name=source.name)

    after = figures.layer_figures(load_frames(demo_copy), spec, period="2024", sex="T",
                                  taxonomy=taxonomy, settings=settings)
    monkeypatch.setenv(derived.ENV, "off")
    fresh = figures.layer_figures(load_frames(demo_copy), spec, period="2024", sex="T",
                                  taxonomy=taxonomy, settings=settings)
    pd.testing.assert_frame_equal(after, fresh, check_exact=True)
    norsjo = lambda f: f.loc[f["area_id"] == "2417", "count"].iloc[0]  # noqa: E731
    assert norsjo(after) > norsjo(before)
    states = [p for p in kept.iterdir()][0]
    assert len(list(states.iterdir())) == 1, "the earlier state's folder is removed"


def test_nothing_is_kept_when_switched_off_or_when_the_workspace_changes_while_loading(
        monkeypatch: pytest.MonkeyPatch, demo_copy: GpkgWorkspace, kept: Path) -> None:
    monkeypatch.setenv(derived.ENV, "off")
    assert load_frames(demo_copy).persist is None
    monkeypatch.setenv(derived.ENV, str(kept))
    keys = iter(["a:1:1:1", "a:2:2:2", "a:2:2:2"])  # a commit by another process in between
    swap(monkeypatch, GpkgWorkspace, "key", property(lambda self: next(keys)))
    assert load_frames(demo_copy).persist is None


def test_the_state_names_the_imports_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace file replaced by another with the same inode, size and clock tick."""
    one = pd.DataFrame({"dataset": ["a.csv"], "table": ["incidents"], "sha256": ["11"],
                        "rows": [3], "imported_at": ["2026-12-07T10:00:00+00:00"]})
    other = one.assign(sha256=["22"])
    key = "/w.gpkg:5:1000:4096"
    monkeypatch.setenv(derived.ENV, str(tmp_path))
    assert derived.derived_store(key, one).state != derived.derived_store(key, other).state
    assert derived.derived_store(key, one).state == derived.derived_store(key, one).state
    assert derived.derived_store("/w.gpkg:missing") is None
    # named by content: the location does not matter, the content and the imports do
    at = lambda k, d, c: derived.derived_store(k, d, c).folder  # noqa: E731
    assert at(key, one, "gpkg-sha256:aa") == at("/other.gpkg:9:9:9", one, "gpkg-sha256:aa")
    assert at(key, one, "gpkg-sha256:aa") != at(key, one, "gpkg-sha256:bb")
    assert at(key, one, "gpkg-sha256:aa") != at(key, other, "gpkg-sha256:aa")
    assert at(key, one, "gpkg-sha256:aa") != at(key, one, None)


def test_copies_of_one_workspace_share_their_kept_tables_and_a_change_does_not(
        kept: Path, demo_copy: GpkgWorkspace, tmp_path: Path,
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's copies of the demo, a restored export: the second copy reads what the first
    computed. A note saved is another content but no figure reads it: what was kept is carried
    over (`derived.carry_over`). A stored group changes figures: computed anew."""
    from lagesbild.store import notes as notes_store

    specs, taxonomy, settings = _count_layers(tmp_path_factory)
    spec = specs[0]
    first = figures.layer_figures(load_frames(demo_copy), spec, period="2024", sex="T",
                                  taxonomy=taxonomy, settings=settings)
    copy = tmp_path / "elsewhere" / "copy.gpkg"
    copy.parent.mkdir()
    shutil.copyfile(demo_copy.path, copy)
    assert GpkgWorkspace(copy).content_key() == demo_copy.content_key() is not None
    calls = []
    real = figures._layer_figures
    swap(monkeypatch, figures, "_layer_figures", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = figures.layer_figures(load_frames(GpkgWorkspace(copy)), spec, period="2024",
                                  sex="T", taxonomy=taxonomy, settings=settings)
    assert calls == [] and again.equals(first)
    notes_store.save_notes(GpkgWorkspace(copy), "2417", "2024",
                           notes={"analys": "Ny anteckning"}, goals={})
    assert GpkgWorkspace(copy).content_key() != demo_copy.content_key()
    noted = figures.layer_figures(load_frames(GpkgWorkspace(copy)), spec, period="2024",
                                  sex="T", taxonomy=taxonomy, settings=settings)
    assert calls == [] and noted.equals(first)
    from lagesbild.store.groups import save_group

    save_group(GpkgWorkspace(copy), "Inlandet", ["2417", "2422"])
    figures.layer_figures(load_frames(GpkgWorkspace(copy)), spec, period="2024", sex="T",
                          taxonomy=taxonomy, settings=settings)
    assert calls == [1]


def test_a_large_workspace_is_kept_by_its_location(demo_copy: GpkgWorkspace,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from lagesbild.store import gpkg

    assert demo_copy.content_key().startswith("gpkg-sha256:")
    swap(monkeypatch, gpkg, "CONTENT_HASH_MAX", demo_copy.path.stat().st_size - 1)
    assert demo_copy.content_key() is None


@dataclass(frozen=True)
class _Frozen:
    name: str
    parts: tuple[str, ...]
    where: Path


@dataclass
class _Open:
    name: str


def test_only_keys_named_exactly_by_their_text_are_kept() -> None:
    assert derived.key_text(("x", 1, 2.5, None, True)) == "('x',1,2.5,None,True)"
    frozen = derived.key_text(("f", _Frozen("a", ("b", "c"), Path("/l"))))
    assert frozen is not None and "parts=('b','c')" in frozen and "/l" in frozen
    assert derived.key_text(("f", _Frozen("a", ("b",), Path("/l")))) != frozen
    for unnamed in (("s", {"a", "b"}), ("f", pd.DataFrame({"a": [1]})), ("o", _Open("a")),
                    ("l", ["a"]), ("t", (frozenset({"a"}),))):
        assert derived.key_text(unnamed) is None, unnamed


def test_a_frame_parquet_would_change_is_not_kept_and_a_planted_file_is_a_miss(
        tmp_path: Path) -> None:
    store = derived.DerivedStore(tmp_path, "/w.gpkg:1:2:3")
    mixed = pd.DataFrame({"v": pd.Series([1, "två"], dtype=object)})
    store.put(("mixed",), mixed)
    assert store.get(("mixed",)) is None
    text = pd.DataFrame({"area_id": pd.Series(["2417", None], dtype="str"),
                         "count": pd.array([3, None], dtype="Int64"),
                         "rate": [1.5, float("nan")], "shown": [True, False]})
    store.put(("text",), text)
    pd.testing.assert_frame_equal(store.get(("text",)), text, check_exact=True)
    store._path(("planted",)).write_bytes(b"PAR1 not a parquet file")  # type: ignore[union-attr]
    assert store.get(("planted",)) is None
    assert store.get(({"a"},)) is None  # a key that cannot be named is never looked up


def test_a_folder_that_cannot_be_written_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    store = derived.DerivedStore(blocked, "/w.gpkg:1:2:3")
    store.put(("x",), pd.DataFrame({"a": [1]}))
    assert store.get(("x",)) is None


def test_kept_tables_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """Exact counts are kept too: another user of the server cannot read them."""
    root = tmp_path / "kept"
    store = derived.DerivedStore(root, "/w.gpkg:1:2:3")
    store.put(("x",), pd.DataFrame({"count": [3]}))
    path = store._path(("x",))
    assert path is not None and path.is_file()
    assert path.stat().st_mode & 0o077 == 0
    for folder in (root, store.folder.parent, store.folder):
        assert folder.stat().st_mode & 0o077 == 0, folder


def test_a_plain_frame_is_kept_without_reading_it_back_and_reads_back_exactly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Numbers, booleans and pandas' nullable types and strings (missing values, extremes,
    -0.0, NaN beside NA) come back from Parquet exactly: written without the check; anything
    else is still read back and compared before it is kept."""
    import numpy as np

    rng = np.random.default_rng(7)
    n = 257
    plain = pd.DataFrame({
        "i": rng.integers(-2**62, 2**62, n), "u8": rng.integers(0, 255, n).astype("uint8"),
        "f": np.r_[[-0.0, np.inf, -np.inf, np.nan, 5e-324], rng.normal(size=n - 5)],
        "f32": rng.normal(size=n).astype("float32"), "b": rng.random(n) < 0.5,
        "I": pd.array([None if k % 7 == 0 else int(k) for k in rng.integers(0, 9, n)],
                      dtype="Int64"),
        "F": pd.array([None if k % 5 == 0 else float(k) / 3 for k in range(n)], dtype="Float64"),
        "B": pd.array([None if k % 3 == 0 else bool(k % 2) for k in range(n)], dtype="boolean"),
        "s": pd.array([None if k % 4 == 0 else f"å{k}" for k in range(n)], dtype="string"),
    }, index=pd.Index(rng.permutation(n).astype("int64")))
    store = derived.DerivedStore(tmp_path, "/w.gpkg:1:2:3")
    reads = []
    original = derived._read
    swap(monkeypatch, derived, "_read", lambda path: reads.append(path) or original(path))
    store.put(("plain",), plain)
    assert reads == [], "a plain frame is not read back when kept"
    pd.testing.assert_frame_equal(store.get(("plain",)), plain, check_exact=True)
    for other in (plain.assign(o=pd.Series([1, "två"] * (n // 2) + [3], dtype=object).values),
                  plain.assign(c=pd.Categorical(["b", "a"] * (n // 2) + ["b"],
                                                categories=["b", "a"])),
                  plain.assign(t=pd.Timestamp("2024-01-01")),
                  plain.set_axis([str(i) for i in range(n)])):
        reads.clear()
        key = ("other", tuple(other.columns), str(other.index.dtype))
        store.put(key, other)
        kept = store.get(key)
        # read back before it was kept (or not kept at all: Parquet refused the mixed column)
        assert len(reads) == 2 if kept is not None else kept is None, list(other.columns)
        if kept is not None:
            pd.testing.assert_frame_equal(kept, other, check_exact=True)


def test_survey_shares_are_read_back_from_disk_too(kept: Path, demo_copy: GpkgWorkspace,
                                                   tmp_path_factory: pytest.TempPathFactory,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every survey share of the demo (protected, raw for the audit, and by grade) is kept and
    read back equal. Their count column was all pd.NA objects, which Parquet gives back as None:
    the read-back check refused them, so every process computed every share again."""
    from lagesbild.analysis import age_shares, shares

    _, _, _, settings = demo_inputs(tmp_path_factory)

    def every_share(frames) -> list[pd.DataFrame]:  # noqa: ANN001
        out = []
        rows = frames.indicators[["indicator_id", "period"]].drop_duplicates()
        for indicator, period in zip(rows["indicator_id"], rows["period"]):
            out.append(shares.indicator_figures(frames, indicator, period=period,
                                                settings=settings))
            out.append(shares.raw_indicator_figures(frames, indicator, period=period,
                                                    settings=settings))
            for grade in shares.indicator_grades(frames, indicator):
                if grade:
                    out.append(shares.indicator_figures(frames, indicator, period=period,
                                                        settings=settings, grade=grade))
        return out

    computed = every_share(load_frames(demo_copy))
    assert len(computed) > 10 and any(f["suppressed"].any() for f in computed)

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("computed again although kept")

    swap(monkeypatch, shares, "_indicator_figures", refuse)
    swap(monkeypatch, age_shares, "grade_figures", refuse)
    again = every_share(load_frames(demo_copy))
    for one, other in zip(computed, again, strict=True):
        pd.testing.assert_frame_equal(other, one, check_exact=True)


@pytest.mark.parametrize("named_by", ["content", "location"])
def test_an_audit_event_keeps_what_was_kept(named_by: str, kept: Path, demo_copy: GpkgWorkspace,
                                             tmp_path_factory: pytest.TempPathFactory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A download or an export writes one line to the trail in place: the file's bytes (and,
    for a large file, its signature) change, but no figure reads the trail. A new process (no
    memory of the write) reads what was kept before it; an import after it computes anew."""
    from lagesbild.store import gpkg, gpkg_audit

    if named_by == "location":
        swap(monkeypatch, gpkg, "CONTENT_HASH_MAX", demo_copy.path.stat().st_size - 1)
        assert demo_copy.content_key() is None
    specs, taxonomy, settings = _count_layers(tmp_path_factory)
    spec = specs[0]
    first = figures.layer_figures(load_frames(demo_copy), spec, period="2024", sex="T",
                                  taxonomy=taxonomy, settings=settings)
    before = demo_copy.content_key(), demo_copy.path.stat().st_size
    demo_copy.record_event("anna", "kommun:2417", "export", "rapport.pdf")
    assert (demo_copy.content_key(), demo_copy.path.stat().st_size) != before or \
        named_by == "location"
    swap(monkeypatch, gpkg_audit, "_SAME", {})  # a new process: the write is not its own
    calls = []
    real = figures._layer_figures
    swap(monkeypatch, figures, "_layer_figures", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = figures.layer_figures(load_frames(GpkgWorkspace(demo_copy.path)), spec,
                                  period="2024", sex="T", taxonomy=taxonomy, settings=settings)
    assert calls == [] and again.equals(first)
    assert GpkgWorkspace(demo_copy.path).events()["action"].tolist()[-1] == "export"
    source = norsjo_2025_counts(demo_copy.path.parent)
    importer.import_file(GpkgWorkspace(demo_copy.path), "crime_counts", source,
                         name=source.name)
    figures.layer_figures(load_frames(GpkgWorkspace(demo_copy.path)), spec, period="2024",
                          sex="T", taxonomy=taxonomy, settings=settings)
    assert calls == [1]
