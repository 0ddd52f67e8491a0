"""Write a workspace's datasets back out in the formats their importers read, and read them back.

Every dataset is written in the format of the reader that made it, so an export is also a backup
that the ordinary importers understand; `export_formats` has the formats, one writer per reader
format, and how cells are written (CSV text cells get a reversible apostrophe against formula
injection, which `import_exported` removes again).

`export_all` also writes a manifest (`lagesbild-export.json`) naming each file's dataset, reader
and options and the dataset's provenance; `import_exported` restores a whole export from it
through the ordinary readers and checks, in one transaction. Exports carry no export time, so the
same workspace exported twice gives byte-identical files; a GeoPackage's `last_change` is the
dataset's import time.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.csv_out import neutralise, unneutralise
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, WorkspaceError
from lagesbild.sources.tables import ReadResult
from lagesbild.store import importer
from lagesbild.store.export_cells import _Context, _json, _missing, _plain, _write
from lagesbild.store.export_formats import FORMATS, format_for
from lagesbild.store.workspace import Workspace

MANIFEST = "lagesbild-export.json"
MANIFEST_FORMAT = "lagesbild-export/1"

# --- export ------------------------------------------------------------------------------------

_DATA_SUFFIXES = {"csv", "txt", "tsv", "json", "geojson", "gpkg", "zip", "parquet", "shp",
                  "xlsx", "xls"}
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def file_name(dataset: str, suffix: str, taken: set[str] | None = None) -> str:
    """A safe file name for `dataset`: no folders, no hidden files, unique (case-insensitively)."""
    stem = dataset
    if "." in stem and stem.rsplit(".", 1)[1].casefold() in _DATA_SUFFIXES:
        stem = stem.rsplit(".", 1)[0]
    stem = re.sub(r"[^\w\-.]+", "_", stem).strip("._-")[:80] or "dataset"
    if stem.split(".")[0].upper() in _RESERVED:  # names Windows will not create
        stem += "_"
    taken = set() if taken is None else taken
    name, i = stem + suffix, 2
    while name.casefold() in taken:
        name, i = f"{stem}-{i}{suffix}", i + 1
    taken.add(name.casefold())
    return name


@dataclass(frozen=True)
class Exported:
    """One written file and what the manifest says about it."""

    path: Path
    entry: dict[str, Any]


class _Exporter:
    def __init__(self, workspace: Workspace, out_dir: str | os.PathLike[str]) -> None:
        self.workspace = workspace
        self.out = Path(out_dir)
        self.meta = workspace.datasets()
        self._tables: dict[str, pd.DataFrame] = {}
        self.taken = {MANIFEST.casefold()}

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            self._tables[name] = self.workspace.read(name)
        return self._tables[name]

    def export(self, dataset: str) -> Exported:
        rows = self.meta[self.meta["dataset"] == dataset]
        if not len(rows):
            known = ", ".join(map(str, self.meta["dataset"])) or "inga"
            raise WorkspaceError(f"Det finns inget dataset som heter '{dataset}'. "
                                 f"Arbetsytans dataset: {known}.")
        meta = rows.iloc[0]
        table, kind = str(meta["table"]), str(meta["kind"])
        fmt = format_for(kind, table)
        frame = self.table(table)
        frame = frame[frame["source"] == dataset].reset_index(drop=True)
        areas = self.table("areas")
        ctx = _Context(dict(zip(areas["area_id"].astype(str), areas["name"].astype(str))),
                       _plain(meta.get("imported_at")))
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / file_name(dataset, fmt.suffix, self.taken)
        imports = fmt.write(frame, path, ctx)
        rejected = meta.get("rejected")
        entry = {"dataset": dataset, "table": table, "kind": fmt.kind, "file": path.name,
                 "imports": imports, "rows": len(frame),
                 "rejected": 0 if _missing(rejected) else int(rejected),
                 "original_kind": kind, "original_file": _plain(meta.get("file")),
                 "period": _plain(meta.get("period")),
                 "description": _plain(meta.get("description")),
                 "sha256": _plain(meta.get("sha256")),
                 "source_path": _plain(meta.get("source_path"))}
        return Exported(path, entry)


def export_dataset(workspace: Workspace, dataset_name: str,
                   out_dir: str | os.PathLike[str]) -> Path:
    """Write one dataset into `out_dir` in the format its importer reads; return the file."""
    return _Exporter(workspace, out_dir).export(dataset_name).path


def export_all(workspace: Workspace, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write every dataset, in import order, plus the manifest (last in the returned list)."""
    exporter = _Exporter(workspace, out_dir)
    done = [exporter.export(str(name)) for name in exporter.meta["dataset"]]
    exporter.out.mkdir(parents=True, exist_ok=True)
    manifest = exporter.out / MANIFEST
    _write(manifest, _json({"format": MANIFEST_FORMAT, "datasets": [d.entry for d in done]}))
    return [d.path for d in done] + [manifest]


# --- restore -----------------------------------------------------------------------------------

def read_manifest(directory: str | os.PathLike[str]) -> list[dict[str, Any]]:
    path = Path(directory) / MANIFEST
    fix = "Välj en mapp som 'lagesbild export' har skrivit (den har filen lagesbild-export.json)."
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError("Mappen har ingen exportförteckning.", file=str(path), fix=fix) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError("Exportförteckningen är inte giltig JSON.", file=MANIFEST, fix=fix) from exc
    entries = doc.get("datasets") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT or not isinstance(
            entries, list):
        raise InputError(f"Exportförteckningen har inte formatet {MANIFEST_FORMAT}.",
                         file=MANIFEST, fix=fix)
    for i, entry in enumerate(entries, start=1):
        ok = (isinstance(entry, dict) and isinstance(entry.get("dataset"), str)
              and entry.get("kind") in importer.READERS and isinstance(entry.get("file"), str)
              and Path(entry["file"]).name == entry["file"] and not entry["file"].startswith(".")
              and entry.get("table") in schema.TABLES and isinstance(entry.get("imports"), list)
              and all(isinstance(o, dict) for o in entry["imports"])
              and isinstance(entry.get("rows"), int))
        if not ok:
            raise InputError("Posten i exportförteckningen är ofullständig.", file=MANIFEST,
                             row=i, fix=fix)
    return entries


def import_exported(workspace: Workspace, directory: str | os.PathLike[str]) -> list[ReadResult]:
    """Restore an `export_all` folder into `workspace`: all datasets land, or none does.

    Each file goes through its ordinary reader and the importer's checks (areas first, then
    sites, whatever the manifest's order, so incidents are placed and activity checked as on
    first import). A restore must be exact: a
    rejected row, or a row count other than the manifest's, refuses the whole restore. Dataset
    names and provenance (original file, period, description, rejected count) come back from the
    manifest; only the import time is new. Same-named datasets in `workspace` are replaced.
    """
    folder = Path(directory)
    entries = read_manifest(folder)
    names = {e["dataset"] for e in entries}
    areas = workspace.read("areas")
    areas = areas[~areas["source"].isin(names)]
    sites = workspace.read("sites")
    sites = sites[~sites["source"].isin(names)]
    results: dict[int, tuple[ReadResult, int]] = {}
    # areas first, then sites, whatever order the manifest lists them in (a boundary file
    # imported again last is listed last); written back in the manifest's order
    rank = {"areas": 0, "sites": 1}
    for index in sorted(range(len(entries)), key=lambda i: rank.get(str(entries[i]["table"]), 2)):
        entry = entries[index]
        result = _restore_one(folder, entry, areas, sites)
        if result.dataset.table == "areas":
            clash = sorted(set(result.accepted["area_id"]) & set(areas["area_id"]))
            if clash:
                raise WorkspaceError(f"{len(clash)} områden i '{entry['dataset']}' finns redan i "
                                     f"arbetsytan (t.ex. {clash[0]}); inget återställdes.")
            areas = _append(areas, result.accepted, "areas", entry["dataset"])
        elif result.dataset.table == "sites":
            sites = _append(sites, result.accepted, "sites", entry["dataset"])
        results[index] = (result, int(entry.get("rejected") or 0))
    ordered = [results[i] for i in range(len(entries))]
    with workspace.transaction() as writer:
        for result, rejected in ordered:
            writer.replace_dataset(result.dataset, result.accepted, rejected=rejected)
    return [r for r, _ in ordered]


def _append(existing: pd.DataFrame, new: pd.DataFrame, table: str, name: str) -> pd.DataFrame:
    added = schema.conform(new.assign(source=name), table)
    return schema.conform(pd.concat([existing, added], ignore_index=True), table) \
        if len(existing) else added


def _restore_one(folder: Path, entry: dict[str, Any], areas: pd.DataFrame,
                 sites: pd.DataFrame) -> ReadResult:
    kind, file = str(entry["kind"]), str(entry["file"])
    table = str(entry.get("table") or "")
    if kind in importer.NEEDS_AREAS and not (areas["level"] == schema.AreaLevel.KOMMUN.value).any():
        raise WorkspaceError(f"'{file}' behöver kommungränser, men varken arbetsytan eller "
                             "exporten har några; inget återställdes.")
    csv_text = kind in FORMATS and FORMATS[kind].csv
    if csv_text and len(sites):  # the file names its sites as the sites file did: neutralised
        sites = sites.assign(site_id=[neutralise(str(v)) for v in sites["site_id"]])
    parts = [importer.read(kind, folder / file, name=file, areas=areas if len(areas) else None,
                           sites=sites, options=dict(options))
             for options in (entry["imports"] or [{}])] if entry["rows"] else []
    rejected = [r for p in parts for r in p.rejected]
    if rejected:
        first = rejected[0]
        raise InputError(f"{len(rejected)} rader avvisades vid återställningen; inget sparades. "
                         f"Första: {first.reason}", file=first.file, row=first.row,
                         field=first.field, fix="Filerna i exportmappen har ändrats; exportera "
                         "igen.")
    if not parts:  # an empty dataset: nothing to read, its provenance is still restored
        return ReadResult(schema.empty(table), [], Dataset(
            entry["dataset"], table, kind, str(entry.get("original_file") or file),
            str(entry.get("period") or ""), str(entry.get("description") or ""),
            str(entry.get("sha256") or ""), str(entry.get("source_path") or "")))
    accepted = pd.concat([p.accepted for p in parts], ignore_index=True) if len(parts) > 1 \
        else parts[0].accepted
    if len(accepted) != entry["rows"]:
        raise InputError(f"Filen gav {len(accepted)} rader, förteckningen säger {entry['rows']}; "
                         "inget återställdes.", file=file, fix="Exportera igen.")
    if csv_text:
        accepted = _unneutralised(accepted)
    dataset = replace(parts[0].dataset, name=entry["dataset"], kind=kind,
                      file=str(entry.get("original_file") or file),
                      period=str(entry.get("period") or ""),
                      description=str(entry.get("description") or ""),
                      # the original file's identity, not the exported copy's
                      sha256=str(entry.get("sha256") or ""),
                      source_path=str(entry.get("source_path") or ""))
    return ReadResult(accepted, [], dataset, [n for p in parts for n in p.notes],
                      parts[0].columns)


def _unneutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells with the apostrophe `neutralise` added, without it."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if col == "geometry" or not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        out[col] = [unneutralise(v) if isinstance(v, str) else v for v in values]
    return out
