"""The rules a map layer file (layers/<id>.toml) must follow, in one place.

`check_layer` is used both when the layer files are read (`layers.load_layers`: a hand-written
file with an error stops the app with this message, never a traceback) and by the Data page's
form before it writes anything (`ui.layer_form`); `layer_toml` writes the file the form saves,
in the same TOML a person would write. Pure: the known ids, categories and indicators are given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from lagesbild.core.crime_groups import category_key
from lagesbild.core.errors import InputError

KINDS = ("count_rate", "incident_rate", "indicator", "coverage")
# class-break schemes a layer may name (`analysis.classify.SCHEMES` holds their classifiers)
SCHEME_NAMES = ("quantiles", "equal_interval", "natural_breaks", "fisher_jenks")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,60}$")  # it names the file <id>.toml too
# the keys a layer file may hold, in the order `layer_toml` writes them
KEYS = ("id", "title_sv", "title_en", "kind", "indicator", "categories", "pyramid_level",
        "relation", "crime_group", "programmes", "per", "scheme", "k", "colors", "order",
        "audience")
# who may see a layer: "police" = only the police's roles (core.access); "" or "all" = everyone
AUDIENCES = ("all", "police")
COLORS_FIX = "Välj en ColorBrewer-skala, t.ex. YlOrRd, Blues, Greens, Purples, OrRd."


def is_brewer(name: str) -> bool:
    from branca.utilities import color_brewer

    try:
        color_brewer(name, n=5)
    except (ValueError, TypeError, KeyError):
        return False
    return True


def _int(data: Mapping[str, Any], key: str, file: str, low: int, high: int, fix: str) -> None:
    value = data.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"'{value}' är inget heltal mellan {low} och {high}.", file=file,
                         field=key, fix=fix)


def _texts(data: Mapping[str, Any], key: str, file: str) -> list[str]:
    value = data.get(key, [])
    # a bare string would be read letter by letter: say so instead
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"'{key}' ska vara en lista med texter, inte {value!r}.", file=file,
                         field=key, fix=f'Skriv t.ex. {key} = ["Misshandel", "Grov misshandel"].')
    return value


def check_layer(data: Mapping[str, Any], *, file: str, taken: Mapping[str, str] | None = None,
                known_categories: Collection[str] | None = None,
                known_indicators: Collection[str] | None = None) -> None:
    """Raise an InputError (Swedish; file and field named, with a fix) for the first rule
    `data` breaks. `taken`: layer ids already used -> their file; `known_categories`: the crime
    categories the pyramid and the crime groups name (None: not checked); `known_indicators`:
    the indicator ids of indicators.toml (None: not checked)."""
    for key in ("id", "title_sv", "kind"):
        if key not in data:
            raise InputError("Nyckeln saknas.", file=file, field=key,
                             fix="Varje lagerfil behöver id, title_sv och kind.")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise InputError(f"Okänd nyckel '{unknown[0]}'.", file=file, field=unknown[0],
                         fix=f"Tillåtna nycklar: {', '.join(KEYS)}.")
    layer_id = data["id"]
    if not isinstance(layer_id, str) or not ID_PATTERN.match(layer_id):
        raise InputError(f"Lager-id '{layer_id}' går inte att använda.", file=file, field="id",
                         fix="Skriv bara bokstäver a–z, siffror, _ och - (utan mellanslag och "
                             "å, ä, ö), t.ex. otrygghet_park.")
    if taken and layer_id in taken:
        raise InputError(f"Lager-id '{layer_id}' används redan i {taken[layer_id]}.", file=file,
                         field="id", fix="Välj ett annat id eller ändra det befintliga lagret.")
    for key in ("title_sv", "title_en"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            raise InputError("Titeln saknas.", file=file, field=key,
                             fix="Skriv den titel kartan och tabellerna ska visa.")
    audience = data.get("audience", "all")
    if audience not in AUDIENCES:
        raise InputError(f"Okänd målgrupp '{audience}'.", file=file, field="audience",
                         fix='Skriv audience = "police" för ett lager bara polisen ser, eller '
                             "ta bort nyckeln.")
    if data["kind"] not in KINDS:
        raise InputError(f"Okänd lagertyp '{data['kind']}'.", file=file, field="kind",
                         fix=f"Välj en av: {', '.join(KINDS)}.")
    if data.get("scheme", "quantiles") not in SCHEME_NAMES:
        raise InputError(f"Okänd klassindelning '{data['scheme']}'.", file=file, field="scheme",
                         fix=f"Välj en av: {', '.join(SCHEME_NAMES)}.")
    level = data.get("pyramid_level")
    if level is not None and (isinstance(level, bool) or level not in (1, 2, 3)):
        raise InputError(f"Pyramidnivå {level!r} finns inte.", file=file, field="pyramid_level",
                         fix="Ange 1, 2 eller 3, eller ta bort nyckeln.")
    colors = data.get("colors", "YlOrRd")
    if not isinstance(colors, str) or not is_brewer(colors):
        raise InputError(f"Okänd färgskala '{colors}'.", file=file, field="colors", fix=COLORS_FIX)
    _int(data, "k", file, 2, 9, "Ange antal klasser, 2–9.")
    _int(data, "per", file, 1, 10_000_000, "Ange t.ex. 100000 (per 100 000 invånare).")
    _int(data, "order", file, 0, 9999, "Ange ett heltal; lagren visas i stigande ordning.")
    if data["kind"] == "indicator":
        indicator = data.get("indicator")
        if not indicator:
            raise InputError("Indikatorlager behöver 'indicator'.", file=file, field="indicator",
                             fix="Ange ett id från layers/indicators.toml.")
        if known_indicators is not None and indicator not in known_indicators:
            raise InputError(f"Okänd indikator '{indicator}'.", file=file, field="indicator",
                             fix="Lägg till indikatorn i indicators.toml först, eller välj en "
                                 f"av: {', '.join(sorted(known_indicators))}.")
    categories = _texts(data, "categories", file)
    _texts(data, "programmes", file)
    if categories and data["kind"] not in ("count_rate", "incident_rate"):
        raise InputError("Bara brottslager (count_rate, incident_rate) räknar kategorier.",
                         file=file, field="categories", fix="Ta bort categories eller byt kind.")
    if known_categories is not None:
        known = {category_key(c) for c in known_categories}
        for category in categories:
            if category_key(category) not in known:
                raise InputError(f"Okänd brottskategori '{category}'.", file=file,
                                 field="categories",
                                 fix="Använd kategorinamnen i pyramid.toml eller "
                                     "brottsgrupper.toml (stavningen som i Brås tabeller).")


def layer_toml(data: Mapping[str, Any], *, comment: str = "",
               keys: tuple[str, ...] = KEYS) -> str:
    """The layer as a TOML file, in `keys` order; None, "" and empty lists are left out."""
    lines = [f"# {line}" for line in comment.splitlines()]
    for key in keys:
        value = data.get(key)
        if value is None or value == "" or value == [] or value == ():
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, (list, tuple)):
            text = "[" + ", ".join(json.dumps(str(v), ensure_ascii=False) for v in value) + "]"
        else:  # a TOML basic string: JSON's escapes are valid TOML
            text = json.dumps(str(value), ensure_ascii=False)
        lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"


# --- survey indicators (indicators.toml: one [<id>] table each) ---------------------------------

INDICATOR_KEYS = ("title_sv", "title_en", "unit", "polarity", "survey_sv", "survey_en",
                  "reported_categories", "kolada", "kind", "units")
POLARITIES = ("negative", "positive")


def check_indicator(indicator_id: object, data: object, *, file: str,
                    taken: Mapping[str, str] | None = None,
                    known_categories: Collection[str] | None = None) -> None:
    """Raise an InputError for the first rule the indicator `[indicator_id]` breaks (the field
    is named "<id>.<key>"). `taken`: indicator ids already used -> their file."""
    if not isinstance(indicator_id, str) or not ID_PATTERN.match(indicator_id):
        raise InputError(f"Indikator-id '{indicator_id}' går inte att använda.", file=file,
                         field="id", fix="Skriv bara bokstäver a–z, siffror, _ och - (utan "
                                         "mellanslag och å, ä, ö), t.ex. otrygghet_park.")
    if taken and indicator_id in taken:
        raise InputError(f"Indikator-id '{indicator_id}' används redan i {taken[indicator_id]}.",
                         file=file, field="id",
                         fix="Välj ett annat id eller ändra den befintliga indikatorn.")
    if not isinstance(data, Mapping):
        raise InputError(f"'{indicator_id}' ska vara en tabell [{indicator_id}].", file=file,
                         field=indicator_id, fix=f'Skriv [{indicator_id}] och title_sv = "…".')
    unknown = sorted(set(data) - set(INDICATOR_KEYS))
    if unknown:
        raise InputError(f"Okänd nyckel '{unknown[0]}'.", file=file,
                         field=f"{indicator_id}.{unknown[0]}",
                         fix=f"Tillåtna nycklar: {', '.join(INDICATOR_KEYS)}.")
    for key in ("title_sv", "title_en"):
        value = data.get(key, "" if key == "title_sv" else "x")
        if not isinstance(value, str) or not value.strip():
            raise InputError("Titeln saknas.", file=file, field=f"{indicator_id}.{key}",
                             fix="Skriv den titel tabellerna och rapporten ska visa.")
    if data.get("unit", "percent") != "percent":
        raise InputError(f"Okänd enhet '{data['unit']}'.", file=file,
                         field=f"{indicator_id}.unit", fix='Enkätindikatorer är andelar: unit = '
                                                           '"percent".')
    if data.get("polarity", "negative") not in POLARITIES:
        raise InputError(f"Okänd riktning '{data['polarity']}'.", file=file,
                         field=f"{indicator_id}.polarity",
                         fix='Ange "negative" (högre är sämre) eller "positive" (högre är bättre).')
    from lagesbild.core.indicator_kinds import KINDS, UNITS

    if data.get("kind", "survey") not in KINDS:
        raise InputError(f"Okänd sorts indikator '{data['kind']}'.", file=file,
                         field=f"{indicator_id}.kind",
                         fix='Ange "survey" (ett urval svarande) eller "census" (alla kommunens '
                             'egna enheter eller all personal räknade).')
    if data.get("kind") == "census" and data.get("units") not in UNITS:
        raise InputError(f"Okänd enhet för räkningen '{data.get('units', '')}'.", file=file,
                         field=f"{indicator_id}.units",
                         fix='Ange units = "enheter" (organisationer) eller "personal" '
                             '(personer: regeln om små tal gäller).')
    categories = _texts(data, "reported_categories", file)
    if known_categories is not None:
        known = {category_key(c) for c in known_categories}
        for category in categories:
            if category_key(category) not in known:
                raise InputError(f"Okänd brottskategori '{category}'.", file=file,
                                 field=f"{indicator_id}.reported_categories",
                                 fix="Använd kategorinamnen i pyramid.toml eller "
                                     "brottsgrupper.toml (stavningen som i Brås tabeller).")


def indicator_toml(indicator_id: str, data: Mapping[str, Any]) -> str:
    """One `[id]` table of indicators.toml, keys in INDICATOR_KEYS order (blanks left out)."""
    body = layer_toml({**data}, keys=INDICATOR_KEYS)
    return f"[{indicator_id}]\n{body}"
