"""Safe access to geodata files: refuse remote paths, detect formats by content, unzip with checks.

Only two things ever reach GDAL: copies of local files the user named, and uploaded bytes, both
written into a private temporary folder under names this module chooses. A user string is never
handed to GDAL, so GDAL's virtual file systems (/vsicurl/, /vsizip/, http://) cannot be reached.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lagesbild.core.errors import InputError
from lagesbild.sources import zip_limits
from lagesbild.sources.zip_limits import mb as _mb

_CHUNK = 1024 * 1024  # the zip limits are zip_limits' (shared with Excel workbooks)

FORMAT_LABELS = {"gpkg": "GeoPackage", "geojson": "GeoJSON", "shapefile": "shapefil",
                 "parquet": "GeoParquet", "zip": "zip-fil"}
EXTENSION_FORMATS = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".zip": "zip",
                     ".parquet": "parquet", ".geoparquet": "parquet", ".shp": "shapefile"}
_SUFFIX = {"gpkg": ".gpkg", "geojson": ".geojson", "parquet": ".parquet", "shapefile": ".shp"}
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
SUPPORTED_FIX = ("Spara gränserna som GeoPackage (.gpkg), GeoJSON (.geojson), zippad shapefil "
                 "(.zip med .shp, .shx, .dbf och .prj) eller GeoParquet (.parquet).")
# A URL, a GDAL virtual path or a GDAL connection string ("GPKG:", "PG:"). One letter before the
# colon is a Windows drive ("C:\\"), which is a local path.
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]+:|[/\\]vsi)", re.IGNORECASE)


@dataclass(frozen=True)
class GeoFile:
    """One geodata file, copied or unpacked into the private folder, ready for a reader."""

    path: Path  # inside the private temporary folder, with a name this module chose
    format: str  # gpkg | geojson | shapefile | parquet
    label: str  # how messages name it: the user's file, plus the member inside a zip
    stem: str  # the user's name for it without extension (the layer name of one-layer formats)
    missing_prj: bool = False  # a shapefile without .prj: it declares no coordinate system
    declares_crs: bool = True  # False for GeoJSON without "crs": RFC 7946 implies WGS84
    notes: tuple[str, ...] = field(default=())


def display_name(source: str | os.PathLike[str] | bytes, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "uppladdad fil"
    return Path(os.fspath(source)).name or os.fspath(source)


@contextmanager
def open_geo_source(source: str | os.PathLike[str] | bytes, *,
                    name: str | None = None) -> Iterator[list[GeoFile]]:
    """The geodata files in `source` (several only for a zip holding several), in a private folder.

    The folder and everything in it is removed when the block ends.
    """
    label = display_name(source, name)
    with tempfile.TemporaryDirectory(prefix="lagesbild-") as tmp:
        yield _materialise(source, label, Path(tmp))


def check_local_path(source: str | os.PathLike[str], label: str) -> Path:
    """`source` as a local regular file; URLs and GDAL paths are refused before anything opens."""
    text = os.fspath(source)
    if "://" in text or _REMOTE.match(text):
        raise InputError(
            f"'{text[:80]}' är en webbadress eller en GDAL-sökväg, inte en fil på datorn. Gränser "
            "hämtas aldrig från nätet av säkerhetsskäl.", file=label,
            fix="Ladda ner filen först och välj den sparade filen.")
    path = Path(text)
    try:
        exists, regular = path.exists(), path.is_file()
    except (OSError, ValueError):  # a NUL byte or a name too long for the file system
        exists = regular = False
    if not exists:
        raise InputError("Filen finns inte.", file=label, fix="Kontrollera sökvägen.")
    if not regular:
        raise InputError("Sökvägen är ingen vanlig fil (en mapp?).", file=label,
                         fix="Välj själva filen; en shapefil väljs som .shp-fil eller som zip-fil.")
    if not os.access(path, os.R_OK):
        raise InputError("Filen får inte läsas (behörighet).", file=label,
                         fix="Kopiera filen till en mapp du har läsrätt till.")
    return path


def sniff(head: bytes) -> str | None:
    """The format of a file from its first bytes, or None."""
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x00\x00\x27\x0a"):  # shapefile main header: file code 9994
        return "shapefile"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{"):
        return "geojson"
    return None


def _materialise(source: str | os.PathLike[str] | bytes, label: str, root: Path) -> list[GeoFile]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        fmt = _format(data[:64], label)
        if fmt == "zip":
            return _from_zip(io.BytesIO(data), label, root)
        if fmt == "shapefile":
            raise InputError(
                "Det här är bara .shp-delen av en shapefil; koderna och namnen finns i .dbf-filen "
                "och koordinatsystemet i .prj-filen.", file=label,
                fix="Packa .shp, .shx, .dbf och .prj (samma namn) i en zip-fil och ladda upp den.")
        path = root / f"upload{_SUFFIX[fmt]}"
        path.write_bytes(data)
        base = PurePosixPath(label.replace("\\", "/")).name  # the name may carry a client's path
        return [_geofile(path, fmt, label, _stem(base), data=data)]
    local = check_local_path(source, label)
    with local.open("rb") as fh:
        head = fh.read(64)
    fmt = _format(head, label)
    if fmt == "zip":
        return _from_zip(local, label, root)
    if fmt == "shapefile":
        return [_local_shapefile(local, label, root)]
    path = root / f"input{_SUFFIX[fmt]}"
    shutil.copyfile(local, path)
    return [_geofile(path, fmt, label, _stem(local.name),
                     data=path.read_bytes() if fmt == "geojson" else None)]


def _stem(name: str) -> str:
    """'stadsdelar.geo.json' -> 'stadsdelar', 'data/kommuner.shp' -> 'data/kommuner'."""
    path = PurePosixPath(name.replace("\\", "/"))
    stem = str(path.with_suffix("")) if path.suffix else str(path)
    return stem.removesuffix(".geo") if path.suffix.lower() == ".json" else stem


def _format(head: bytes, label: str) -> str:
    fmt = sniff(head)
    expected = EXTENSION_FORMATS.get(PurePosixPath(label.replace("\\", "/")).suffix.lower())
    if fmt is not None:
        return fmt
    if not head.strip():
        raise InputError("Filen är tom.", file=label, fix="Kontrollera att rätt fil valdes.")
    hint = (" Innehållet ser ut som XML eller en webbsida (KML, GML eller en felsida från en "
            "nedladdning?)." if head.lstrip().startswith(b"<") else "")
    if expected:
        raise InputError(
            f"Filen heter som en {FORMAT_LABELS[expected]} men innehållet är ingen "
            f"{FORMAT_LABELS[expected]}: den är skadad, avbruten vid nedladdningen eller har fel "
            f"filändelse.{hint}", file=label,
            fix="Ladda ner eller exportera filen igen. " + SUPPORTED_FIX)
    raise InputError(f"Okänt filformat för gränser.{hint}", file=label, fix=SUPPORTED_FIX)


def _geofile(path: Path, fmt: str, label: str, stem: str, *, data: bytes | None = None,
             missing_prj: bool = False) -> GeoFile:
    notes: list[str] = []
    expected = EXTENSION_FORMATS.get(PurePosixPath(label.replace("\\", "/")).suffix.lower())
    if expected and expected not in (fmt, "zip"):
        notes.append(f"Filen heter som en {FORMAT_LABELS[expected]} men är en "
                     f"{FORMAT_LABELS[fmt]}; den lästes som {FORMAT_LABELS[fmt]}.")
    # GDAL reports EPSG:4326 for every GeoJSON without a "crs" member; remember whether the file
    # really said so, so metre coordinates in such a file can be recognised instead of refused.
    declares = fmt != "geojson" or data is None or b'"crs"' in data
    return GeoFile(path, fmt, label, stem, missing_prj=missing_prj, declares_crs=declares,
                   notes=tuple(notes))


def _local_shapefile(shp: Path, label: str, root: Path) -> GeoFile:
    siblings = {p.suffix.lower(): p for p in shp.parent.glob(f"{_glob_escape(shp.stem)}.*")
                if p.is_file() and p.suffix.lower() in _SHAPEFILE_PARTS}
    siblings[".shp"] = shp
    _require_parts(set(siblings), shp.stem, label, in_zip=False)
    folder = root / "shp0"
    folder.mkdir()
    for ext, path in siblings.items():
        shutil.copyfile(path, folder / f"data{ext}")
    return _geofile(folder / "data.shp", "shapefile", label, shp.stem,
                    missing_prj=".prj" not in siblings)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _require_parts(found: set[str], stem: str, label: str, *, in_zip: bool) -> None:
    missing = [ext for ext in (".shx", ".dbf") if ext not in found]
    if not missing:
        return
    names = " och ".join(f"{stem}{ext}" for ext in missing)
    where = "i zip-filen" if in_zip else "bredvid .shp-filen"
    why = {".dbf": "koderna och namnen finns i .dbf-filen",
           ".shx": ".shx-filen är shapefilens index"}
    raise InputError(
        f"{names} saknas {where}; en shapefil består av flera filer med samma namn och "
        f"{'; '.join(why[e] for e in missing)}.", file=label, field=names,
        fix=f"Lägg alla filer som heter {stem}.* (.shp, .shx, .dbf, .prj, .cpg) "
            f"{'i samma zip-fil' if in_zip else 'i samma mapp'} och försök igen.")


def _from_zip(source: Path | io.BytesIO, label: str, root: Path) -> list[GeoFile]:
    try:
        with zipfile.ZipFile(source) as zf:
            members = _checked_members(zf, label)
            return _unpack(zf, members, label, root)
    except zipfile.BadZipFile as exc:
        raise InputError(f"Zip-filen är skadad ({exc}).", file=label,
                         fix="Packa filerna igen eller ladda ner zip-filen på nytt.") from exc


def _checked_members(zf: zipfile.ZipFile, label: str) -> list[zipfile.ZipInfo]:
    """Every member, after refusing zip bombs, unsafe names and encryption."""
    fix = "Packa bara gränsfilerna (.shp, .shx, .dbf, .prj) i en ny zip-fil."
    infos = zip_limits.check_members(zf, label, what="zip-filen", fix=fix)
    for info in infos:
        _check_name(info.filename, label)
    return infos


def _check_name(name: str, label: str) -> None:
    parts = re.split(r"[\\/]", name)
    if ("\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name)
            or ".." in parts):
        raise InputError(
            f"Zip-filen innehåller en fil med ett otillåtet namn ('{name[:80]}'): den skulle hamna "
            "utanför uppackningsmappen. Filen packas inte upp.", file=label,
            fix="Packa gränsfilerna på nytt med vanliga filnamn, utan '..' och utan hela sökvägar.")


def _unpack(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], label: str, root: Path) -> list[GeoFile]:
    by_stem: dict[str, dict[str, zipfile.ZipInfo]] = {}
    others: list[zipfile.ZipInfo] = []
    nested: list[str] = []
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if info.is_dir() or "__MACOSX" in name.parts or name.name.startswith("._"):
            continue  # folders and macOS resource forks
        if stat.S_ISLNK(info.external_attr >> 16):
            continue  # never follow a link packed into the zip
        ext = name.suffix.lower()
        if ext in _SHAPEFILE_PARTS:
            by_stem.setdefault(str(name.with_suffix("")), {})[ext] = info
        elif ext in (".gpkg", ".geojson", ".json", ".parquet", ".geoparquet"):
            others.append(info)
        elif ext == ".zip":
            nested.append(info.filename)
    files: list[GeoFile] = []
    budget = [0]
    shapefiles = {stem: parts for stem, parts in by_stem.items() if ".shp" in parts}
    if not shapefiles and by_stem and not others:
        stem = next(iter(by_stem))
        raise InputError(f"Zip-filen har {', '.join(sorted(by_stem[stem]))} men ingen .shp-fil.",
                         file=label, field=f"{PurePosixPath(stem).name}.shp",
                         fix="Lägg med .shp-filen (samma namn) i zip-filen.")
    for k, (stem, parts) in enumerate(sorted(shapefiles.items())):
        short = PurePosixPath(stem).name
        _require_parts(set(parts), short, label, in_zip=True)
        folder = root / f"shp{k}"
        folder.mkdir()
        for ext, info in parts.items():
            _extract(zf, info, folder / f"data{ext}", budget, label)
        files.append(_geofile(folder / "data.shp", "shapefile", f"{label}/{stem}.shp", stem,
                              missing_prj=".prj" not in parts))
    for k, info in enumerate(others):
        path = root / f"member{k}"
        _extract(zf, info, path, budget, label)
        with path.open("rb") as fh:
            fmt = sniff(fh.read(64))
        if fmt not in ("gpkg", "geojson", "parquet"):
            continue  # an ordinary .json that is no GeoJSON (metadata) is not a layer
        path = path.rename(path.with_suffix(_SUFFIX[fmt]))
        member = PurePosixPath(info.filename.replace("\\", "/"))
        files.append(_geofile(path, fmt, f"{label}/{member}", _stem(str(member)),
                              data=path.read_bytes() if fmt == "geojson" else None))
    if not files:
        found = ", ".join(i.filename for i in infos[:10]) or "inga filer"
        inner = " Zip-filer inuti zip-filen packas inte upp." if nested else ""
        raise InputError(f"Zip-filen innehåller inga gränsfiler (hittade: {found}).{inner}",
                         file=label, fix=SUPPORTED_FIX)
    return files


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: list[int],
             label: str) -> None:
    """Copy one member, counting real bytes: a member that unpacks past its declared size or the
    zip's total limit is a forged header, and the copy stops there."""
    written = 0
    try:
        with zf.open(info) as src, target.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                limit = zip_limits.MAX_UNZIPPED_BYTES
                if written > info.file_size or budget[0] + written > limit:
                    raise InputError(
                        f"'{info.filename}' i zip-filen packas upp till mer än den säger "
                        f"(eller mer än {_mb(limit)} totalt); uppackningen avbröts.",
                        file=label, fix="Packa gränsfilerna i en ny zip-fil.")
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"'{info.filename}' i zip-filen kan inte packas upp ({exc}).", file=label,
                         fix="Packa filerna igen med vanlig zip-komprimering (deflate).") from exc
    budget[0] += written
