"""Limits for the zip archives users hand in: zipped shapefiles and Excel workbooks (an .xlsx is
a zip of XML files). One set of limits, checked on the declared sizes before anything is read;
readers that unpack also count the real bytes (`geo_safety._extract`), and Python's zipfile
never returns more than a member's declared size (a forged header ends in a CRC error).
"""

from __future__ import annotations

import zipfile

from lagesbild.core.errors import InputError

# Module constants so tests can lower them instead of building huge files.
MAX_UNZIPPED_BYTES = 500 * 1024 * 1024  # everything the zip would unpack to, declared or real
MAX_MEMBERS = 2_000  # a national shapefile export has a handful, a workbook a few dozen
MAX_RATIO = 100  # uncompressed / compressed, checked for members larger than RATIO_MIN_BYTES
RATIO_MIN_BYTES = 1024 * 1024


def check_members(zf: zipfile.ZipFile, label: str, *, what: str,
                  fix: str) -> list[zipfile.ZipInfo]:
    """Every member of `zf`, after refusing too many members, too many bytes, encrypted members
    and members packed more than MAX_RATIO times (zip bombs). `what` names the archive in
    messages ('zip-filen', 'Excel-filen'); `fix` is the advice."""
    infos = zf.infolist()
    what_ = what[:1].upper() + what[1:]
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"{what_} innehåller {len(infos)} filer; högst {MAX_MEMBERS} tillåts.",
                         file=label, fix=fix)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise InputError(
            f"{what_} blir {mb(total)} uppackad; högst {mb(MAX_UNZIPPED_BYTES)} tillåts "
            "(skydd mot så kallade zip-bomber).", file=label, fix=fix)
    for info in infos:
        if info.flag_bits & 0x1:
            raise InputError(f"'{info.filename}' i {what} är lösenordsskyddad.", file=label,
                             fix="Spara eller packa filen utan lösenord.")
        if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"'{info.filename}' i {what} är packad mer än {MAX_RATIO} gånger "
                f"({mb(info.compress_size)} blir {mb(info.file_size)}); det ser ut som en "
                "zip-bomb och packas inte upp.", file=label, fix=fix)
    return infos


def mb(size: int) -> str:
    """'1,5 MB' (Swedish decimal comma, space as thousands separator)."""
    return f"{size / 1024 / 1024:,.1f} MB".replace(",", " ").replace(".", ",")
