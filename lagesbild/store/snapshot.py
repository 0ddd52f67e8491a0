"""Frozen snapshots behind a report: the data, settings and notes of one meeting, with checksums.

A snapshot is a folder `<root>/<YYYY-MM-DD>-<slug>/` (root defaults to `snapshots/` beside the
workspace) holding a copy of the workspace GeoPackage, every layers/*.toml, the effective settings,
the user's notes and `manifest.json` with the SHA-256 of every file. Opening it verifies every
checksum, so the figures discussed at a meeting can be recomputed unchanged a year later. Nothing
here writes to the live workspace. Two snapshots are compared by `analysis.snapshot_diff`, their
sides loaded by `store.snapshot_sides`; the workspace is copied by `store.snapshot_copy`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import typing
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lagesbild.core.errors import LagesbildError, WorkspaceError
from lagesbild.core.settings import Settings
from lagesbild.store.gpkg import GpkgWorkspace, write_copy
from lagesbild.store.snapshot_copy import _copy_workspace, file_sha256
from lagesbild.store.workspace import Workspace, is_database, open_workspace, require

FORMAT = "lagesbild-snapshot/1"
MANIFEST = "manifest.json"
WORKSPACE_FILE = "workspace.gpkg"
LAYERS = "layers"
SETTINGS_FILE = "settings.json"
NOTES_FILE = "notes.json"
IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}  # files operating systems drop into folders


@dataclass(frozen=True)
class Snapshot:
    """One snapshot as listed: where it is, when it was taken and what it is about."""

    id: str
    path: Path
    created_at: datetime
    checksum: str
    title: str
    area_id: str
    period: str
    tool_version: str = ""


class FrozenWorkspace(GpkgWorkspace):
    """A snapshot's GeoPackage: reads like any workspace, refuses every write."""

    def transaction(self):  # type: ignore[override]  # noqa: ANN201 - refuses before yielding
        raise WorkspaceError(f"{self.path} hör till en ögonblicksbild och kan inte ändras. "
                             "Importera till arbetsytan i stället.")

    def record_event(self, actor: str, role: str, action: str, target: str = "") -> None:
        raise WorkspaceError(f"{self.path} hör till en ögonblicksbild och kan inte ändras; "
                             "händelsen loggas i arbetsytan i stället.")


@dataclass(frozen=True)
class OpenedSnapshot:
    """What to compute from: a read-only workspace, the frozen layers and settings, the notes.

    `snapshot` is None for the live state (see `current_state`).
    """

    snapshot: Snapshot | None
    workspace_path: Path
    layers_dir: Path
    settings: Settings
    notes: dict[str, Any] = field(default_factory=dict)
    # the workspace copy's SHA-256 when it was verified on opening, else ""
    workspace_sha256: str = ""
    # the live state of a database workspace (`current_state`): its location, else ""
    live_location: str = ""

    def workspace(self) -> Workspace:
        if self.live_location:
            return open_workspace(self.live_location)
        return FrozenWorkspace(self.workspace_path)


def default_root(location: str | os.PathLike[str]) -> Path:
    """`snapshots/` beside the workspace file (for a database: beside its `files_path`)."""
    if is_database(location):
        from lagesbild.store.postgis import PostgisWorkspace

        return PostgisWorkspace(str(location), migrate=False).files_path.parent / "snapshots"
    return Path(location).parent / "snapshots"


def create_snapshot(workspace_path: str | os.PathLike[str], *, layers_dir: str | os.PathLike[str],
                    settings: Settings, notes: typing.Mapping[str, Any], title: str,
                    area_id: str = "", period: str = "", root: str | os.PathLike[str] | None = None,
                    now: datetime | None = None) -> Snapshot:
    """Freeze the workspace, layers, settings and notes into a new snapshot folder.

    The folder is written under a hidden name and renamed into place when complete, so a snapshot
    that is listed is always whole. `now` (default: the current local time) gives the folder's date;
    the manifest stores it in UTC.
    """
    database = open_workspace(workspace_path) if is_database(workspace_path) else None
    source = Path(database.files_path if database is not None else workspace_path)
    layers = Path(layers_dir)
    if database is not None:
        require(database)
    elif not source.is_file():
        raise WorkspaceError(f"Arbetsytan {source} finns inte; det finns inget att frysa.")
    if not layers.is_dir():
        raise LagesbildError(f"Lagermappen {layers} finns inte.")
    try:
        notes_text = json.dumps({"title": title, "area_id": area_id, "period": period,
                                 "notes": dict(notes)}, ensure_ascii=False, indent=2,
                                sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LagesbildError(f"Anteckningarna kan inte sparas som JSON ({exc}). Använd text, tal, "
                             "listor och ordlistor.") from exc
    moment = now or datetime.now().astimezone()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    root_dir = Path(root) if root is not None else default_root(source)
    root_dir.mkdir(parents=True, exist_ok=True)
    snap_id = _free_id(root_dir, f"{moment.date().isoformat()}-{_slug(title)}")
    tmp = root_dir / f".{snap_id}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        if database is not None:  # the tables written into a frozen GeoPackage
            write_copy(database, tmp / WORKSPACE_FILE)
            files = {WORKSPACE_FILE: file_sha256(tmp / WORKSPACE_FILE)}
        else:
            files = {WORKSPACE_FILE: _copy_workspace(source, tmp / WORKSPACE_FILE)}
        (tmp / LAYERS).mkdir()
        own = settings.own_layers_dir
        # the workspace's own layers are frozen beside the shared ones, in one folder
        for toml in [*sorted(layers.glob("*.toml")),
                     *(sorted(own.glob("*.toml")) if own is not None and own.is_dir() else [])]:
            target = tmp / LAYERS / toml.name
            if target.exists():  # an own file named as a shared one (ids differ: checked)
                target = tmp / LAYERS / f"{own.name}_{toml.name}"  # type: ignore[union-attr]
            shutil.copyfile(toml, target)
            files[f"{LAYERS}/{target.name}"] = file_sha256(target)
        files[SETTINGS_FILE] = _write_text(tmp / SETTINGS_FILE, json.dumps(
            settings_to_dict(settings), ensure_ascii=False, indent=2, sort_keys=True))
        files[NOTES_FILE] = _write_text(tmp / NOTES_FILE, notes_text)
        created = moment.astimezone(timezone.utc).isoformat()  # microseconds only if set
        manifest = {"format": FORMAT, "id": snap_id, "created_at": created,
                    "tool_version": tool_version(), "title": title, "area_id": area_id,
                    "period": period, "source_workspace": database.label if database is not None
                    else str(source.resolve()),
                    "files": dict(sorted(files.items())), "checksum": overall_checksum(files)}
        _write_text(tmp / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for path in tmp.rglob("*"):
            if path.is_file():
                path.chmod(0o444)  # a frozen file says so to anyone who opens it
        final = root_dir / snap_id
        os.rename(tmp, final)
    except BaseException:
        _remove(tmp)
        raise
    return _snapshot(final, manifest)


def list_snapshots(root: str | os.PathLike[str]) -> list[Snapshot]:
    """Every snapshot under `root`, newest first (manifests only: no checksums are verified)."""
    root_dir = Path(root)
    if not root_dir.is_dir():
        return []
    found = [_snapshot(folder, _read_manifest(folder)) for folder in root_dir.iterdir()
             if folder.is_dir() and not folder.name.startswith(".")
             and (folder / MANIFEST).is_file()]
    return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)


def open_snapshot(path: str | os.PathLike[str], *, verify: bool = True) -> OpenedSnapshot:
    """Open a snapshot folder; with `verify`, every file must match its checksum."""
    folder = Path(path)
    manifest = _read_manifest(folder)
    if verify:
        verify_snapshot(folder, manifest)
    notes_doc, stored = _read_json(folder, NOTES_FILE), _read_json(folder, SETTINGS_FILE)
    layers = folder / LAYERS
    # title, area and period as checksummed in notes.json, not as (unchecked) in the manifest
    snap = dataclasses.replace(_snapshot(folder, manifest), title=str(notes_doc.get("title", "")),
                               area_id=str(notes_doc.get("area_id", "")),
                               period=str(notes_doc.get("period", "")))
    return OpenedSnapshot(snapshot=snap,
                          workspace_path=folder / WORKSPACE_FILE, layers_dir=layers,
                          settings=settings_from_dict(stored, layers_dir=layers),
                          notes=dict(notes_doc.get("notes", {})),
                          workspace_sha256=manifest["files"][WORKSPACE_FILE] if verify else "")


def current_state(workspace_path: str | os.PathLike[str], *, layers_dir: str | os.PathLike[str],
                  settings: Settings) -> OpenedSnapshot:
    """The live workspace (a file path or a database location) shaped as an opened snapshot,
    to compare 'since the last meeting'."""
    live = str(workspace_path) if is_database(workspace_path) else ""
    return OpenedSnapshot(snapshot=None, workspace_path=Path(workspace_path),
                          layers_dir=Path(layers_dir),
                          settings=dataclasses.replace(settings, layers_dir=Path(layers_dir)),
                          live_location=live)


def verify_snapshot(path: str | os.PathLike[str], manifest: dict[str, Any] | None = None) -> None:
    """Raise a LagesbildError naming the first file that is missing, extra or changed."""
    folder = Path(path)
    manifest = manifest if manifest is not None else _read_manifest(folder)
    files: dict[str, str] = manifest["files"]
    if overall_checksum(files) != manifest.get("checksum"):
        raise LagesbildError(f"Ögonblicksbilden {folder.name}: {MANIFEST} har ändrats "
                             "(den samlade kontrollsumman stämmer inte).")
    for name, expected in sorted(files.items()):
        target = folder / name
        if not target.is_file():
            raise LagesbildError(f"Ögonblicksbilden {folder.name} saknar filen {name}.")
        if file_sha256(target) != expected:
            raise LagesbildError(f"Filen {name} i ögonblicksbilden {folder.name} har ändrats "
                                 "eller är skadad (kontrollsumman stämmer inte). Siffrorna kan "
                                 "inte återskapas från den.")
    for extra in sorted(folder.rglob("*")):
        rel = extra.relative_to(folder).as_posix()
        if extra.is_file() and rel != MANIFEST and rel not in files and extra.name not in IGNORED:
            raise LagesbildError(f"Ögonblicksbilden {folder.name} innehåller filen {rel}, som "
                                 "inte fanns när den skapades. Ta bort filen.")


def overall_checksum(files: typing.Mapping[str, str]) -> str:
    """SHA-256 of `sha256sum` lines ("<sha256>  <path>\\n") in path order.

    Reproducible in a shell: `sha256sum workspace.gpkg layers/*.toml notes.json settings.json`
    sorted by path, piped to `sha256sum`.
    """
    text = "".join(f"{sha}  {name}\n" for name, sha in sorted(files.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    return {f.name: str(v) if isinstance(v := getattr(settings, f.name), Path) else v
            for f in dataclasses.fields(settings)}


def settings_from_dict(stored: typing.Mapping[str, Any], *, layers_dir: Path) -> Settings:
    """Settings as stored, never from today's environment; fields added since keep defaults."""
    hints = typing.get_type_hints(Settings)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        if f.name in stored:
            kind = hints.get(f.name)
            raw = stored[f.name]
            values[f.name] = kind(raw) if kind in (Path, int, float, str, bool) else raw
    values["layers_dir"] = layers_dir
    values["own_layers_dir"] = None  # a snapshot's layers folder holds the own layers too
    return Settings(**values)


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lagesbild")
    except PackageNotFoundError:
        return "dev"



def _write_text(path: Path, text: str) -> str:
    data = (text + "\n").encode("utf-8")
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _slug(title: str) -> str:
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].rstrip("-")
    return text or "lagesbild"


def _free_id(root: Path, base: str) -> str:
    candidate, n = base, 1
    while (root / candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _remove(folder: Path) -> None:
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o644)
    shutil.rmtree(folder, ignore_errors=True)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise LagesbildError(f"{folder} är ingen ögonblicksbild ({MANIFEST} saknas).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LagesbildError(f"Ögonblicksbilden {folder.name}: {MANIFEST} går inte att läsa "
                             f"({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise LagesbildError(f"Ögonblicksbilden {folder.name} har okänt format {found!r}; "
                             f"den här versionen läser {FORMAT}.")
    files = manifest.get("files")
    missing = [n for n in (WORKSPACE_FILE, SETTINGS_FILE, NOTES_FILE)
               if not isinstance(files, dict) or n not in files]
    if missing:
        raise LagesbildError(f"Ögonblicksbilden {folder.name}: {MANIFEST} saknar "
                             f"{', '.join(missing)} i fillistan.")
    return manifest


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    try:
        doc = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LagesbildError(f"Ögonblicksbilden {folder.name}: {name} går inte att läsa "
                             f"({exc}).") from exc
    if not isinstance(doc, dict):
        raise LagesbildError(f"Ögonblicksbilden {folder.name}: {name} är inte en JSON-ordlista.")
    return doc


def _snapshot(folder: Path, manifest: dict[str, Any]) -> Snapshot:
    try:
        created = datetime.fromisoformat(str(manifest["created_at"]))
    except (KeyError, ValueError) as exc:
        raise LagesbildError(f"Ögonblicksbilden {folder.name}: {MANIFEST} har ingen giltig "
                             "tidpunkt (created_at).") from exc
    return Snapshot(id=folder.name, path=folder, created_at=created,
                    checksum=str(manifest.get("checksum", "")),
                    title=str(manifest.get("title", "")), area_id=str(manifest.get("area_id", "")),
                    period=str(manifest.get("period", "")),
                    tool_version=str(manifest.get("tool_version", "")))
