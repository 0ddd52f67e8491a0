"""What kind of figure an indicator of layers/indicators.toml is: a survey share (a sample of
respondents: Wilson interval, too few respondents hidden) or a census share (a kommun's own
units or staff counted whole: "4 av 6 enheter", no sampling interval).

`kind = "census"` with `units = "enheter"` (organisations: schools, units; never hidden: no
person can be recognised in them) or `units = "personal"` (staff: persons, so the small-count
rule of `analysis.disclosure` applies to the number having the property).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lagesbild.core.errors import InputError

FILE = "indicators.toml"
KINDS = ("survey", "census")
UNITS = ("enheter", "personal")
PERSON_UNITS = ("personal",)


@dataclass(frozen=True)
class IndicatorKind:
    kind: str = "survey"
    units: str = ""

    @property
    def census(self) -> bool:
        return self.kind == "census"

    @property
    def persons(self) -> bool:
        """True where each counted unit is a person (the small-count rule applies)."""
        return self.kind != "census" or self.units in PERSON_UNITS


def indicator_kind(layers_dir: Path, indicator_id: str) -> IndicatorKind:
    path = Path(layers_dir) / FILE
    if not path.exists():
        return IndicatorKind()
    return _kinds(str(path), path.stat().st_mtime_ns).get(indicator_id, IndicatorKind())


@lru_cache(maxsize=8)
def _kinds(path: str, _mtime: int) -> dict[str, IndicatorKind]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, IndicatorKind] = {}
    for key, meta in data.items():
        if not isinstance(meta, dict):
            continue
        kind = str(meta.get("kind", "survey"))
        if kind not in KINDS:
            raise InputError(f"Okänd indikatortyp '{kind}'.", file=FILE, field=f"{key}.kind",
                             fix=f"Välj en av: {', '.join(KINDS)}.")
        units = str(meta.get("units", ""))
        if kind == "census" and units not in UNITS:
            raise InputError(f"En räkning av enheter behöver units, inte '{units}'.", file=FILE,
                             field=f"{key}.units",
                             fix='Ange units = "enheter" (skolor, enheter) eller "personal".')
        out[str(key)] = IndicatorKind(kind, units)
    return out


def period_order(value: str) -> tuple[int, int]:
    """Sort key: years and terms in time order (VT2024 before 2024 before HT2024)."""
    text = str(value)
    m = re.search(r"(\d{4})", text)
    year = int(m.group(1)) if m else 0
    return year, {"VT": 0, "HT": 2}.get(text[:2], 1)
