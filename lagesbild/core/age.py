"""Age groups (layers/aldersgrupper.toml): a victim's age, a source's age band or a school grade
normalised to one group label, so incidents, population and surveys meet on the same groups.

    grouping = load_age_groups(settings.layers_dir / "aldersgrupper.toml")
    grouping.group_of(pd.Series(["23", "20-24 år", "15–19", "65 år och äldre", "åk 9",
                                 "Årskurs 2 gy", ""]))
    # -> "18–24", "18–24", <NA> (straddles 17/18), "65+", "åk 9", "gy 2", <NA>

A total ("totalt", "samtliga åldrar") is not a group: `is_total` tells it, and readers keep
those rows as the total they are.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from lagesbild.core.errors import InputError

FILE = "aldersgrupper.toml"
ALL_AGES = "(alla åldrar)"  # the age_group value of a total row in an age table
UNKNOWN = "okänd ålder"  # incidents without an age: a group of their own in an age table
TOTAL_WORDS = {"totalt", "total", "samtliga", "samtliga åldrar", "alla", "alla åldrar",
               "totalt ålder", "totalt alla åldrar", "tot", "summa"}
_GRADE = re.compile(r"^(?:åk|årskurs|år)\s*\.?\s*(\d{1,2})$")
# upper secondary: "Årskurs 2 gy", "gy 2", "gymnasiet år 2", "år 2 gymnasiet" -> "gy 2"
_GY = re.compile(r"^(?:(?:åk|årskurs|år)\s*\.?\s*(\d)\s*(?:på\s*)?(?:gy|gymn\w*)\.?"
                 r"|(?:gy|gymn\w*)\.?\s*(?:åk|årskurs|år)?\s*\.?\s*(\d))$")
_BAND = re.compile(r"^(\d{1,3})\s*(?:-|–|—|till)\s*(\d{1,3})(?:\s*år)?$")
_PLUS = re.compile(r"^(\d{1,3})\s*(?:\+\s*(?:år)?|år\s*(?:och|el\.?|eller)\s*(?:äldre|över|mer)"
                   r"|-)$")
_ONE = re.compile(r"^(\d{1,3})(?:[.,]0+)?(?:\s*år)?$")
_UPTO = re.compile(r"^-\s*(\d{1,3})(?:\s*år)?$")  # SCB's PX-Web code "-4": 0–4 years


@dataclass(frozen=True)
class AgeGroup:
    label: str
    low: int
    high: int | None  # None: and older


@dataclass(frozen=True)
class AgeGroups:
    groups: tuple[AgeGroup, ...]

    @property
    def labels(self) -> list[str]:
        return [g.label for g in self.groups]

    def of_band(self, low: int, high: int | None) -> str | None:
        """The group holding every age from `low` to `high` (None: and older), or None."""
        for g in self.groups:
            top = g.high if g.high is not None else 10_000
            if g.low <= low and (high if high is not None else 10_000) <= top:
                return g.label
        return None

    def label_of(self, value: object) -> str | None:
        """One value's group label (None when blank, a total, or not one group)."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        text = re.sub(r"\s+", " ", str(value).replace("\u2013", "-").casefold().strip())
        if not text or is_total(text):
            return None
        if text in {g.label.casefold().replace("\u2013", "-") for g in self.groups}:
            return next(g.label for g in self.groups
                        if g.label.casefold().replace("\u2013", "-") == text)
        grade = _GRADE.match(text)
        if grade:
            return f"åk {int(grade.group(1))}"
        upper = _GY.match(text)
        if upper:
            return f"gy {int(upper.group(1) or upper.group(2))}"
        one = _ONE.match(text)
        if one:
            return self.of_band(int(one.group(1)), int(one.group(1)))
        upto = _UPTO.match(text)
        if upto:
            return self.of_band(0, int(upto.group(1)))
        band = _BAND.match(text)
        if band:
            return self.of_band(int(band.group(1)), int(band.group(2)))
        plus = _PLUS.match(text)
        if plus:
            return self.of_band(int(plus.group(1)), None)
        return None

    def group_of(self, values: pd.Series) -> pd.Series:
        """Each value's group label (missing where blank, a total or not placeable), computed
        once per distinct value (an extract has millions of rows, a hundred ages)."""
        codes, uniques = pd.factorize(values.astype("string"))
        labels = [self.label_of(u) for u in uniques] + [None]
        out = pd.array(labels, dtype="string")[codes]
        return pd.Series(out, index=values.index, dtype="string")


def age_key(value: object) -> str:
    """A source's age text in one spelling, so that two rows of the same age or band are
    found to be the same ("åk 9" and "Årskurs 9"; "20-24 år" and "20–24"): the duplicate key
    of the readers. Totals become "" (the total row)."""
    text = re.sub(r"\s+", " ", str(value if value is not None else "").replace("\u2013", "-")
                  .replace("\u2014", "-").casefold().strip())
    if not text or text in {"nan", "<na>"} or is_total(text):
        return ""
    grade = _GRADE.match(text)
    if grade:
        return f"åk {int(grade.group(1))}"
    upper = _GY.match(text)
    if upper:
        return f"gy {int(upper.group(1) or upper.group(2))}"
    text = re.sub(r"\s*år$", "", text).strip()
    return re.sub(r"\s*(-|till)\s*", "-", text)


def is_total(value: object) -> bool:
    return str(value).casefold().strip() in TOTAL_WORDS


def load_age_groups(path: str | Path) -> AgeGroups:
    """Read and check the grouping: labels unique, ranges in order and not overlapping."""
    path = Path(path)
    return _load(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int) -> AgeGroups:
    name = Path(path).name
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"Ogiltig TOML: {exc}", file=name, fix="Rätta syntaxen.") from exc
    groups: list[AgeGroup] = []
    for i, item in enumerate(data.get("group", []), start=1):
        if "label" not in item or "from" not in item:
            raise InputError("Nyckeln saknas.", file=name, row=i,
                             field="label" if "label" not in item else "from",
                             fix="Varje [[group]] behöver label och from (och to utom den sista).")
        low, high = int(item["from"]), item.get("to")
        high = None if high is None else int(high)
        if high is not None and high < low:
            raise InputError(f"Gruppen '{item['label']}' slutar ({high}) före den börjar ({low}).",
                             file=name, row=i, field="to", fix="Ange to ≥ from.")
        if groups and (groups[-1].high is None or low <= groups[-1].high):
            raise InputError(f"Gruppen '{item['label']}' överlappar '{groups[-1].label}'.",
                             file=name, row=i, field="from",
                             fix="Ordna grupperna efter ålder utan överlapp.")
        groups.append(AgeGroup(str(item["label"]), low, high))
    return AgeGroups(tuple(groups))
