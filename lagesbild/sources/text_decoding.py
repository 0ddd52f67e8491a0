"""Bytes to text as Swedish offices save them: UTF-8 or Windows-1252, whole files or line by line.

A file that is valid UTF-8 is decoded in one call. Otherwise the encoding is decided line by line,
because a hand-edited line or a pasted name saved by another program is common, and decoding the
whole file in the encoding of the odd lines would turn every å/ä/ö elsewhere into mojibake
("GÃ¶teborg"):

- In a file that is mostly UTF-8, a line that is not UTF-8 is decoded as Windows-1252 when that
  gives clean text (every non-ASCII character a Latin-1 letter or one of a few symbols Swedish
  text uses: no-break space, dashes, the apostrophe, §, °, €, ½), and a note names the line.
  Otherwise the line is rejected on its own row. Decoding a clean line beats rejecting it: Excel
  on Swedish Windows writes exactly these bytes for å/ä/ö, so the text is what was typed and the
  row's figure is kept; a line whose Windows-1252 reading holds other symbols ('š', '”', '†')
  was written in yet another encoding (Mac, DOS), where any guess could store a wrong name, so
  it is rejected and shown instead.
- In a file that is mostly Windows-1252, a line holding valid UTF-8 sequences is decoded as UTF-8
  (a note names it): read as Windows-1252 it would be mojibake. Bytes Windows-1252 does not define
  reject their line.
- Mojibake already in the text ('Ã¶' for 'ö': a file converted to UTF-8 twice) and DOS text
  read as Windows-1252 ('G”teborg') are never stored: such lines are rejected with the likely
  intended text in the reason; when no line of the file has a correct å/ä/ö, the file is refused.

Only the lines that fail are handled in Python: a clean file costs one decode call and a search
for 'Ã'/'Â'; a file with odd lines a decode per megabyte, and line by line only in the megabytes
that fail; a Windows-1252 file one numpy pass over its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from lagesbild.core.errors import InputError

FIX_UTF8 = "Spara filen som 'CSV UTF-8' i Excel (Spara som > CSV UTF-8) och importera igen."
# Non-ASCII characters a clean Windows-1252 line may hold: Latin-1 letters and a few symbols.
_CLEAN = re.compile("[\x00-\x7f\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
                    "\u00a0\u00a7\u00b0\u00b4\u00bd\u00e9\u2013\u2014\u2019\u20ac]*")
# 'Ã' or 'Â' followed by a UTF-8 continuation byte read as Windows-1252 or Latin-1: UTF-8 text
# decoded once too often ('Ã¶' for 'ö', 'Ã…' for 'Å', 'Â°' for '°').
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
                       "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014"
                       "\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]|Â[\u00a0-\u00bf]")
# DOS (cp850) text read as Windows-1252: å, ä, ö, é become †, „, ”, ‚ between letters.
_DOS = re.compile("[A-Za-z\u00c0-\u00ff][\u201e\u201d\u201c\u2020\u2021\u2022\u2122\u2030\u201a"
                  "\u02c6\u02dc\u203a\u2039][A-Za-z\u00c0-\u00ff]")
_UNDEFINED = np.array([0x81, 0x8D, 0x8F, 0x90, 0x9D], dtype=np.uint8)  # not in Windows-1252
_DOS_BYTES = np.array([0x82, 0x84, 0x86, 0x87, 0x88, 0x89, 0x8B, 0x93, 0x94, 0x95, 0x98, 0x99,
                       0x9B], dtype=np.uint8)  # the _DOS symbols as Windows-1252 bytes
_LETTER = np.zeros(256, dtype=bool)
_LETTER[[*range(65, 91), *range(97, 123), *range(0xC0, 0x100)]] = True
_SWEDISH = re.compile("[åäöÅÄÖéü]")


@dataclass
class Decoded:
    """A file's text, the encoding of most of it, notes, and the lines to reject (with reasons)."""

    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)
    bad_lines: dict[int, str] = field(default_factory=dict)  # physical line -> Swedish reason
    garbled: list[int] = field(default_factory=list)  # bad lines holding mojibake or DOS text


def decode_lines(data: bytes, name: str) -> Decoded:
    """Decode bytes the way Excel writes them, line by line where lines differ (module doc)."""
    if not data or data.isspace():  # bytes.strip() would copy the file
        raise InputError("Filen är tom.", file=name, fix="Kontrollera att rätt fil valdes.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise InputError("Filen börjar som UTF-16 men är trasig (udda antal byte).",
                             file=name, fix=FIX_UTF8) from exc
    if b"\x00" in data[:4096]:
        raise InputError("Filen innehåller binära data, inte text.", file=name,
                         fix="Spara filen som CSV (semikolonseparerad) från Excel.")
    bom = data.startswith(b"\xef\xbb\xbf")
    body, label = (data[3:], "utf-8-sig") if bom else (data, "utf-8")
    try:
        return _checked(Decoded(body.decode("utf-8"), label), name)
    except UnicodeDecodeError:
        pass
    # Which chunks (about a megabyte, cut at line ends) fail, and how many others hold non-ASCII:
    # decoding a chunk is one C call, and a failing one stops at its first bad byte.
    failing, fine = [], 0
    for a, b in _chunks(body):
        try:
            fine += not body[a:b].decode("utf-8").isascii()
        except UnicodeDecodeError:
            failing.append((a, b))
    if bom or fine > len(failing):
        return _checked(_mostly_utf8(body, label, failing), name)
    arr = np.frombuffer(body, dtype=np.uint8)
    high = np.flatnonzero(arr >= 0x80)
    leads = high[(arr[high] >= 0xC2) & (arr[high] <= 0xF4) & (high + 1 < len(arr))]
    leads = leads[(arr[leads + 1] & 0xC0) == 0x80]  # a lead byte and a continuation: UTF-8
    lead_bytes = arr[leads]
    in_utf8 = int((2 + (lead_bytes >= 0xE0) + (lead_bytes >= 0xF0)).sum())  # bytes of sequences
    if len(leads) and len(leads) >= len(high) - in_utf8:  # more UTF-8 characters than others
        return _checked(_mostly_utf8(body, label, failing), name)
    return _checked(_mostly_cp1252(body, arr, high, leads), name)


CHUNK = 1 << 20
_WINDOW = 1 << 12


def _chunks(body: bytes) -> list[tuple[int, int]]:
    """(start, end) of consecutive pieces of about CHUNK bytes, each ending at a line end."""
    spans, start = [], 0
    while start < len(body):
        end = body.find(b"\n", start + CHUNK)
        end = len(body) if end < 0 else end + 1
        spans.append((start, end))
        start = end
    return spans


def decode(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of a file that must decode whole (a saved API answer): any line the
    line-wise decoding would note or reject is an InputError naming that line."""
    decoded = decode_lines(data, name)
    if decoded.bad_lines:
        line, reason = min(decoded.bad_lines.items())
        raise InputError(reason, file=name, row=line, fix=FIX_UTF8)
    if decoded.notes:
        raise InputError(decoded.notes[0], file=name, fix=FIX_UTF8)
    return decoded.text, decoded.encoding


def _mostly_utf8(body: bytes, label: str, failing: list[tuple[int, int]]) -> Decoded:
    """Lines that are not UTF-8 decoded as Windows-1252 when clean, rejected otherwise; only
    the `failing` chunks hold such lines."""
    positions = []
    for a, b in failing:
        pos, window = a, _WINDOW  # small after a bad line, doubling while lines decode
        while pos < b:
            end = body.find(b"\n", min(pos + window, b), b)
            end = b if end < 0 else end + 1
            try:
                body[pos:end].decode("utf-8")
                pos, window = end, min(2 * window, CHUNK)
            except UnicodeDecodeError as exc:
                positions.append(pos + exc.start)  # the rest of its line is handled with it
                ends = [e for e in (body.find(b"\n", pos + exc.start, end),
                                    body.find(b"\r", pos + exc.start, end)) if e >= 0]
                pos, window = (min(ends) + 1 if ends else end), _WINDOW
    pieces: list[str] = []
    recoded: list[tuple[int, str]] = []
    bad: dict[int, str] = {}
    pos = 0
    for line, start, end in _line_spans(body, positions):
        own = body[start:end].decode("cp1252", "replace")
        if "\ufffd" not in own and _CLEAN.fullmatch(own) and not _MOJIBAKE.search(own):
            recoded.append((line, own))
        else:
            bad[line] = ("Raden är inte sparad som UTF-8 som resten av filen och kan inte läsas "
                         f"säkert som Windows-1252 (den blir '{_example(own)}').")
        pieces += [body[pos:start].decode("utf-8"), own]
        pos = end
    pieces.append(body[pos:].decode("utf-8"))
    notes = [(f"{_lines(recoded)} inte {_saved(recoded)} som UTF-8 som resten av filen och "
              f"lästes som Windows-1252 (t.ex. '{_example(recoded[0][1])}').")] if recoded else []
    return Decoded("".join(pieces), label, notes, bad)


def _mostly_cp1252(body: bytes, arr: np.ndarray, high: np.ndarray,
                   leads: np.ndarray) -> Decoded:
    """Windows-1252, except lines that are valid UTF-8; undefined bytes and DOS text reject
    their line."""
    values = arr[high]
    special = high[values < 0xA0]  # bytes where Windows-1252 and Latin-1 differ
    undefined = special[np.isin(arr[special], _UNDEFINED)]
    if not len(special):
        text = body.decode("latin-1")  # the same text as Windows-1252, faster
    else:
        text = body.decode("cp1252", "surrogateescape" if len(undefined) else "strict")
    dos = special[np.isin(arr[special], _DOS_BYTES) & (special > 0) & (special + 1 < len(arr))]
    dos = dos[_LETTER[arr[dos - 1]] & _LETTER[arr[dos + 1]]]  # 'G”teborg': between letters
    positions = np.unique(np.concatenate([leads, undefined, dos])).tolist()
    pieces: list[str] = []
    recoded: list[tuple[int, str]] = []
    bad: dict[int, str] = {}
    garbled: list[int] = []
    pos = 0
    for line, start, end in _line_spans(text, positions):
        raw = body[start:end]  # one byte per character: text offsets are byte offsets
        try:
            own = raw.decode("utf-8")
            recoded.append((line, own))
        except UnicodeDecodeError:
            own = raw.decode("cp1252", "replace")
            if "\ufffd" in own:
                bad[line] = ("Raden har en okänd teckenkodning: byte som varken är UTF-8 eller "
                             f"Windows-1252 (den blir '{_example(own)}').")
            elif _DOS.search(own):
                garbled.append(line)
                bad[line] = ("Raden ser ut att vara sparad i DOS-kodning (cp850), inte "
                             f"Windows-1252: å/ä/ö blir tecken som '{_example(own)}'.")
        pieces += [text[pos:start], own]
        pos = end
    pieces.append(text[pos:])
    notes = [(f"{_lines(recoded)} {_saved(recoded)} som UTF-8, inte Windows-1252 som resten av "
              f"filen, och lästes som UTF-8 (t.ex. '{_example(recoded[0][1])}').")] \
        if recoded else []
    return Decoded("".join(pieces), "cp1252", notes, bad, garbled)


def _checked(decoded: Decoded, name: str) -> Decoded:
    """Lines with mojibake rejected; a file without any correct å/ä/ö but with mojibake (or DOS
    text) refused whole."""
    text = decoded.text
    if "Ã" in text or "Â" in text:
        for line, start, end in _line_spans(text, (m.start() for m in _MOJIBAKE.finditer(text))):
            if line in decoded.bad_lines:
                continue
            own = text[start:end]
            decoded.garbled.append(line)
            decoded.bad_lines[line] = (
                "Raden är dubbelkodad (UTF-8 som lästs som Windows-1252 och sparats igen): "
                f"'{_example(own, _MOJIBAKE)}' ska troligen vara '{_repaired(own)}'.")
    if decoded.garbled and not _SWEDISH.search(text):
        line = min(decoded.garbled)
        raise InputError(f"Ingen rad i filen har rätt å/ä/ö. {decoded.bad_lines[line]}",
                         file=name, row=line,
                         fix="Exportera filen på nytt från källan och spara den som CSV UTF-8 "
                             "utan att öppna den i ett program som byter teckenkodning.")
    return decoded


def _repaired(line: str) -> str:
    """The mojibake of a line undone where it can be (the first word shown)."""
    word = _example(line, _MOJIBAKE)
    for enc in ("cp1252", "latin-1"):
        try:
            return word.encode(enc).decode("utf-8")
        except UnicodeError:
            continue
    return word


def _line_spans(text: str | bytes, positions: Iterable[int]) -> list[tuple[int, int, int]]:
    """(1-based line, start, end without the line break) of each distinct line holding one of
    the sorted `positions`. Lines break at CRLF, LF or CR, as the csv module reads them."""
    lf, cr, crlf = ("\n", "\r", "\r\n") if isinstance(text, str) else (b"\n", b"\r", b"\r\n")
    spans: list[tuple[int, int, int]] = []
    line, counted, end = 1, 0, -1
    for p in positions:
        if p < end:
            continue
        start = max(text.rfind(lf, 0, p), text.rfind(cr, 0, p)) + 1
        ends = [e for e in (text.find(lf, p), text.find(cr, p)) if e >= 0]
        end = min(ends) if ends else len(text)
        line += (text.count(lf, counted, start) + text.count(cr, counted, start)
                 - text.count(crlf, counted, start))
        counted = start
        spans.append((line, start, end))
    return spans


def _saved(found: list[tuple[int, str]]) -> str:
    return "sparad" if len(found) == 1 else "sparade"


def _lines(found: list[tuple[int, str]]) -> str:
    """'Rad 5 är' / 'Raderna 5, 9 och 12 är' (the first ten)."""
    numbers = [str(line) for line, _ in found[:10]]
    if len(found) > 10:
        numbers.append(f"{len(found) - 10} till")
    if len(numbers) == 1:
        return f"Rad {numbers[0]} är"
    return f"Raderna {', '.join(numbers[:-1])} och {numbers[-1]} är"


def _example(line: str, pattern: re.Pattern[str] | None = None) -> str:
    """The first word of `line` holding a non-ASCII character (or matching `pattern`)."""
    mark = (pattern or _NON_ASCII).search(line)
    if mark is None:
        return line.strip()[:60]
    start = max(line.rfind(c, 0, mark.start()) for c in ";,\t\"") + 1
    ends = [e for e in (line.find(c, mark.end()) for c in ";,\t\"") if e >= 0]
    return line[start:min(ends) if ends else len(line)].strip()[:60]


_NON_ASCII = re.compile("[^\x00-\x7f]")
