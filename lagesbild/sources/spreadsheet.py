"""Excel workbooks (.xlsx) read as rows of text, each cell as Excel shows it."""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from lagesbild.core.errors import InputError
from lagesbild.sources import zip_limits

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls (and password-protected .xlsx)
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
_SAVE_AS = "Öppna filen i Excel och spara den som Excel-arbetsbok (.xlsx) eller som CSV."
Row = tuple[int, list[str]]  # (1-based sheet row, cells as text)
# What one sheet may hold, counted while reading (the declared dimension is not trusted: a stray
# format in XFD1048576 declares 17 billion cells, while a forged sheet may declare none).
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_SHEET_CELLS = 2_000_000  # cells read, empty included: ~400 MB and a minute in openpyxl; CSV is
# read in seconds, so a larger table is sent there
_TOO_LARGE = ("Spara bladet som CSV (semikolonseparerad) i Excel och importera CSV-filen; stora "
              "tabeller läses snabbare och säkrare så.")


def looks_like_spreadsheet_name(name: str) -> bool:
    return name.casefold().endswith(SPREADSHEET_SUFFIXES)


def _zip_names(data: bytes) -> list[str] | None:
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def is_xlsx(data: bytes) -> bool:
    """True for an Office Open XML workbook: a zip archive holding xl/workbook.xml."""
    names = _zip_names(data)
    return names is not None and "xl/workbook.xml" in names


def refuse_other_formats(data: bytes, name: str) -> None:
    """Raise a clear InputError for spreadsheets we cannot read (.xls, .ods, .xlsb, fake .xlsx).

    Text content under a spreadsheet name passes: many systems save CSV as '.xls'.
    """
    if data.startswith(OLE2):
        raise InputError(
            "Filen är en äldre Excel-fil (.xls, binärt format) eller en lösenordsskyddad "
            "arbetsbok; den kan inte läsas.", file=name,
            fix=_SAVE_AS + " Ta bort lösenordsskyddet om filen har ett.")
    names = _zip_names(data)
    if names is not None:
        if "mimetype" in names and b"opendocument.spreadsheet" in data[:200]:
            raise InputError("Filen är ett OpenDocument-kalkylark (.ods); det stöds inte.",
                             file=name, fix=_SAVE_AS)
        if "xl/workbook.bin" in names:
            raise InputError("Filen är en binär Excel-arbetsbok (.xlsb); den stöds inte.",
                             file=name, fix=_SAVE_AS)
        raise InputError("Filen är ett zip-arkiv men ingen Excel-arbetsbok "
                         "(xl/workbook.xml saknas).", file=name,
                         fix="Välj själva tabellfilen (.xlsx eller .csv), inte ett arkiv.")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
        raise InputError("Filen är en webbsida eller XML med kalkylbladsändelse, ingen "
                         "Excel-arbetsbok.", file=name, fix=_SAVE_AS)
    if looks_like_spreadsheet_name(name) and (b"\x00" in data[:4096] or _undecodable(data)):
        raise InputError(f"Filen heter '{name}' men innehållet är ingen Excel-arbetsbok "
                         "(skadad fil eller fel filändelse).", file=name, fix=_SAVE_AS)


def _undecodable(data: bytes) -> bool:
    for enc in ("utf-8", "cp1252"):
        try:
            data[:65536].decode(enc)
            return False
        except UnicodeDecodeError as exc:
            if enc == "utf-8" and exc.start >= 65536 - 4:
                return False  # a character cut at the sample's end
    return True


def _workbook(data: bytes, name: str):  # type: ignore[no-untyped-def]  # openpyxl is untyped
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        archive = None  # load_workbook says what is wrong with it
    if archive is not None:  # the limits of every zip read from a user, before openpyxl unpacks
        with archive:
            zip_limits.check_members(archive, name, what="Excel-filen", fix=_TOO_LARGE)
    # openpyxl warns about workbook features it does not keep (data validation, conditional
    # formatting, missing default style); none of them matter for reading values.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except MemoryError as exc:
            raise _too_large(name, "") from exc
        except Exception as exc:  # any parse failure of a user's file is an input problem
            raise InputError(f"Excel-filen kan inte läsas ({type(exc).__name__}: {exc}).",
                             file=name, fix=_SAVE_AS) from exc


def _too_large(name: str, sheet: str, row: int | None = None, what: str = "") -> InputError:
    where = f"Bladet '{sheet}'" if sheet else "Arbetsboken"
    return InputError(f"{where} är för stort för att läsas{what or ' (minnet tog slut)'}.",
                      file=name, row=row, fix=_TOO_LARGE)


def sheet_names(data: bytes, name: str) -> list[str]:
    """The workbook's sheets in order (only worksheets; chart sheets have no cells)."""
    wb = _workbook(data, name)
    try:
        return [ws.title for ws in wb.worksheets]
    finally:
        wb.close()


def read_rows(data: bytes, name: str, *, sheet: str | int | None = None,
              limit: int | None = None) -> tuple[str, list[Row], list[str], int]:
    """(sheet title, rows with their sheet row numbers, notes, index of the first column kept).

    The first sheet by default.

    `sheet` is a sheet name (case-insensitive) or a 0-based position. Leading columns that are
    empty in every row are dropped; trailing empty cells are cut. `limit` stops after that many
    non-empty rows (for a preview).
    """
    wb = _workbook(data, name)
    try:
        sheets = list(wb.worksheets)
        titles = [ws.title for ws in sheets]
        if not sheets:
            raise InputError("Arbetsboken har inga kalkylblad.", file=name, fix=_SAVE_AS)
        ws = sheets[_pick(sheet, titles, name)]
        notes = [] if len(sheets) == 1 else [
            f"Läste bladet '{ws.title}' (arbetsboken har {len(sheets)} blad: "
            f"{', '.join(titles)})."]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # rows as stored, not padded to the declared dimension
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                rows = list(_rows(ws, limit, name))
            except MemoryError as exc:
                raise _too_large(name, ws.title) from exc
    finally:
        wb.close()
    if not any(any(cells) for _, cells in rows):
        others = f" Arbetsboken har bladen: {', '.join(titles)}." if len(titles) > 1 else ""
        raise InputError(f"Bladet '{ws.title}' är tomt.{others}", file=name,
                         fix="Välj bladet med tabellen." if others else
                         "Kontrollera att rätt fil valdes.")
    first = min((next(i for i, c in enumerate(cells) if c) for _, cells in rows if any(cells)))
    return ws.title, [(line, cells[first:]) for line, cells in rows], notes, first


def column_letter(index: int) -> str:
    """0-based column index -> Excel's letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _pick(sheet: str | int | None, titles: list[str], name: str) -> int:
    if sheet is None or sheet == "":
        return 0
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit()
                                  and sheet.strip() not in titles):
        index = int(sheet)
        if 0 <= index < len(titles):
            return index
    else:
        folded = [t.casefold().strip() for t in titles]
        if str(sheet).casefold().strip() in folded:
            return folded.index(str(sheet).casefold().strip())
    raise InputError(f"Bladet '{sheet}' finns inte. Arbetsboken har: {', '.join(titles)}.",
                     file=name, field="blad", fix="Välj ett av arbetsbokens blad.")


def _rows(ws, limit: int | None, name: str) -> Iterator[Row]:  # type: ignore[no-untyped-def]
    """(sheet row, cells) of the sheet; a run of empty rows is given once (one blank line to
    the table). More than MAX_SHEET_ROWS rows or MAX_SHEET_CELLS cells is an InputError."""
    seen = cells_read = 0
    blank = False
    for line, row in enumerate(ws.iter_rows(), start=1):
        cells_read += len(row)
        if line > MAX_SHEET_ROWS or cells_read > MAX_SHEET_CELLS:
            raise _too_large(name, ws.title, line, (
                f": fler än {MAX_SHEET_ROWS:,} rader".replace(",", " ") if line > MAX_SHEET_ROWS
                else f": fler än {MAX_SHEET_CELLS:,} celler (tomma formaterade celler räknas)"
                .replace(",", " ")))
        cells = [cell_text(c.value, getattr(c, "number_format", "General")) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells and blank:
            continue
        blank = not cells
        yield line, cells
        seen += bool(cells)
        if limit is not None and seen >= limit:
            return


_ZERO_PAD = re.compile(r'^"?(0+)"?$')


def number_text(value: float) -> str:
    """A float as Excel's General format shows it: no '.0', no exponent, 15 significant digits."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = format(value, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def cell_text(value: object, number_format: str = "General") -> str:
    """A cell's value as text: '0114' stays, 2417.0 -> '2417', dates ISO, 0.25 in % -> '25%'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        fmt = (number_format or "General").split(";")[0]
        if "%" in fmt:
            return number_text(float(value) * 100) + "%"
        pad = _ZERO_PAD.match(fmt)
        if pad and float(value).is_integer() and value >= 0:
            return str(int(value)).zfill(len(pad.group(1)))  # format "0000": 114 shows as 0114
        return number_text(float(value))
    return str(value).strip()
