"""Boundary files users bring (GeoPackage, GeoJSON, zipped shapefile, GeoParquet) -> `areas`.

The file handling is in `geo_safety`, the area codes and columns in `area_codes`, the geometry
checks (coordinate systems, repairs, coverage) in `geo_checks`; this module puts them together.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pyarrow
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError, Rejection
from lagesbild.sources import area_codes as ac
from lagesbild.sources import area_repeats
from lagesbild.sources import geo_checks
from lagesbild.sources.geo_checks import some
from lagesbild.sources.geo_safety import FORMAT_LABELS, GeoFile, open_geo_source
from lagesbild.sources.tables import ReadResult

T = TypeVar("T")


class LayerChoiceNeeded(InputError):
    """The file holds several layers and none was chosen; `layers` lists them for the UI."""

    def __init__(self, message: str, *, file: str, layers: list[str]) -> None:
        super().__init__(message, file=file, field="lager",
                         fix="Välj vilket lager som innehåller gränserna.")
        self.layers = layers


def list_layers(source: str | os.PathLike[str] | bytes, *, name: str | None = None) -> list[str]:
    """The layers with geometries in a boundary file (one for GeoJSON, Parquet and a shapefile)."""
    with open_geo_source(source, name=name) as files:
        if len(files) > 1:
            return [f.stem for f in files]
        return _layers(files[0])


def read_boundaries(source: str | os.PathLike[str] | bytes, *, name: str | None = None,
                    level: str | None = None, layer: str | None = None,
                    code_column: str | None = None, name_column: str | None = None,
                    parent_column: str | None = None, assume_crs: str | int | None = None) -> ReadResult:
    """Read a boundary file into the canonical `areas` table (EPSG:3006), rows refused with reasons.

    `level` (lan, kommun, regso, deso, stadsdel, polisomrade, custom) and the columns are detected
    when not given. `assume_crs` (an EPSG code) is used when the file declares no coordinate
    system, or declares one its coordinates do not fit. `accepted` also has `_line`.
    """
    wanted = _check_level(level)
    assumed = _check_crs(assume_crs)
    with open_geo_source(source, name=name) as files:
        gf, layer_name = _pick(files, layer)
        frame, declared, gdal_notes = _read(gf, layer_name)
    return _areas(frame, gf, layer_name, declared=declared, assumed=assumed, wanted=wanted,
                  columns=(code_column, name_column, parent_column),
                  notes=[*gf.notes, *gdal_notes])


# --- opening -------------------------------------------------------------------------------

def _check_level(level: str | None) -> str | None:
    if level is None or str(level).strip() == "":
        return None
    key = ac.fold(str(level))  # "Län" -> "lan", "polisområde" -> "polisomrade"
    valid = [lv.value for lv in schema.AreaLevel]
    if key not in valid:
        raise InputError(f"Okänd nivå '{level}'.", field="level", fix=f"Välj en av: {', '.join(valid)}.")
    return key


def _check_crs(value: str | int | None) -> CRS | None:
    if value is None or str(value).strip() == "":
        return None
    m = re.fullmatch(r"(?:EPSG:)?(\d{4,5})", str(value).strip(), re.IGNORECASE)
    fix = "Ange en EPSG-kod, t.ex. EPSG:3006 (SWEREF 99 TM), EPSG:3010 eller EPSG:3021 (RT90)."
    if not m:
        raise InputError(f"'{value}' är ingen EPSG-kod.", field="assume_crs", fix=fix)
    try:
        return CRS.from_epsg(int(m.group(1)))
    except CRSError as exc:
        raise InputError(f"EPSG:{m.group(1)} är inget känt koordinatsystem.", field="assume_crs",
                         fix=fix) from exc


def _layers(gf: GeoFile) -> list[str]:
    if gf.format != "gpkg":
        return [gf.stem]
    listed = _gdal(gf, lambda: pyogrio.list_layers(gf.path))[0]
    return [str(n) for n, geom in listed if geom is not None]


def _pick(files: list[GeoFile], layer: str | None) -> tuple[GeoFile, str | None]:
    if len(files) > 1:
        stems = [f.stem for f in files]
        match = [f for f in files if layer in (f.stem, PurePosixPath(f.stem).name)]
        if not match:
            label = files[0].label.split("/")[0]
            if layer is None:
                raise LayerChoiceNeeded(f"Zip-filen innehåller {len(files)} gränsfiler: "
                                        f"{', '.join(stems)}.", file=label, layers=stems)
            raise InputError(f"'{layer}' finns inte i zip-filen; den har {', '.join(stems)}.",
                             file=label, field="lager", fix="Välj en av dem.")
        files, layer = match[:1], None
    gf = files[0]
    layers = _layers(gf)
    if gf.format != "gpkg":
        if layer not in (None, gf.stem):
            raise InputError(f"Filen har bara ett lager ('{gf.stem}'), inte '{layer}'.",
                             file=gf.label, field="lager", fix="Välj inget lager.")
        return gf, None
    if not layers:
        raise InputError("GeoPackage-filen har inga lager med geometrier.", file=gf.label,
                         fix="Exportera gränserna (ytorna) till GeoPackage igen.")
    if layer is None:
        if len(layers) == 1:
            return gf, layers[0]
        raise LayerChoiceNeeded(f"GeoPackage-filen har {len(layers)} lager: {', '.join(layers)}.",
                                file=gf.label, layers=layers)
    if layer not in layers:
        raise InputError(f"Lagret '{layer}' finns inte; filen har {', '.join(layers)}.",
                         file=gf.label, field="lager", fix="Välj ett av lagren.")
    return gf, layer


def _gdal(gf: GeoFile, call: Callable[[], T]) -> tuple[T, list[str]]:
    """Run a pyogrio call; GDAL's failures become InputErrors and its warnings notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            text = str(exc).replace(str(gf.path), gf.label).split("; It might help")[0]
            if "not recognized as being in a supported file format" in text:
                text = "innehållet följer inte formatet"
            raise InputError(f"Filen kan inte läsas som {FORMAT_LABELS[gf.format]} ({text}).",
                             file=gf.label, fix="Exportera gränserna igen från GIS-programmet.") from exc
    gdal = [w for w in caught if issubclass(w.category, RuntimeWarning)]  # how pyogrio passes GDAL's
    for w in caught:
        if w not in gdal:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    notes = [f"Filläsaren (GDAL) varnade: {str(w.message).replace(str(gf.path), gf.label)}"
             for w in gdal[:3]]
    return result, notes


def _read(gf: GeoFile, layer: str | None) -> tuple[gpd.GeoDataFrame, CRS | None, list[str]]:
    notes: list[str] = []
    if gf.format == "parquet":
        try:
            frame = gpd.read_parquet(gf.path)
        except (ValueError, TypeError, OSError, pyarrow.ArrowException) as exc:
            raise InputError(f"Filen kan inte läsas som GeoParquet ({exc}).", file=gf.label,
                             fix="Spara med GeoParquet-metadata, t.ex. GeoDataFrame.to_parquet "
                                 "eller QGIS.") from exc
    else:
        frame, notes = _gdal(gf, lambda: pyogrio.read_dataframe(gf.path, layer=layer))
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("Filen har inga geometrier.", file=gf.label,
                         fix="Välj filen eller lagret med områdenas ytor.")
    if not len(frame):
        raise InputError("Filen innehåller inga objekt.", file=gf.label,
                         fix="Kontrollera att rätt fil och lager valdes.")
    declared = frame.crs if gf.declares_crs else None
    return frame.reset_index(drop=True), declared, notes


# --- building the areas --------------------------------------------------------------------

@dataclass
class _Rows:
    """Per-feature state while a file is checked; a row leaves when the first reason refuses it."""

    file: str
    n: int
    rejected: dict[int, Rejection] = field(default_factory=dict)

    def reject(self, i: int, column: str, value: object, reason: str) -> None:
        if i not in self.rejected:
            self.rejected[i] = Rejection(self.file, i + 2, column, str(value)[:80],
                                         f"Objekt {i + 1}: {reason}")

    merged: set[int] = field(default_factory=set)  # parts dissolved into an earlier row

    def alive(self) -> np.ndarray:
        keep = np.ones(self.n, dtype=bool)
        keep[list(self.rejected)] = False
        keep[list(self.merged)] = False
        return keep


def _areas(frame: gpd.GeoDataFrame, gf: GeoFile, layer: str | None, *, declared: CRS | None,
           assumed: CRS | None, wanted: str | None, columns: tuple[str | None, str | None, str | None],
           notes: list[str]) -> ReadResult:
    file, n = gf.label, len(frame)
    rows = _Rows(file, n)
    code_col, level = ac.code_column(frame, columns[0], wanted, file)
    name_col = ac.name_column(frame, columns[1], level, code_col, file)
    names = [ac.cell_text(v) for v in frame[name_col]] if name_col else [""] * n
    if code_col:  # a code names one area: else another column, or the user, must say which
        local_parents = ac.parents(frame, columns[2], level, [""] * n, file)[0] \
            if level not in ac.OFFICIAL else [None] * n
        other, note = area_repeats.choose_column(
            frame, code_col, area_repeats.keys(frame, code_col, level, local_parents), names,
            given=bool(columns[0]), file=file)
        if other:
            notes.append(note)
            code_col, level = ac.code_column(frame, other, wanted, file)
            name_col = ac.name_column(frame, columns[1], level, code_col, file)
            names = [ac.cell_text(v) for v in frame[name_col]] if name_col else [""] * n
    raw = [ac.cell_text(v) for v in frame[code_col]] if code_col else [""] * n
    if code_col is None and name_col is None:
        raise InputError(f"Filen har ingen kolumn med koder eller namn för områdena. Kolumner: "
                         f"{', '.join(ac.attribute_columns(frame))}.", file=file, row=1,
                         field="kod/namn", fix="Välj kolumnen med koder eller namn vid importen.")
    if level is None:
        # Only column names hint, never the file name: ids carry the level, and the same file
        # uploaded under another name must give the same ids.
        level = "polisomrade" if "polis" in ac.fold(f"{code_col} {name_col}") else "stadsdel"
        notes.append(f"Inga officiella koder (län, kommun, RegSO, DeSO): nivån sattes till "
                     f"{ac.LEVEL_LABELS[level]}. Välj en annan nivå vid importen om det är fel.")
    codes = ac.normalise_codes(raw, level, code_col, names, rows.reject, notes)
    parents, parent_col = ac.parents(frame, columns[2], level, codes, file)

    who = [_who(c, nm) for c, nm in zip(codes, names)]
    geoms = geo_checks.polygons(frame.geometry.to_numpy(), rows.reject, notes)
    alive = rows.alive()
    placed = geo_checks.place(geoms[alive], declared=declared, assumed=assumed, gf=gf)
    notes.extend(placed.notes)
    stored = np.full(n, None, dtype=object)
    stored[alive] = placed.geoms
    for i in np.flatnonzero(alive)[~placed.inside]:
        rows.reject(int(i), "geometri", who[i],
                    f"området hamnar utanför Sverige med koordinatsystemet {placed.crs_label}.")
    stored = geo_checks.repair(stored, [int(i) for i in np.flatnonzero(rows.alive())], who,
                               rows.reject, notes)

    if code_col:
        _dissolve_parts(level, codes, parents, stored, rows, code_col, notes)
    ids = _area_ids(level, codes, names, parents, stored, rows, code_col, notes)
    keep = np.flatnonzero(rows.alive())
    group_col = _group_column(frame) if level == schema.AreaLevel.KOMMUN.value else None
    groups = [ac.cell_text(v) or None for v in frame[group_col]] if group_col else [None] * n
    out = gpd.GeoDataFrame({
        "area_id": [ids[i] for i in keep], "level": level,
        "code": [codes[i] or None for i in keep], "name": [names[i] or codes[i] or None for i in keep],
        "parent_id": [parents[i] for i in keep], "source": "",
        "kommungrupp": [groups[i] for i in keep],
    }, geometry=list(stored[keep]), crs=schema.CRS_STORE)
    notes.extend(geo_checks.coverage_notes(stored[keep], [who[i] for i in keep]))
    areas = schema.conform(out, "areas")
    areas["_line"] = (keep + 2).astype("int64")
    summary = (f"Läst som {FORMAT_LABELS[gf.format]}{f', lager {layer!r}' if layer else ''}: "
               f"{len(keep)} av {n} objekt, nivå {ac.LEVEL_LABELS[level]}"
               + (f", kod från '{code_col}'" if code_col else "")
               + (f", namn från '{name_col}'" if name_col else "")
               + (f", SKR:s kommungrupp från '{group_col}'" if group_col else "") + ".")
    used = {"code": code_col, "name": name_col, "parent_id": parent_col, "kommungrupp": group_col}
    dataset = Dataset("", "areas", "boundaries", file, period=ac.period(raw, code_col, file),
                      description=f"{len(keep)} områden, nivå {ac.LEVEL_LABELS[level]}")
    rejected = sorted(rows.rejected.values(), key=lambda r: r.row)
    return ReadResult(areas, rejected, dataset, [summary, *notes],
                      columns={k: v for k, v in used.items() if v})


# "kommungrupp", "kommungrupp_2023", "skr_kommungrupp", "skr_kommungrupp_kod" (folded); the code
# (A1..C9) is the group key, so a column of group names ("..._namn") is not taken.
_GROUP_COLUMN = re.compile(r"(skr)?kommungrupp(\d{4})?(kod)?(\d{4})?")


def _group_column(frame: gpd.GeoDataFrame) -> str | None:
    """The column with SKR's kommungrupp, when the file has one."""
    return next((c for c in ac.attribute_columns(frame) if _GROUP_COLUMN.fullmatch(ac.fold(c))), None)


def _who(code: str, name: str) -> str:
    return f"{code} ({name})" if code and name else code or name or "utan kod och namn"


def _slug(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold())
                    if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40] or "omrade"


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


def _dissolve_parts(level: str, codes: list[str], parents: list[str | None], geoms: np.ndarray,
                    rows: _Rows, code_col: str, notes: list[str]) -> None:
    """Rows sharing a code (and name: `area_repeats` refused the others) are one area's parts."""
    keys = codes if level in ac.OFFICIAL else \
        [f"{p or ''}|{c}" if c else "" for p, c in zip(parents, codes)]
    parts = area_repeats.parts(keys, rows.alive())
    if not parts:
        return
    for group in parts.values():
        geoms[group[0]] = shapely.union_all(list(geoms[group]))
        rows.merged.update(group[1:])
    notes.append(area_repeats.parts_note({codes[g[0]]: g for g in parts.values()}, code_col))


def _area_ids(level: str, codes: list[str], names: list[str], parents: list[str | None],
              geoms: np.ndarray, rows: _Rows, code_col: str | None, notes: list[str]) -> list[str]:
    """Official codes are ids; other codes get the level (and kommun) as prefix; codeless areas
    get a slug of the name plus a hash, so an id never depends on the order of the rows."""
    ids = [""] * len(codes)
    for i in np.flatnonzero(rows.alive()):
        parent = parents[i] or ""
        if level in ac.OFFICIAL:
            ids[i] = codes[i]
        elif code_col:
            ids[i] = "-".join(filter(None, (level, parent, codes[i])))
        else:
            # case and spacing do not count: 'BAGARMOSSEN' in one file is 'Bagarmossen' in another
            key = " ".join(names[i].split()).casefold()
            ids[i] = f"{level}-{_slug(names[i])}-{_hash(f'{level}|{parent}|{key}')}"
    if code_col is None:
        groups: dict[str, list[int]] = {}
        for i in np.flatnonzero(rows.alive()):
            groups.setdefault(ids[i], []).append(int(i))
        repeated = [g for g in groups.values() if len(g) > 1]
        for group in repeated:
            for i in group:  # where the area lies tells same-named areas apart, in any row order
                p = geoms[i].representative_point()
                ids[i] += "-" + _hash(f"{p.x:.0f}|{p.y:.0f}|{geoms[i].area:.0f}")
        if repeated:
            notes.append(f"{len(repeated)} namn finns flera gånger "
                         f"({some([names[g[0]] for g in repeated])}); deras id skiljs åt med "
                         "en del som bygger på var området ligger.")
        example = next((ids[i] for i in np.flatnonzero(rows.alive())), "")
        notes.append(f"Filen har inga koder; varje område fick ett stabilt id av sitt namn "
                     f"(t.ex. '{example}'), samma vid nästa import.")
    first: dict[str, int] = {}
    for i in np.flatnonzero(rows.alive()):
        if ids[i] in first:
            j = first[ids[i]]
            what = f"koden {codes[i]}" if code_col else "samma namn och läge"
            rows.reject(int(i), code_col or "namn", codes[i] or names[i],
                        f"{what} finns redan i objekt {j + 1} (rad {j + 2}); bara det första behölls.")
        else:
            first[ids[i]] = int(i)
    return ids


