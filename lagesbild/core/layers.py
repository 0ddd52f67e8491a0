"""Declarative map layers: one TOML file each in layers/, loaded into a registry of specs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lagesbild.core.errors import InputError

KINDS = ("count_rate", "incident_rate", "indicator", "coverage")
# class-break schemes a layer may name (`analysis.classify.SCHEMES` holds their classifiers)
SCHEME_NAMES = ("quantiles", "equal_interval", "natural_breaks", "fisher_jenks")
NOT_LAYERS = {"pyramid.toml", "indicators.toml", "brottsgrupper.toml", "aldersgrupper.toml",
              "programmes.toml"}


@dataclass(frozen=True)
class LayerSpec:
    id: str
    title_sv: str
    title_en: str
    kind: str
    per: int = 100_000
    pyramid_level: int | None = None
    categories: tuple[str, ...] = ()
    relation: bool | None = None
    indicator: str | None = None
    programmes: tuple[str, ...] = ()
    scheme: str = "quantiles"
    k: int = 5
    colors: str = "YlOrRd"
    order: int = 99
    # a main group of crime (layers/brottsgrupper.toml): its categories are the group's
    crime_group: str | None = None
    file: str = field(default="", compare=False)

    def title(self, lang: str = "sv") -> str:
        return self.title_en if lang == "en" else self.title_sv

    @property
    def whole_level(self) -> bool:
        """A count layer that is one pyramid level entire (it reads the level's cube cells); the
        others at a level are a part of it (some categories, or close relationships only)."""
        return self.pyramid_level is not None and not self.categories and self.relation is None

    @property
    def unit(self) -> str:
        return "percent" if self.kind in ("indicator", "coverage") else f"per{self.per}"


def _is_brewer(name: str) -> bool:
    from branca.utilities import color_brewer

    try:
        color_brewer(name, n=5)
    except ValueError:
        return False
    return True


def _spec(path: Path) -> LayerSpec:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Ogiltig TOML: {exc}", file=path.name, fix="Rätta syntaxen.") from exc
    for key in ("id", "title_sv", "kind"):
        if key not in data:
            raise InputError("Nyckeln saknas.", file=path.name, field=key,
                             fix="Varje lagerfil behöver id, title_sv och kind.")
    if data["kind"] not in KINDS:
        raise InputError(f"Okänd lagertyp '{data['kind']}'.", file=path.name, field="kind",
                         fix=f"Välj en av: {', '.join(KINDS)}.")
    if data.get("scheme", "quantiles") not in SCHEME_NAMES:
        raise InputError(f"Okänd klassindelning '{data['scheme']}'.", file=path.name, field="scheme",
                         fix=f"Välj en av: {', '.join(SCHEME_NAMES)}.")
    level = data.get("pyramid_level")
    if level is not None and (isinstance(level, bool) or level not in (1, 2, 3)):
        raise InputError(f"Pyramidnivå {level!r} finns inte.", file=path.name, field="pyramid_level",
                         fix="Ange 1, 2 eller 3, eller ta bort nyckeln.")
    colors = str(data.get("colors", "YlOrRd"))
    if not _is_brewer(colors):
        raise InputError(f"Okänd färgskala '{colors}'.", file=path.name, field="colors",
                         fix="Välj en ColorBrewer-skala, t.ex. YlOrRd, Blues, Greens, Purples, OrRd.")
    if data["kind"] == "indicator" and not data.get("indicator"):
        raise InputError("Indikatorlager behöver 'indicator'.", file=path.name, field="indicator")
    categories = tuple(data.get("categories", ()))
    group = data.get("crime_group")
    if group is not None:
        categories = _group_categories(path, str(group), data)
    return LayerSpec(
        id=str(data["id"]), title_sv=str(data["title_sv"]),
        title_en=str(data.get("title_en", data["title_sv"])), kind=str(data["kind"]),
        per=int(data.get("per", 100_000)), pyramid_level=data.get("pyramid_level"),
        categories=categories, relation=data.get("relation"),
        indicator=data.get("indicator"), programmes=tuple(data.get("programmes", ())),
        scheme=str(data.get("scheme", "quantiles")), k=int(data.get("k", 5)),
        colors=str(data.get("colors", "YlOrRd")), order=int(data.get("order", 99)),
        crime_group=None if group is None else str(group), file=path.name)


def _group_categories(path: Path, group: str, data: dict) -> tuple[str, ...]:
    """The categories of a main group of crime, from brottsgrupper.toml beside the layer."""
    from lagesbild.core.crime_groups import FILE, load_crime_groups

    if data["kind"] != "count_rate" or data.get("categories") or \
            data.get("pyramid_level") is not None or data.get("relation") is not None:
        raise InputError("Ett lager med 'crime_group' räknar gruppens kategorier i Brås tabeller.",
                         file=path.name, field="crime_group",
                         fix="Ange kind = \"count_rate\" och ta bort categories, pyramid_level "
                             "och relation.")
    mapping = path.parent / FILE
    if not mapping.exists():
        raise InputError(f"Filen {FILE} saknas bredvid lagret.", file=path.name,
                         field="crime_group", fix=f"Lägg {FILE} i samma mapp som lagren.")
    groups = load_crime_groups(mapping)
    try:
        return groups.get(group).categories
    except KeyError:
        raise InputError(f"Okänd brottsgrupp '{group}'.", file=path.name, field="crime_group",
                         fix=f"Välj en av: {', '.join(g.id for g in groups.groups)}.") from None


def load_layers(directory: str | Path) -> dict[str, LayerSpec]:
    """Every layer in `directory`, keyed by id, in display order. Duplicate ids are an error."""
    specs: dict[str, LayerSpec] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        if path.name in NOT_LAYERS:
            continue
        spec = _spec(path)
        if spec.id in specs:
            raise InputError(f"Lager-id '{spec.id}' används redan i {specs[spec.id].file}.",
                             file=path.name, field="id")
        specs[spec.id] = spec
    return dict(sorted(specs.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_layer(specs: dict[str, LayerSpec], layer_id: str) -> LayerSpec:
    if layer_id not in specs:
        raise InputError(f"Okänt lager '{layer_id}'.", field="layer",
                         fix=f"Välj ett av: {', '.join(specs)}.")
    return specs[layer_id]
