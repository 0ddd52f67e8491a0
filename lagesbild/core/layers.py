"""Declarative map layers: one TOML file each in layers/, loaded into a registry of specs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lagesbild.core.errors import InputError
from lagesbild.core.layer_check import KINDS, SCHEME_NAMES, check_indicator, check_layer

__all__ = ["KINDS", "SCHEME_NAMES", "LayerSpec", "get_layer", "load_indicator_meta", "load_layers",
           "own_layers_dir", "wide_layers", "wide_only"]

NOT_LAYERS = {"pyramid.toml", "indicators.toml", "brottsgrupper.toml", "aldersgrupper.toml",
              "programmes.toml"}
# a coordinator's own layers: a folder beside the workspace file ("demo.gpkg" -> "demo_lager/"),
# read after the shared layers directory; it travels with the workspace when both are copied
OWN_SUFFIX = "_lager"


def own_layers_dir(workspace_path: str | Path) -> Path:
    """The workspace's own layers folder: "<folder>/<name>_lager" beside "<folder>/<name>.gpkg"."""
    path = Path(workspace_path)
    return path.parent / f"{path.stem}{OWN_SUFFIX}"


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
    # "police": only sessions that may see exact figures get the layer (core.access); "" all
    audience: str = ""
    file: str = field(default="", compare=False)
    # an indicator layer's school grade ("åk 8", `core.age`), chosen where the survey has grades
    # (`analysis.shares.indicator_grades`): never set in the TOML; "" = the rows for all grades
    grade: str = ""

    def grade_label(self, lang: str = "sv") -> str:
        """" (åk 8)" after a title where a grade is chosen; "" otherwise."""
        return f" ({self.grade})" if self.grade else ""

    def title(self, lang: str = "sv") -> str:
        """The layer's title, and its school grade where one is chosen (every caption names it)."""
        return (self.title_en if lang == "en" else self.title_sv) + self.grade_label(lang)

    @property
    def whole_level(self) -> bool:
        """A count layer that is one pyramid level entire (it reads the level's cube cells); the
        others at a level are a part of it (some categories, or close relationships only)."""
        return self.pyramid_level is not None and not self.categories and self.relation is None

    @property
    def unit(self) -> str:
        return "percent" if self.kind in ("indicator", "coverage") else f"per{self.per}"


def _read(path: Path, name: str = "") -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Ogiltig TOML: {exc}", file=name or path.name,
                         fix="Rätta syntaxen.") from exc


def known_categories(directory: Path) -> set[str] | None:
    """The crime categories pyramid.toml and brottsgrupper.toml in `directory` name (None when
    neither is there: nothing to check a layer's categories against)."""
    found: set[str] | None = None
    for name, key in (("pyramid.toml", "level"), ("brottsgrupper.toml", "group")):
        path = directory / name
        if path.is_file():
            found = found or set()
            found |= {str(c) for item in _read(path).get(key, []) for c in item.get("categories", [])}
    return found


def known_indicators(base: Path, own: Path | None = None) -> set[str] | None:
    """The indicator ids of indicators.toml, shared and own (None when there is none)."""
    if not (base / "indicators.toml").is_file():
        return None
    return set(load_indicator_meta(base, own))


def load_indicator_meta(directory: str | Path, own: str | Path | None = None
                        ) -> dict[str, dict]:
    """The survey indicators of `directory`/indicators.toml and, when given, of the workspace's
    own folder's indicators.toml (checked: `layer_check.check_indicator`; an own id that the
    shared file has already is an error naming both files)."""
    base = Path(directory)
    meta: dict[str, dict] = dict(_read(base / "indicators.toml"))
    path = Path(own) / "indicators.toml" if own is not None else None
    if path is not None and path.is_file():
        name = f"{path.parent.name}/{path.name}"
        categories = known_categories(base)
        taken = {i: "indicators.toml" for i in meta}
        for indicator_id, data in _read(path, name).items():
            check_indicator(indicator_id, data, file=name, taken=taken,
                            known_categories=categories if data.get("reported_categories")
                            else None)
            meta[indicator_id] = dict(data)
    return meta


def _spec(path: Path, *, taken: dict[str, str] | None = None, base: Path | None = None,
          own: Path | None = None) -> LayerSpec:
    # an own layer is named with its folder ("demo_lager/x.toml"): the user must find it
    name = path.name if base is None or path.parent == base else f"{path.parent.name}/{path.name}"
    data = _read(path, name)
    base = base or path.parent
    check_layer(data, file=name, taken=taken,
                known_categories=known_categories(base) if data.get("categories") else None,
                known_indicators=known_indicators(base, own) if data.get("indicator") else None)
    categories = tuple(data.get("categories", ()))
    group = data.get("crime_group")
    if group is not None:
        categories = _group_categories(path, str(group), data, base)
    return LayerSpec(
        id=str(data["id"]), title_sv=str(data["title_sv"]),
        title_en=str(data.get("title_en", data["title_sv"])), kind=str(data["kind"]),
        per=int(data.get("per", 100_000)), pyramid_level=data.get("pyramid_level"),
        categories=categories, relation=data.get("relation"),
        indicator=data.get("indicator"), programmes=tuple(data.get("programmes", ())),
        scheme=str(data.get("scheme", "quantiles")), k=int(data.get("k", 5)),
        colors=str(data.get("colors", "YlOrRd")), order=int(data.get("order", 99)),
        crime_group=None if group is None else str(group),
        audience="police" if data.get("audience") == "police" else "", file=name)


def _group_categories(path: Path, group: str, data: dict, base: Path) -> tuple[str, ...]:
    """The categories of a main group of crime, from brottsgrupper.toml beside the layer."""
    from lagesbild.core.crime_groups import FILE, load_crime_groups

    if data["kind"] != "count_rate" or data.get("categories") or \
            data.get("pyramid_level") is not None or data.get("relation") is not None:
        raise InputError("Ett lager med 'crime_group' räknar gruppens kategorier i Brås tabeller.",
                         file=path.name, field="crime_group",
                         fix="Ange kind = \"count_rate\" och ta bort categories, pyramid_level "
                             "och relation.")
    mapping = base / FILE
    if not mapping.exists():
        raise InputError(f"Filen {FILE} saknas bredvid lagret.", file=path.name,
                         field="crime_group", fix=f"Lägg {FILE} i samma mapp som lagren.")
    groups = load_crime_groups(mapping)
    try:
        return groups.get(group).categories
    except KeyError:
        raise InputError(f"Okänd brottsgrupp '{group}'.", file=path.name, field="crime_group",
                         fix=f"Välj en av: {', '.join(g.id for g in groups.groups)}.") from None


def wide_only(specs: dict[str, LayerSpec]) -> dict[str, LayerSpec]:
    """`specs` without the police-only layers (`audience = "police"`): what a figure for anyone
    beyond the police may be built from."""
    return {k: s for k, s in specs.items() if s.audience != "police"}


def wide_layers(settings) -> dict[str, LayerSpec]:  # noqa: ANN001 - core.settings.Settings
    """The layers of `settings` (shared and the workspace's own) without the police-only ones:
    the default of every analysis not given its layers, so that no police-only layer feeds a
    combined figure (need scores, similar kommuner, a joint disclosure decision) by default.
    A caller that may see them (`core.access.Access.allowed_layers`) passes them itself."""
    return wide_only(load_layers(settings.layers_dir, own=settings.own_layers_dir))


def load_layers(directory: str | Path, own: str | Path | None = None) -> dict[str, LayerSpec]:
    """Every layer in `directory`, and in the workspace's own folder `own` when given, keyed
    by id, in display order. A duplicate id is an error naming both files; an own layer's
    crime group and categories are checked against `directory`'s pyramid and groups."""
    base = Path(directory)
    specs: dict[str, LayerSpec] = {}
    folders = [base] + ([Path(own)] if own is not None and Path(own).is_dir() else [])
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            if path.name in NOT_LAYERS:
                continue
            taken = {i: s.file for i, s in specs.items()}
            spec = _spec(path, taken=taken, base=base, own=folders[1] if len(folders) > 1 else None)
            specs[spec.id] = spec
    return dict(sorted(specs.items(), key=lambda kv: (kv[1].order, kv[0])))


def get_layer(specs: dict[str, LayerSpec], layer_id: str) -> LayerSpec:
    if layer_id not in specs:
        raise InputError(f"Okänt lager '{layer_id}'.", field="layer",
                         fix=f"Välj ett av: {', '.join(specs)}.")
    return specs[layer_id]
