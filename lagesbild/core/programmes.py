"""The programme registry (layers/programmes.toml): prevention programmes as data.

Each programme has a name (and aliases), an organiser, a target group as school grades or as
ages, the kinds of unit it runs in, and the counts that belong to it (tryggbassamtal, sessions
held), which an activity file gives as extra columns. A school's pupils are counted per target
group (`TARGET_GROUPS`, the sites file's "Elever åk 4–6" ... columns), so coverage can be taken
over each programme's own group.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lagesbild.core.errors import InputError

FILE = "programmes.toml"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "layers" / FILE

# target group key -> (sv, en); the key names the sites column `eligible_<key>`
TARGET_GROUPS: dict[str, tuple[str, str]] = {
    "ak4_6": ("åk 4–6", "grades 4–6"),
    "ak7_9": ("åk 7–9", "grades 7–9"),
    "gy": ("gymnasiet", "upper secondary"),
}
# the unit kinds a programme may run in -> the site kinds (schema.SITE_KINDS) they cover
UNIT_KINDS: dict[str, tuple[str, ...]] = {
    "skola": ("grundskola", "gymnasium"), "förskola": ("förskola",),
    "fritidsgård": ("fritidsgård",), "parklek": ("parklek",), "arbetsplats": ("arbetsplats",),
}
SCHOOL_KINDS = UNIT_KINDS["skola"]


def fold_name(text: object) -> str:
    """A name as the registry compares it: case-, dash- and space-insensitive."""
    return re.sub(r"[\s_\-–—]+", " ", str(text).casefold()).strip()


def group_key(text: object) -> str | None:
    """The target group of a grade label ("åk 4–6", "Åk 7-9", "gymnasiet"), else None."""
    folded = fold_name(text).replace("årskurs", "åk")
    for key, (sv, en) in TARGET_GROUPS.items():
        if folded in (fold_name(sv), fold_name(en), key, fold_name(sv).removeprefix("åk ")):
            return key
    return "gy" if folded in ("gymnasium", "gy") else None


@dataclass(frozen=True)
class ProgrammeCount:
    key: str
    label_sv: str
    label_en: str

    def label(self, lang: str = "sv") -> str:
        return self.label_en if lang == "en" else self.label_sv


@dataclass(frozen=True)
class Programme:
    name: str
    organiser: str
    grades: tuple[str, ...] = ()  # TARGET_GROUPS keys
    ages: tuple[int, int] | None = None
    units: tuple[str, ...] = ("skola",)
    counts: tuple[ProgrammeCount, ...] = ()
    aliases: tuple[str, ...] = ()

    def target(self, lang: str = "sv") -> str:
        """The target group in words: "åk 7–9, gymnasiet" or "10–17 år"."""
        if self.grades:
            return ", ".join(TARGET_GROUPS[g][1 if lang == "en" else 0] for g in self.grades)
        if self.ages:
            return f"{self.ages[0]}–{self.ages[1]} " + ("years" if lang == "en" else "år")
        return ""

    @property
    def site_kinds(self) -> tuple[str, ...]:
        return tuple(k for u in self.units for k in UNIT_KINDS[u])


@dataclass(frozen=True)
class Registry:
    programmes: tuple[Programme, ...]
    file: str = FILE

    def find(self, name: object) -> Programme | None:
        """The programme a name or alias means (case-, dash- and space-insensitive)."""
        folded = fold_name(name)
        for p in self.programmes:
            if folded in {fold_name(n) for n in (p.name, *p.aliases)}:
                return p
        return None

    def names(self) -> list[str]:
        return [p.name for p in self.programmes]

    def groups(self, name: str) -> tuple[str, ...]:
        """The target groups of a programme; () for one not in the registry or outside school."""
        found = self.find(name)
        return found.grades if found else ()

    def counts(self) -> dict[str, ProgrammeCount]:
        """Every count of any programme, by key, in registry order."""
        out: dict[str, ProgrammeCount] = {}
        for p in self.programmes:
            for c in p.counts:
                out.setdefault(c.key, c)
        return out


def parse_counts(text: object) -> dict[str, int]:
    """The stored counts of an activity row ("sessions=12;tryggbassamtal=40")."""
    out: dict[str, int] = {}
    if not isinstance(text, str):
        return out
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip() and value.strip():
            out[key.strip()] = int(value)
    return out


def format_counts(counts: dict[str, int]) -> str:
    return ";".join(f"{k}={int(v)}" for k, v in counts.items())


def load_programmes(directory: str | Path | None = None) -> Registry:
    """The registry in `directory` (the layers folder), else the one shipped with the tool."""
    path = Path(directory) / FILE if directory is not None else DEFAULT_PATH
    if not path.exists():
        path = DEFAULT_PATH
    return _load(str(path.resolve()), path.stat().st_mtime_ns)


def _need(item: dict, key: str, name: str, row: int, fix: str) -> object:
    if key not in item or item[key] in ("", [], None):
        raise InputError("Nyckeln saknas.", file=name, row=row, field=key, fix=fix)
    return item[key]


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int) -> Registry:
    name = Path(path).name
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Ogiltig TOML: {exc}", file=name, fix="Rätta syntaxen.") from exc
    programmes: list[Programme] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(data.get("programme", []), start=1):
        pname = str(_need(item, "name", name, i, "Varje [[programme]] behöver name."))
        organiser = str(_need(item, "organiser", name, i, f"Ange vem som äger metoden för {pname}."))
        grades: list[str] = []
        for label in item.get("grades", []):
            key = group_key(label)
            if key is None:
                raise InputError(f"Okänd målgrupp '{label}' för {pname}.", file=name, row=i,
                                 field="grades", fix="Ange årskurser som "
                                 + ", ".join(f'"{sv}"' for sv, _ in TARGET_GROUPS.values()) + ".")
            grades.append(key)
        ages = item.get("ages")
        if not grades and not (isinstance(ages, list) and len(ages) == 2):
            raise InputError(f"{pname} saknar målgrupp.", file=name, row=i, field="grades",
                             fix='Ange grades = ["åk 7–9"] eller ages = [från, till].')
        units = [str(u) for u in _need(item, "units", name, i, f"Ange var {pname} genomförs.")]
        for unit in units:
            if unit not in UNIT_KINDS:
                raise InputError(f"Okänd enhetstyp '{unit}' för {pname}.", file=name, row=i,
                                 field="units", fix="Välj bland: " + ", ".join(UNIT_KINDS) + ".")
        counts = tuple(ProgrammeCount(str(_need(c, "key", name, i, "Varje räkning behöver key.")),
                                      str(_need(c, "label_sv", name, i, "Ange kolumnens rubrik.")),
                                      str(c.get("label_en", c["label_sv"])))
                       for c in item.get("count", []))
        for n in (pname, *item.get("aliases", [])):
            if fold_name(n) in seen:
                raise InputError(f"Namnet '{n}' används redan av {seen[fold_name(n)]}.",
                                 file=name, row=i, field="name", fix="Ge varje program egna namn.")
            seen[fold_name(n)] = pname
        programmes.append(Programme(pname, organiser, tuple(grades),
                                    (int(ages[0]), int(ages[1])) if ages and not grades else None,
                                    tuple(units), counts, tuple(str(a) for a in item.get("aliases", []))))
    return Registry(tuple(programmes), name)
